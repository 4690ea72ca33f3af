"""The billing hand-off (ORD-3) against real gateways: the HTTP adapter talking to a local
server (pytest-httpserver), the drop-folder adapter writing files, and the whole way
from an approved order through the outbox and the queue to the billing system.

- The issue's acceptance: a chain of three approvers, a refusal in the middle,
  resubmission, approval, then the hand-off retried by the queue through a failing (503,
  503) then recovering server — exactly one accepted hand-off, every request under the
  same ``Idempotency-Key``, and a second delivery sends nothing.
- 409 counts as accepted; 400 fails the hand-off for good (the author is told).
- Two deliveries of one hand-off at the same moment (SQLite and, when configured,
  PostgreSQL): the server gets at most one request.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from werkzeug import Request, Response

from ecrm_adapters.billing.filedrop import FileDropBilling
from ecrm_adapters.billing.http import HttpBilling
from ecrm_adapters.billing.unconfigured import UnconfiguredBilling
from ecrm_adapters.bootstrap import make_billing
from ecrm_adapters.queue import actors, attach_queue, run_worker
from ecrm_adapters.settings import Settings
from ecrm_core.messages.model import ConfirmationState, MessageKind
from ecrm_core.orders.model import HandoffState, RoundStatus
from ecrm_core.orders.ports import BillingRejected, BillingUnavailable
from ecrm_core.orders.services import HandoffBusy
from tests.conftest import found, make_system
from tests.fakes import FakeClock
from tests.integration.test_queue_relay import (
    handled_keys,
    outbox_rows,
    unpublish,
    wait_until,
)
from tests.integration.test_task_alerts_redis import namespace, redis_url  # noqa: F401

PASSWORD = "correct-horse"
PATH = "/billing/v1/orders"
TOKEN = "s3cret-token"
KEY = "ecrm-order-7-v1"
DOC = {"schema": "ecrm.billing/1", "order": {"number": "З-7", "totals": {}}}


class Billing:
    """A local billing system: answers with the statuses it is given, in order (the
    last one from then on), and records every request."""

    def __init__(self, httpserver, statuses=(200,), delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.requests: list[SimpleNamespace] = []
        self._lock = threading.Lock()
        httpserver.expect_request(PATH, method="POST").respond_with_handler(self.answer)
        self.url = httpserver.url_for(PATH)

    def answer(self, request: Request) -> Response:
        with self._lock:
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
            self.requests.append(SimpleNamespace(
                key=request.headers.get("Idempotency-Key"),
                authorization=request.headers.get("Authorization"),
                content_type=request.headers.get("Content-Type"),
                body=json.loads(request.get_data()), status=status))
        if self.delay:
            time.sleep(self.delay)
        return Response(json.dumps({"status": status, "error": "bad tariff"}
                                   if status == 400 else {"status": status}),
                        status=status, content_type="application/json")

    @property
    def accepted(self) -> list[SimpleNamespace]:
        return [r for r in self.requests if 200 <= r.status < 300 or r.status == 409]


# -- the HTTP adapter ------------------------------------------------------------------


def test_a_document_is_posted_with_its_key_and_token(httpserver):
    server = Billing(httpserver, [201])
    HttpBilling(server.url, TOKEN, timeout=2).send(KEY, DOC)
    [got] = server.requests
    assert (got.key, got.authorization, got.body) == (KEY, f"Bearer {TOKEN}", DOC)
    assert got.content_type.startswith("application/json")
    HttpBilling(server.url).send(KEY, DOC)  # no token: no Authorization header
    assert server.requests[-1].authorization is None


@pytest.mark.parametrize(("status", "outcome", "said"), [
    (409, None, None),
    (400, BillingRejected, "the billing system rejected the document (HTTP 400): "),
    (422, BillingRejected, "(HTTP 422)"),
    (404, BillingRejected, "(HTTP 404)"),
    (401, BillingUnavailable, "refused the token (HTTP 401); check ECRM_BILLING_TOKEN"),
    (403, BillingUnavailable, "refused the token (HTTP 403)"),
    (429, BillingUnavailable, "is failing (HTTP 429)"),
    (500, BillingUnavailable, "is failing (HTTP 500)"),
    (503, BillingUnavailable, "is failing (HTTP 503)"),
])
def test_what_each_answer_means(httpserver, status, outcome, said):
    server = Billing(httpserver, [status])
    gateway = HttpBilling(server.url, TOKEN, timeout=2)
    if outcome is None:
        gateway.send(KEY, DOC)  # 409: the key was accepted before
        return
    with pytest.raises(outcome) as err:
        gateway.send(KEY, DOC)
    assert said in str(err.value)
    if status == 400:
        assert "bad tariff" in str(err.value)


def test_a_redirect_is_not_followed(httpserver):
    httpserver.expect_request(PATH, method="POST").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/elsewhere")})
    httpserver.expect_request("/elsewhere").respond_with_data("ok")
    with pytest.raises(BillingUnavailable, match="redirects .*ECRM_BILLING_URL"):
        HttpBilling(httpserver.url_for(PATH)).send(KEY, DOC)
    assert [r.path for r, _ in httpserver.log] == [PATH]


def test_a_slow_or_absent_billing_system_is_unavailable(httpserver):
    server = Billing(httpserver, [200], delay=1.0)
    started = time.monotonic()
    with pytest.raises(BillingUnavailable,
                       match="did not answer within 0.3 seconds"):
        HttpBilling(server.url, timeout=0.3).send(KEY, DOC)
    assert time.monotonic() - started < 0.9
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(BillingUnavailable, match="cannot reach the billing system"):
        HttpBilling(f"http://127.0.0.1:{port}/billing", timeout=2).send(KEY, DOC)


@pytest.mark.parametrize(("url", "token", "timeout"), [
    ("ftp://billing", "", 1), ("billing.local/api", "", 1), ("http://b", "two words", 1),
    ("http://b", "", 0)])
def test_bad_settings_are_refused_at_start(url, token, timeout):
    with pytest.raises(ValueError, match="_(URL|TOKEN|TIMEOUT): "):
        HttpBilling(url, token, timeout=timeout)


def test_the_settings_choose_the_gateway(tmp_path):
    def settings(**env):
        return Settings.from_env({"ECRM_DATA_DIR": str(tmp_path), **env})

    assert isinstance(make_billing(settings()), UnconfiguredBilling)
    http = make_billing(settings(ECRM_BILLING_URL="https://billing.example/api",
                                 ECRM_BILLING_TOKEN=" t0k ", ECRM_BILLING_TIMEOUT="2.5"))
    assert isinstance(http, HttpBilling) and http.timeout == 2.5
    assert "t0k" not in repr(http)
    drop = make_billing(settings(ECRM_BILLING_DIR=str(tmp_path / "drop")))
    assert isinstance(drop, FileDropBilling) and drop.folder == tmp_path / "drop"
    with pytest.raises(ValueError, match="not both"):
        make_billing(settings(ECRM_BILLING_URL="https://b.example",
                              ECRM_BILLING_DIR=str(tmp_path)))
    with pytest.raises(ValueError, match="ECRM_BILLING_SWEEP_MINUTES"):
        settings(ECRM_BILLING_SWEEP_MINUTES="-1")
    with pytest.raises(BillingUnavailable, match="not configured"):
        UnconfiguredBilling().send(KEY, DOC)


# -- the drop folder -------------------------------------------------------------------


def test_a_drop_file_appears_whole_once_and_an_existing_one_counts_as_delivered(tmp_path):
    folder = tmp_path / "drop"
    gateway = FileDropBilling(folder)
    gateway.send(KEY, DOC)
    target = folder / f"{KEY}.json"
    assert json.loads(target.read_text(encoding="utf-8")) == DOC
    assert "З-7" in target.read_text(encoding="utf-8")  # UTF-8, not \\u escapes
    assert [p.name for p in folder.iterdir()] == [target.name]  # no temporary left
    stamp = target.stat().st_mtime_ns
    gateway.send(KEY, {"something": "else"})  # the same key again: delivered before
    assert target.stat().st_mtime_ns == stamp and json.loads(target.read_text()) == DOC
    with pytest.raises(BillingRejected):
        gateway.send("../escape", DOC)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(BillingUnavailable, match="cannot be written"):
        FileDropBilling(blocked).send(KEY, DOC)


# -- the whole way: an order through approval, the outbox and the queue ----------------


def _world(system):
    """A company with a client manager (the author), a lawyer, a head of sales, the
    Director; a client with a signed contract; priced goods and a three-step route."""
    app = system.app
    director = found(system).id

    def person(login, name):
        return app.org.add_employee(director, {"login": login, "password": PASSWORD,
                                               "full_name": name}).id

    w = SimpleNamespace(app=app, d=director, mgr=person("mgr", "Менеджеров М."),
                        lawyer=person("lawyer", "Юристов Ю."),
                        boss=person("boss", "Продажин П."))
    with system.app.uow_factory(readonly=True) as uow:
        company = uow.company.first().ref
    app.access.grant(director, w.boss, "sales_management", company)
    catalog = app.catalogs.create(director, {"name": "Клиенты"})
    w.card = app.counterparties.register(director, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "ООО «Альфа»",
        "inn": "7707083893", "kpp": "773601001"})
    app.access.grant(director, w.mgr, "client_manager", w.card.ref)
    retail = next(t for t in app.products.price_types(director) if t.code == "retail")
    w.package = app.products.save_item(director, {"name": "Интернет 100",
                                                  "item_kind": "service", "unit": "мес"})
    w.router = app.products.save_item(director, {"name": "Маршрутизатор"})
    for item, amount in ((w.package, "1200"), (w.router, "5490")):
        app.products.set_price(director, {"item_id": item.id, "price_type_id": retail.id,
                                          "valid_from": "2020-01-01", "amount": amount})
    w.route = app.orders.save_route(director, {"name": "Три подписи", "steps": [
        {"employee_id": w.lawyer}, {"role": "sales_management"}, {"role": "director"}]})
    return w


def _order(w):
    return w.app.orders.create(w.mgr, {"counterparty_id": w.card.id, "lines": [
        {"item_id": w.package.id, "quantity": 1}, {"item_id": w.router.id, "quantity": 1},
        {"part": "work", "name": "Монтаж", "quantity": 2, "price": "1500"}]})


def _approved(w):
    order = _order(w)
    w.app.orders.submit(w.mgr, order.id, w.route.id)
    for who in (w.lawyer, w.boss, w.d):
        w.app.orders.decide(who, order.id, True)
    return order


def _request_of(w, employee_id):
    [found_] = [m for m in w.app.messages.inbox(employee_id)
                if m.message_kind is MessageKind.CONFIRMATION
                and m.state is ConfirmationState.PENDING]
    return found_


@pytest.fixture
def fast_retries(monkeypatch):
    """The queue's retry back-off in milliseconds instead of seconds."""
    monkeypatch.setattr(actors, "RETRY_OPTIONS", {**actors.RETRY_OPTIONS,
                                                  "min_backoff": 20, "max_backoff": 100})


