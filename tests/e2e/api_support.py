"""Helpers of the API tests (tests/e2e/test_api_*.py).

``Api`` speaks JSON to /api/v1 through Flask's test client and checks every answer
against the OpenAPI document: the status must be documented for that operation and
the body must validate against the documented schema. ``build_org`` makes a small
organisation with one employee per role of the policy matrix."""

from __future__ import annotations

import json as jsonlib
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, select, text

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.kernel.refs import ObjectRef
from ecrm_web.api.openapi import document

PREFIX = "/api/v1"
DOC_URI = "urn:ecrm:openapi"
_REGISTRY = Registry().with_resource(
    DOC_URI, Resource.from_contents(document(), default_specification=DRAFT202012)
)
_MISSING = object()


def doc_path(rule: str) -> str:
    """``/api/v1/employees/<employee_id>`` -> ``/employees/{employee_id}``."""
    path = rule[len(PREFIX):]
    out, i = [], 0
    while i < len(path):
        if path[i] == "<":
            end = path.index(">", i)
            out.append("{" + path[i + 1:end].split(":")[-1] + "}")
            i = end + 1
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": DOC_URI + pointer}, registry=_REGISTRY)


#: (documented path, method, status) of every answer seen, across the test session.
SEEN: set[tuple[str, str, int]] = set()


