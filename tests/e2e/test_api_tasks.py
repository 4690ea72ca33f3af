"""Tasks through /api/v1 (issue 4): planning, facts and incoming calls (TASK-1, TASK-4),
editing, rescheduling, completing and deleting with the version (TASK-5), the Tasks tabs
with their filters and pages of ten (TASK-2, TASK-3), the calendar, the contact history
(TASK-8), the reference books of typical tasks and escalation rules (TASK-4, TASK-7).
One happy and at least one unhappy test per endpoint; ``Api`` checks every answer
against the OpenAPI document. The rights matrix is in test_api_tasks_policy.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.api_support import Api, copy_of
from tests.e2e.tasks_support import FUTURE, PAST, make_tasks_template, task_snapshot


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_tasks_template(tmp_path_factory.mktemp("api-tasks"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    base, clients, tasks = template
    with copy_of(base, tmp_path) as (org, app):
        yield org, app, clients, tasks


@pytest.fixture
def org(world):
    return world[0]


@pytest.fixture
def app(world):
    return world[1]


@pytest.fixture
def cl(world):
    return world[2]


@pytest.fixture
def tw(world):
    return world[3]


def api(app, org, who: str) -> Api:
    return Api(app, org.tokens[who])


def fields_of(response) -> dict:
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["error"] == "validation_failed", body
    return body["fields"]


def local_deadline(day: str, at: str | None, tz: str) -> datetime:
    """The deadline computed here, independently of the core: the local time, or the
    next local midnight."""
    zone = ZoneInfo(tz)
    d = date.fromisoformat(day)
    if at is None:
        return datetime.combine(d + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return datetime.combine(d, time.fromisoformat(at), tzinfo=zone).astimezone(UTC)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- create, register a call, read ---------------------------------------------------------------


def test_a_new_task_is_the_callers_by_default(app, org, tw):
    worker = api(app, org, "worker_a")
    made = worker.post("/tasks", {"task_type_id": tw.types["meeting"].id, "due_date": FUTURE,
                                  "due_time": "09:30", "what": "Согласовать смету"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert made.headers["Location"].endswith(f"/api/v1/tasks/{body['id']}")
    assert (body["responsible_id"], body["state"], body["overdue"]) == (
        org.worker_a.id, "planned", False)
    assert (body["due_date"], body["due_time"]) == (FUTURE, "09:30")
    assert when(body["due_at"]) == local_deadline(FUTURE, "09:30", "Europe/Moscow")
    # a meeting reminds an hour ahead by default
    assert when(body["remind_at"]) == when(body["due_at"]) - timedelta(hours=1)
    assert body["created_by"] == org.worker_a.id and body["done_at"] is None
    assert worker.get(f"/tasks/{body['id']}").get_json() == body


def test_a_task_without_a_time_is_due_by_the_end_of_the_day_in_the_responsibles_zone(
        app, org, tw):
    worker = api(app, org, "worker_a")
    me = worker.get("/me").get_json()
    assert worker.patch("/me", {"version": me["version"], "timezone": "Asia/Omsk"}
                        ).status_code == 200
    body = worker.post("/tasks", {"task_type_id": tw.types["other"].id,
                                  "due_date": "31.03.2026"}).get_json()
    assert body["due_date"] == "2026-03-31" and body["due_time"] is None
    assert when(body["due_at"]) == local_deadline("2026-03-31", None, "Asia/Omsk")


def test_a_done_task_registered_after_the_event(app, org, tw, cl):
    body = api(app, org, "worker_a").post("/tasks", {
        "task_type_id": tw.types["meeting"].id, "due_date": PAST, "state": "done",
        "counterparty_id": cl.x.id, "result": "Познакомились"}).get_json()
    assert body["state"] == "done" and body["done_at"] is not None
    assert body["overdue"] is False  # a done task is never overdue


def test_the_form_names_every_bad_field_and_saves_nothing(app, org, cl):
    before = task_snapshot(org.system)
    response = api(app, org, "worker_a").post("/tasks", {
        "task_type_id": "встреча", "due_date": "31.02.2026", "due_time": "25:00",
        "state": "maybe", "counterparty_id": 999999, "contact_id": cl.contact.id,
        "project_id": 999999, "remind_minutes": -5, "what": "x" * 4001,
        "responsible_id": 999999})
    assert set(fields_of(response)) == {
        "task_type_id", "due_date", "due_time", "state", "counterparty_id", "contact_id",
        "project_id", "remind_minutes", "what", "responsible_id"}
    assert set(fields_of(api(app, org, "worker_a").post("/tasks", {}))) == {
        "task_type_id", "due_date"}
    assert task_snapshot(org.system) == before


def test_a_contact_must_belong_to_the_counterparty(app, org, tw, cl):
    response = api(app, org, "worker_a").post("/tasks", {
        "task_type_id": tw.types["call"].id, "due_date": FUTURE, "counterparty_id": cl.y.id,
        "contact_id": cl.contact.id})
    assert fields_of(response) == {"contact_id": "not a contact person of this counterparty"}


def test_a_body_that_is_not_an_object_is_400(app, org):
    response = api(app, org, "worker_a").call("POST", "/tasks", data="[1, 2]")
    assert response.status_code == 400 and "body" in response.get_json()["fields"]


def test_an_incoming_call_is_a_done_call_now(app, org, tw, cl):
    worker = api(app, org, "worker_a")
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    made = worker.post("/tasks/calls", {"counterparty_id": cl.x.id,
                                        "contact_id": cl.contact.id, "result": "Просит счёт"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert made.headers["Location"].endswith(f"/tasks/{body['id']}")
    assert (body["state"], body["task_type_id"], body["result"]) == (
        "done", tw.types["call"].id, "Просит счёт")
    assert before <= when(body["due_at"]) <= datetime.now(UTC)
    assert body["remind_at"] is None


def test_an_incoming_call_needs_the_counterparty(app, org, cl):
    worker = api(app, org, "worker_a")
    assert set(fields_of(worker.post("/tasks/calls", {"result": "без клиента"}))) == {
        "counterparty_id"}
    assert set(fields_of(worker.post("/tasks/calls", {"counterparty_id": cl.x.id,
                                                      "contact_id": 999999}))) == {
        "contact_id"}


def test_an_incoming_call_when_the_typical_call_is_closed(app, org, tw, cl):
    boss = api(app, org, "director")
    call = tw.types["call"]
    assert boss.patch(f"/task-types/{call.id}", {"version": call.version, "active": False}
                      ).status_code == 200
    response = api(app, org, "worker_a").post("/tasks/calls", {"counterparty_id": cl.x.id})
    assert set(fields_of(response)) == {"task_type_id"}


def test_reading_a_task_that_does_not_exist_or_is_no_id(app, org):
    worker = api(app, org, "worker_a")
    missing = worker.get("/tasks/999999")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    assert set(fields_of(worker.get("/tasks/abc"))) == {"task_id"}
    assert set(fields_of(worker.get("/tasks/0"))) == {"task_id"}


def test_no_credentials_no_tasks(app, tw):
    response = Api(app).get(f"/tasks/{tw.own.id}")
    assert response.status_code == 401


# -- edit, reschedule, complete, delete (TASK-5) ------------------------------------------------


def test_rescheduling_moves_the_deadline_and_is_in_the_history(app, org, tw):
    worker = api(app, org, "worker_a")
    task = worker.get(f"/tasks/{tw.own.id}").get_json()
    moved = worker.patch(f"/tasks/{tw.own.id}", {"version": task["version"],
                                                 "due_date": "2099-07-01", "due_time": "10:15"})
    assert moved.status_code == 200, moved.get_json()
    body = moved.get_json()
    assert body["version"] == task["version"] + 1
    assert when(body["due_at"]) == local_deadline("2099-07-01", "10:15", "Europe/Moscow")
    assert body["what"] == task["what"]  # only the fields sent change
    history = worker.get(f"/history/task/{tw.own.id}").get_json()["items"]
    changed = {c["field"] for c in history[0]["changes"]}
    assert history[0]["action"] == "ObjectChanged" and {"due_date", "due_time"} <= changed


def test_a_stale_version_is_409_and_changes_nothing(app, org, tw):
    worker = api(app, org, "worker_a")
    task = worker.get(f"/tasks/{tw.own.id}").get_json()
    assert worker.patch(f"/tasks/{tw.own.id}", {"version": task["version"], "what": "первое"}
                        ).status_code == 200
    before = task_snapshot(org.system)
    for response in (
        worker.patch(f"/tasks/{tw.own.id}", {"version": task["version"], "what": "второе"}),
        worker.post(f"/tasks/{tw.own.id}/complete", {"version": task["version"]}),
        worker.delete(f"/tasks/{tw.own.id}", query={"version": task["version"]}),
    ):
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["error"] == "conflict"
    assert task_snapshot(org.system) == before
    assert worker.get(f"/tasks/{tw.own.id}").get_json()["what"] == "первое"


def test_every_change_names_the_version(app, org, tw):
    worker = api(app, org, "worker_a")
    assert fields_of(worker.patch(f"/tasks/{tw.own.id}", {"what": "x"})) == {
        "version": "required"}
    assert fields_of(worker.post(f"/tasks/{tw.own.id}/complete", {})) == {
        "version": "required"}
    assert fields_of(worker.delete(f"/tasks/{tw.own.id}")) == {"version": "required"}
    assert set(fields_of(worker.delete(f"/tasks/{tw.own.id}", query={"version": "abc"}))) == {
        "version"}
    assert set(fields_of(worker.patch(f"/tasks/{tw.own.id}", {"version": "x"}))) == {
        "version"}


def test_an_edit_with_bad_fields_saves_nothing(app, org, tw):
    worker = api(app, org, "worker_a")
    task = worker.get(f"/tasks/{tw.own.id}").get_json()
    before = task_snapshot(org.system)
    response = worker.patch(f"/tasks/{tw.own.id}", {
        "version": task["version"], "due_date": "", "due_time": "7 утра", "what": "ok"})
    assert set(fields_of(response)) == {"due_date", "due_time"}
    assert task_snapshot(org.system) == before
    assert worker.patch("/tasks/999999", {"version": 1}).status_code == 404


def test_switching_to_done_and_back_in_an_edit(app, org, tw):
    worker = api(app, org, "worker_a")
    task = worker.get(f"/tasks/{tw.own.id}").get_json()
    done = worker.patch(f"/tasks/{tw.own.id}", {"version": task["version"], "state": "done"}
                        ).get_json()
    assert done["state"] == "done" and done["done_at"] is not None
    reopened = worker.patch(f"/tasks/{tw.own.id}", {"version": done["version"],
                                                    "state": "planned"}).get_json()
    assert reopened["state"] == "planned" and reopened["done_at"] is None


def test_completing_records_the_outcome(app, org, tw):
    worker = api(app, org, "worker_a")
    task = worker.get(f"/tasks/{tw.client.id}").get_json()
    response = worker.post(f"/tasks/{tw.client.id}/complete", {"version": task["version"],
                                                               "result": "Подписали"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["state"], body["result"], body["overdue"]) == ("done", "Подписали", False)
    assert body["done_at"] is not None and body["updated_by"] == org.worker_a.id
    again = worker.post(f"/tasks/{tw.client.id}/complete", {"version": body["version"]})
    assert set(fields_of(again)) == {"state"}
    assert set(fields_of(worker.post(f"/tasks/{tw.own.id}/complete", {
        "version": tw.own.version, "result": 5}))) == {"result"}
    assert worker.post("/tasks/999999/complete", {"version": 1}).status_code == 404


def test_deleting_with_the_version(app, org, tw):
    worker = api(app, org, "worker_a")
    boss = api(app, org, "director")
    task = worker.get(f"/tasks/{tw.own.id}").get_json()
    assert worker.delete(f"/tasks/{tw.own.id}", query={"version": task["version"]}
                         ).status_code == 204
    assert worker.get(f"/tasks/{tw.own.id}").status_code == 404
    assert worker.delete(f"/tasks/{tw.own.id}", query={"version": task["version"]}
                         ).status_code == 404
    # the history keeps the task's last state, for the Director
    history = boss.get(f"/history/task/{tw.own.id}").get_json()["items"]
    assert history[0]["action"] == "ObjectDeleted"
    assert {"field": "what", "old": task["what"], "new": None} in history[0]["changes"]


# -- the Tasks tabs (TASK-2, TASK-3) ---------------------------------------------------------------


@pytest.fixture
def many(org, tw, cl):
    return seed_many(org, tw, cl)


def seed_many(org, tw, cl) -> int:
    """worker_a: 23 client meetings on card X in March 2026 (the first three in a
    project), two own tasks overdue since long ago, the two tasks of the template (both
    far ahead); one done call. Returns how many tasks worker_a has."""
    core, w = org.system.app.tasks, org.worker_a.id
    for day in range(1, 24):
        core.create(w, {"task_type_id": tw.types["meeting"].id, "due_date": f"2026-03-{day:02d}",
                        "counterparty_id": cl.x.id,
                        "project_id": org.proj_p.id if day <= 3 else None})
    for _ in range(2):
        core.create(w, {"task_type_id": tw.types["other"].id, "due_date": PAST})
    core.create(w, {"task_type_id": tw.types["call"].id, "due_date": "2026-03-05",
                    "state": "done", "counterparty_id": cl.y.id})
    return 28


def page_of(api_: Api, path: str, **query) -> dict:
    response = api_.get(path, query=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_personal_tab_pages_by_ten(app, org, many):
    worker = api(app, org, "worker_a")
    path = f"/employees/{org.worker_a.id}/tasks"
    first = page_of(worker, path)
    assert (first["total"], first["pages"], first["per_page"], first["page"]) == (many, 3, 10, 1)
    assert len(first["items"]) == 10 and first["first_number"] == 1
    third = page_of(worker, path, page=3)
    assert (len(third["items"]), third["first_number"]) == (8, 21)
    seen = [t["id"] for p in (1, 2, 3) for t in page_of(worker, path, page=p)["items"]]
    assert len(seen) == len(set(seen)) == many
    assert page_of(worker, path, page=9)["items"] == []
    assert page_of(worker, "/me/tasks", page=2) == page_of(worker, path, page=2)


def test_the_personal_tab_filters(app, org, tw, cl, many):
    worker = api(app, org, "worker_a")
    path = f"/employees/{org.worker_a.id}/tasks"

    def ids(**query) -> list[int]:
        body = page_of(worker, path, **query)
        assert body["total"] == len(body["items"]) or len(body["items"]) == 10
        return body

    client = ids(section="client")
    assert client["total"] == 25 and all(t["counterparty_id"] for t in client["items"])
    own = ids(section="employee")
    assert own["total"] == 3 and all(t["counterparty_id"] is None for t in own["items"])
    overdue = ids(state="overdue")
    assert overdue["total"] == 2 + 23  # March 2026 is over too
    assert all(t["overdue"] for t in overdue["items"])
    assert ids(state="overdue", section="employee")["total"] == 2
    assert ids(state="done")["total"] == 1
    planned = ids(state="planned", section="employee")
    assert [t["due_date"] for t in planned["items"]] == [PAST, PAST, FUTURE]  # soonest first
    assert ids(date_from="2026-03-10", date_to="10.03.2026")["total"] == 1
    assert ids(date_from="2026-03-20")["total"] == 4 + 2
    assert ids(task_type_id=tw.types["call"].id)["total"] == 1
    assert ids(counterparty_id=cl.y.id)["total"] == 1
    assert ids(project_id=org.proj_p.id)["total"] == 3
    assert ids(section="client", state="planned", task_type_id=tw.types["meeting"].id,
               counterparty_id=cl.x.id, date_from="2026-03-01", date_to="2026-03-31",
               project_id=org.proj_p.id)["total"] == 3


def test_bad_filters_are_named(app, org):
    worker = api(app, org, "worker_a")
    path = f"/employees/{org.worker_a.id}/tasks"
    assert set(fields_of(worker.get(path, query={
        "state": "late", "date_from": "вчера", "section": "boss", "task_type_id": "x",
        "project_id": "-1"}))) == {"state", "date_from", "section", "task_type_id",
                                   "project_id"}
    assert set(fields_of(worker.get(path, query={"page": "0"}))) == {"page"}
    assert set(fields_of(worker.get(path, query={"section": "employee",
                                                 "counterparty_id": "1"}))) == {"section"}
    assert set(fields_of(worker.get("/employees/abc/tasks"))) == {"employee_id"}
    assert worker.get("/employees/999999/tasks").status_code == 404


def test_the_counterparty_tab_shows_everyones_tasks_about_it(app, org, tw, cl, many):
    plain = api(app, org, "plain")  # sees the card, so sees its tasks
    body = page_of(plain, f"/counterparties/{cl.x.id}/tasks")
    assert body["total"] == 24 and len(body["items"]) == 10
    assert all(t["counterparty_id"] == cl.x.id for t in body["items"])
    # the tab's own counterparty wins over a filter naming another one; no sections here
    assert page_of(plain, f"/counterparties/{cl.x.id}/tasks", counterparty_id=cl.y.id,
                   section="employee")["total"] == 24
    assert page_of(plain, f"/counterparties/{cl.x.id}/tasks", state="planned",
                   date_to="2026-03-02")["total"] == 2
    assert set(fields_of(plain.get(f"/counterparties/{cl.x.id}/tasks",
                                   query={"state": "x"}))) == {"state"}
    assert plain.get("/counterparties/999999/tasks").status_code == 404


def test_the_calendar(app, org, tw, many):
    worker = api(app, org, "worker_a")
    path = f"/employees/{org.worker_a.id}/calendar"
    march = worker.get(path, query={"start": "2026-03-01", "end": "2026-03-31"})
    assert march.status_code == 200
    items = march.get_json()["items"]
    assert len(items) == 24
    assert [t["due_at"] for t in items] == sorted(t["due_at"] for t in items)
    week = worker.get(path, query={"start": "02.03.2026", "end": "08.03.2026"}).get_json()
    assert {t["due_date"] for t in week["items"]} == {f"2026-03-0{d}" for d in range(2, 9)}
    assert set(fields_of(worker.get(path, query={"start": "2026-03-01",
                                                 "end": "2026-12-31"}))) == {"end"}
    assert set(fields_of(worker.get(path))) == {"start", "end"}
    assert worker.get("/employees/999999/calendar",
                      query={"start": "2026-03-01", "end": "2026-03-31"}).status_code == 404


def test_the_contact_history_merges_tasks_and_card_changes(app, org, tw, cl):
    boss = api(app, org, "director")
    card = boss.get(f"/counterparties/{cl.x.id}").get_json()
    assert boss.patch(f"/counterparties/{cl.x.id}", {"version": card["version"],
                                                     "head": "Лесов Л. Л."}).status_code == 200
    body = api(app, org, "plain").get(f"/counterparties/{cl.x.id}/contact-history").get_json()
    assert (body["page"], body["per_page"]) == (1, 20)
    kinds = [i["kind"] for i in body["items"]]
    assert "task" in kinds and "history" in kinds
    task_lines = [i for i in body["items"] if i["kind"] == "task"]
    assert task_lines[0]["task"]["id"] == tw.client.id and task_lines[0]["entry"] is None
    assert [i["at"] for i in body["items"]] == sorted((i["at"] for i in body["items"]),
                                                      key=when, reverse=True)
    assert set(fields_of(api(app, org, "plain").get(
        f"/counterparties/{cl.x.id}/contact-history", query={"page": "x"}))) == {"page"}
    assert boss.get("/counterparties/999999/contact-history").status_code == 404


# -- reference books (TASK-4, TASK-7) -------------------------------------------------------------


def test_typical_tasks(app, org, tw):
    boss, plain = api(app, org, "director"), api(app, org, "plain")
    codes = {k["code"] for k in plain.get("/task-types").get_json()["items"]}
    assert codes == {"meeting", "call", "presentation", "email", "other"}
    made = boss.post("/task-types", {"name": "Выезд", "remind_minutes": "120"})
    assert made.status_code == 201, made.get_json()
    kind = made.get_json()
    assert (kind["code"], kind["remind_minutes"], kind["active"]) == ("", 120, True)
    assert set(fields_of(boss.post("/task-types", {"name": "выезд"}))) == {"name"}
    assert set(fields_of(boss.post("/task-types", {"name": "", "remind_minutes": 10**6}))) == {
        "name", "remind_minutes"}
    closed = boss.patch(f"/task-types/{kind['id']}", {"version": kind["version"],
                                                      "active": False})
    assert closed.status_code == 200 and closed.get_json()["active"] is False
    assert kind["id"] not in {k["id"] for k in plain.get("/task-types").get_json()["items"]}
    assert kind["id"] in {k["id"] for k in plain.get(
        "/task-types", query={"include_inactive": "1"}).get_json()["items"]}
    assert set(fields_of(plain.get("/task-types", query={"include_inactive": "maybe"}))) == {
        "include_inactive"}
    assert set(fields_of(api(app, org, "worker_a").post("/tasks", {
        "task_type_id": kind["id"], "due_date": FUTURE}))) == {"task_type_id"}
    stale = boss.patch(f"/task-types/{kind['id']}", {"version": kind["version"], "name": "Y"})
    assert stale.status_code == 409
    assert boss.patch("/task-types/999999", {"version": 1}).status_code == 404
    assert fields_of(boss.patch(f"/task-types/{kind['id']}", {})) == {"version": "required"}


def test_escalation_rules(app, org, tw):
    boss = api(app, org, "director")
    made = boss.post("/escalation-rules", {"name": "Звонок просрочен на 2 часа", "delay": 2,
                                           "unit": "hours", "target": "director",
                                           "task_type_id": tw.types["call"].id})
    assert made.status_code == 201, made.get_json()
    rule = made.get_json()
    assert (rule["unit"], rule["target"], rule["active"]) == ("hours", "director", True)
    defaults = boss.post("/escalation-rules", {"name": "Любая задача", "delay": 1}).get_json()
    assert (defaults["unit"], defaults["target"], defaults["task_type_id"]) == (
        "working_days", "head", None)
    listed = api(app, org, "plain").get("/escalation-rules").get_json()["items"]
    assert {r["id"] for r in listed} == {rule["id"], defaults["id"]}
    assert set(fields_of(boss.post("/escalation-rules", {
        "name": "", "delay": "x", "unit": "weeks", "target": "boss",
        "task_type_id": 999999}))) == {"name", "delay", "unit", "target", "task_type_id"}
    changed = boss.patch(f"/escalation-rules/{rule['id']}", {"version": rule["version"],
                                                             "active": False, "delay": 3})
    assert changed.status_code == 200 and changed.get_json()["delay"] == 3
    assert boss.patch(f"/escalation-rules/{rule['id']}", {"version": rule["version"],
                                                          "delay": 4}).status_code == 409
    assert boss.delete(f"/escalation-rules/{rule['id']}").status_code == 204
    assert boss.delete(f"/escalation-rules/{rule['id']}").status_code == 404
    assert boss.patch(f"/escalation-rules/{rule['id']}", {"version": 1}).status_code == 404


def test_a_rule_that_has_escalated_can_be_closed_or_deleted(app, org, tw):
    """"active": false stops it; DELETE removes it with its escalation records, while
    what it sent stays in the tasks' history (TASK-7)."""
    boss = api(app, org, "director")
    rule = boss.post("/escalation-rules", {"name": "Час просрочки", "delay": 1,
                                           "unit": "hours", "target": "head"}).get_json()
    task = org.system.app.tasks.create(org.worker_a.id, {"task_type_id": tw.types["other"].id,
                                                         "due_date": PAST})
    assert org.system.app.tasks.escalate().escalations == 1
    closed = boss.patch(f"/escalation-rules/{rule['id']}", {"version": rule["version"],
                                                            "active": False})
    assert closed.status_code == 200
    assert boss.delete(f"/escalation-rules/{rule['id']}").status_code == 204
    history = org.system.app.history.of(org.director.id, task.ref)
    assert any(e.action == "TaskEscalated" for e in history)