def test_acceptance_approval_then_a_hand_off_through_a_failing_then_recovering_server(
        sqlite_url, tmp_path, httpserver, fast_retries):
    server = Billing(httpserver, [503, 503, 200])
    system = make_system(sqlite_url, tmp_path, billing=HttpBilling(server.url, TOKEN, 2),
                         settings={"relay_interval": 60.0, "billing_sweep_minutes": 0.0})
    try:
        w = _world(system)
        app = w.app
        order = _order(w)
        # three approvers; the second refuses; resubmitted; all approve
        app.orders.submit(w.mgr, order.id, w.route.id)
        app.messages.answer(w.lawyer, _request_of(w, w.lawyer).id, True)
        app.messages.answer(w.boss, _request_of(w, w.boss).id, False, "Дорого")
        assert app.orders.get(w.mgr, order.id).state == "draft"
        assert app.orders.rounds(w.mgr, order.id)[0].status is RoundStatus.REFUSED
        assert any("Дорого" in m.text for m in app.messages.inbox(w.mgr))
        app.orders.update(w.mgr, order.id, {"note": "скидка согласована устно"})
        app.orders.submit(w.mgr, order.id, w.route.id)
        app.orders.decide(w.lawyer, order.id, True)
        app.orders.decide(w.boss, order.id, True)
        app.messages.answer(w.d, _request_of(w, w.d).id, True)
        assert app.orders.get(w.mgr, order.id).state == "approved"

        # connection: the outbox hands the hand-off to the queue, which retries it
        system.start_embedded_queue()
        app.orders.move(w.mgr, order.id, "connection")
        [handoff] = app.orders.handoffs(w.mgr, order.id)
        done = wait_until(lambda: app.orders.handoffs(w.mgr, order.id)[0].state
                          is HandoffState.ACCEPTED, timeout=20, what="an accepted hand-off")
        assert done
        assert system.queue.drain(timeout=10)
        assert [r.status for r in server.requests] == [503, 503, 200]
        assert {r.key for r in server.requests} == {handoff.key}
        assert len(server.accepted) == 1
        body = server.requests[-1].body
        assert body["schema"] == "ecrm.billing/1" and body["order"]["number"] == order.number
        assert body["order"]["client"]["inn"] == "7707083893"
        accepted = app.orders.handoffs(w.mgr, order.id)[0]
        assert (accepted.attempts, accepted.last_error) == (3, "")

        # delivered again (the relay resends the row): nothing reaches the server
        [row] = [r for r in outbox_rows(system) if r.name == "BillingHandoffRequested"]
        assert row.payload["handoff_id"] == handoff.id
        assert f"outbox:{row.id}" in handled_keys(system)  # settled: not requeued on start
        unpublish(system, row.id)
        assert system.queue.relay_now() == 1
        assert system.queue.drain(timeout=10)
        assert app.orders.deliver_handoff(handoff.id).state is HandoffState.ACCEPTED
        assert len(server.requests) == 3
        assert any("биллинг принял" in m.text for m in app.messages.inbox(w.mgr))
    finally:
        system.close()


