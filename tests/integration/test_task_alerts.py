"""The task alerts job (TASK-7) through the queue, on SQLite and PostgreSQL with a fake
clock and the embedded StubBroker: reminders before the due time, escalations by the
rules of the reference book — each sent once and recorded in ``task_escalations`` and
in the task's history — however often the job runs, with stale, duplicate and
simultaneous messages, a failed pass, an abandoned one, the job turned off, and the
embedded queue running it by itself.

Shared with test_task_alerts_redis.py (two workers on Redis): ``alerts_world``,
``sent``."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import dramatiq
import pytest
from sqlalchemy import func, select

from ecrm_adapters.queue import QUEUE, JobBusy, JobLeases, TaskAlerts
from ecrm_adapters.queue import schedule as sched
from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.messages.model import MessageKind
from tests.conftest import found, make_system
from tests.fakes import FakeClock
from tests.integration.test_queue_relay import wait_until

#: Monday 2 March 2026, 09:00 UTC (12:00 in Moscow, 15:00 in Omsk).
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct-horse"
ON = {"task_alerts_minutes": 5.0}


def alerts_world(system) -> SimpleNamespace:
    """A company whose manager (in Omsk) has overdue calls and a meeting, a done call, a
    future call and a call with its reminder due at ``START``; two escalation rules:
    a call overdue by one working day → the head, any task overdue by 2 hours → the
    Director."""
    app = system.app
    w = SimpleNamespace(system=system, app=app)
    w.director = found(system)
    d = w.director.id
    sales = app.org.create_department(d, {"name": "Отдел продаж"})
    w.head = app.org.add_employee(d, {"login": "head", "password": PASSWORD,
                                      "full_name": "Кузнецова Елена Александровна",
                                      "department_id": sales.id})
    app.org.update_department(d, sales.id, {"head_id": w.head.id})
    w.manager = app.org.add_employee(d, {"login": "manager", "password": PASSWORD,
                                         "full_name": "Смирнова Анна Сергеевна",
                                         "department_id": sales.id,
                                         "timezone": "Asia/Omsk"})
    catalog = app.catalogs.create(d, {"name": "Клиенты"})
    card = app.counterparties.register(d, {"catalog_id": catalog.id, "type": "legal_entity",
                                           "name": "ООО «Альфа-Строй»"})
    types = {k.code: k.id for k in app.tasks.task_types(d)}
    w.call_rule = app.tasks.create_escalation_rule(d, {
        "name": "Звонок просрочен на 1 рабочий день", "delay": 1, "unit": "working_days",
        "target": "head", "task_type_id": types["call"]})
    w.any_rule = app.tasks.create_escalation_rule(d, {
        "name": "Задача просрочена на 2 часа", "delay": 2, "unit": "hours",
        "target": "director"})

    def task(kind: str, due: str, **extra):
        return app.tasks.create(w.manager.id, {"task_type_id": types[kind], "due_date": due,
                                               **extra})

    # Thursday's calls: overdue since Friday 00:00 Omsk, by a working day since Monday.
    w.call1 = task("call", "2026-02-26", counterparty_id=card.id,
                   what="Уточнить объём работ по договору")
    w.call2 = task("call", "2026-02-26", due_time="10:00", counterparty_id=card.id,
                   what="Согласовать дату монтажа")
    # Friday's meeting: overdue since Saturday 00:00 Omsk; only the 2-hour rule applies.
    w.meeting = task("meeting", "2026-02-27", what="Встреча с техническим директором")
    w.done = task("call", "2026-02-25", state="done", result="Договорились о встрече")
    w.future = task("call", "2026-03-05")
    # 15:10 in Omsk today: a call reminds 15 minutes ahead, at 08:55 UTC.
    w.reminded = task("call", "2026-03-02", due_time="15:10", what="Напомнить о счёте")
    return w


@pytest.fixture
def world(database_url, tmp_path):
    clock = FakeClock(START)
    system = make_system(database_url, tmp_path, clock=clock, settings=ON)
    w = alerts_world(system)
    w.clock = clock
    yield w
    system.close()


@contextmanager
def consuming(system):
    """An in-process worker on the system's (stub) broker; yields ``join``."""
    broker = system.queue.broker
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=2, worker_timeout=20)
    worker.start()
    try:
        yield lambda: broker.join(QUEUE, timeout=30_000, fail_fast=True)
    finally:
        worker.stop()


