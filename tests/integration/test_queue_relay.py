"""The queue (issue 2 point 6, MSG-2) with the embedded broker: the outbox relay on
SQLite with a dramatiq StubBroker, the in-process worker e-mailing system messages to a
real SMTP server (aiosmtpd), ``ecrm worker``'s ``run_worker`` and, on PostgreSQL, the
relay's ``FOR UPDATE SKIP LOCKED`` path.

Helpers here (``wait_until``, ``need_env``, ``staff``, ...) are shared with the Redis and
RabbitMQ legs (test_queue_redis.py, test_queue_rabbitmq.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import insert, select, update

from ecrm_adapters.queue import (
    QUEUE,
    ROUTES,
    OutboxRelay,
    attach_queue,
    register_actors,
    run_worker,
)
from ecrm_adapters.queue.brokers import make_broker
from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.engine import make_engine
from tests.conftest import found, make_system
from tests.integration.test_mail_smtp import running_mailbox

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct-horse"


# -- shared helpers --------------------------------------------------------------------------


def need_env(name: str, what: str) -> str:
    """The value of ``name``; skips the test locally when unset, fails it in CI."""
    value = os.environ.get(name, "")
    if not value:
        if IN_CI:
            pytest.fail(f"CI must set {name} ({what})")
        pytest.skip(f"{what}: set {name} to run it")
    return value


def wait_until(condition, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    """Poll ``condition`` until it returns something true; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def staff(system):
    """The Director, Анна (with an e-mail address) and Борис (without one)."""
    director = found(system)
    anna = system.app.org.add_employee(director.id, {
        "login": "anna", "password": PASSWORD, "full_name": "Смирнова Анна Петровна",
        "email": "anna@example.ru"})
    boris = system.app.org.add_employee(director.id, {
        "login": "boris", "password": PASSWORD, "full_name": "Борисов Борис"})
    return director, anna, boris


def outbox_rows(system) -> list:
    with system.engine.connect() as conn:
        return conn.execute(select(t.outbox).order_by(t.outbox.c.id)).all()


def handled_keys(system) -> list[str]:
    with system.engine.connect() as conn:
        return list(conn.execute(select(t.handled_messages.c.key).order_by(t.handled_messages.c.id))
                    .scalars())


def add_outbox_row(engine, name: str, payload: dict) -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(t.outbox).values(name=name, payload=payload, created_at=datetime.now(UTC))
            .returning(t.outbox.c.id)
        ).scalar_one()


def unpublish(system, outbox_id: int) -> None:
    """As if the relay had crashed between sending the row and marking it published."""
    with system.engine.begin() as conn:
        conn.execute(update(t.outbox).where(t.outbox.c.id == outbox_id).values(published_at=None))


def stub_messages(broker: StubBroker, queue: str = QUEUE) -> list[dramatiq.Message]:
    return [dramatiq.Message.decode(data) for data in list(broker.queues[queue].queue)]


class Processed(dramatiq.Middleware):
    """Records every message a worker finished, with its exception (if any)."""

    def __init__(self) -> None:
        self.done: list[tuple[str, BaseException | None]] = []
        self._lock = threading.Lock()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        with self._lock:
            self.done.append((message.message_id, exception))


class FlakyBroker(StubBroker):
    """A StubBroker that can be 'down': enqueue raises like a refused connection."""

    def __init__(self) -> None:
        super().__init__(fail_fast_default=False)
        self.down = False

    def enqueue(self, message, *, delay=None):
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused (broker down)")
        return super().enqueue(message, delay=delay)


@pytest.fixture
def mailbox():
    with running_mailbox() as box:
        yield box


# -- the relay (SQLite, StubBroker) -----------------------------------------------------------


@pytest.fixture
def system(sqlite_url, tmp_path):
    s = make_system(sqlite_url, tmp_path)
    yield s
    s.close()


def test_the_relay_publishes_each_row_once_oldest_first(system):
    director, anna, _ = staff(system)
    sent = [system.app.messages.send(director.id, {"recipient_id": anna.id, "text": f"№ {i}"})
            for i in range(3)]
    rows = outbox_rows(system)
    assert [r.name for r in rows] == ["MessageCreated"] * 3
    assert all(r.published_at is None for r in rows)

    assert system.queue.relay.relay_once() == 3
    assert system.queue.relay.relay_once() == 0

    messages = stub_messages(system.queue.broker)
    assert [m.message_id for m in messages] == [f"outbox-{r.id}" for r in rows]
    assert [m.actor_name for m in messages] == ["deliver_message_email"] * 3
    assert [m.kwargs for m in messages] == [
        {"outbox_id": r.id, "message_id": s.id} for r, s in zip(rows, sent, strict=True)
    ]
    assert all(r.published_at is not None and r.attempts == 0 for r in outbox_rows(system))


