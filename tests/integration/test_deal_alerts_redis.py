"""The deal alerts job (DEAL-4) on Redis with two workers at once (issue 6 acceptance:
"escalation of an over-norm deal is sent once per level even with two workers"), on
SQLite and PostgreSQL: two in-process workers (each its own engine, broker connection
and scheduler) race for the passes, start passes at the same moment, take two copies of
one message; and two escalations run at the same moment past the job's lease — the
unique row per deal, stay and level lets one of them send.

Runs when ECRM_TEST_BROKER_URL is a redis:// URL (CI sets it; locally it skips with a
message)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from ecrm_adapters.queue import DealAlerts, attach_queue, run_worker
from ecrm_adapters.queue import schedule as sched
from ecrm_adapters.queue.brokers import make_broker
from ecrm_adapters.queue.schedule import JobLeases
from ecrm_core.kernel.errors import Conflict
from ecrm_core.messages.model import MessageKind
from tests.conftest import make_system
from tests.fakes import FakeClock
from tests.integration.test_queue_relay import wait_until
from tests.integration.test_task_alerts_redis import Workers as TaskWorkers
from tests.integration.test_task_alerts_redis import namespace, redis_url  # noqa: F401

pytestmark = pytest.mark.broker

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday, 12:00 in Moscow
PASSWORD = "correct-horse"
ON = {"deal_alerts_minutes": 15.0}


class Workers(TaskWorkers):
    """The task alerts test's two in-process workers, with the deal alerts job on (and
    only it: the task alerts and the other periodic jobs off)."""

    def __init__(self, url, tmp_path, clock, broker_url, prefix) -> None:
        self.systems = [make_system(url, tmp_path / f"worker{i}", clock=clock, settings=ON)
                        for i in range(2)]
        for system in self.systems:
            attach_queue(system, broker=make_broker(broker_url, namespace=prefix),
                         interval=0.1)
            system.queue.jobs[:] = [j for j in system.queue.jobs if isinstance(j, DealAlerts)]
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=run_worker, args=(s, self.stop), daemon=True)
                        for s in self.systems]


def deal_world(system) -> SimpleNamespace:
    """A company whose manager (head: the sales head) registered a B2B connection deal at
    ``START``: its first state's norm is 3 working days, the head is told 2 working days
    after that."""
    app = system.app
    w = SimpleNamespace(system=system, app=app)
    w.d = app.org.found_company("ООО «Сделки»", {"login": "dir", "password": PASSWORD,
                                                "full_name": "Директор"}).id
    sales = app.org.create_department(w.d, {"name": "Продажи"})
    w.head = app.org.add_employee(w.d, {"login": "head", "password": PASSWORD,
                                        "full_name": "Начальник продаж",
                                        "department_id": sales.id}).id
    app.org.update_department(w.d, sales.id, {"head_id": w.head})
    w.mgr = app.org.add_employee(w.d, {"login": "mgr", "password": PASSWORD,
                                       "full_name": "Менеджер", "department_id": sales.id}).id
    catalog = app.catalogs.create(w.d, {"name": "Клиенты"})
    w.card = app.counterparties.register(w.d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
        "inn": "7707083893", "kpp": "773601001"})
    app.access.grant(w.d, w.mgr, "client_manager", w.card.ref)
    w.template = next(t for t in app.deal_templates.templates(w.d)
                      if t.code == "b2b_connection")
    w.deal = register(w, "Офис")
    return w


def register(w, name):
    return w.app.deals.register(w.mgr, {"counterparty_id": w.card.id,
                                        "template_id": w.template.id, "name": name,
                                        "amount": "100000"})


def notices(w) -> list[tuple[int, str]]:
    """(recipient, text) of every notice about deals over their norm."""
    found = []
    for employee in (w.mgr, w.head):
        found += [(employee, m.text) for m in w.app.messages.inbox(employee, per_page=200)
                  if m.message_kind is MessageKind.NOTIFICATION and "норматив" in m.text]
    return sorted(found)


def lease(system):
    return JobLeases(system.engine, system.app.clock.now).state(sched.DEAL_ALERTS_JOB)


def test_two_workers_on_redis_send_each_level_once(
        database_url, tmp_path, redis_url, namespace, monkeypatch):  # noqa: F811
    clock = FakeClock(START)
    system = make_system(database_url, tmp_path / "web", clock=clock, settings=ON)
    w = deal_world(system)
    clock.current = START + timedelta(days=3)  # Thursday 12:00 Moscow: the norm is over
    workers = Workers(database_url, tmp_path, clock, redis_url, namespace)
    runs: list[str] = []
    for i, worker_system in enumerate(workers.systems):
        real = worker_system.app.deals.escalate
        monkeypatch.setattr(worker_system.app.deals, "escalate",
                            lambda real=real, i=i: runs.append(f"worker{i}") or real())
    try:
        # both schedulers look at once when their workers start: one pass, one notice
        workers.start()
        wait_until(lambda: (row := lease(system)) is not None and row.finished_at,
                   timeout=30, what="the first pass to finish")
        workers.join_queue()
        assert len(runs) == 1
        assert [r for r, _ in notices(w)] == [w.mgr]

        # Friday: due again, both start a pass at the same moment — nothing new yet
        clock.current = START + timedelta(days=4)
        barrier = threading.Barrier(2)
        started: list[str] = []

        def look(worker_system):
            barrier.wait()
            started.extend(worker_system.queue.scheduler.run_due())

        lookers = [threading.Thread(target=look, args=(s,)) for s in workers.systems]
        for thread in lookers:
            thread.start()
        for thread in lookers:
            thread.join(30)
        assert len(started) == 1
        wait_until(lambda: lease(system).finished_at == clock.now(), timeout=30,
                   what="the second pass to finish")
        workers.join_queue()
        assert len(runs) == 2 and [r for r, _ in notices(w)] == [w.mgr]

        # the next Monday: two working days past the norm — two copies of one message
        # taken by the two workers: one pass, the head told once
        clock.current = START + timedelta(days=7)
        [job] = [j for j in workers.systems[0].queue.jobs if isinstance(j, DealAlerts)]
        assert job.leases.take(sched.DEAL_ALERTS_JOB, "twice", timedelta(minutes=15)) \
            is not None
        cursor = job.leases.state(sched.DEAL_ALERTS_JOB).cursor
        actor = workers.systems[0].queue.broker.get_actor(sched.RUN_DEAL_ALERTS)
        for _ in range(2):
            actor.send(cursor=cursor, holder="twice")
        wait_until(lambda: lease(system).holder is None, timeout=30,
                   what="the duplicated pass to finish")
        workers.join_queue()
        assert len(runs) == 3
        assert [r for r, _ in notices(w)] == [w.head, w.mgr]
    finally:
        workers.close()
        system.close()


def test_two_escalations_at_the_same_moment_past_the_lease_send_once(
        database_url, tmp_path):
    """Even without the job's lease (two processes calling ``escalate`` at once), the
    unique row per deal, stay and level lets one notice through per level."""
    clock = FakeClock(START)
    system = make_system(database_url, tmp_path / "web", clock=clock)
    w = deal_world(system)
    other = make_system(database_url, tmp_path / "other", clock=clock)
    clock.current = START + timedelta(days=7)  # both levels due
    try:
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def run(s):
            barrier.wait()
            try:
                outcomes.append(s.app.deals.escalate())
            except Conflict as exc:
                outcomes.append(exc)

        threads = [threading.Thread(target=run, args=(s,)) for s in (system, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        # whatever the interleaving, each level went out once; a loser may have sent
        # nothing or given up with a conflict
        for _ in range(2):
            system.app.deals.escalate()
        assert [r for r, _ in notices(w)] == [w.head, w.mgr]
        assert len(outcomes) == 2
    finally:
        other.close()
        system.close()
