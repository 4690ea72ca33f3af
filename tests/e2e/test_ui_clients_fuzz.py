"""Random text posted to the client-base forms and query strings never gives a 5xx: the
answer is a redirect (saved), a page, or a 4xx page with its messages (CP-4)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import sign_in

#: the fixtures cl, as_boss, as_curator, as_manager, as_other, as_administrator
pytest_plugins = ["tests.e2e.ui_clients_fixtures"]

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
IDISH = st.one_of(TEXT, st.integers(-5, 10**20).map(str), st.just(""))
DIGITS = st.text(alphabet="0123456789 -", max_size=16)
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

CARD = {
    "catalog_id": IDISH, "type": st.one_of(TEXT, st.sampled_from(
        ["legal_entity", "individual", "sole_proprietor"])),
    "name": TEXT, "full_name": TEXT, "inn": st.one_of(TEXT, DIGITS), "kpp": TEXT,
    "ogrn": st.one_of(TEXT, DIGITS), "legal_address": TEXT, "postal_address": TEXT,
    "phone": st.one_of(TEXT, DIGITS), "sms_phone": TEXT, "email": TEXT,
    "mailing_email": TEXT, "status": TEXT, "parent_id": IDISH, "okved": TEXT, "head": TEXT,
    "export_1c": TEXT, "version": IDISH, "proceed": TEXT, "use_parent": IDISH,
}
OTHER = {
    "q": TEXT, "page": IDISH, "name": TEXT, "description": TEXT, "parent_id": IDISH,
    "open_after": TEXT, "catalog_id": IDISH, "version": IDISH, "full_name": TEXT,
    "position": TEXT, "birthday": TEXT, "phones": TEXT, "emails": TEXT, "note": TEXT,
    "employee_id": IDISH, "project_id": IDISH, "inn": TEXT, "type": TEXT, "status": TEXT,
    "manager_id": IDISH, "created_from": TEXT, "created_to": TEXT, "deleted": TEXT,
    "next": TEXT, "export_1c": TEXT,
}


def _check(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    assert response.status_code in (200, 303, 403, 404, 409, 422, 503)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    if response.status_code == 422:
        assert re.search(r'class="(field-error|alert alert-error)', body)


def _form(fields: dict) -> st.SearchStrategy:
    return st.fixed_dictionaries({}, optional=fields)


@SETTINGS
@given(data=_form(CARD))
def test_random_card_forms(ui_app, cl, data):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    _check(client.post("/counterparties/new", data=data))
    _check(client.post("/counterparties/new/egrul", data=data))
    _check(client.post("/counterparties/new/refill", data=data))
    _check(client.post(f"/counterparties/{cl.x.id}/edit", data=data))
    _check(client.post(f"/counterparties/{cl.x.id}/edit/egrul", data=data))
    _check(client.post(f"/counterparties/{cl.x.id}/export-1c", data=data))
    _check(client.get("/counterparties/new", query_string=data))
    _check(client.get(f"/counterparties/{cl.x.id}/history"))
    _check(client.get(f"/counterparties/catalogs/{cl.nsk.id}"))


@SETTINGS
@given(data=_form(OTHER))
def test_random_other_forms_and_queries(ui_app, cl, data):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    _check(client.post("/counterparties/catalogs", data=data))
    _check(client.post(f"/counterparties/catalogs/{cl.msk.id}/edit", data=data))
    _check(client.post(f"/counterparties/{cl.x.id}/contacts", data=data))
    _check(client.post(f"/counterparties/{cl.x.id}/contacts/{cl.contact.id}/edit", data=data))
    _check(client.post(f"/counterparties/{cl.x.id}/assign", data=data))
    _check(client.post(f"/counterparties/{cl.y.id}/move", data=data))
    _check(client.get(f"/counterparties/{cl.y.id}/move", query_string=data))
    _check(client.post(f"/counterparties/{cl.y.id}/delete", data=data))
    _check(client.post(f"/counterparties/{cl.y.id}/restore", data=data))
    _check(client.get("/counterparties/search", query_string=data))
    _check(client.get("/counterparties/search/advanced", query_string=data))
    _check(client.get("/counterparties/lookup", query_string=data))
    _check(client.get(f"/counterparties/catalogs/{cl.nsk.id}", query_string=data))
    _check(client.get(f"/counterparties/{cl.x.id}/related", query_string=data))
    _check(client.post("/counterparties/import", data=data))