@pytest.fixture
def billing_system(sqlite_url, tmp_path, httpserver):
    """A system (SQLite, queue not started) whose billing system is a local server."""
    holder = SimpleNamespace()

    def make(statuses, delay=0.0):
        holder.server = Billing(httpserver, statuses, delay)
        holder.system = make_system(sqlite_url, tmp_path, billing=HttpBilling(
            holder.server.url, TOKEN, timeout=5))
        holder.w = _world(holder.system)
        return holder

    yield make
    if hasattr(holder, "system"):
        holder.system.close()


def _handed_off(w):
    order = _approved(w)
    w.app.orders.move(w.mgr, order.id, "connection")
    return order, w.app.orders.handoffs(w.mgr, order.id)[0]


def test_a_409_counts_as_accepted(billing_system):
    h = billing_system([409])
    order, handoff = _handed_off(h.w)
    assert h.w.app.orders.deliver_handoff(handoff.id).state is HandoffState.ACCEPTED
    assert h.w.app.orders.deliver_handoff(handoff.id).state is HandoffState.ACCEPTED
    assert len(h.server.requests) == 1


def test_a_400_fails_the_hand_off_for_good_and_the_author_is_told(billing_system):
    h = billing_system([400])
    order, handoff = _handed_off(h.w)
    failed = h.w.app.orders.deliver_handoff(handoff.id)
    assert failed.state is HandoffState.FAILED and "HTTP 400" in failed.last_error
    assert h.w.app.orders.deliver_handoff(handoff.id).state is HandoffState.FAILED
    assert h.w.app.orders.redeliver_due().accepted == 0
    assert len(h.server.requests) == 1
    assert any("отклонил" in m.text for m in h.w.app.messages.inbox(h.w.mgr))


