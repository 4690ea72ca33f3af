"""Core helpers the web UI asks before it shows a button or a tab: ``allowed`` on a
container for a kind of object inside it, ``allowed_each`` for a list page, the
administrators' ``is_administrator``, related clients (CP-11) and pending "assign
responsible" requests (CP-6)."""

from __future__ import annotations

import pytest

from ecrm_core.access.model import Action
from ecrm_core.kernel.errors import NotFound, ValidationFailed
from tests.fakes import fake_app


@pytest.fixture
def world():
    app, _storage = fake_app()
    director = app.org.found_company("ООО «Альфа»", {
        "login": "director", "password": "director-pass", "full_name": "Директор Д. Д."})
    sales = app.org.create_department(director.id, {"name": "Продажи"})
    curator = app.org.add_employee(director.id, {
        "login": "curator", "password": "password-1", "full_name": "Куратор К. К.",
        "department_id": str(sales.id)})
    clerk = app.org.add_employee(director.id, {
        "login": "clerk", "password": "password-1", "full_name": "Клерк К. К."})
    admin = app.org.add_employee(director.id, {
        "login": "admin", "password": "password-1", "full_name": "Админ А. А.",
        "department_id": str(sales.id)})
    app.access.grant(director.id, admin.id, "administrator", sales.ref)
    top = app.catalogs.create(director.id, {"name": "Клиенты"})
    mine = app.catalogs.create(director.id, {"name": "Мой", "parent_id": str(top.id),
                                             "curator_id": str(curator.id)})
    company = app.org.company()
    return {"app": app, "director": director, "curator": curator, "clerk": clerk,
            "admin": admin, "top": top, "mine": mine, "company": company}


def test_allowed_inside_a_container(world):
    app, w = world["app"], world
    access = app.access
    assert access.allowed(w["director"].id, Action.CREATE, w["company"].ref, kind="catalog")
    assert not access.allowed(w["curator"].id, Action.CREATE, w["company"].ref, kind="catalog")
    assert access.allowed(w["curator"].id, Action.CREATE, w["mine"].ref, kind="counterparty")
    assert not access.allowed(w["curator"].id, Action.CREATE, w["top"].ref,
                              kind="counterparty")
    assert not access.allowed(w["clerk"].id, Action.CREATE, w["mine"].ref, kind="counterparty")
    # Without a kind: the ref's own kind, as before.
    assert access.allowed(w["curator"].id, Action.EDIT, w["mine"].ref)
    assert not access.allowed(w["curator"].id, Action.EDIT, w["top"].ref)


def test_allowed_each_and_is_administrator(world):
    app, w = world["app"], world
    a = app.counterparties.register(w["director"].id, {
        "catalog_id": str(w["mine"].id), "type": "legal_entity", "name": "Ромашка"})
    b = app.counterparties.register(w["director"].id, {
        "catalog_id": str(w["top"].id), "type": "legal_entity", "name": "Василёк"})
    allowed = app.access.allowed_each(w["curator"].id, Action.DELETE, [a.ref, b.ref])
    assert allowed == {a.ref}
    assert app.access.allowed_each(w["clerk"].id, Action.DELETE, [a.ref, b.ref]) == set()
    assert app.access.policy(w["director"].id).is_administrator
    assert app.access.policy(w["admin"].id).is_administrator
    assert not app.access.policy(w["curator"].id).is_administrator


def test_related_clients_and_pending_assignments(world):
    app, w = world["app"], world
    director = w["director"].id
    parent = app.counterparties.register(director, {
        "catalog_id": str(w["top"].id), "type": "legal_entity", "name": "Холдинг"})
    for name in ("Филиал Б", "Филиал А"):
        app.counterparties.register(director, {
            "catalog_id": str(w["top"].id), "type": "legal_entity", "name": name,
            "parent_id": str(parent.id)})
    page = app.counterparties.related(w["clerk"].id, parent.id)
    assert [r.counterparty.name for r in page.rows] == ["Филиал А", "Филиал Б"]
    assert page.total == 2 and page.pages == 1
    with pytest.raises(NotFound):
        app.counterparties.related(director, 99999)
    with pytest.raises(ValidationFailed):
        app.counterparties.related(director, parent.id, page="x")

    assert app.counterparties.pending_assignments(director, parent.id) == []
    request = app.counterparties.assign_responsible(director, parent.id, {
        "employee_id": str(w["curator"].id)})
    pending = app.counterparties.pending_assignments(w["clerk"].id, parent.id)
    assert [p.id for p in pending] == [request.id]


@pytest.mark.parametrize("value", ["²", "12³", "٣", "⑦"])
def test_ids_with_unicode_digits_are_refused_not_crashed(value):
    """"²".isdigit() is true, but int() refuses it: such ids are a field message."""
    from ecrm_core.kernel.fields import Fields

    fields = Fields()
    assert fields.ident({"parent_id": value}, "parent_id") is None
    assert fields.errors == {"parent_id": "must be an id (a whole number)"}
