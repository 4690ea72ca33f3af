"""The policy through the API (ORG-6; issue 2 acceptance): roles x actions on org
objects. The Director may do everything; an Administrator of department A acts on A
(and inside it) but not on B; Management of project P acts on P but not on Q; an
employee without a role changes nothing. A forbidden action answers 403 and leaves
every data table and the history exactly as they were.

Also: two sessions editing the same employee - the second gets 409, nothing is lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from tests.e2e.api_support import Api, copy_of, make_org_template, snapshot

ACTORS = ("director", "admin_a", "mgmt_p", "plain")


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_org_template(tmp_path_factory.mktemp("api-policy"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    with copy_of(template, tmp_path) as (org, app):
        yield org, app


def _version(org, kind: str, ident: int) -> int:
    reader = getattr(org.system.app.org, kind)
    return reader(org.director.id, ident).version


@attrs.frozen
class Case:
    name: str
    allowed: frozenset[str]
    call: Callable[..., Any]
    #: run as the Director before the snapshot; its result is passed to ``call``
    prepare: Callable[..., Any] | None = None


def case(name, allowed, call, prepare=None) -> Case:
    return Case(name, frozenset({"director", *allowed}), call, prepare)


def _open_service(owner_kind: str, owner: str):
    def prepare(org):
        ident = getattr(org, owner).id
        from ecrm_core.kernel.refs import ObjectRef

        return org.system.app.org.open_service(org.director.id, ObjectRef(owner_kind, ident),
                                               org.stype.id)
    return prepare


def _grant(role: str, scope_kind: str, scope: str, who: str = "worker_a"):
    def prepare(org):
        from ecrm_core.kernel.refs import ObjectRef

        return org.system.app.access.grant(org.director.id, getattr(org, who).id, role,
                                           ObjectRef(scope_kind, getattr(org, scope).id))
    return prepare


CASES = [
    # departments
    case("edit department A", {"admin_a"}, lambda api, o, _: api.patch(
        f"/departments/{o.dep_a.id}",
        {"version": _version(o, "department", o.dep_a.id), "description": "новое"})),
    case("edit department B", set(), lambda api, o, _: api.patch(
        f"/departments/{o.dep_b.id}",
        {"version": _version(o, "department", o.dep_b.id), "description": "новое"})),
    case("create a department inside A", {"admin_a"}, lambda api, o, _: api.post(
        "/departments", {"name": "Группа", "parent_id": o.dep_a.id})),
    case("create a department inside B", set(), lambda api, o, _: api.post(
        "/departments", {"name": "Группа", "parent_id": o.dep_b.id})),
    case("create a top-level department", set(), lambda api, o, _: api.post(
        "/departments", {"name": "Новый отдел"})),
    case("move sub-department A1 into B", set(), lambda api, o, _: api.patch(
        f"/departments/{o.sub_a.id}",
        {"version": _version(o, "department", o.sub_a.id), "parent_id": o.dep_b.id})),
    # employees
    case("add an employee to A", {"admin_a"}, lambda api, o, _: api.post(
        "/employees", {"login": "newbie", "password": "password-7", "full_name": "Новичок",
                       "department_id": o.dep_a.id})),
    case("add an employee to B", set(), lambda api, o, _: api.post(
        "/employees", {"login": "newbie", "password": "password-7", "full_name": "Новичок",
                       "department_id": o.dep_b.id})),
    case("edit an employee of A", {"admin_a"}, lambda api, o, _: api.patch(
        f"/employees/{o.worker_a.id}",
        {"version": _version(o, "employee", o.worker_a.id), "position": "Старший"})),
    case("edit an employee of B", set(), lambda api, o, _: api.patch(
        f"/employees/{o.worker_b.id}",
        {"version": _version(o, "employee", o.worker_b.id), "position": "Старший"})),
    case("move an employee of A to B", set(), lambda api, o, _: api.patch(
        f"/employees/{o.worker_a.id}",
        {"version": _version(o, "employee", o.worker_a.id), "department_id": o.dep_b.id})),
    case("set the password of an employee of A", {"admin_a"}, lambda api, o, _: api.post(
        f"/employees/{o.worker_a.id}/password", {"password": "password-8"})),
    case("set the password of an employee of B", set(), lambda api, o, _: api.post(
        f"/employees/{o.worker_b.id}/password", {"password": "password-8"})),
    case("disable an employee of A", {"admin_a"}, lambda api, o, _: api.post(
        f"/employees/{o.worker_a.id}/disable")),
    case("disable an employee of B", set(), lambda api, o, _: api.post(
        f"/employees/{o.worker_b.id}/disable")),
    # projects
    case("edit project P", {"mgmt_p"}, lambda api, o, _: api.patch(
        f"/projects/{o.proj_p.id}",
        {"version": _version(o, "project", o.proj_p.id), "description": "новое"})),
    case("edit project Q", set(), lambda api, o, _: api.patch(
        f"/projects/{o.proj_q.id}",
        {"version": _version(o, "project", o.proj_q.id), "description": "новое"})),
    case("create a project", set(), lambda api, o, _: api.post(
        "/projects", {"name": "Новое направление"})),
    # service types and services
    case("create a service type", set(), lambda api, o, _: api.post(
        "/service-types", {"code": "survey", "name": "Обследование"})),
    case("edit a service type", set(), lambda api, o, _: api.patch(
        f"/service-types/{o.stype.id}", {"version": o.stype.version, "name": "Монтаж+"})),
    case("open a service of department A", {"admin_a"}, lambda api, o, _: api.post(
        "/services", {"owner": f"department:{o.dep_a.id}", "service_type_id": o.stype.id})),
    case("open a service of department B", set(), lambda api, o, _: api.post(
        "/services", {"owner": f"department:{o.dep_b.id}", "service_type_id": o.stype.id})),
    case("open a service of an employee of A", {"admin_a"}, lambda api, o, _: api.post(
        "/services", {"owner": f"employee:{o.worker_a.id}", "service_type_id": o.stype.id})),
    case("open a service of project P", {"mgmt_p"}, lambda api, o, _: api.post(
        "/services", {"owner": f"project:{o.proj_p.id}", "service_type_id": o.stype.id})),
    case("open a service of project Q", set(), lambda api, o, _: api.post(
        "/services", {"owner": f"project:{o.proj_q.id}", "service_type_id": o.stype.id})),
    case("close a service of department A", {"admin_a"},
         lambda api, o, svc: api.post(f"/services/{svc.id}/close"),
         _open_service("department", "dep_a")),
    case("close a service of department B", set(),
         lambda api, o, svc: api.post(f"/services/{svc.id}/close"),
         _open_service("department", "dep_b")),
    case("close a service of project P", {"mgmt_p"},
         lambda api, o, svc: api.post(f"/services/{svc.id}/close"),
         _open_service("project", "proj_p")),
    case("switch availability of a service of an employee of A", {"admin_a"},
         lambda api, o, svc: api.patch(f"/services/{svc.id}", {"available": False}),
         _open_service("employee", "worker_a")),
    case("switch availability of a service of an employee of B", set(),
         lambda api, o, svc: api.patch(f"/services/{svc.id}", {"available": False}),
         _open_service("employee", "worker_b")),
    # roles
    case("grant Administrator on A", {"admin_a"}, lambda api, o, _: api.post(
        "/role-assignments", {"employee_id": o.worker_a.id, "role": "administrator",
                              "scope": f"department:{o.dep_a.id}"})),
    case("grant Administrator on B", set(), lambda api, o, _: api.post(
        "/role-assignments", {"employee_id": o.worker_a.id, "role": "administrator",
                              "scope": f"department:{o.dep_b.id}"})),
    case("grant Management on P", {"mgmt_p"}, lambda api, o, _: api.post(
        "/role-assignments", {"employee_id": o.worker_a.id, "role": "management",
                              "scope": f"project:{o.proj_p.id}"})),
    case("grant Management on Q", set(), lambda api, o, _: api.post(
        "/role-assignments", {"employee_id": o.worker_a.id, "role": "management",
                              "scope": f"project:{o.proj_q.id}"})),
    case("appoint a Director", set(), lambda api, o, _: api.post(
        "/role-assignments", {"employee_id": o.worker_a.id, "role": "director",
                              "scope": "company:1"})),
    case("revoke an Administrator role on A", {"admin_a"},
         lambda api, o, grant: api.delete(f"/role-assignments/{grant.id}"),
         _grant("administrator", "department", "sub_a")),
    case("revoke an Administrator role on B", set(),
         lambda api, o, grant: api.delete(f"/role-assignments/{grant.id}"),
         _grant("administrator", "department", "dep_b", "worker_b")),
    case("revoke a Management role on P", {"mgmt_p"},
         lambda api, o, grant: api.delete(f"/role-assignments/{grant.id}"),
         _grant("management", "project", "proj_p")),
    # the company
    case("rename the company", set(), lambda api, o, _: api.patch(
        "/company", {"version": o.system.app.org.company().version, "name": "Другая"})),
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", CASES, ids=lambda c: c.name)
def test_policy_matrix(world, action: Case, actor: str):
    org, app = world
    context = action.prepare(org) if action.prepare else None
    before = snapshot(org.system)
    response = action.call(Api(app, org.tokens[actor]), org, context)
    after = snapshot(org.system)
    if actor in action.allowed:
        assert response.status_code in (200, 201, 204), response.get_json()
        assert after["history rows"] > before["history rows"], "a change leaves history"
    else:
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["error"] == "forbidden"
        assert after == before, "a forbidden action changed something"


def test_the_matrix_covers_every_kind_of_org_object():
    names = " ".join(c.name for c in CASES)
    for word in ("department", "employee", "project", "service type", "service of",
                 "Administrator", "Management", "Director", "company"):
        assert word in names


# -- concurrent edits (optimistic locking) ----------------------------------------------------


def test_two_sessions_edit_the_same_employee_the_second_gets_409(world):
    org, app = world
    first = Api(app, org.tokens["director"])
    second = Api(app, org.tokens["admin_a"])
    path = f"/employees/{org.worker_a.id}"
    seen_by_first = first.get(path).get_json()
    seen_by_second = second.get(path).get_json()
    assert seen_by_first["version"] == seen_by_second["version"]

    won = first.patch(path, {"version": seen_by_first["version"], "position": "Руководитель"})
    assert won.status_code == 200
    lost = second.patch(path, {"version": seen_by_second["version"], "position": "Стажёр",
                               "phone": "+7 999 111-22-33"})
    assert lost.status_code == 409
    assert lost.get_json()["error"] == "conflict"

    now = first.get(path).get_json()
    assert now["position"] == "Руководитель"
    assert now["phone"] == ""
    assert now["version"] == seen_by_first["version"] + 1
    # reloading and repeating the change works
    again = second.patch(path, {"version": now["version"], "phone": "+7 999 111-22-33"})
    assert again.status_code == 200
    assert again.get_json()["position"] == "Руководитель"


def test_two_threads_race_to_edit_the_same_employee(world):
    """Both requests start from the same version at the same time: exactly one wins."""
    import threading

    org, app = world
    path = f"/employees/{org.worker_a.id}"
    version = Api(app, org.tokens["director"]).get(path).get_json()["version"]
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def edit(who: str, position: str) -> None:
        api = Api(app, org.tokens[who])
        barrier.wait()
        results[who] = api.patch(path, {"version": version, "position": position}).status_code

    threads = [threading.Thread(target=edit, args=("director", "A")),
               threading.Thread(target=edit, args=("admin_a", "B"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [200, 409]
    winner = next(who for who, status in results.items() if status == 200)
    final = Api(app, org.tokens["director"]).get(path).get_json()
    assert final["position"] == {"director": "A", "admin_a": "B"}[winner]
    assert final["version"] == version + 1