def test_the_sweep_sends_a_postponed_hand_off_again_under_the_same_key(billing_system):
    h = billing_system([503, 200])
    order, handoff = _handed_off(h.w)
    with pytest.raises(BillingUnavailable, match="HTTP 503"):
        h.w.app.orders.deliver_handoff(handoff.id)
    waiting = h.w.app.orders.handoffs(h.w.mgr, order.id)[0]
    report = h.w.app.orders.redeliver_due(waiting.next_try_at)
    assert (report.accepted, report.waiting) == (1, 0)
    assert [r.key for r in h.server.requests] == [handoff.key, handoff.key]


def _race(app, handoff_id):
    """Two deliveries of one hand-off started at the same moment."""
    barrier = threading.Barrier(2)
    outcomes: list = []

    def deliver():
        barrier.wait()
        try:
            outcomes.append(app.orders.deliver_handoff(handoff_id).state)
        except HandoffBusy:
            outcomes.append("busy")
        except Exception as exc:  # pragma: no cover - a failure the test reports
            outcomes.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_two_deliveries_at_once_send_at_most_once(database_url, tmp_path, httpserver):
    server = Billing(httpserver, [200], delay=0.3)
    system = make_system(database_url, tmp_path, billing=HttpBilling(server.url, TOKEN, 5))
    try:
        w = _world(system)
        keys = []
        for _ in range(3):
            _order_, handoff = _handed_off(w)
            keys.append(handoff.key)
            outcomes = _race(w.app, handoff.id)
            assert sorted(map(str, outcomes)) == sorted(
                ["busy", str(HandoffState.ACCEPTED)]), outcomes
            assert w.app.orders.handoffs(w.mgr, handoff.order_id)[0].attempts == 1
        assert [r.key for r in server.requests] == keys  # one request per hand-off
    finally:
        system.close()