def test_a_row_without_a_route_is_marked_published_and_sent_nowhere(system):
    assert "SomethingHappened" not in ROUTES
    row_id = add_outbox_row(system.engine, "SomethingHappened", {"x": 1})
    assert system.queue.relay.relay_once() == 1
    assert stub_messages(system.queue.broker) == []
    [row] = outbox_rows(system)
    assert row.id == row_id and row.published_at is not None


def test_a_row_that_cannot_be_routed_keeps_its_error_and_does_not_block_others(system):
    director, anna, _ = staff(system)
    bad = add_outbox_row(system.engine, "MessageCreated", {"recipient_id": anna.id})
    system.app.messages.send(director.id, {"recipient_id": anna.id, "text": "Привет"})
    assert system.queue.relay.relay_once() == 1
    rows = {r.id: r for r in outbox_rows(system)}
    assert rows[bad].published_at is None and rows[bad].attempts == 1
    assert "KeyError" in rows[bad].last_error
    assert [m.kwargs["outbox_id"] for m in stub_messages(system.queue.broker)] == [bad + 1]


def test_a_broker_failure_leaves_the_row_for_a_later_pass(system):
    broker = FlakyBroker()
    runtime = attach_queue(system, broker=broker)
    director, anna, _ = staff(system)
    for text in ("Первое", "Второе"):
        system.app.messages.send(director.id, {"recipient_id": anna.id, "text": text})
    broker.down = True
    assert runtime.relay.relay_once() == 0
    assert runtime.relay.relay_once() == 0
    first, second = outbox_rows(system)
    assert first.published_at is None and first.attempts == 2
    assert "ConnectionRefusedError" in first.last_error
    # The pass stopped at the first failure: the second row was not even tried.
    assert second.published_at is None and second.attempts == 0 and second.last_error is None

    broker.down = False
    assert runtime.relay.relay_once() == 2
    assert [m.message_id for m in stub_messages(broker)] == [
        f"outbox-{first.id}", f"outbox-{second.id}"]
    first, second = outbox_rows(system)
    assert first.published_at is not None and first.attempts == 2
    assert second.published_at is not None


def test_a_commit_succeeds_while_the_broker_is_down_and_is_relayed_when_it_returns(system):
    broker = FlakyBroker()
    broker.down = True
    runtime = attach_queue(system, broker=broker, interval=0.05)
    director, anna, _ = staff(system)
    runtime.start(worker=False)
    message = system.app.messages.send(director.id, {"recipient_id": anna.id, "text": "Привет"})
    assert message.id  # the change is committed; the relay failed softly in its thread
    wait_until(lambda: outbox_rows(system)[0].attempts >= 1, what="a failed relay attempt")
    assert outbox_rows(system)[0].published_at is None

    broker.down = False
    wait_until(lambda: outbox_rows(system)[0].published_at, what="the row to be published")
    assert [m.kwargs["message_id"] for m in stub_messages(broker)] == [message.id]


# -- the embedded default end to end: in-process worker + real SMTP --------------------------


@pytest.fixture
def mailing_system(sqlite_url, tmp_path, mailbox):
    # A long interval: only the after-commit kick can make the mail arrive quickly.
    s = make_system(sqlite_url, tmp_path, settings={**mailbox.smtp_settings(),
                                                    "relay_interval": 60.0})
    yield s
    s.close()


def test_a_system_message_is_emailed_by_the_in_process_worker(mailing_system, mailbox):
    system = mailing_system
    director, anna, _ = staff(system)
    system.start_embedded_queue()
    assert system.queue.embedded and system.queue.worker is not None

    started = time.monotonic()
    message = system.app.messages.send(
        director.id, {"recipient_id": anna.id, "text": "Совещание в 15:00, переговорная «Байкал»"})
    [got] = mailbox.wait_for(1, timeout=10)
    assert time.monotonic() - started < 10  # kicked after commit, not after relay_interval

    assert got.rcpt_tos == ("anna@example.ru",)
    assert got.message["To"] == "anna@example.ru"
    assert got.message["Subject"] == "ECRM: Уведомление"
    assert got.message.get_content_charset() == "utf-8"
    body = got.message.get_content()
    assert "Совещание в 15:00, переговорная «Байкал»" in body
    assert f"/me/messages/{message.id}" in body

    assert system.queue.drain(timeout=10)
    [row] = [r for r in outbox_rows(system) if r.payload["message_id"] == message.id]
    assert handled_keys(system) == [f"outbox:{row.id}"]
    assert system.app.messages.get(anna.id, message.id).emailed_at is not None


