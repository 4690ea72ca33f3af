"""Tasks (TASK-1…TASK-8) on in-memory fakes with a fake clock: the form, rights (TASK-6),
the Tasks tabs, overdue across time zones and the day boundary, reminders, escalations
sent once, the calendar feed and the contact history."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from types import SimpleNamespace

import pytest

from ecrm_core.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.messages.model import MessageKind
from ecrm_core.tasks.model import TaskState, add_working_days, deadline
from tests.fakes import FakeClock, fake_app

PASSWORD = "correct-horse"


@pytest.fixture
def w():
    # Monday 2 March 2026, 09:00 UTC = 12:00 in Moscow
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    app, storage = fake_app(clock=clock)
    w = SimpleNamespace(app=app, storage=storage, clock=clock, tasks=app.tasks)
    w.director = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": PASSWORD, "full_name": "Петров И."})
    w.d = w.director.id
    w.sales = app.org.create_department(w.d, {"name": "Продажи"})
    w.head = app.org.add_employee(w.d, {"login": "head", "password": PASSWORD,
                                        "full_name": "Начальников", "department_id": w.sales.id})
    app.org.update_department(w.d, w.sales.id, {"head_id": w.head.id})
    w.mgr = app.org.add_employee(w.d, {"login": "mgr", "password": PASSWORD,
                                       "full_name": "Менеджеров", "department_id": w.sales.id,
                                       "timezone": "Asia/Omsk"})
    w.other = app.org.add_employee(w.d, {"login": "oth", "password": PASSWORD,
                                         "full_name": "Посторонний"})
    catalog = app.catalogs.create(w.d, {"name": "Клиенты"})
    w.card = app.counterparties.register(w.d, {"catalog_id": catalog.id, "type": "legal_entity",
                                              "name": "Альфа"})
    w.contact = app.counterparties.add_contact(w.d, w.card.id, {"full_name": "Иванов Иван"})
    w.types = {t.code: t for t in app.tasks.task_types(w.d)}
    return w


def plan(w, actor, **fields):
    data = {"task_type_id": w.types["meeting"].id, "due_date": "2026-03-03"} | fields
    return w.tasks.create(actor, data)


def test_a_new_company_has_the_typical_tasks():
    app, _ = fake_app()
    d = app.org.found_company("ООО", {"login": "dir", "password": PASSWORD, "full_name": "Д"})
    assert {t.code for t in app.tasks.task_types(d.id)} == {
        "meeting", "call", "presentation", "email", "other"}


def test_a_planned_client_task_with_every_field(w):
    project = w.app.org.create_project(w.d, {"name": "Внедрение"})
    task = plan(w, w.mgr.id, counterparty_id=w.card.id, contact_id=w.contact.id,
                project_id=project.id, due_time="15:30", what="Обсудить договор")
    assert task.responsible_id == w.mgr.id and task.state is TaskState.PLANNED
    # 15:30 in Omsk (UTC+6) is 09:30 UTC
    assert task.due_at == datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    # a meeting reminds 60 minutes ahead by default
    assert task.remind_at == datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    history = w.app.history.of(w.d, task.ref)
    assert history[0].action == "ObjectCreated"


def test_the_form_names_every_bad_field_and_saves_nothing(w):
    with pytest.raises(ValidationFailed) as err:
        w.tasks.create(w.mgr.id, {"task_type_id": "x", "due_date": "31.02.2026",
                                  "due_time": "25:00", "state": "maybe",
                                  "counterparty_id": 999, "contact_id": w.contact.id,
                                  "project_id": 999, "remind_minutes": -5})
    assert set(err.value.errors) == {"task_type_id", "due_date", "due_time", "state",
                                     "counterparty_id", "contact_id", "project_id",
                                     "remind_minutes"}
    with pytest.raises(ValidationFailed) as err:
        plan(w, w.mgr.id, contact_id=w.contact.id)
    assert err.value.errors == {"contact_id": "choose the counterparty first"}
    assert w.storage.stores["tasks"] == {}


def test_a_fact_task_and_an_incoming_call(w):
    fact = plan(w, w.mgr.id, state="done", result="Договорились", due_date="2026-03-01")
    assert fact.state is TaskState.DONE and fact.done_at == w.clock.now()
    call = w.tasks.register_call(w.mgr.id, {"counterparty_id": w.card.id,
                                            "contact_id": w.contact.id,
                                            "result": "Просит счёт"})
    assert call.state is TaskState.DONE and call.task_type_id == w.types["call"].id
    # the local day and time of the employee (Omsk: 15:00)
    assert (call.due_date, call.due_time) == (date(2026, 3, 2), time(15, 0))
    with pytest.raises(ValidationFailed) as err:
        w.tasks.register_call(w.mgr.id, {"result": "без клиента"})
    assert set(err.value.errors) == {"counterparty_id"}


def test_rights_follow_the_responsible_employee(w):
    """TASK-6: own tasks; the head, Sales management and the Director plan for others."""
    own = plan(w, w.mgr.id)
    by_head = plan(w, w.head.id, responsible_id=w.mgr.id)
    by_director = plan(w, w.d, responsible_id=w.mgr.id)
    assert {own.responsible_id, by_head.responsible_id, by_director.responsible_id} == {w.mgr.id}
    with pytest.raises(Forbidden):
        plan(w, w.other.id, responsible_id=w.mgr.id)
    with pytest.raises(Forbidden):
        plan(w, w.mgr.id, responsible_id=w.head.id)  # not upwards
    for action in (lambda: w.tasks.update(w.other.id, own.id, {"what": "x"}),
                   lambda: w.tasks.complete(w.other.id, own.id, {}),
                   lambda: w.tasks.delete(w.other.id, own.id),
                   lambda: w.tasks.of_employee(w.other.id, w.mgr.id)):
        with pytest.raises(Forbidden):
            action()
    w.tasks.update(w.head.id, own.id, {"what": "проверено"})
    w.app.access.grant(w.d, w.other.id, "sales_management", w.sales.ref)
    assert w.tasks.of_employee(w.other.id, w.mgr.id).total == 3
    # a client task shows on the card to everyone who sees the card
    client = plan(w, w.mgr.id, counterparty_id=w.card.id)
    outsider = w.app.org.add_employee(w.d, {"login": "xx", "password": PASSWORD,
                                            "full_name": "Икс"})
    assert w.tasks.get(outsider.id, client.id).id == client.id
    with pytest.raises(Forbidden):
        w.tasks.get(outsider.id, own.id)


def test_editing_rescheduling_completing_and_deleting(w):
    task = plan(w, w.mgr.id, counterparty_id=w.card.id)
    moved = w.tasks.update(w.mgr.id, task.id, {"due_date": "2026-03-05", "due_time": "10:00",
                                               "version": task.version})
    assert moved.due_at == datetime(2026, 3, 5, 4, 0, tzinfo=UTC)
    with pytest.raises(Conflict):
        w.tasks.update(w.mgr.id, task.id, {"what": "stale", "version": task.version})
    done = w.tasks.complete(w.mgr.id, task.id, {"result": "Подписали", "version": moved.version})
    assert (done.state, done.result, done.done_at) == (TaskState.DONE, "Подписали",
                                                       w.clock.now())
    with pytest.raises(ValidationFailed):
        w.tasks.complete(w.mgr.id, task.id, {})
    changes = [c["field"] for e in w.app.history.of(w.d, task.ref) for c in e.changes]
    assert {"due_date", "due_time", "state", "result"} <= set(changes)
    w.tasks.delete(w.mgr.id, task.id)
    with pytest.raises(NotFound):
        w.tasks.get(w.mgr.id, task.id)
    assert w.app.history.of(w.d, task.ref)[0].action == "ObjectDeleted"


def test_the_personal_tab_splits_filters_and_pages_by_ten(w):
    for day in range(1, 24):
        plan(w, w.mgr.id, counterparty_id=w.card.id, due_date=f"2026-03-{day:02d}")
    for day in range(1, 4):
        plan(w, w.mgr.id, due_date=f"2026-04-{day:02d}")
    client = w.tasks.of_employee(w.mgr.id, w.mgr.id, {"section": "client"})
    assert (client.total, client.pages, len(client.rows)) == (23, 3, 10)
    third = w.tasks.of_employee(w.mgr.id, w.mgr.id, {"section": "client"}, page=3)
    assert (third.first_number, len(third.rows)) == (21, 3)
    own = w.tasks.of_employee(w.mgr.id, w.mgr.id, {"section": "employee"})
    assert own.total == 3 and all(t.counterparty_id is None for t in own.rows)
    # overdue: due 1 March (ended at midnight in Omsk) — it is 2 March 15:00 there
    overdue = w.tasks.of_employee(w.mgr.id, w.mgr.id, {"state": "overdue"})
    assert [t.due_date for t in overdue.rows] == [date(2026, 3, 1)]
    period = w.tasks.of_employee(w.mgr.id, w.mgr.id, {"date_from": "2026-03-10",
                                                      "date_to": "10.03.2026"})
    assert period.total == 1
    planned = w.tasks.of_employee(w.mgr.id, w.mgr.id, {"state": "planned"})
    assert planned.rows[0].due_date == date(2026, 3, 1)  # soonest first
    with pytest.raises(ValidationFailed) as err:
        w.tasks.of_employee(w.mgr.id, w.mgr.id, {"state": "x", "date_from": "вчера",
                                                 "section": "z"})
    assert set(err.value.errors) == {"state", "date_from", "section"}
    assert w.tasks.of_counterparty(w.other.id, w.card.id).total == 23


@pytest.mark.parametrize("tz, now, overdue", [
    # due on 2 March without a time: overdue from the local midnight
    ("Asia/Omsk", datetime(2026, 3, 2, 17, 59, tzinfo=UTC), False),
    ("Asia/Omsk", datetime(2026, 3, 2, 18, 0, tzinfo=UTC), True),
    ("Europe/Moscow", datetime(2026, 3, 2, 20, 59, tzinfo=UTC), False),
    ("Europe/Moscow", datetime(2026, 3, 2, 21, 0, tzinfo=UTC), True),
    ("Asia/Kamchatka", datetime(2026, 3, 2, 11, 59, tzinfo=UTC), False),
    ("Asia/Kamchatka", datetime(2026, 3, 2, 12, 0, tzinfo=UTC), True),
])
def test_overdue_after_the_end_of_the_due_day_in_the_employees_zone(w, tz, now, overdue):
    w.app.org.update_employee(w.d, w.mgr.id, {"timezone": tz})
    task = plan(w, w.mgr.id, due_date="2026-03-02")
    assert task.is_overdue(now) is overdue


def test_working_days_skip_the_weekend_in_local_time():
    friday_evening = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # 21:00 Friday in Omsk
    assert add_working_days(friday_evening, 1, "Asia/Omsk") == datetime(
        2026, 3, 9, 15, 0, tzinfo=UTC)  # Monday 21:00
    saturday = deadline(date(2026, 3, 7), time(10, 0), "Europe/Moscow")
    assert add_working_days(saturday, 1, "Europe/Moscow") == datetime(
        2026, 3, 9, 21, 0, tzinfo=UTC)  # the weekend does not count: all of Monday
    # a Thursday deadline day ends at Friday 00:00; one working day later is the end of
    # Friday, not Monday — and a Thursday 23:59 task is late by one working day at
    # Friday 23:59 (the day boundary does not jump)
    thursday = deadline(date(2026, 3, 5), None, "Europe/Moscow")
    assert add_working_days(thursday, 1, "Europe/Moscow") == datetime(
        2026, 3, 6, 21, 0, tzinfo=UTC)
    late = deadline(date(2026, 3, 5), time(23, 59), "Europe/Moscow")
    assert add_working_days(late, 1, "Europe/Moscow") == datetime(
        2026, 3, 6, 20, 59, tzinfo=UTC)
    assert add_working_days(thursday, 0, "Europe/Moscow") == thursday


def test_reminders_go_once_before_the_due_time(w):
    task = plan(w, w.mgr.id, due_date="2026-03-02", due_time="18:00")  # 12:00 UTC
    assert w.tasks.send_reminders() == 0
    w.clock.advance(hours=2, minutes=1)  # 11:01 UTC, 59 minutes before
    assert w.tasks.send_reminders() == 1
    assert w.tasks.send_reminders() == 0
    inbox = w.app.messages.inbox(w.mgr.id)
    assert [m.message_kind for m in inbox] == [MessageKind.REMINDER]
    assert inbox[0].subject == task.ref
    # rescheduled: reminded again before the new time
    w.tasks.update(w.mgr.id, task.id, {"due_date": "2026-03-03"})
    w.clock.advance(days=1)
    assert w.tasks.send_reminders() == 1
    # a per-task override of 0: no reminder
    plan(w, w.mgr.id, due_date="2026-03-04", due_time="18:00", remind_minutes=0)
    w.clock.advance(days=1)
    assert w.tasks.send_reminders() == 0


def test_an_escalation_goes_to_the_head_once_per_deadline(w):
    w.tasks.create_escalation_rule(w.d, {
        "name": "Звонок просрочен на 1 рабочий день", "delay": 1, "unit": "working_days",
        "target": "head", "task_type_id": w.types["call"].id})
    call = plan(w, w.mgr.id, task_type_id=w.types["call"].id, due_date="2026-03-06")  # Friday
    plan(w, w.mgr.id, due_date="2026-03-06")  # a meeting: the rule does not apply
    # the call is overdue from Saturday 00:00 Omsk; the weekend does not count, so it is
    # overdue by one working day when Monday has passed: Tuesday 00:00 Omsk
    w.clock.current = datetime(2026, 3, 9, 17, 59, tzinfo=UTC)  # Monday 23:59 Omsk
    assert w.tasks.pending_escalations() == []
    w.clock.current = datetime(2026, 3, 9, 18, 0, tzinfo=UTC)
    assert [(p.task.id, p.recipient_id) for p in w.tasks.pending_escalations()] == [
        (call.id, w.head.id)]
    assert w.tasks.escalate().escalations == 1
    assert w.tasks.escalate().escalations == 0  # the job again: nothing more
    inbox = w.app.messages.inbox(w.head.id)
    assert len(inbox) == 1 and "Звонок просрочен" in inbox[0].text
    assert any(e.action == "TaskEscalated" for e in w.app.history.of(w.d, call.ref))
    # rescheduled and overdue again: a new deadline, a new escalation
    w.tasks.update(w.mgr.id, call.id, {"due_date": "2026-03-09"})
    w.clock.current = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # Wednesday 00:00 Omsk
    assert w.tasks.escalate().escalations == 1
    # done tasks are never escalated
    w.tasks.complete(w.mgr.id, call.id, {})
    w.clock.advance(days=10)
    assert w.tasks.escalate().escalations == 0


def test_an_escalation_digest_lists_many_tasks_in_one_message(w):
    w.tasks.create_escalation_rule(w.d, {"name": "Просрочка 2 часа", "delay": 2,
                                         "unit": "hours", "target": "head"})
    for _ in range(30):
        plan(w, w.mgr.id, due_date="2026-03-01")
    plan(w, w.head.id, due_date="2026-03-01")  # the head's own: nobody above → Director
    report = w.tasks.escalate(batch=1000)
    assert (report.escalations, report.messages) == (31, 2)
    text = w.app.messages.inbox(w.head.id)[0].text
    assert "(30)" in text and "и ещё 10" in text
    assert len(w.app.messages.inbox(w.d)) == 1


def test_reference_books_are_for_administrators(w):
    with pytest.raises(Forbidden):
        w.tasks.create_task_type(w.mgr.id, {"name": "Выезд"})
    kind = w.tasks.create_task_type(w.d, {"name": "Выезд", "remind_minutes": "120"})
    with pytest.raises(ValidationFailed):
        w.tasks.create_task_type(w.d, {"name": "выезд"})
    w.tasks.update_task_type(w.d, kind.id, {"active": False})
    assert kind.id not in {t.id for t in w.tasks.task_types(w.mgr.id)}
    with pytest.raises(ValidationFailed):
        plan(w, w.mgr.id, task_type_id=kind.id)
    with pytest.raises(ValidationFailed) as err:
        w.tasks.create_escalation_rule(w.d, {"name": "", "delay": "x", "unit": "weeks",
                                             "target": "boss"})
    assert set(err.value.errors) == {"name", "delay", "unit", "target"}


def test_the_calendar_and_its_private_feed(w):
    plan(w, w.mgr.id, due_date="2026-03-03")
    plan(w, w.mgr.id, due_date="2026-05-03")
    assert len(w.tasks.calendar(w.mgr.id, w.mgr.id, "2026-03-01", "2026-03-31")) == 1
    with pytest.raises(ValidationFailed):
        w.tasks.calendar(w.mgr.id, w.mgr.id, "2026-03-01", "2026-12-31")
    token = w.tasks.issue_feed_token(w.mgr.id)
    found = w.tasks.feed(token)
    assert found.employee.id == w.mgr.id and len(found.tasks) == 2
    assert set(found.type_names.values()) >= {"Встреча"}
    new = w.tasks.issue_feed_token(w.mgr.id)
    with pytest.raises(NotFound):
        w.tasks.feed(token)  # the old address stops working
    w.tasks.revoke_feed_token(w.mgr.id)
    with pytest.raises(NotFound):
        w.tasks.feed(new)
    history = w.app.history.of(w.d, ObjectRef("employee", w.mgr.id))
    assert all(c["new"] in (None, "", "***") for e in history for c in e.changes
               if c["field"] == "calendar_token_hash")


def test_the_contact_history_merges_tasks_and_card_changes(w):
    plan(w, w.mgr.id, counterparty_id=w.card.id, due_date="2026-03-01", state="done",
         result="Познакомились")
    w.clock.advance(hours=1)
    w.app.counterparties.update(w.d, w.card.id, {"phone": "+7 913 000-00-00"})
    plan(w, w.mgr.id, counterparty_id=w.card.id, due_date="2026-03-10", what="Презентация")
    items = w.tasks.contact_history(w.other.id, w.card.id)
    kinds = ["task" if i.task else i.entry.action for i in items]
    assert kinds[0] == "task" and items[0].task.what == "Презентация"
    assert "task" in kinds[1:] and "ObjectChanged" in kinds
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)


def test_the_home_page_is_a_path_inside_ecrm(w):
    assert w.app.org.set_home_page(w.mgr.id, "/counterparties/1/tasks") == (
        "/counterparties/1/tasks")
    assert w.app.org.home_page(w.mgr.id) == "/counterparties/1/tasks"
    for bad in ("https://evil.example/", "//evil.example", "tasks", "/a b"):
        with pytest.raises(ValidationFailed):
            w.app.org.set_home_page(w.mgr.id, bad)


def test_the_summary_counts_today_and_overdue(w):
    plan(w, w.mgr.id, due_date="2026-03-01")
    plan(w, w.mgr.id, due_date="2026-03-02", due_time="23:00")
    plan(w, w.mgr.id, due_date="2026-03-03")
    summary = w.tasks.summary(w.mgr.id, w.mgr.id)
    assert (summary.today_count, summary.overdue_count) == (1, 1)


def test_deadlines_follow_the_employee_to_a_new_time_zone(w):
    """Due day and time are the employee's local ones: a move from Omsk to Moscow moves
    the deadline of planned tasks (done ones keep theirs)."""
    planned = plan(w, w.mgr.id, due_date="2026-03-03", due_time="15:30")
    done = plan(w, w.mgr.id, due_date="2026-03-01", state="done")
    w.app.org.update_employee(w.d, w.mgr.id, {"timezone": "Europe/Moscow"})
    assert w.tasks.get(w.mgr.id, planned.id).due_at == datetime(2026, 3, 3, 12, 30, tzinfo=UTC)
    assert w.tasks.get(w.mgr.id, done.id).due_at == done.due_at


def test_a_deleted_escalation_rule_takes_its_records_not_the_history(w):
    rule = w.tasks.create_escalation_rule(w.d, {"name": "Сразу", "delay": 0, "unit": "hours",
                                                "target": "head"})
    task = plan(w, w.mgr.id, due_date="2026-03-01")
    assert w.tasks.escalate().escalations == 1
    w.tasks.delete_escalation_rule(w.d, rule.id)
    assert w.storage.stores["task_escalations"] == {}
    assert any(e.action == "TaskEscalated" for e in w.app.history.of(w.d, task.ref))


def test_a_zone_change_does_not_escalate_the_same_deadline_again(w):
    w.tasks.create_escalation_rule(w.d, {"name": "Сразу", "delay": 0, "unit": "hours",
                                         "target": "head"})
    plan(w, w.mgr.id, due_date="2026-03-01")
    assert w.tasks.escalate().escalations == 1
    w.app.org.update_employee(w.d, w.mgr.id, {"timezone": "Europe/Moscow"})
    assert w.tasks.escalate().escalations == 0


def test_disabled_heads_and_employees_get_no_alerts(w):
    w.tasks.create_escalation_rule(w.d, {"name": "Сразу", "delay": 0, "unit": "hours",
                                         "target": "head"})
    w.app.org.update_employee(w.d, w.head.id, {"active": False})
    plan(w, w.mgr.id, due_date="2026-03-01")
    assert [p.recipient_id for p in w.tasks.pending_escalations()] == [w.d]
    plan(w, w.other.id, due_date="2026-03-02", due_time="18:00")
    w.app.org.update_employee(w.d, w.other.id, {"active": False})
    w.clock.advance(hours=2, minutes=30)
    assert w.tasks.send_reminders() == 0


def test_a_removed_contact_leaves_its_tasks_without_it(w):
    task = plan(w, w.mgr.id, counterparty_id=w.card.id, contact_id=w.contact.id)
    w.app.counterparties.remove_contact(w.d, w.contact.id)
    assert w.tasks.get(w.mgr.id, task.id).contact_id is None
    with pytest.raises(Conflict) as err:
        w.app.counterparties.purge(w.d, w.card.id)
    assert err.value.details["tasks"] == 1


def test_sales_management_is_granted_by_the_director_only(w):
    admin = w.app.org.add_employee(w.d, {"login": "adm", "password": PASSWORD,
                                         "full_name": "Админов", "department_id": w.sales.id})
    w.app.access.grant(w.d, admin.id, "administrator", w.sales.ref)
    with pytest.raises(Forbidden):
        w.app.access.grant(admin.id, admin.id, "sales_management", w.sales.ref)
    grant = w.app.access.grant(w.d, admin.id, "sales_management", w.sales.ref)
    with pytest.raises(Forbidden):
        w.app.access.revoke(admin.id, grant.id)


def test_a_personal_head_works_tasks_but_not_services(w):
    """ORG-5 stays with department heads; an employee's own head gets tasks (TASK-6)."""
    boss = w.app.org.add_employee(w.d, {"login": "boss", "password": PASSWORD,
                                        "full_name": "Личный начальник"})
    w.app.org.update_employee(w.d, w.other.id, {"head_id": boss.id})
    assert plan(w, boss.id, responsible_id=w.other.id).responsible_id == w.other.id
    from ecrm_core.access.model import Action
    from ecrm_core.access.policy import ScopeNode, is_allowed
    chain = [ScopeNode(ObjectRef("employee", w.other.id), boss.id)]
    assert not is_allowed(boss.id, (), Action.MANAGE_SERVICES, "employee", chain)
    assert is_allowed(boss.id, (), Action.EDIT, "task", chain)
