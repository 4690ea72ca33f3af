"""Rights on sales documents through the API (issue 5: the core's one policy, CON, REQ,
INV-3, DOC-1, PRD-3). Card X lies in catalog «Новосибирск», curated by worker_a; its
client manager is worker_b. Who works a client works its documents (CLIENT_WORK):
contracts, requests, invoices, payments, acts, files. The invoice manager (inv_mgr) of
invoice J edits and moves J, registers and deletes its payments and attaches its files —
nothing else. Sales management (sales_mgr) sees every client's documents and sets prices.
Reference books are the Director's and Administrators' (admin_a). A colleague without a
role (plain) sees the client's documents and changes nothing; a disabled employee (gone,
once X's client manager) is not even authenticated (401: AUTH-1, their tokens stop
working).

A refused action answers 403 (401 for the disabled employee) and leaves every data table
— the organisation's, the client base's, the tasks', the sales' — the history, the outbox
and the stored files as they were; an allowed change leaves history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from tests.conftest import found, make_system
from tests.e2e.api_support import Api, build_org
from tests.e2e.clients_support import build_clients
from tests.e2e.sales_support import (
    DAY,
    PDF,
    build_sales,
    copy_sales,
    happy_run_sales,
    make_sales_template,
    sales_snapshot,
    upload,
)

#: actor -> login of their token
ACTORS = {"director": "director", "curator": "worker_a", "manager": "worker_b",
          "invoice_manager": "inv_mgr", "sales": "sales_mgr", "colleague": "plain",
          "disabled": "gone", "admin": "admin_a"}
EVERYONE = frozenset(ACTORS) - {"disabled"}
CLIENT_WORK = frozenset({"director", "curator", "manager"})
INVOICE_J = CLIENT_WORK | {"invoice_manager"}
BOOKS = frozenset({"director", "admin"})
PRICES = BOOKS | {"sales"}


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_sales_template(tmp_path_factory.mktemp("api-sales-policy"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    with copy_sales(template, tmp_path) as found_world:
        yield found_world


@attrs.frozen
class Case:
    name: str
    allowed: frozenset[str]
    call: Callable[..., Any]
    changes: bool = True


def _v(o, kind: str, ident: int) -> int:
    """The current version of a sales object, read as the Director."""
    app, d = o.system.app, o.director.id
    getter = {"contract": app.contracts.get, "request": app.requests.get,
              "invoice": app.invoices.get}[kind]
    return getter(d, ident).version


def _book(o, kind: str) -> Any:
    app, d = o.system.app, o.director.id
    return {"price_type": lambda: app.products.price_types(d)[0],
            "state_set": lambda: next(s for s in app.state_sets.state_sets(d)
                                      if s.code == "request")}[kind]()


CASES = [
    # seeing: a client's documents are seen by everyone who sees the client
    Case("view contract C and its summary", EVERYONE,
         lambda api, o, c, s: api.get(f"/contracts/{s.contract.id}/summary"), changes=False),
    Case("view request R", EVERYONE,
         lambda api, o, c, s: api.get(f"/requests/{s.request.id}"), changes=False),
    Case("view invoice J", EVERYONE,
         lambda api, o, c, s: api.get(f"/invoices/{s.issued.id}"), changes=False),
    Case("view the invoices of X", EVERYONE,
         lambda api, o, c, s: api.get(f"/counterparties/{c.x.id}/invoices"), changes=False),
    Case("view the settlement of X", EVERYONE,
         lambda api, o, c, s: api.get(f"/counterparties/{c.x.id}/settlement"),
         changes=False),
    Case("view the payments of J", EVERYONE,
         lambda api, o, c, s: api.get(f"/invoices/{s.issued.id}/payments"), changes=False),
    # REQ-1: its author and assignee (worker_b), their heads, the Director — and Sales
    # management over them (on the Company here)
    Case("view worker_b's internal request", {"director", "manager", "sales"},
         lambda api, o, c, s: api.get(f"/requests/{s.internal.id}"), changes=False),
    Case("download document D of X", EVERYONE,
         lambda api, o, c, s: api.get(f"/documents/{s.document.id}/content"), changes=False),
    Case("download document E of J", EVERYONE,
         lambda api, o, c, s: api.get(f"/documents/{s.invoice_document.id}/content"),
         changes=False),
    Case("view the price list", EVERYONE,
         lambda api, o, c, s: api.get(f"/items/{s.router.id}/prices"), changes=False),
    # contracts
    Case("create a contract for X", CLIENT_WORK,
         lambda api, o, c, s: api.post(f"/counterparties/{c.x.id}/contracts", {
             "contract_type_id": s.services.id, "subject": "Телефония"})),
    Case("edit contract C", CLIENT_WORK,
         lambda api, o, c, s: api.patch(f"/contracts/{s.contract.id}", {
             "version": _v(o, "contract", s.contract.id), "subject": "Интернет и ТВ"})),
    Case("delete draft contract C2", CLIENT_WORK,
         lambda api, o, c, s: api.delete(f"/contracts/{s.draft.id}", query={
             "version": _v(o, "contract", s.draft.id)})),
    # requests (a request is never deleted: it is cancelled)
    Case("create a request for X", CLIENT_WORK,
         lambda api, o, c, s: api.post("/requests", {"counterparty_id": c.x.id,
                                                     "subject": "Выезд инженера"})),
    Case("edit request R", CLIENT_WORK,
         lambda api, o, c, s: api.patch(f"/requests/{s.request.id}", {
             "version": _v(o, "request", s.request.id), "description": "Срочно"})),
    Case("transition request R to in work", CLIENT_WORK,
         lambda api, o, c, s: api.post(f"/requests/{s.request.id}/transitions", {
             "to_state": "in_work", "version": _v(o, "request", s.request.id)})),
    Case("cancel request R", CLIENT_WORK,
         lambda api, o, c, s: api.post(f"/requests/{s.request.id}/transitions", {
             "to_state": "cancelled", "reason": "Клиент передумал",
             "version": _v(o, "request", s.request.id)})),
    # invoices
    Case("create an invoice for X", CLIENT_WORK,
         lambda api, o, c, s: api.post("/invoices", {
             "counterparty_id": c.x.id, "issued_on": DAY,
             "lines": [{"item_id": s.setup.id, "quantity": 1}]})),
    Case("edit invoice J", INVOICE_J,
         lambda api, o, c, s: api.patch(f"/invoices/{s.issued.id}", {
             "version": _v(o, "invoice", s.issued.id), "note": "Оплатить до 20-го"})),
    Case("transition invoice J (cancel it)", INVOICE_J,
         lambda api, o, c, s: api.post(f"/invoices/{s.issued.id}/transitions", {
             "to_state": "cancelled", "reason": "Ошибка в счёте",
             "version": _v(o, "invoice", s.issued.id)})),
    Case("edit draft invoice I", CLIENT_WORK,
         lambda api, o, c, s: api.patch(f"/invoices/{s.invoice.id}", {
             "version": _v(o, "invoice", s.invoice.id),
             "lines": [{"item_id": s.setup.id, "quantity": 3}]})),
    Case("transition draft invoice I to issued", CLIENT_WORK,
         lambda api, o, c, s: api.post(f"/invoices/{s.invoice.id}/transitions", {
             "to_state": "issued", "version": _v(o, "invoice", s.invoice.id)})),
    Case("delete draft invoice I", CLIENT_WORK,
         lambda api, o, c, s: api.delete(f"/invoices/{s.invoice.id}", query={
             "version": _v(o, "invoice", s.invoice.id)})),
    # payments and acts
    Case("register a payment against J", INVOICE_J,
         lambda api, o, c, s: api.post(f"/invoices/{s.issued.id}/payments", {
             "amount": "500", "paid_on": DAY})),
    Case("delete payment P of J", INVOICE_J,
         lambda api, o, c, s: api.delete(f"/payments/{s.payment.id}", query={
             "version": s.payment.version})),
    Case("register an act for X", CLIENT_WORK,
         lambda api, o, c, s: api.post(f"/counterparties/{c.x.id}/acts", {
             "invoice_id": s.issued.id, "act_on": DAY})),
    # documents
    Case("upload a document to X", CLIENT_WORK,
         lambda api, o, c, s: upload(api, f"/counterparties/{c.x.id}/documents",
                                     "письмо.pdf", PDF)),
    Case("upload a document to J", INVOICE_J,
         lambda api, o, c, s: upload(api, f"/invoices/{s.issued.id}/documents",
                                     "платёжка.pdf", PDF + b"%J")),
    Case("delete document D of X", CLIENT_WORK,
         lambda api, o, c, s: api.delete(f"/documents/{s.document.id}", query={
             "version": s.document.version})),
    Case("delete document E of J", INVOICE_J,
         lambda api, o, c, s: api.delete(f"/documents/{s.invoice_document.id}", query={
             "version": s.invoice_document.version})),
    # reference books
    Case("edit reference books: add an item", BOOKS,
         lambda api, o, c, s: api.post("/items", {"name": "Кабель UTP", "unit": "м"})),
    Case("edit reference books: rename a price type", BOOKS,
         lambda api, o, c, s: api.patch(f"/price-types/{_book(o, 'price_type').id}", {
             "version": _book(o, "price_type").version, "name": "Базовая"})),
    Case("edit reference books: add a contract type", BOOKS,
         lambda api, o, c, s: api.post("/contract-types", {"code": "lease",
                                                           "name": "Аренда"})),
    Case("edit reference books: rename a state set", BOOKS,
         lambda api, o, c, s: api.patch(f"/state-sets/{_book(o, 'state_set').id}", {
             "version": _book(o, "state_set").version, "name": "Заявки клиентов"})),
    # prices
    Case("set a price", PRICES,
         lambda api, o, c, s: api.post("/prices", {
             "item_id": s.setup.id, "price_type_id": s.retail.id,
             "valid_from": "2026-06-01", "amount": "1 700"})),
    Case("set prices: correct a price", PRICES,
         lambda api, o, c, s: api.patch(f"/prices/{_price(o, s).id}", {
             "version": _price(o, s).version, "amount": "1 550"})),
]


def _price(o, s):
    return o.system.app.products.prices(o.director.id, s.setup.id)[0]


READS = [c for c in CASES if not c.changes]
WRITES = [c for c in CASES if c.changes]


def _check(action: Case, actor: str, response, before, after) -> None:
    if actor in action.allowed:
        assert response.status_code in (200, 201, 204), (action.name, response.get_json())
        if action.changes:
            assert after["history rows"] > before["history rows"], "a change leaves history"
        else:
            assert after == before, action.name
        return
    expected = 401 if actor == "disabled" else 403
    assert response.status_code == expected, (action.name, response.get_json())
    assert response.get_json()["error"] == ("unauthorized" if expected == 401
                                            else "forbidden")
    assert after == before, f"a refused action changed something: {action.name}"


@pytest.mark.parametrize("actor", list(ACTORS))
def test_sales_policy_matrix_of_reads(world, actor: str):
    """The reads change nothing, so one world serves them all."""
    org, app, clients, sales = world
    api = Api(app, org.tokens[ACTORS[actor]])
    for action in READS:
        before = sales_snapshot(org.system)
        response = action.call(api, org, clients, sales)
        _check(action, actor, response, before, sales_snapshot(org.system))


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("action", WRITES, ids=lambda c: c.name)
def test_sales_policy_matrix_of_changes(world, action: Case, actor: str):
    org, app, clients, sales = world
    before = sales_snapshot(org.system)
    response = action.call(Api(app, org.tokens[ACTORS[actor]]), org, clients, sales)
    _check(action, actor, response, before, sales_snapshot(org.system))


def test_the_matrix_covers_every_sales_action():
    names = " | ".join(c.name for c in CASES)
    for what in ("create a contract", "edit contract", "delete draft contract",
                 "create a request", "edit request", "transition request",
                 "create an invoice", "edit invoice", "transition invoice",
                 "delete draft invoice", "register a payment", "delete payment",
                 "upload a document", "download document", "delete document",
                 "edit reference books", "set a price"):
        assert what in names, what


def test_the_invoice_manager_works_only_their_invoice(world):
    """INV-3: the manager of J gets nothing over invoice I of the same client."""
    org, app, _clients, sales = world
    api = Api(app, org.tokens["inv_mgr"])
    before = sales_snapshot(org.system)
    assert api.post(f"/invoices/{sales.invoice.id}/transitions", {
        "to_state": "issued", "version": sales.invoice.version}).status_code == 403
    assert upload(api, f"/invoices/{sales.invoice.id}/documents", "скан.pdf", PDF
                  ).status_code == 403
    assert api.get(f"/invoices/{sales.invoice.id}/options").get_json()["options"] == []
    assert sales_snapshot(org.system) == before
    offered = api.get(f"/invoices/{sales.issued.id}/options").get_json()["options"]
    assert [o["to_state"] for o in offered if o["open"]] == ["cancelled"]


def test_handing_an_invoice_to_a_new_manager_moves_the_right(world):
    org, app, _clients, sales = world
    boss = Api(app, org.tokens["director"])
    current = boss.get(f"/invoices/{sales.issued.id}").get_json()
    assert boss.patch(f"/invoices/{sales.issued.id}", {
        "version": current["version"], "manager_id": org.plain.id}).status_code == 200
    grants = boss.get("/role-assignments", query={"scope": f"invoice:{sales.issued.id}"}
                      ).get_json()["items"]
    assert [(g["role"], g["employee_id"]) for g in grants] == [("invoice_manager",
                                                                org.plain.id)]
    plain, old = Api(app, org.tokens["plain"]), Api(app, org.tokens["inv_mgr"])
    assert plain.post(f"/invoices/{sales.issued.id}/payments", {"amount": "1"}
                      ).status_code == 201
    assert old.post(f"/invoices/{sales.issued.id}/payments", {"amount": "1"}
                    ).status_code == 403


# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def pg_world(pg_url, tmp_path):
    from ecrm_web.app import create_app

    system = make_system(pg_url, tmp_path)
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
        sales = build_sales(org, clients)
        yield org, create_app(system, {"TESTING": True}), clients, sales
    finally:
        system.close()


@pytest.mark.postgres
def test_every_sales_operation_on_postgres(pg_world):
    org, app, _clients, _sales = pg_world
    happy_run_sales(app, org)


@pytest.mark.postgres
@pytest.mark.parametrize("actor", ["colleague", "invoice_manager", "sales", "disabled"])
def test_refusals_change_nothing_on_postgres(pg_world, actor):
    """Through real PostgreSQL transactions: a refused request changes nothing, so one
    world serves every refused case of the actor; the allowed ones are skipped here."""
    org, app, clients, sales = pg_world
    api = Api(app, org.tokens[ACTORS[actor]])
    for action in CASES:
        if actor in action.allowed:
            continue
        before = sales_snapshot(org.system)
        response = action.call(api, org, clients, sales)
        _check(action, actor, response, before, sales_snapshot(org.system))


@pytest.mark.postgres
def test_stale_versions_and_payments_on_postgres(pg_world):
    org, app, clients, sales = pg_world
    boss = Api(app, org.tokens["director"])
    current = boss.get(f"/invoices/{sales.issued.id}").get_json()
    before = sales_snapshot(org.system)
    assert boss.patch(f"/invoices/{sales.issued.id}", {
        "version": current["version"] - 1, "note": "x"}).status_code == 409
    assert sales_snapshot(org.system) == before
    assert boss.post(f"/invoices/{sales.issued.id}/payments", {
        "amount": "9980"}).status_code == 201
    paid = boss.get(f"/invoices/{sales.issued.id}").get_json()
    assert (paid["state"], paid["paid"]) == ("paid", "10980.00")
    assert boss.get(f"/counterparties/{clients.x.id}/settlement").get_json()["status"] \
        == "paid"