def test_a_confirmation_request_is_emailed_with_its_own_subject(mailing_system, mailbox):
    system = mailing_system
    director, anna, _ = staff(system)
    system.start_embedded_queue()
    system.app.messages.request_confirmation(director.id, anna.id, "Подтвердите скидку 10 %")
    [got] = mailbox.wait_for(1)
    assert got.message["Subject"] == "ECRM: Запрос на подтверждение"
    assert "Подтвердите скидку 10 %" in got.message.get_content()


def test_a_recipient_without_an_address_gets_no_mail_and_no_error(mailing_system, mailbox):
    system = mailing_system
    director, _, boris = staff(system)
    system.start_embedded_queue()
    system.app.messages.send(director.id, {"recipient_id": boris.id, "text": "Без почты"})
    assert system.queue.drain(timeout=10)
    [row] = outbox_rows(system)
    assert handled_keys(system) == [f"outbox:{row.id}"]
    assert system.queue.broker.dead_letters == []
    assert mailbox.received == []


def test_a_message_delivered_twice_is_emailed_once(mailing_system, mailbox):
    system = mailing_system
    director, anna, _ = staff(system)
    processed = Processed()
    system.queue.broker.add_middleware(processed)
    system.start_embedded_queue()
    system.app.messages.send(director.id, {"recipient_id": anna.id, "text": "Один раз"})
    mailbox.wait_for(1)
    assert system.queue.drain(timeout=10)
    [row] = outbox_rows(system)
    unpublish(system, row.id)
    assert system.queue.relay_now() == 1  # the same row, delivered again
    assert system.queue.drain(timeout=10)
    assert processed.done == [(f"outbox-{row.id}", None)] * 2
    assert len(mailbox.received) == 1
    assert handled_keys(system) == [f"outbox:{row.id}"]


def test_rows_lost_with_an_embedded_process_are_resent_on_the_next_start(
        sqlite_url, tmp_path, mailbox):
    first = make_system(sqlite_url, tmp_path / "one", settings=mailbox.smtp_settings())
    director, anna, _ = staff(first)
    first.app.messages.send(director.id, {"recipient_id": anna.id, "text": "Не потеряется"})
    assert first.queue.relay.relay_once() == 1  # published into an in-memory queue ...
    first.close()  # ... that dies with the process before any worker took it
    assert outbox_rows(first)[0].published_at is not None
    assert mailbox.received == []

    second = make_system(sqlite_url, tmp_path / "two", settings=mailbox.smtp_settings())
    try:
        second.start_embedded_queue()
        [got] = mailbox.wait_for(1)
        assert "Не потеряется" in got.message.get_content()
        assert second.queue.drain(timeout=10)
        assert len(mailbox.received) == 1
    finally:
        second.close()


# -- ecrm worker: run_worker ----------------------------------------------------------------


def test_run_worker_delivers_until_its_stop_event_is_set(mailing_system, mailbox):
    system = mailing_system
    director, anna, _ = staff(system)
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(system, stop), daemon=True)
    thread.start()
    wait_until(lambda: system.queue.running and system.queue.worker, what="the worker")
    system.app.messages.send(director.id, {"recipient_id": anna.id, "text": "Из воркера"})
    [got] = mailbox.wait_for(1)
    assert "Из воркера" in got.message.get_content()
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    assert not system.queue.running and system.queue.worker is None


