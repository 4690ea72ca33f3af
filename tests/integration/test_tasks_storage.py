"""Tasks on the real databases (SQLite and PostgreSQL): dates, times and deadlines come
back as they went in, the Tasks tab filters run as SQL, and the escalation record is
unique per task, rule and deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from ecrm_core.kernel.errors import Conflict
from ecrm_core.tasks.model import TaskEscalation, TaskState
from tests.conftest import found, make_system


@pytest.fixture
def world(database_url, tmp_path):
    system = make_system(database_url, tmp_path)
    director = found(system)
    yield system, director
    system.close()


def test_a_task_round_trips_and_filters_in_sql(world):
    system, director = world
    app = system.app
    types = {t.code: t for t in app.tasks.task_types(director.id)}
    assert set(types) == {"meeting", "call", "presentation", "email", "other"}
    task = app.tasks.create(director.id, {"task_type_id": types["call"].id,
                                          "due_date": "2026-03-03", "due_time": "14:30"})
    again = app.tasks.get(director.id, task.id)
    assert (again.due_date, again.due_time, again.state) == (
        date(2026, 3, 3), time(14, 30), TaskState.PLANNED)
    assert again.due_at == datetime(2026, 3, 3, 11, 30, tzinfo=UTC)  # Moscow
    app.tasks.create(director.id, {"task_type_id": types["meeting"].id,
                                   "due_date": "2026-03-05"})
    page = app.tasks.of_employee(director.id, director.id, {
        "section": "employee", "state": "planned", "date_from": "2026-03-04"})
    assert [t.due_date for t in page.rows] == [date(2026, 3, 5)]
    assert app.tasks.of_employee(director.id, director.id, {"section": "client"}).total == 0


def test_an_escalation_is_recorded_once_per_task_rule_and_deadline(world):
    system, director = world
    app = system.app
    kind = app.tasks.task_types(director.id)[0]
    task = app.tasks.create(director.id, {"task_type_id": kind.id, "due_date": "2026-03-03"})
    rule = app.tasks.create_escalation_rule(director.id, {"name": "r", "delay": 1})
    now = datetime(2026, 3, 9, tzinfo=UTC)
    with system.app.uow_factory() as uow:
        uow.task_escalations.add(TaskEscalation(task_id=task.id, rule_id=rule.id,
                                                due_at=task.due_at, recipient_id=director.id,
                                                sent_at=now))
        uow.commit()
    with pytest.raises(Conflict), system.app.uow_factory() as uow:
        uow.task_escalations.add(TaskEscalation(task_id=task.id, rule_id=rule.id,
                                                due_at=task.due_at, recipient_id=director.id,
                                                sent_at=now))
        uow.commit()


def test_a_rule_that_fired_can_be_deleted(world):
    system, director = world
    app = system.app
    kind = app.tasks.task_types(director.id)[0]
    app.tasks.create(director.id, {"task_type_id": kind.id, "due_date": "2020-03-03"})
    rule = app.tasks.create_escalation_rule(director.id, {"name": "r", "delay": 0,
                                                          "unit": "hours",
                                                          "target": "responsible"})
    assert app.tasks.escalate().escalations == 1
    app.tasks.delete_escalation_rule(director.id, rule.id)
    assert app.tasks.escalation_rules(director.id) == []
