"""Bad input never gives a 500 (issue 2 acceptance): hypothesis throws generated JSON
at every write endpoint of /api/v1 - random objects with random keys and values of
random types, the real field names with wrong types, lengths, NUL characters, lone
surrogates and huge numbers, non-objects and non-JSON bodies, malformed ids in the
path - and generated query strings at the filtering endpoints.

Every answer must be below 500, documented for its operation and valid against the
documented schema; 422 answers name the offending fields."""

from __future__ import annotations

import json
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.api_support import Api, check_against_document, copy_of, make_org_template

EXAMPLES = 40

NASTY_TEXT = [
    "", " ", "\x00", "a\x00b", "x" * 300, "я" * 5000, "\ud800", "a\udfffb",
    "department:1", "department:abc", "project:1", "employee:2", "company:1",
    "employee:99999999999999999999", "1", "-1", "0", "1.5", "true", "false", "null",
    "<script>alert(1)</script>", "' OR 1=1 --", "%s%s%n", "{}", "[]", "ru", "en",
    "Europe/Moscow", "Mars/Olympus", "director", "administrator", "management",
    "notification", "confirmation", "reminder", "login.name", "user@example.com",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10, max_value=12),
    st.integers(),
    st.integers(min_value=2**62, max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(NASTY_TEXT),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=8,
)


#: Stands for the target's current version in a base payload (filled in per example).
NOW = "<current version>"


def payloads(names: tuple[str, ...], base: dict | None):
    """Bodies: mostly objects (the endpoint's own field names with any values, random
    keys, both, or a valid body with one field replaced), sometimes other JSON or no
    JSON at all. Objects stay dicts here and are serialised per example."""
    own = st.dictionaries(st.sampled_from(names), json_values, max_size=len(names)) \
        if names else st.just({})
    random = st.dictionaries(st.text(max_size=12), json_values, max_size=5)
    mixed = st.builds(lambda a, b: {**a, **b}, random, own)
    choices = [own, mixed, random]
    if base is not None:
        one_off = st.builds(lambda key, value: {**base, key: value},
                            st.sampled_from(names), json_values)
        choices += [one_off, one_off, one_off, st.just(base)]
    return st.one_of(
        st.one_of(*choices),
        st.one_of(*choices),
        json_values.map(json.dumps),
        st.binary(max_size=40),
        st.sampled_from(["", "{", '{"a": NaN}', '{"a": 1e400}', "[" * 5000, "\ufeff{}"]),
    )


path_ids = st.one_of(
    st.integers(min_value=1, max_value=12).map(str),
    st.sampled_from(["0", "-1", "abc", "1.5", "9" * 30, "%00", "1%20", "%D9%A3", "1e3"]),
)

#: (method, path, field names the endpoint reads)
EMPLOYEE_FIELDS = ("version", "full_name", "email", "phone", "position", "department_id",
                   "head_id", "locale", "timezone", "active")
WRITES = [
    ("PATCH", "/me", EMPLOYEE_FIELDS, {"version": NOW, "phone": "+7 495 000-00-00"}),
    ("POST", "/me/password", ("password", "current_password"),
     {"current_password": "director-pass", "password": "director-pass"}),
    ("PATCH", "/company", ("version", "name"), {"version": NOW, "name": "ООО «Фазз»"}),
    ("POST", "/employees", ("login", "password", *EMPLOYEE_FIELDS[1:]),
     {"login": "fuzz", "password": "password-1", "full_name": "Фаззер", "department_id": 1}),
    ("PATCH", "/employees/{id}", EMPLOYEE_FIELDS, {"version": NOW, "position": "Инженер"}),
    ("POST", "/employees/{id}/password", ("password", "current_password"),
     {"password": "password-1"}),
    ("POST", "/employees/{id}/disable", (), None),
    ("POST", "/employees/{id}/enable", (), None),
    ("POST", "/departments", ("name", "description", "parent_id", "head_id"),
     {"name": "Отдел", "parent_id": 1}),
    ("PATCH", "/departments/{id}", ("version", "name", "description", "parent_id", "head_id"),
     {"version": NOW, "name": "Отдел"}),
    ("POST", "/projects", ("name", "description", "active"), {"name": "Проект"}),
    ("PATCH", "/projects/{id}", ("version", "name", "description", "active"),
     {"version": NOW, "description": "Описание"}),
    ("POST", "/service-types", ("code", "name", "description"), {"code": "c1", "name": "Тип"}),
    ("PATCH", "/service-types/{id}", ("version", "name", "description", "active"),
     {"version": NOW, "name": "Тип"}),
    ("POST", "/services", ("owner", "service_type_id"),
     {"owner": "employee:5", "service_type_id": 1}),
    ("PATCH", "/services/{id}", ("available",), {"available": True}),
    ("POST", "/services/{id}/close", (), None),
    ("POST", "/role-assignments", ("employee_id", "role", "scope", "project_id"),
     {"employee_id": 4, "role": "administrator", "scope": "department:1"}),
    ("DELETE", "/role-assignments/{id}", (), None),
    ("POST", "/messages", ("recipient_id", "kind", "text"), {"recipient_id": 2, "text": "Да"}),
    ("POST", "/messages/{id}/read", (), None),
    ("POST", "/messages/{id}/confirm", ("reason",), {"reason": ""}),
    ("POST", "/messages/{id}/refuse", ("reason",), {"reason": "Нет"}),
    ("POST", "/tokens", ("name", "employee_id"), {"name": "скрипт"}),
    ("DELETE", "/tokens/{id}", (), None),
]