WORKER_SCRIPT = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
from ecrm_adapters.bootstrap import bootstrap
from ecrm_adapters.queue import run_worker
system = bootstrap()
run_worker(system)
system.close()
print("clean exit", flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_worker_stops_cleanly_on_a_signal(sqlite_url, tmp_path, signum):
    env = {**os.environ, "ECRM_DATABASE_URL": sqlite_url, "ECRM_DATA_DIR": str(tmp_path),
           "ECRM_BROKER_URL": "", "ECRM_RELAY_INTERVAL": "0.2"}
    proc = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "ECRM worker running" in line:
                break
        else:
            pytest.fail("the worker never started:\n" + "".join(lines))
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "clean exit" in out
    assert "ECRM worker stopped" in err


# -- configuration --------------------------------------------------------------------------


def test_the_broker_follows_the_url():
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    from dramatiq.brokers.redis import RedisBroker

    assert isinstance(make_broker(""), StubBroker)
    # Building a broker opens no connection: these hosts need not exist.
    assert isinstance(make_broker("redis://127.0.0.1:1/0"), RedisBroker)
    rabbit = make_broker("amqp://guest:guest@127.0.0.1:1/")
    assert isinstance(rabbit, RabbitmqBroker)
    assert rabbit.confirm_delivery
    with pytest.raises(ValueError, match="ECRM_BROKER_URL"):
        make_broker("kafka://127.0.0.1:9092")


def test_importing_the_queue_creates_no_broker_and_no_actor():
    code = ("import dramatiq.broker as b, ecrm_adapters.queue, ecrm_adapters.bootstrap; "
            "assert b.global_broker is None, b.global_broker; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# -- PostgreSQL: FOR UPDATE SKIP LOCKED -------------------------------------------------------


class GateBroker(StubBroker):
    """Holds its first enqueue until released: the relay using it keeps its rows locked."""

    def __init__(self) -> None:
        super().__init__(fail_fast_default=False)
        self.holding = threading.Event()
        self.release = threading.Event()

    def enqueue(self, message, *, delay=None):
        if not self.holding.is_set():
            self.holding.set()
            assert self.release.wait(15), "never released"
        return super().enqueue(message, delay=delay)


class SlowBroker(StubBroker):
    def enqueue(self, message, *, delay=None):
        time.sleep(0.002)
        return super().enqueue(message, delay=delay)


@pytest.fixture
def pg_system(pg_url, tmp_path):
    s = make_system(pg_url, tmp_path)
    yield s
    s.close()


def _relay(system, broker, engine=None) -> OutboxRelay:
    register_actors(broker, system)
    return OutboxRelay(engine or system.engine, broker, ROUTES, now=lambda: datetime.now(UTC))


@pytest.mark.postgres
def test_postgres_relays_skip_rows_locked_by_another_relay(pg_system, pg_url):
    ids = [add_outbox_row(pg_system.engine, "MessageCreated", {"message_id": i, "recipient_id": 1})
           for i in range(1, 21)]
    gate, other = GateBroker(), StubBroker(fail_fast_default=False)
    other_engine = make_engine(pg_url)  # another process, in effect
    try:
        relay_a, relay_b = _relay(pg_system, gate), _relay(pg_system, other, other_engine)
        result = {}
        thread = threading.Thread(target=lambda: result.setdefault("a", relay_a.relay_once(5)))
        thread.start()
        assert gate.holding.wait(10)
        started = time.monotonic()
        published_by_b = relay_b.relay_once(100)  # must not wait for A's locks
        assert time.monotonic() - started < 5
        assert thread.is_alive()  # A still holds its five rows
        gate.release.set()
        thread.join(10)
    finally:
        gate.release.set()
        other_engine.dispose()
    assert result["a"] == 5 and published_by_b == 15
    sent_a = [m.kwargs["outbox_id"] for m in stub_messages(gate)]
    sent_b = [m.kwargs["outbox_id"] for m in stub_messages(other)]
    assert sent_a == ids[:5] and sent_b == ids[5:]
    assert all(r.published_at is not None for r in outbox_rows(pg_system))


@pytest.mark.postgres
def test_postgres_racing_relays_publish_every_row_exactly_once(pg_system, pg_url):
    ids = [add_outbox_row(pg_system.engine, "MessageCreated", {"message_id": i, "recipient_id": 1})
           for i in range(1, 61)]
    brokers = [SlowBroker(fail_fast_default=False) for _ in range(3)]
    engines = [make_engine(pg_url) for _ in brokers]
    try:
        relays = [_relay(pg_system, b, e) for b, e in zip(brokers, engines, strict=True)]
        barrier = threading.Barrier(len(relays))

        def run(relay):
            barrier.wait(10)
            while relay.relay_once(4):
                pass

        threads = [threading.Thread(target=run, args=(r,)) for r in relays]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
    finally:
        for e in engines:
            e.dispose()
    sent = sorted(m.kwargs["outbox_id"] for b in brokers for m in stub_messages(b))
    assert sent == ids
    assert sum(1 for b in brokers if stub_messages(b)) >= 2, "the relays did not race"
    assert all(r.published_at is not None for r in outbox_rows(pg_system))