def sent(w) -> dict:
    """What the job has sent so far, as seen in the database."""
    app, d = w.app, w.director.id

    def inbox(employee, kind):
        return [m.text for m in app.messages.inbox(employee.id, per_page=200)
                if m.message_kind is kind]

    with w.system.engine.connect() as conn:
        rows = conn.execute(select(t.task_escalations.c.task_id, t.task_escalations.c.rule_id,
                                   t.task_escalations.c.recipient_id)).all()
        outbox = conn.execute(select(func.count()).select_from(t.outbox)
                              .where(t.outbox.c.name == "MessageCreated")).scalar_one()
    return {
        "escalations": sorted(tuple(r) for r in rows),
        "to_head": inbox(w.head, MessageKind.NOTIFICATION),
        "to_director": inbox(w.director, MessageKind.NOTIFICATION),
        "reminders": inbox(w.manager, MessageKind.REMINDER),
        "outbox": outbox,
        "history": {task.id: sum(e.action == "TaskEscalated"
                                 for e in app.history.of(d, task.ref))
                    for task in (w.call1, w.call2, w.meeting, w.done, w.future, w.reminded)},
    }


def expected(w) -> dict:
    return {
        "escalations": sorted([
            (w.call1.id, w.call_rule.id, w.head.id), (w.call2.id, w.call_rule.id, w.head.id),
            (w.call1.id, w.any_rule.id, w.director.id),
            (w.call2.id, w.any_rule.id, w.director.id),
            (w.meeting.id, w.any_rule.id, w.director.id)]),
        "history": {w.call1.id: 2, w.call2.id: 2, w.meeting.id: 1, w.done.id: 0,
                    w.future.id: 0, w.reminded.id: 0},
    }


def check_sent_once(w, got: dict) -> None:
    """Each escalation once, as one digest per recipient and rule; the reminder once."""
    want = expected(w)
    assert got["escalations"] == want["escalations"]
    assert got["history"] == want["history"]
    [to_head] = got["to_head"]
    assert "«Звонок просрочен на 1 рабочий день»" in to_head and "(2)" in to_head
    assert to_head.count("Смирнова Анна Сергеевна") == 2
    [to_director] = got["to_director"]
    assert "«Задача просрочена на 2 часа»" in to_director and "(3)" in to_director
    assert "Встреча с техническим директором" in to_director
    [reminder] = got["reminders"]
    assert "Напомнить о счёте" in reminder


def lease(system):
    return JobLeases(system.engine, system.app.clock.now).state(sched.TASK_ALERTS_JOB)


def test_the_job_run_twice_sends_each_alert_once(world):
    w = world
    assert [p.task.id for p in w.app.tasks.pending_escalations()] == [
        w.call1.id, w.call2.id, w.call1.id, w.call2.id, w.meeting.id]
    with consuming(w.system) as join:
        [holder] = w.system.queue.scheduler.run_due()
        join()
        first = sent(w)
        check_sent_once(w, first)
        assert first["outbox"] == 3  # two digests and the reminder, for e-mail
        row = lease(w.system)
        assert (row.holder, row.lease_until, row.cursor) == (None, None, 0)
        assert row.started_at == row.finished_at == START
        assert w.app.tasks.pending_escalations() == []

        # the job again: not yet due, then due — and nothing more to send
        w.clock.advance(minutes=4, seconds=59)
        assert w.system.queue.scheduler.run_due() == []
        w.clock.advance(seconds=1)
        assert w.system.queue.scheduler.run_due()
        join()
        assert sent(w) == first
        # forced at once as well: still nothing more
        assert TaskAlerts(w.system, w.system.queue.broker).start(force=True)
        join()
        assert sent(w) == first
    assert lease(w.system).finished_at == w.clock.now()


def test_a_rescheduled_task_overdue_again_is_escalated_again(world):
    w = world
    with consuming(w.system) as join:
        w.system.queue.scheduler.run_due()
        join()
        # call1 moved to Tuesday; on Wednesday (Omsk) it is overdue by a working day again
        w.app.tasks.update(w.manager.id, w.call1.id, {"due_date": "2026-03-03"})
        w.clock.current = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)  # Thursday 00:00 Omsk
        w.system.queue.scheduler.run_due()
        join()
    got = sent(w)
    # the newest digest: call1 for its new deadline and today's call, overdue by now
    assert len(got["to_head"]) == 2 and "(2)" in got["to_head"][0]
    assert "03.03.2026 — Уточнить объём работ" in got["to_head"][0]
    assert got["history"][w.call1.id] == 4  # both rules, for each deadline
    assert got["history"][w.call2.id] == 2  # not rescheduled: nothing new
    assert len(got["escalations"]) == 5 + 4


