"""The task alerts job (TASK-7) on Redis with two workers at once (issue 4 acceptance:
"escalation sent exactly once when the job runs twice or on two workers at once"), on
SQLite and PostgreSQL:

- two in-process workers (``run_worker`` in threads, each with its own engine, broker
  connection and scheduler) start together, race for the pass, and are made to start
  passes at the same moment again; a message delivered twice to them runs once;
- two real ``ecrm worker`` processes started together against a ``redis-server`` of
  the test's own.

Runs when ECRM_TEST_BROKER_URL is a redis:// URL (CI sets it; locally it skips with a
message)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
from sqlalchemy import select

from ecrm_adapters.queue import QUEUE, TaskAlerts, attach_queue, run_worker
from ecrm_adapters.queue import schedule as sched
from ecrm_adapters.queue.brokers import make_broker
from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.messages.model import MessageKind
from tests.conftest import found, make_system
from tests.fakes import FakeClock
from tests.integration.test_mail_smtp import free_port
from tests.integration.test_queue_redis import RedisServer
from tests.integration.test_queue_relay import IN_CI, need_env, wait_until
from tests.integration.test_task_alerts import (
    ON,
    PASSWORD,
    START,
    alerts_world,
    check_sent_once,
    lease,
    sent,
)

pytestmark = pytest.mark.broker


@pytest.fixture
def redis_url() -> str:
    url = need_env("ECRM_TEST_BROKER_URL", "Redis leg of the task alerts tests")
    if not url.startswith(("redis://", "rediss://")):
        pytest.skip(f"ECRM_TEST_BROKER_URL is not a Redis URL: {url}")
    return url


@pytest.fixture
def namespace(redis_url):
    """A key prefix of the test's own on the shared Redis, removed afterwards."""
    name = f"ecrm-alerts-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(f"{name}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


class Workers:
    """Two ECRM processes' worth of queue (threads here) on one database and one Redis."""

    def __init__(self, url, tmp_path, clock, redis_url, namespace) -> None:
        self.systems = [make_system(url, tmp_path / f"worker{i}", clock=clock, settings=ON)
                        for i in range(2)]
        for system in self.systems:
            attach_queue(system, broker=make_broker(redis_url, namespace=namespace),
                         interval=0.1)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=run_worker, args=(s, self.stop), daemon=True)
                        for s in self.systems]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join_queue(self) -> None:
        """Wait until the shared Redis queue is empty and nothing is being handled."""
        self.systems[0].queue.broker.join(QUEUE, timeout=30_000)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            if thread.is_alive():
                thread.join(15)
        for system in self.systems:
            system.close()


def test_two_workers_on_redis_send_each_escalation_once(
        database_url, tmp_path, redis_url, namespace, monkeypatch):
    clock = FakeClock(START)
    system = make_system(database_url, tmp_path / "web", clock=clock, settings=ON)
    w = alerts_world(system)
    w.clock = clock
    workers = Workers(database_url, tmp_path, clock, redis_url, namespace)
    runs: list[str] = []
    for i, worker_system in enumerate(workers.systems):
        real = worker_system.app.tasks.run_alerts
        monkeypatch.setattr(worker_system.app.tasks, "run_alerts",
                            lambda real=real, i=i: runs.append(f"worker{i}") or real())
    try:
        # both schedulers look at once when their workers start: one pass
        workers.start()
        wait_until(lambda: (row := lease(system)) is not None and row.finished_at,
                   timeout=30, what="the first pass to finish")
        workers.join_queue()
        first = sent(w)
        check_sent_once(w, first)
        assert len(runs) == 1

        # the job due again: both processes start passes at the same moment
        clock.advance(minutes=5)
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
        assert len(runs) == 2
        assert sent(w) == first  # nothing sent twice

        # two copies of one message, taken by the two workers: one pass
        clock.advance(hours=2, minutes=6)  # today's call is now 2 hours overdue
        [job] = [j for j in workers.systems[0].queue.jobs if isinstance(j, TaskAlerts)]
        assert job.leases.take(sched.TASK_ALERTS_JOB, "twice", timedelta(minutes=5)) == 0
        actor = workers.systems[0].queue.broker.get_actor(sched.RUN_TASK_ALERTS)
        for _ in range(2):
            actor.send(cursor=0, holder="twice")
        wait_until(lambda: lease(system).holder is None, timeout=30,
                   what="the duplicated pass to finish")
        workers.join_queue()
        assert len(runs) == 3
        last = sent(w)
        assert last["escalations"] == sorted(
            first["escalations"] + [(w.reminded.id, w.any_rule.id, w.director.id)])
        assert len(last["to_director"]) == 2 and len(last["to_head"]) == 1
        assert "Напомнить о счёте" in last["to_director"][0]
    finally:
        workers.close()
        system.close()


# -- two real `ecrm worker` processes ----------------------------------------------------