#: (path, query parameter names)
READS = [
    ("/employees", ("department_id", "active", "q")),
    ("/services", ("owner", "include_closed")),
    ("/role-assignments", ("employee_id", "scope")),
    ("/messages", ("unread", "after_id", "page", "per_page")),
    ("/history/{kind}/{id}", ("limit", "offset")),
]

FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_org_template(tmp_path_factory.mktemp("api-fuzz"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    with copy_of(template, tmp_path) as (org, app):
        seed_messages(org)
        yield org, app


def seed_messages(org) -> None:
    messages = org.system.app.messages
    for _ in range(3):
        messages.request_confirmation(org.admin_a.id, org.director.id, "Подтвердите")
        messages.send(org.worker_a.id, {"recipient_id": org.director.id, "text": "Привет"})


def _fresh_director(org, app) -> Api:
    """A new token per example: a generated DELETE /tokens/{id} may revoke the last one."""
    _record, token = org.system.app.auth.create_api_token(org.director.id, org.director.id,
                                                          "fuzz")
    return Api(app, token)


def check(app, method: str, path: str, response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 308:
        # the router's answer to "//" in a path (a generated kind holding "/")
        assert "//" in unquote(path) and response.headers["Location"]
        return
    body = response.get_json(silent=True)
    if response.status_code == 422:
        assert isinstance(body["fields"], dict) and body["fields"], body
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in body["fields"].items())
    if response.status_code == 400:
        assert "body" in body["fields"], body
    check_against_document(app, method, "/api/v1" + path, response)


def _current_version(api: Api, path: str):
    """The version a well-behaved client would send: read the target first."""
    if path.startswith("/service-types/"):
        found = api.get("/service-types", check=False).get_json()["items"]
        ident = path.rsplit("/", 1)[-1]
        return next((t["version"] for t in found if str(t["id"]) == ident), 1)
    response = api.get(path, check=False)
    return response.get_json()["version"] if response.status_code == 200 else 1


def _serialise(api: Api, path: str, body):
    if not isinstance(body, dict):
        return body
    if body.get("version") == NOW:
        body = {**body, "version": _current_version(api, path)}
    return json.dumps(body)


def fuzz_write(org, app, method: str, template_path: str, names, base) -> None:
    @FUZZ
    @given(body=payloads(names, base), ident=path_ids)
    def run(body, ident):
        api = _fresh_director(org, app)
        path = template_path.replace("{id}", ident)
        response = api.call(method, path, data=_serialise(api, path, body), check=False)
        check(app, method, path, response)

    run()


def fuzz_read(org, app, template_path: str, names) -> None:
    values = st.one_of(scalars.map(str), st.sampled_from(NASTY_TEXT)).filter(
        lambda v: not any("\ud800" <= ch <= "\udfff" for ch in v)
    )
    queries = st.dictionaries(st.one_of(st.sampled_from(names), st.text(max_size=8)), values,
                              max_size=len(names) + 1)
    kinds = st.one_of(st.sampled_from(["employee", "department", "project", "message",
                                       "service", "company", "role_assignment"]),
                      st.text(min_size=1, max_size=12))

    @FUZZ
    @given(query=queries, ident=path_ids, kind=kinds)
    def run(query, ident, kind):
        api = _fresh_director(org, app)
        path = template_path.replace("{id}", ident).replace("{kind}", quote(kind, safe=""))
        response = api.call("GET", path, query=query, check=False)
        check(app, "GET", path, response)

    run()


@pytest.mark.parametrize("method, template_path, names, base", WRITES,
                         ids=[f"{m} {p}" for m, p, _, _ in WRITES])
def test_generated_bodies_never_break_a_write_endpoint(world, method, template_path, names,
                                                       base):
    org, app = world
    fuzz_write(org, app, method, template_path, names, base)


@pytest.mark.parametrize("template_path, names", READS, ids=[p for p, _ in READS])
def test_generated_query_strings_never_break_a_read_endpoint(world, template_path, names):
    org, app = world
    fuzz_read(org, app, template_path, names)
