"""Random text posted to the employee and department forms never gives a 5xx: the answer
is a redirect (saved) or a 4xx page with field messages."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import sign_in

#: Any text a browser can send (no lone surrogates: they cannot be encoded as UTF-8).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
#: Ids and near-ids, where random text rarely lands.
IDISH = st.one_of(TEXT, st.integers(-5, 10**20).map(str), st.just(""))

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _form(draw_from: dict) -> st.SearchStrategy:
    return st.fixed_dictionaries({}, optional=draw_from)


EMPLOYEE_FIELDS = {
    "login": TEXT, "password": TEXT, "full_name": TEXT, "email": TEXT, "phone": TEXT,
    "position": TEXT, "department_id": IDISH, "head_id": IDISH, "locale": TEXT,
    "timezone": TEXT, "version": IDISH, "active": TEXT,
}
DEPARTMENT_FIELDS = {
    "name": TEXT, "description": TEXT, "parent_id": IDISH, "head_id": IDISH, "version": IDISH,
}


def _check(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    assert response.status_code in (200, 201, 303, 400, 403, 404, 409, 422)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    if response.status_code == 422:
        assert re.search(r'class="(field-error|alert alert-error)"', body)


@SETTINGS
@given(data=_form(EMPLOYEE_FIELDS))
def test_random_employee_forms(ui_app, world, data):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    _check(client.post("/admin/employees", data=data))
    _check(client.post(f"/admin/employees/{world['clerk'].id}/edit", data=data))
    _check(client.post(f"/admin/employees/{world['clerk'].id}/password", data=data))
    _check(client.post("/me", data=data))
    # Pages that show the employees still render whatever was saved.
    _check(client.get(f"/employees/{world['clerk'].id}/history"))
    _check(client.get("/admin/employees"))


@SETTINGS
@given(data=_form(DEPARTMENT_FIELDS))
def test_random_department_forms(ui_app, world, data):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    _check(client.post("/admin/departments", data=data))
    _check(client.post(f"/admin/departments/{world['support'].id}/edit", data=data))
    _check(client.get("/admin/departments"))
    _check(client.get(f"/departments/{world['support'].id}/history"))


@SETTINGS
@given(data=_form({"employee_id": IDISH, "role": TEXT, "scope": TEXT, "project_id": IDISH,
                   "service_type_id": IDISH, "reason": TEXT, "answer": TEXT, "name": TEXT,
                   "code": TEXT, "available": TEXT, "owner_kind": TEXT, "owner_id": IDISH}))
def test_random_other_forms(ui_app, world, system, data):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    sales = world["sales"].id
    _check(client.post("/admin/roles", data=data))
    _check(client.post("/admin/service-types", data=data))
    _check(client.post(f"/admin/services/department/{sales}", data=data))
    _check(client.post("/admin/services/item/1/availability", data=data))
    _check(client.post("/me/tokens", data=data))
    request = system.app.messages.request_confirmation(
        world["clerk"].id, world["director"].id, "Подтвердите")
    _check(client.post(f"/me/messages/{request.id}/answer", data=data))
    _check(client.get("/me/messages/poll", query_string={"after": data.get("owner_id", "")}))
    _check(client.get("/search/advanced", query_string=data))
    _check(client.get("/search", query_string={"q": data.get("name", "")}))