def test_stale_and_duplicate_messages_do_nothing(world, monkeypatch):
    w = world
    job = TaskAlerts(w.system, w.system.queue.broker)
    calls = []
    real = w.app.tasks.run_alerts
    monkeypatch.setattr(w.app.tasks, "run_alerts", lambda: calls.append(1) or real())
    job.run(0, "nobody")  # no pass of that holder
    assert calls == [] and lease(w.system) is None
    assert job.leases.take(sched.TASK_ALERTS_JOB, "h1", timedelta(minutes=5)) == 0
    job.run(0, "h1")
    assert calls == [1]
    check_sent_once(w, sent(w))
    job.run(0, "h1")  # the same message delivered again, after the pass
    job.run(1, "h1")
    assert calls == [1] and lease(w.system).holder is None


def test_a_message_delivered_twice_at_the_same_moment_runs_once(world, monkeypatch):
    """Two workers get copies of one message at once: one claims the pass, the other
    finds it claimed."""
    w = world
    jobs = [TaskAlerts(w.system, w.system.queue.broker) for _ in range(2)]
    assert jobs[0].leases.take(sched.TASK_ALERTS_JOB, "h1", timedelta(minutes=5)) == 0
    calls = []
    real = w.app.tasks.run_alerts
    monkeypatch.setattr(w.app.tasks, "run_alerts", lambda: calls.append(1) or real())
    barrier = threading.Barrier(2)

    def deliver(job):
        barrier.wait()
        job.run(0, "h1")

    threads = [threading.Thread(target=deliver, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert calls == [1]
    check_sent_once(w, sent(w))
    assert lease(w.system).holder is None


def test_four_processes_starting_at_once_start_one_pass(world, tmp_path):
    w = world
    others = [make_system(w.system.settings.database_url, tmp_path / f"p{i}", clock=w.clock,
                          settings=ON) for i in range(4)]
    barrier = threading.Barrier(len(others))
    results: list[str | None] = []

    def start(system):
        barrier.wait()
        results.extend(system.queue.scheduler.run_due())

    try:
        threads = [threading.Thread(target=start, args=(s,)) for s in others]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(results) == 1
        queued = sum(s.queue.broker.queues[QUEUE].qsize() for s in others
                     if QUEUE in s.queue.broker.queues)
        assert queued == 1
        assert lease(w.system).holder == results[0]
        [system] = [s for s in others if QUEUE in s.queue.broker.queues
                    and s.queue.broker.queues[QUEUE].qsize()]
        with consuming(system) as join:
            join()
        check_sent_once(w, sent(w))
    finally:
        for s in others:
            s.close()


def test_escalate_run_twice_at_once_bypassing_the_lease_sends_each_once(world):
    """The core's record (unique per task, rule and deadline) holds even if two copies
    of the job ran at once: the second copy's batch fails and sends nothing."""
    w = world
    barrier = threading.Barrier(2)
    outcomes: list = []

    def escalate():
        barrier.wait()
        try:
            outcomes.append(w.app.tasks.escalate())
        except Exception as exc:  # the copy that lost the race
            outcomes.append(exc)

    threads = [threading.Thread(target=escalate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 2
    got = sent(w)
    assert got["escalations"] == expected(w)["escalations"]
    assert got["history"] == expected(w)["history"]
    assert len(got["to_head"]) == 1 and len(got["to_director"]) == 1


def test_a_failed_pass_is_not_retried_and_frees_the_job(world, monkeypatch, caplog):
    w = world

    def broken():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(w.app.tasks, "run_alerts", broken)
    with consuming(w.system) as join:
        assert w.system.queue.scheduler.run_due()
        join()
        assert "the task alerts pass failed" in caplog.text
        row = lease(w.system)
        assert row.holder is None and row.finished_at == START
        assert sent(w)["escalations"] == []
        monkeypatch.undo()
        w.clock.advance(minutes=5)
        assert w.system.queue.scheduler.run_due()
        join()
    check_sent_once(w, sent(w))


def test_an_abandoned_pass_is_taken_over_when_its_lease_runs_out(world):
    w = world
    job = TaskAlerts(w.system, w.system.queue.broker)
    assert job.leases.take(sched.TASK_ALERTS_JOB, "died", timedelta(minutes=5)) == 0
    assert job.claim(0, "died") == 1  # it claimed the pass, then its process died
    w.clock.advance(minutes=59)
    assert w.system.queue.scheduler.run_due() == []  # still within its lease
    w.clock.advance(minutes=1, seconds=1)
    with consuming(w.system) as join:
        [holder] = w.system.queue.scheduler.run_due()
        join()
    assert holder != "died"
    got = sent(w)
    assert got["escalations"] == expected(w)["escalations"]
    assert got["history"] == expected(w)["history"]
    # an hour late, today's call is overdue: its reminder is dropped (the escalation
    # speaks then), not sent late
    assert got["reminders"] == []
    row = lease(w.system)
    assert row.holder is None and row.started_at == START


def test_a_broker_failure_at_the_start_leaves_the_job_due(world, monkeypatch):
    w = world

    def refuse(message, *, delay=None):
        raise ConnectionError("broker down")

    monkeypatch.setattr(w.system.queue.broker, "enqueue", refuse)
    assert w.system.queue.scheduler.run_due() == []
    row = lease(w.system)
    assert (row.holder, row.started_at) == (None, None)
    monkeypatch.undo()
    with consuming(w.system) as join:
        assert w.system.queue.scheduler.run_due()
        join()
    check_sent_once(w, sent(w))


def test_run_here_and_now_takes_the_job_or_says_it_is_busy(world):
    """``held`` (``ecrm tasks escalate``): one pass at a time with the scheduler's."""
    w = world
    job = TaskAlerts(w.system, w.system.queue.broker)
    with job.held() as holder:
        assert lease(w.system).holder == holder
        assert w.system.queue.scheduler.run_due() == []
        with pytest.raises(JobBusy) as busy, job.held():
            pass
        assert busy.value.holder == holder
        w.app.tasks.run_alerts()
    row = lease(w.system)
    assert row.holder is None and row.finished_at == START
    check_sent_once(w, sent(w))
    w.clock.advance(minutes=5)
    assert w.system.queue.scheduler.run_due()  # the periodic passes go on


def test_the_job_turned_off_never_starts_but_runs_when_asked(database_url, tmp_path):
    clock = FakeClock(START)
    system = make_system(database_url, tmp_path, clock=clock,
                         settings={"task_alerts_minutes": 0.0})
    try:
        w = alerts_world(system)
        w.clock = clock
        job = TaskAlerts(system, system.queue.broker)
        assert not job.enabled
        assert system.queue.scheduler.run_due() == [] and lease(system) is None
        with consuming(system) as join:
            assert job.start(force=True)
            join()
        check_sent_once(w, sent(w))
    finally:
        system.close()


def test_the_embedded_queue_runs_the_job_by_itself(world):
    """The default: no broker URL; the web process's relay loop starts the pass (at
    once on start, then once a minute) and its in-process worker runs it."""
    w = world
    assert w.system.queue.embedded
    w.system.queue.interval = 0.05
    w.system.start_embedded_queue()
    wait_until(lambda: (row := lease(w.system)) is not None and row.finished_at,
               timeout=30, what="the task alerts pass to finish")
    check_sent_once(w, sent(w))
    # the digests and the reminder went on to the queue for e-mail too
    assert w.system.queue.drain(timeout=20)


def test_settings_read_the_interval(tmp_path):
    from ecrm_adapters.settings import Settings

    env = {"ECRM_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(env).task_alerts_minutes == 5.0
    assert Settings.from_env({**env, "ECRM_TASK_ALERTS_MINUTES": "0"}).task_alerts_minutes == 0
    assert Settings.from_env({**env, "ECRM_TASK_ALERTS_MINUTES": "1.5"}
                             ).task_alerts_minutes == 1.5
    for bad in ("-1", "soon", "nan"):
        with pytest.raises(ValueError, match="ECRM_TASK_ALERTS_MINUTES"):
            Settings.from_env({**env, "ECRM_TASK_ALERTS_MINUTES": bad})
