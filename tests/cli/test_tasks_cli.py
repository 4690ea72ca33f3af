"""`ecrm tasks escalate [--dry-run]` and `ecrm tasks remind` (issue 4, TASK-7): the dry
run lists what the escalation job would send now and sends nothing; a run sends each
escalation once (a second run sends nothing), with a progress bar fed batch by batch;
reminders go once; a run never goes beside a pass of the periodic job; errors are one
line, never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ecrm_adapters.queue import JobLeases
from ecrm_adapters.queue import schedule as sched
from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.messages.model import MessageKind
from ecrm_core.tasks.services import TaskService

PASSWORD = "password-1"


@pytest.fixture
def overdue(initialised):
    """A head and a manager (in Omsk) with calls and a meeting a week overdue, a call
    whose reminder is due, and two escalation rules; the real clock."""
    system = initialised.system()
    try:
        app = system.app
        director = app.access.directors()[0]
        d = director.id
        sales = app.org.create_department(d, {"name": "Отдел продаж"})
        head = app.org.add_employee(d, {"login": "head", "password": PASSWORD,
                                        "full_name": "Кузнецова Елена Александровна",
                                        "department_id": sales.id})
        app.org.update_department(d, sales.id, {"head_id": head.id})
        manager = app.org.add_employee(d, {"login": "manager", "password": PASSWORD,
                                           "full_name": "Смирнова Анна Сергеевна",
                                           "department_id": sales.id,
                                           "timezone": "Asia/Omsk"})
        types = {k.code: k.id for k in app.tasks.task_types(d)}
        call_rule = app.tasks.create_escalation_rule(d, {
            "name": "Звонок просрочен на 1 рабочий день", "delay": 1,
            "unit": "working_days", "target": "head", "task_type_id": types["call"]})
        any_rule = app.tasks.create_escalation_rule(d, {
            "name": "Задача просрочена на 2 часа", "delay": 2, "unit": "hours",
            "target": "director"})
        now = datetime.now(UTC).astimezone(ZoneInfo("Asia/Omsk"))
        week_ago = (now - timedelta(days=7)).date()
        calls = [app.tasks.create(manager.id, {
            "task_type_id": types["call"], "due_date": week_ago.isoformat(),
            "due_time": "10:30", "what": "Перезвонить по коммерческому предложению"})
            for _ in range(2)]
        meeting = app.tasks.create(manager.id, {
            "task_type_id": types["meeting"], "due_date": week_ago.isoformat(),
            "what": "Встреча в офисе клиента"})
        soon = now + timedelta(minutes=10)
        app.tasks.create(manager.id, {"task_type_id": types["call"],
                                      "due_date": soon.date().isoformat(),
                                      "due_time": soon.strftime("%H:%M"),
                                      "what": "Звонок через десять минут"})
        return SimpleNamespace(director=director, head=head, manager=manager, calls=calls,
                               meeting=meeting, call_rule=call_rule, any_rule=any_rule,
                               week_ago=week_ago)
    finally:
        system.close()


def _state(ecrm, w) -> dict:
    system = ecrm.system()
    try:
        with system.engine.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(t.task_escalations)
                                ).scalar_one()
        inbox = {who: [m.message_kind for m in system.app.messages.inbox(e.id, per_page=200)]
                 for who, e in (("director", w.director), ("head", w.head),
                                ("manager", w.manager))}
        return {"rows": rows, **inbox}
    finally:
        system.close()


def test_the_dry_run_lists_what_would_be_sent_and_sends_nothing(overdue, initialised):
    w = overdue
    result = initialised("tasks", "escalate", "--dry-run")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TASK", "EMPLOYEE", "TYPE", "DUE", "RULE", "RECIPIENT"]
    rows = lines[1:-1]
    assert len(rows) == 5  # two calls by both rules, the meeting by the 2-hour rule
    due = w.week_ago.isoformat()
    call = next(r for r in rows if r.startswith(f"{w.calls[0].id} ")
                and "Звонок просрочен" in r)
    for text in ("Смирнова Анна Сергеевна", "Звонок", f"{due} 10:30",
                 "Звонок просрочен на 1 рабочий день", "Кузнецова Елена Александровна"):
        assert text in call
    meeting = next(r for r in rows if r.startswith(f"{w.meeting.id} "))
    assert "Встреча" in meeting and "Задача просрочена на 2 часа" in meeting
    assert meeting.rstrip().endswith("Соколов Андрей Викторович")  # the Director
    assert f" {due} " in meeting  # a task without a time: the day alone
    assert lines[-1] == "5 escalation(s) would be sent now."
    assert _state(initialised, w) == {"rows": 0, "director": [], "head": [], "manager": []}


def test_escalate_sends_each_once_with_a_progress_bar(overdue, initialised, monkeypatch):
    w = overdue
    batches: list[int] = []
    real = TaskService.escalate

    def small_batches(self, batch=2, on_batch=None):
        """The real escalation in batches of two tasks (a long run, in small)."""
        assert on_batch is not None, "the command feeds its progress bar from on_batch"

        def fed(count):
            batches.append(count)
            on_batch(count)

        return real(self, batch=batch, on_batch=fed)

    monkeypatch.setattr(TaskService, "escalate", small_batches)
    result = initialised("tasks", "escalate")
    assert result.stdout.strip() == "Sent 5 escalation(s) in 3 message(s)."
    assert "Escalating" in result.stderr
    # the call rule: both calls; the 2-hour rule: the calls, then the meeting
    assert batches == [2, 2, 1]
    state = _state(initialised, w)
    assert state["rows"] == 5
    assert state["head"] == [MessageKind.NOTIFICATION]
    # the 2-hour rule: the first batch (the two calls), then the meeting
    assert state["director"] == [MessageKind.NOTIFICATION] * 2

    again = initialised("tasks", "escalate")
    assert again.stdout.strip() == "Sent 0 escalation(s) in 0 message(s)."
    assert _state(initialised, w) == state
    assert initialised("tasks", "escalate", "--dry-run").stdout.strip() \
        == "Nothing to escalate now."


def test_remind_sends_the_due_reminders_once(overdue, initialised):
    w = overdue
    assert initialised("tasks", "remind").stdout.strip() == "Sent 1 reminder(s)."
    assert initialised("tasks", "remind").stdout.strip() == "Sent 0 reminder(s)."
    assert _state(initialised, w)["manager"] == [MessageKind.REMINDER]


def test_a_run_never_goes_beside_a_pass_of_the_job(overdue, initialised):
    w = overdue
    system = initialised.system()
    try:
        leases = JobLeases(system.engine, system.app.clock.now)
        assert leases.take(sched.TASK_ALERTS_JOB, "web-1:42:abc", timedelta(minutes=5)) == 0
        for command in (("tasks", "escalate"), ("tasks", "remind")):
            result = initialised(*command, code=1)
            assert "Error: a task alerts pass is running or queued (web-1:42:abc until " \
                in result.output
        assert _state(initialised, w)["rows"] == 0
        # the dry run only reads: it goes on
        assert "5 escalation(s)" in initialised("tasks", "escalate", "--dry-run").stdout
        assert leases.finish(sched.TASK_ALERTS_JOB, "web-1:42:abc", 0)
    finally:
        system.close()
    assert "Sent 5 escalation(s)" in initialised("tasks", "escalate").stdout
    system = initialised.system()
    try:
        row = JobLeases(system.engine, system.app.clock.now).state(sched.TASK_ALERTS_JOB)
    finally:
        system.close()
    assert row.holder is None and row.finished_at is not None  # the run freed the job


def test_nothing_to_do_on_a_fresh_company(initialised):
    assert initialised("tasks", "escalate", "--dry-run").stdout.strip() \
        == "Nothing to escalate now."
    assert initialised("tasks", "escalate").stdout.strip() \
        == "Sent 0 escalation(s) in 0 message(s)."
    assert initialised("tasks", "remind").stdout.strip() == "Sent 0 reminder(s)."


@pytest.mark.parametrize("command", [("tasks", "escalate", "--dry-run"),
                                     ("tasks", "escalate"), ("tasks", "remind")])
def test_an_empty_database_points_at_init(ecrm, command):
    result = ecrm(*command, code=1)
    assert "ecrm init" in result.output


def test_unknown_options_are_usage_errors(initialised):
    result = initialised("tasks", "escalate", "--now", code=2)
    assert "No such option '--now'" in result.output
    assert "escalate" in initialised("tasks", "--help").output
