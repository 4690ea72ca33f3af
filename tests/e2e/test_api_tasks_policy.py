"""Rights on tasks through the API (issue 4 acceptance: TASK-6 in the API). A task hangs
under its responsible employee: worker_a themself, their department head (head_a), Sales
management over department A (sales_a) and the Director plan, view and work worker_a's
tasks; a colleague in the same department without a role (plain), an employee of
another department (worker_b) and A's Administrator (admin_a) may not — but everyone who
sees card X sees its tasks. The reference books are for administrators.

A refused action answers 403 and leaves every data table (the organisation's, the client
base's, the tasks') and the history as they were; an allowed change leaves history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from tests.e2e.api_support import Api, copy_of
from tests.e2e.tasks_support import FUTURE, make_tasks_template, task_snapshot

#: actor -> login of their token
ACTORS = {"own": "worker_a", "head": "head_a", "sales": "sales_a", "director": "director",
          "colleague": "plain", "outsider": "worker_b", "admin": "admin_a"}
EVERYONE = frozenset(ACTORS)
OVER_WORKER_A = frozenset({"own", "head", "sales", "director"})


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_tasks_template(tmp_path_factory.mktemp("api-tasks-policy"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    base, clients, tasks = template
    with copy_of(base, tmp_path) as (org, app):
        yield org, app, clients, tasks


@attrs.frozen
class Case:
    name: str
    allowed: frozenset[str]
    call: Callable[..., Any]
    changes: bool = True


def _version(o, task) -> int:
    return o.system.app.tasks.get(o.director.id, task.id).version


def _new(responsible, w, **extra) -> dict:
    return {"responsible_id": responsible.id, "task_type_id": w.types["meeting"].id,
            "due_date": FUTURE, **extra}


CASES = [
    # seeing
    Case("view worker_a's Tasks tab", OVER_WORKER_A,
         lambda api, o, c, w: api.get(f"/employees/{o.worker_a.id}/tasks"), changes=False),
    Case("view worker_a's overdue client tasks", OVER_WORKER_A,
         lambda api, o, c, w: api.get(f"/employees/{o.worker_a.id}/tasks",
                                      query={"section": "client", "state": "overdue"}),
         changes=False),
    Case("view worker_a's calendar", OVER_WORKER_A,
         lambda api, o, c, w: api.get(f"/employees/{o.worker_a.id}/calendar",
                                      query={"start": FUTURE, "end": FUTURE}), changes=False),
    Case("view worker_a's own task", OVER_WORKER_A,
         lambda api, o, c, w: api.get(f"/tasks/{w.own.id}"), changes=False),
    Case("view the history of worker_a's own task", OVER_WORKER_A,
         lambda api, o, c, w: api.get(f"/history/task/{w.own.id}"), changes=False),
    Case("view worker_a's client task on card X", EVERYONE,
         lambda api, o, c, w: api.get(f"/tasks/{w.client.id}"), changes=False),
    Case("view card X's Tasks tab", EVERYONE,
         lambda api, o, c, w: api.get(f"/counterparties/{c.x.id}/tasks"), changes=False),
    Case("view card X's contact history", EVERYONE,
         lambda api, o, c, w: api.get(f"/counterparties/{c.x.id}/contact-history"),
         changes=False),
    Case("view worker_b's Tasks tab", {"outsider", "director"},
         lambda api, o, c, w: api.get(f"/employees/{o.worker_b.id}/tasks"), changes=False),
    Case("view the typical tasks", EVERYONE, lambda api, o, c, w: api.get("/task-types"),
         changes=False),
    Case("view the escalation rules", EVERYONE,
         lambda api, o, c, w: api.get("/escalation-rules"), changes=False),
    # planning
    Case("plan a task for worker_a", OVER_WORKER_A,
         lambda api, o, c, w: api.post("/tasks", _new(o.worker_a, w))),
    Case("plan a client task for worker_a", OVER_WORKER_A,
         lambda api, o, c, w: api.post("/tasks", _new(o.worker_a, w, counterparty_id=c.x.id))),
    Case("plan a task for the head of A (not upwards)", {"head", "sales", "director"},
         lambda api, o, c, w: api.post("/tasks", _new(w.head_a, w))),
    Case("plan a task for an employee of sub-department A1", {"head", "sales", "director"},
         lambda api, o, c, w: api.post("/tasks", _new(w.junior, w))),
    Case("plan a task for worker_b of department B", {"outsider", "director"},
         lambda api, o, c, w: api.post("/tasks", _new(o.worker_b, w))),
    Case("register an incoming call about card X (one's own)", EVERYONE,
         lambda api, o, c, w: api.post("/tasks/calls", {"counterparty_id": c.x.id})),
    # working worker_a's tasks
    Case("reschedule worker_a's own task", OVER_WORKER_A,
         lambda api, o, c, w: api.patch(f"/tasks/{w.own.id}", {
             "version": _version(o, w.own), "due_date": "2099-07-01"})),
    Case("edit worker_a's client task", OVER_WORKER_A,
         lambda api, o, c, w: api.patch(f"/tasks/{w.client.id}", {
             "version": _version(o, w.client), "what": "Другая повестка"})),
    Case("complete worker_a's client task", OVER_WORKER_A,
         lambda api, o, c, w: api.post(f"/tasks/{w.client.id}/complete", {
             "version": _version(o, w.client), "result": "Готово"})),
    Case("delete worker_a's own task", OVER_WORKER_A,
         lambda api, o, c, w: api.delete(f"/tasks/{w.own.id}",
                                         query={"version": _version(o, w.own)})),
    Case("hand worker_a's task over to worker_b", {"director"},
         lambda api, o, c, w: api.patch(f"/tasks/{w.own.id}", {
             "version": _version(o, w.own), "responsible_id": o.worker_b.id})),
    Case("hand worker_a's task over to junior in A1", OVER_WORKER_A - {"own"},
         lambda api, o, c, w: api.patch(f"/tasks/{w.own.id}", {
             "version": _version(o, w.own), "responsible_id": w.junior.id})),
    Case("delete worker_b's task", {"outsider", "director"},
         lambda api, o, c, w: api.delete(f"/tasks/{w.other.id}",
                                         query={"version": _version(o, w.other)})),
    # reference books
    Case("add a typical task", {"director", "admin"},
         lambda api, o, c, w: api.post("/task-types", {"name": "Выезд"})),
    Case("close a typical task", {"director", "admin"},
         lambda api, o, c, w: api.patch(f"/task-types/{w.types['email'].id}", {
             "version": w.types["email"].version, "active": False})),
    Case("add an escalation rule", {"director", "admin"},
         lambda api, o, c, w: api.post("/escalation-rules", {"name": "Сутки", "delay": 1})),
]


READS = [c for c in CASES if not c.changes]
WRITES = [c for c in CASES if c.changes]


def _check(action: Case, actor: str, response, before, after) -> None:
    if actor in action.allowed:
        assert response.status_code in (200, 201, 204), (action.name, response.get_json())
        if action.changes:
            assert after["history rows"] > before["history rows"], "a change leaves history"
        else:
            assert after == before, action.name
    else:
        assert response.status_code == 403, (action.name, response.get_json())
        assert response.get_json()["error"] == "forbidden"
        assert after == before, f"a forbidden action changed something: {action.name}"


@pytest.mark.parametrize("actor", list(ACTORS))
def test_task_policy_matrix_of_reads(world, actor: str):
    """The reads change nothing, so one world serves them all."""
    org, app, clients, tasks = world
    api = Api(app, org.tokens[ACTORS[actor]])
    for action in READS:
        before = task_snapshot(org.system)
        response = action.call(api, org, clients, tasks)
        _check(action, actor, response, before, task_snapshot(org.system))


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("action", WRITES, ids=lambda c: c.name)
def test_task_policy_matrix_of_changes(world, action: Case, actor: str):
    org, app, clients, tasks = world
    before = task_snapshot(org.system)
    response = action.call(Api(app, org.tokens[ACTORS[actor]]), org, clients, tasks)
    _check(action, actor, response, before, task_snapshot(org.system))


def test_the_matrix_covers_every_task_action():
    names = [c.name for c in CASES]
    for verb in ("view", "plan", "register", "reschedule", "edit", "complete", "delete",
                 "hand", "add", "close"):
        assert any(n.startswith(verb) for n in names), verb


def test_escalation_rules_change_and_go_only_by_administrators(world):
    org, app, _clients, _tasks = world
    rule = org.system.app.tasks.create_escalation_rule(org.director.id,
                                                       {"name": "Два дня", "delay": 2})
    for who in ("worker_a", "head_a", "sales_a", "plain"):
        api = Api(app, org.tokens[who])
        before = task_snapshot(org.system)
        assert api.patch(f"/escalation-rules/{rule.id}", {"version": rule.version,
                                                          "delay": 3}).status_code == 403
        assert api.delete(f"/escalation-rules/{rule.id}").status_code == 403
        assert task_snapshot(org.system) == before
    admin = Api(app, org.tokens["admin_a"])
    changed = admin.patch(f"/escalation-rules/{rule.id}", {"version": rule.version, "delay": 3})
    assert changed.status_code == 200
    assert admin.delete(f"/escalation-rules/{rule.id}").status_code == 204


def test_a_head_sees_the_tasks_they_planned_for_a_subordinate_in_the_subordinates_tab(world):
    org, app, _clients, tasks = world
    head = Api(app, org.tokens["head_a"])
    made = head.post("/tasks", {"responsible_id": tasks.junior.id, "due_date": FUTURE,
                                "task_type_id": tasks.types["call"].id}).get_json()
    junior = Api(app, org.tokens["junior"])
    assert [t["id"] for t in junior.get("/me/tasks").get_json()["items"]] == [made["id"]]
    assert made["created_by"] == tasks.head_a.id
    # the head's own tab does not show it: a task hangs under its responsible employee
    assert made["id"] not in {t["id"] for t in head.get("/me/tasks").get_json()["items"]}