def test_a_drop_folder_receives_the_order(sqlite_url, tmp_path):
    folder = tmp_path / "billing-drop"
    system = make_system(sqlite_url, tmp_path, settings={"billing_dir": folder,
                                                         "billing_sweep_minutes": 0.0})
    try:
        w = _world(system)
        order, handoff = _handed_off(w)
        assert isinstance(system.app.orders.billing, FileDropBilling)
        assert w.app.orders.deliver_handoff(handoff.id).state is HandoffState.ACCEPTED
        written = json.loads((folder / f"{handoff.key}.json").read_text(encoding="utf-8"))
        assert written == w.app.orders.handoffs(w.mgr, order.id)[0].payload
        assert os.listdir(folder) == [f"{handoff.key}.json"]
    finally:
        system.close()


def test_the_periodic_sweep_delivers_what_the_queue_gave_up_on(sqlite_url, tmp_path,
                                                               monkeypatch):
    """The billing sweep (a periodic job, only while billing is configured) sends a
    postponed hand-off once its back-off is over — here after the queue's own retries
    ran out and the drop folder came back."""
    monkeypatch.setattr(actors, "RETRY_OPTIONS", {**actors.RETRY_OPTIONS, "max_retries": 0})
    folder = tmp_path / "share"
    folder.write_text("the share is not mounted")  # a file where the folder should be
    clock = FakeClock(datetime.now(UTC))
    system = make_system(sqlite_url, tmp_path, clock=clock, settings={
        "billing_dir": folder, "relay_interval": 60.0})
    try:
        [job] = [j for j in system.queue.jobs if j.name == "billing_sweep"]
        assert job.enabled and job.every.total_seconds() == 300
        system.start_embedded_queue()
        w = _world(system)
        order, handoff = _handed_off(w)
        assert system.queue.drain(timeout=10)  # the actor failed; no retries left
        waiting = w.app.orders.handoffs(w.mgr, order.id)[0]
        assert (waiting.state, waiting.attempts) == (HandoffState.PENDING, 1)
        assert "cannot be written" in waiting.last_error
        [row] = [r for r in outbox_rows(system) if r.name == "BillingHandoffRequested"]
        assert f"outbox:{row.id}" not in handled_keys(system)  # not settled: not handled
        folder.unlink()
        folder.mkdir()
        assert job.start(force=True) is not None  # too early: the back-off is not over
        assert system.queue.drain(timeout=10)
        assert w.app.orders.handoffs(w.mgr, order.id)[0].attempts == 1
        clock.advance(seconds=31)
        assert job.start(force=True) is not None
        assert system.queue.drain(timeout=10)
        done = w.app.orders.handoffs(w.mgr, order.id)[0]
        assert (done.state, done.attempts) == (HandoffState.ACCEPTED, 2)
        assert (folder / f"{handoff.key}.json").exists()
    finally:
        system.close()