@pytest.fixture
def own_redis(redis_url, tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("CI needs the redis-server command for the two-workers test")
        pytest.skip("two-workers test: the redis-server command is not installed")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(binary, free_port(), folder)
    server.start()
    yield server
    server.stop()


class WorkerProcess:
    """``ecrm worker`` in a subprocess; its output collected by a thread."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "ecrm_cli", "worker"], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def running(self) -> bool:
        """It said so, which it does only once its SIGTERM handler is in place."""
        return "ECRM worker running" in self.output

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)
        return self.proc.returncode


def test_two_ecrm_worker_processes_started_together_escalate_once(
        database_url, tmp_path, own_redis):
    """Real processes and the real clock: tasks a week overdue, a call due in ten
    minutes (its reminder is due), the two rules. What the job would send (the dry run)
    is sent exactly once: one row per task and rule, one digest per recipient and rule,
    one reminder."""
    system = make_system(database_url, tmp_path / "setup")
    try:
        app = system.app
        director = found(system)
        d = director.id
        sales = app.org.create_department(d, {"name": "Отдел продаж"})
        head = app.org.add_employee(d, {"login": "head", "password": PASSWORD,
                                        "full_name": "Кузнецова Елена",
                                        "department_id": sales.id})
        app.org.update_department(d, sales.id, {"head_id": head.id})
        manager = app.org.add_employee(d, {"login": "manager", "password": PASSWORD,
                                           "full_name": "Смирнова Анна",
                                           "department_id": sales.id,
                                           "timezone": "Asia/Omsk"})
        types = {k.code: k.id for k in app.tasks.task_types(d)}
        app.tasks.create_escalation_rule(d, {
            "name": "Звонок просрочен на 1 рабочий день", "delay": 1,
            "unit": "working_days", "target": "head", "task_type_id": types["call"]})
        app.tasks.create_escalation_rule(d, {
            "name": "Задача просрочена на 2 часа", "delay": 2, "unit": "hours",
            "target": "director"})
        now = datetime.now(UTC).astimezone(ZoneInfo("Asia/Omsk"))
        week_ago = (now - timedelta(days=7)).date().isoformat()
        for kind in ("call", "call", "meeting"):
            app.tasks.create(manager.id, {"task_type_id": types[kind], "due_date": week_ago,
                                          "what": "Просроченная задача"})
        soon = now + timedelta(minutes=10)
        app.tasks.create(manager.id, {"task_type_id": types["call"],
                                      "due_date": soon.date().isoformat(),
                                      "due_time": soon.strftime("%H:%M"),
                                      "what": "Звонок через десять минут"})
        pending = {(p.task.id, p.rule.id, p.recipient_id)
                   for p in app.tasks.pending_escalations()}
        assert len(pending) == 2 + 3  # two calls by both rules, the meeting by one
    finally:
        system.close()

    env = {**os.environ, "ECRM_DATABASE_URL": database_url, "ECRM_BROKER_URL": own_redis.url,
           "ECRM_DATA_DIR": str(tmp_path / "data"), "ECRM_SECRET_KEY": "test-secret",
           "ECRM_RELAY_INTERVAL": "0.2", "ECRM_TASK_ALERTS_MINUTES": "5"}
    workers = [WorkerProcess(env) for _ in range(2)]
    check = make_system(database_url, tmp_path / "check")
    try:
        try:
            def finished():
                assert all(w.proc.poll() is None for w in workers), "a worker exited"
                return (row := lease(check)) is not None and row.finished_at

            wait_until(finished, timeout=60, interval=0.1, what="a task alerts pass to finish")
            # both relays have published everything the pass wrote (the e-mail actor ran)
            wait_until(lambda: all(r.published_at for r in _outbox(check)), timeout=30,
                       interval=0.1, what="the outbox to be published")
            # On a busy machine one worker can finish the pass while the other is still
            # starting; a SIGTERM before its handler is in place would kill it (-15).
            def running():
                assert all(w.proc.poll() is None for w in workers), "a worker exited"
                return all(w.running for w in workers)

            wait_until(running, timeout=60, interval=0.1, what="both workers to be running")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the workers said:\n"
                                 + "\n".join(w.output for w in workers)) from None
        codes = [worker.stop() for worker in workers]
        outputs = [worker.output for worker in workers]
        for code, output in zip(codes, outputs, strict=True):
            assert code == 0, output
            assert "ECRM worker running" in output and "Traceback" not in output, output
        finished = [re.findall(r"task alerts pass \S+ finished", o) for o in outputs]
        assert sum(len(f) for f in finished) == 1, outputs

        with check.engine.connect() as conn:
            rows = conn.execute(select(t.task_escalations.c.task_id,
                                       t.task_escalations.c.rule_id,
                                       t.task_escalations.c.recipient_id)).all()
        assert sorted(tuple(r) for r in rows) == sorted(pending)
        inbox = {who.login: [m for m in check.app.messages.inbox(who.id, per_page=200)]
                 for who in (director, head, manager)}
        assert [m.message_kind for m in inbox["head"]] == [MessageKind.NOTIFICATION]
        assert "(2)" in inbox["head"][0].text
        assert [m.message_kind for m in inbox["director"]] == [MessageKind.NOTIFICATION]
        assert "(3)" in inbox["director"][0].text
        assert [m.message_kind for m in inbox["manager"]] == [MessageKind.REMINDER]
        assert check.app.tasks.pending_escalations() == []
    finally:
        for worker in workers:
            worker.stop()
        check.close()


def _outbox(system) -> list:
    with system.engine.connect() as conn:
        return conn.execute(select(t.outbox)).all()