class Api:
    """A JSON client of /api/v1 with a token (or the session of ``client``)."""

    def __init__(self, app, token: str | None = None, client=None, csrf: str | None = None):
        self.app = app
        self.client = client or app.test_client()
        self.token = token
        self.csrf = csrf

    def call(self, method: str, path: str, json: Any = _MISSING, *, data: Any = None,
             headers: dict[str, str] | None = None, query: dict | None = None,
             check: bool = True):
        all_headers = {}
        if self.token is not None:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if self.csrf is not None:
            all_headers["X-CSRFToken"] = self.csrf
        all_headers.update(headers or {})
        kwargs: dict[str, Any] = {"headers": all_headers, "query_string": query}
        if json is not _MISSING:
            kwargs["data"] = jsonlib.dumps(json)
            kwargs["content_type"] = "application/json"
        elif data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = "application/json"
        response = self.client.open(PREFIX + path, method=method.upper(), **kwargs)
        if check:
            check_against_document(self.app, method, PREFIX + path, response)
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json: Any = _MISSING, **kw):
        return self.call("POST", path, json, **kw)

    def patch(self, path, json: Any = _MISSING, **kw):
        return self.call("PATCH", path, json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


def ok(response, status: int = 200):
    """The JSON of an answer that must have ``status`` (the answer shown when not)."""
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def check_against_document(app, method: str, full_path: str, response) -> None:
    """The answer's status is documented for the operation and its body validates."""
    adapter = app.url_map.bind("localhost")
    rule, _args = adapter.match(full_path, method=method.upper(), return_rule=True)
    path = doc_path(rule.rule)
    operation = document()["paths"][path][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], (
        f"{method} {path} answered {status}, not documented: {response.get_data(as_text=True)}"
    )
    SEEN.add((path, method.lower(), response.status_code))
    described = operation["responses"][status]
    pointer = ["paths", path, method.lower(), "responses", status]
    if "$ref" in described:
        name = described["$ref"].rsplit("/", 1)[-1]
        described = document()["components"]["responses"][name]
        pointer = ["components", "responses", name]
        if name == "Unauthorized":
            assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    if "content" not in described:
        assert response.get_data() == b"", f"{method} {path}: {status} must have no body"
        return
    if "application/json" not in described["content"]:
        # a file (a contact's photo): one of the documented media types, not JSON
        assert response.mimetype in described["content"], (
            f"{method} {path} {status}: {response.mimetype} is not documented")
        return
    assert response.is_json, f"{method} {path}: {status} is not JSON"
    validator = _validator(_pointer(*pointer, "content", "application/json", "schema"))
    errors = sorted(validator.iter_errors(response.get_json()), key=str)
    assert not errors, f"{method} {path} {status}: {errors[0].message} in {response.get_json()}"


# -- a small organisation ----------------------------------------------------------------


@attrs.define
class Org:
    system: Any
    director: Any
    dep_a: Any
    dep_b: Any
    sub_a: Any
    proj_p: Any
    proj_q: Any
    admin_a: Any
    mgmt_p: Any
    plain: Any
    worker_a: Any
    worker_b: Any
    stype: Any
    tokens: dict[str, str] = attrs.Factory(dict)

    def api(self, app, who: str) -> Api:
        return Api(app, self.tokens[who])


def build_org(system, director) -> Org:
    """Departments A (with sub-department A1) and B, projects P and Q; an Administrator
    of A, a Management of P, an employee without a role, and a worker in A and in B."""
    org, access, auth = system.app.org, system.app.access, system.app.auth
    d = director.id
    dep_a = org.create_department(d, {"name": "Отдел продаж"})
    dep_b = org.create_department(d, {"name": "Бухгалтерия"})
    sub_a = org.create_department(d, {"name": "Группа опта", "parent_id": dep_a.id})
    proj_p = org.create_project(d, {"name": "Поставки оборудования"})
    proj_q = org.create_project(d, {"name": "Сервисные контракты"})

    def person(login, name, dep):
        return org.add_employee(d, {"login": login, "password": "password-1",
                                    "full_name": name, "department_id": dep.id,
                                    "email": f"{login}@example.com"})

    admin_a = person("admin.a", "Смирнова Анна Петровна", dep_a)
    mgmt_p = person("mgmt.p", "Кузнецов Олег Викторович", dep_b)
    plain = person("plain", "Васильев Пётр Ильич", dep_a)
    worker_a = person("worker.a", "Фёдоров Илья Андреевич", dep_a)
    worker_b = person("worker.b", "Морозова Ольга Игоревна", dep_b)
    access.grant(d, admin_a.id, "administrator", ObjectRef("department", dep_a.id))
    access.grant(d, mgmt_p.id, "management", ObjectRef("project", proj_p.id))
    stype = org.create_service_type(d, {"code": "install", "name": "Монтаж"})
    result = Org(system, director, dep_a, dep_b, sub_a, proj_p, proj_q, admin_a, mgmt_p,
                 plain, worker_a, worker_b, stype)
    for who, emp in (("director", director), ("admin_a", admin_a), ("mgmt_p", mgmt_p),
                     ("plain", plain), ("worker_a", worker_a), ("worker_b", worker_b)):
        result.tokens[who] = auth.create_api_token(d, emp.id, f"tests {who}")[1]
    return result


# -- "nothing changed" --------------------------------------------------------------------

#: Tables a forbidden request must leave as they were (sessions and login throttles are
#: bookkeeping of authentication, not data).
DATA_TABLES = (t.company, t.departments, t.projects, t.employees, t.service_types, t.services,
               t.role_assignments, t.messages, t.api_tokens)


def snapshot(system) -> dict[str, Any]:
    with system.engine.connect() as conn:
        shot: dict[str, Any] = {
            table.name: [tuple(row) for row in conn.execute(select(table).order_by(table.c.id))]
            for table in DATA_TABLES
        }
        shot["history rows"] = conn.scalar(select(func.count()).select_from(t.history))
        shot["outbox rows"] = conn.scalar(select(func.count()).select_from(t.outbox))
    return shot


def history_count(system) -> int:
    with system.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM history"))


# -- one organisation per module, copied per test -------------------------------------------


def make_org_template(base_dir: Path, migrated_db: Path):
    """Build the organisation once into a database file; tests copy the file (fast).
    Ids and API tokens are the same in every copy."""
    from tests.conftest import found, make_system

    path = base_dir / "org.db"
    shutil.copy(migrated_db, path)
    system = make_system(f"sqlite:///{path}", base_dir)
    try:
        org = build_org(system, found(system))
    finally:
        system.close()
    return path, org


@contextmanager
def copy_of(template, tmp_path: Path):
    """(org, app) on a fresh copy of a template database."""
    from ecrm_web.app import create_app
    from tests.conftest import make_system

    path, org = template
    target = tmp_path / "ecrm.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            shutil.copy(f"{path}{suffix}", f"{target}{suffix}")
    system = make_system(f"sqlite:///{target}", tmp_path)
    try:
        yield attrs.evolve(org, system=system), create_app(system, {"TESTING": True})
    finally:
        system.close()