def test_the_sweep_is_off_without_a_billing_system(system):
    [job] = [j for j in system.queue.jobs if j.name == "billing_sweep"]
    assert not job.enabled and job.start(force=True) is None


@pytest.fixture
def redis_broker(redis_url, namespace):  # noqa: F811 (the task alerts tests' fixtures)
    """A Redis broker (ECRM_TEST_BROKER_URL) under a namespace of its own, emptied
    afterwards."""
    from ecrm_adapters.queue.brokers import make_broker

    return make_broker(redis_url, namespace=namespace)


@pytest.mark.broker
def test_on_redis_two_copies_and_the_retries_end_in_one_accepted_hand_off(
        redis_broker, sqlite_url, tmp_path, httpserver, fast_retries):
    """The queue on Redis: the hand-off's message is relayed twice (two copies wait
    before a worker runs) and the billing system fails once — the retry goes through
    Redis' delay queue — and the server accepts the key exactly once."""
    server = Billing(httpserver, [503, 200], delay=0.2)
    system = make_system(sqlite_url, tmp_path, billing=HttpBilling(server.url, TOKEN, 5),
                         settings={"billing_sweep_minutes": 0.0})
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(system, stop), daemon=True)
    try:
        runtime = attach_queue(system, broker=redis_broker, interval=0.1)
        w = _world(system)
        order, handoff = _handed_off(w)
        [row] = [r for r in outbox_rows(system) if r.name == "BillingHandoffRequested"]
        while runtime.relay.relay_once():
            pass
        unpublish(system, row.id)
        assert runtime.relay.relay_once() >= 1  # a second copy of the same message
        worker.start()
        wait_until(lambda: w.app.orders.handoffs(w.mgr, order.id)[0].state
                   is HandoffState.ACCEPTED, timeout=30, what="an accepted hand-off")
        runtime.broker.join(actors.QUEUE, timeout=20_000)
        assert len(server.accepted) == 1
        assert {r.key for r in server.requests} == {handoff.key}
        assert [r.status for r in server.requests][:1] == [503]
    finally:
        stop.set()
        if worker.is_alive():
            worker.join(15)
        system.close()


def test_without_a_billing_system_the_queue_does_not_retry_a_hand_off(
        sqlite_url, tmp_path, caplog):
    """No billing system configured (the demo, a fresh install): the hand-off's message
    is taken once and the hand-off waits, postponed and shown on the order — no retries
    with tracebacks in the log; the sweep sends it once a billing system is set."""
    system = make_system(sqlite_url, tmp_path, settings={"relay_interval": 60.0})
    try:
        w = _world(system)
        app = w.app
        order = _approved(w)
        system.start_embedded_queue()
        with caplog.at_level("INFO"):
            app.orders.move(w.mgr, order.id, "connection")
            system.queue.relay_now()  # (the queue may have relayed it already)
            wait_until(lambda: app.orders.handoffs(w.mgr, order.id)[0].attempts == 1,
                       timeout=10, what="the hand-off's one attempt")
            assert system.queue.drain(timeout=10)
        [handoff] = app.orders.handoffs(w.mgr, order.id)
        assert handoff.state is HandoffState.PENDING and handoff.attempts == 1
        assert "billing is not configured" in handoff.last_error
        assert "waits" in caplog.text and "Retrying message" not in caplog.text
        assert "Traceback" not in caplog.text
    finally:
        system.close()
