"""Helpers of the tasks API tests (tests/e2e/test_api_tasks*.py).

- ``build_tasks``: on top of ``api_support.build_org`` and ``clients_support.build_clients``,
  the people of TASK-6 around worker_a (department «Отдел продаж», A): head_a, the head
  of A; sales_a, Sales management on A (from department B); junior, in A's
  sub-department «Группа опта»; and a few tasks — worker_a's own task, worker_a's client
  task on card X, worker_b's own task. Everyone in the org has an API token
  (``org.tokens``).
- ``make_tasks_template``: all of it built once into a database file (tests copy it with
  ``api_support.copy_of``).
- ``happy_run_tasks``: every tasks operation of the API once with good input (the OpenAPI
  test calls it so that every documented operation has answered 2xx).
- ``task_snapshot``: every data table (the organisation's, the client base's and the
  tasks') and the history, for "a refused request changes nothing".
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import select

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.kernel.refs import ObjectRef
from tests.e2e.api_support import Api, build_org, snapshot
from tests.e2e.clients_support import build_clients

#: A day long past (a planned task due then is overdue) and one far ahead: the API tests
#: run on the real clock, so the days are chosen where "now" cannot matter.
PAST, FUTURE = "2020-01-15", "2099-06-15"
TASK_TABLES = (t.catalogs, t.counterparties, t.contacts, t.curator_assignments, t.task_types,
               t.escalation_rules, t.tasks, t.task_escalations)


@attrs.frozen
class TaskWorld:
    head_a: Any
    sales_a: Any
    junior: Any
    types: dict[str, Any]
    own: Any
    client: Any
    other: Any


def build_tasks(org, clients) -> TaskWorld:
    app = org.system.app
    d = org.director.id

    def person(login: str, name: str, dep) -> Any:
        made = app.org.add_employee(d, {"login": login, "password": "password-1",
                                        "full_name": name, "department_id": dep.id})
        org.tokens[login] = app.auth.create_api_token(d, made.id, f"tests {login}")[1]
        return made

    head_a = person("head_a", "Начальникова Вера Павловна", org.dep_a)
    app.org.update_department(d, org.dep_a.id, {"head_id": head_a.id})
    sales_a = person("sales_a", "Продажин Глеб Олегович", org.dep_b)
    app.access.grant(d, sales_a.id, "sales_management", ObjectRef("department", org.dep_a.id))
    junior = person("junior", "Младшов Кирилл Денисович", org.sub_a)
    types = {k.code: k for k in app.tasks.task_types(d)}
    own = app.tasks.create(org.worker_a.id, {
        "task_type_id": types["other"].id, "due_date": FUTURE, "what": "Отчёт за квартал"})
    client = app.tasks.create(org.worker_a.id, {
        "task_type_id": types["meeting"].id, "due_date": FUTURE, "due_time": "11:00",
        "counterparty_id": clients.x.id, "contact_id": clients.contact.id,
        "what": "Встреча по договору"})
    other = app.tasks.create(org.worker_b.id, {
        "task_type_id": types["call"].id, "due_date": FUTURE, "what": "Позвонить поставщику"})
    return TaskWorld(head_a, sales_a, junior, types, own, client, other)


def make_tasks_template(base_dir: Path, migrated_db: Path):
    """((path, org), clients, tasks), built once; copy it with ``api_support.copy_of``."""
    from tests.conftest import found, make_system

    path = base_dir / "tasks.db"
    shutil.copy(migrated_db, path)
    system = make_system(f"sqlite:///{path}", base_dir)
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
        world = build_tasks(org, clients)
    finally:
        system.close()
    return (path, org), clients, world


def task_snapshot(system) -> dict[str, Any]:
    shot = snapshot(system)
    with system.engine.connect() as conn:
        for table in TASK_TABLES:
            shot[table.name] = [tuple(r) for r in conn.execute(
                select(table).order_by(table.c.id))]
    return shot


# -- every operation once ---------------------------------------------------------------------


def happy_run_tasks(app, org) -> None:
    """Every tasks operation with good input, as the Director (each answer is checked
    against the document by ``Api``)."""
    boss = Api(app, org.tokens["director"])
    core, d = org.system.app, org.director.id
    catalog = core.catalogs.create(d, {"name": "Клиенты задач"})
    card = core.counterparties.register(d, {"catalog_id": catalog.id, "type": "individual",
                                            "name": "Задачин Иван"})

    types = boss.get("/task-types", query={"include_inactive": "true"})
    assert types.status_code == 200
    meeting = next(k for k in types.get_json()["items"] if k["code"] == "meeting")
    kind = boss.post("/task-types", {"name": "Выезд на объект", "remind_minutes": 120})
    assert kind.status_code == 201, kind.get_json()
    kind = kind.get_json()
    assert boss.patch(f"/task-types/{kind['id']}", {"version": kind["version"],
                                                    "remind_minutes": 30}).status_code == 200

    assert boss.get("/escalation-rules").status_code == 200
    rule = boss.post("/escalation-rules", {"name": "Встреча просрочена на 1 рабочий день",
                                           "delay": 1, "unit": "working_days",
                                           "target": "head", "task_type_id": meeting["id"]})
    assert rule.status_code == 201, rule.get_json()
    rule = rule.get_json()
    assert boss.patch(f"/escalation-rules/{rule['id']}", {"version": rule["version"],
                                                          "delay": 2}).status_code == 200
    assert boss.delete(f"/escalation-rules/{rule['id']}").status_code == 204

    made = boss.post("/tasks", {"responsible_id": org.worker_a.id, "task_type_id": meeting["id"],
                                "due_date": "2026-03-31", "due_time": "14:30",
                                "counterparty_id": card.id, "what": "Презентация"})
    assert made.status_code == 201, made.get_json()
    task = made.get_json()
    assert boss.get(f"/tasks/{task['id']}").status_code == 200
    moved = boss.patch(f"/tasks/{task['id']}", {"version": task["version"],
                                                "due_date": "01.04.2026"})
    assert moved.status_code == 200, moved.get_json()
    done = boss.post(f"/tasks/{task['id']}/complete", {"version": moved.get_json()["version"],
                                                       "result": "Договорились"})
    assert done.status_code == 200, done.get_json()
    call = boss.post("/tasks/calls", {"counterparty_id": card.id, "result": "Просит счёт"})
    assert call.status_code == 201, call.get_json()

    assert boss.get("/me/tasks", query={"section": "client", "state": "done"}
                    ).status_code == 200
    assert boss.get(f"/employees/{org.worker_a.id}/tasks", query={
        "section": "client", "state": "planned", "date_from": "2026-03-01",
        "date_to": "2026-04-30", "task_type_id": meeting["id"], "counterparty_id": card.id,
        "page": 1}).status_code == 200
    assert boss.get(f"/employees/{org.worker_a.id}/calendar",
                    query={"start": "2026-03-01", "end": "2026-04-30"}).status_code == 200
    assert boss.get(f"/counterparties/{card.id}/tasks", query={"state": "done"}
                    ).status_code == 200
    assert boss.get(f"/counterparties/{card.id}/contact-history").status_code == 200
    current = boss.get(f"/tasks/{task['id']}").get_json()
    assert boss.delete(f"/tasks/{task['id']}", query={"version": current["version"]}
                       ).status_code == 204
