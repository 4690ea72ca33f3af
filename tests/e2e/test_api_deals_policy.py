"""Rights over deals through the API (issue 6: the core's one policy, DEAL-1…DEAL-4,
RPT-4). Card X lies in catalog «Новосибирск», curated by worker_a; its client manager is
worker_b. Who works a client works its deals (CLIENT_WORK: registers, edits, moves,
deletes one registered by mistake, attaches files). The deal manager (deal_mgr) of deals
D and S works those two (edits, moves, attaches files) — and registers or deletes
nothing. Sales management (sales_mgr) sees everyone's figures, moves deals and records
the approvals templates ask for. The reference books (templates, the working-days
calendar) are the Director's and Administrators' (admin_a). A colleague without a role
(plain) sees the client's deals and changes nothing; a disabled employee (gone) is not
even authenticated (401). The board's and the forecast's figures of a manager are seen
by that manager, Sales management and the Director.

A refused action answers 403 (401 for the disabled employee) and leaves every data table
— the organisation's, the client base's, the tasks', the sales', the deals' — the history,
the outbox and the stored files as they were; an allowed change leaves history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from tests.conftest import found, make_system
from tests.e2e.api_support import Api, build_org
from tests.e2e.clients_support import build_clients
from tests.e2e.deals_support import (
    build_deals,
    copy_deals,
    deals_snapshot,
    happy_run_deals,
    make_deals_template,
)
from tests.e2e.sales_support import PDF, build_sales, upload

#: actor -> login of their token
ACTORS = {"director": "director", "curator": "worker_a", "manager": "worker_b",
          "deal_manager": "deal_mgr", "sales": "sales_mgr", "colleague": "plain",
          "disabled": "gone", "admin": "admin_a"}
EVERYONE = frozenset(ACTORS) - {"disabled"}
CLIENT_WORK = frozenset({"director", "curator", "manager"})
DEAL_D = CLIENT_WORK | {"deal_manager", "sales"}
BOOKS = frozenset({"director", "admin"})
#: whose figures of deal_mgr's deals may be read: deal_mgr, Sales management, the Director
FIGURES = frozenset({"director", "deal_manager", "sales"})


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_deals_template(tmp_path_factory.mktemp("api-deals-policy"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    with copy_deals(template, tmp_path) as found_world:
        yield found_world


@attrs.frozen
class Case:
    name: str
    allowed: frozenset[str]
    call: Callable[..., Any]
    changes: bool = True


def _v(o, ident: int) -> int:
    """The current version of a deal, read as the Director."""
    return o.system.app.deals.get(o.director.id, ident).version


def _tv(o, ident: int) -> int:
    return o.system.app.deal_templates.template(o.director.id, ident).template.version


CASES = [
    # seeing: a client's deals are seen by everyone who sees the client
    Case("view deal D", EVERYONE,
         lambda api, o, c, d: api.get(f"/deals/{d.deal.id}"), changes=False),
    Case("view the deals of X", EVERYONE,
         lambda api, o, c, d: api.get(f"/counterparties/{c.x.id}/deals"), changes=False),
    Case("view the stays of D", EVERYONE,
         lambda api, o, c, d: api.get(f"/deals/{d.deal.id}/stays"), changes=False),
    Case("view the planned payments of S", EVERYONE,
         lambda api, o, c, d: api.get(f"/deals/{d.quote.id}/payments"), changes=False),
    Case("view the tasks of D", EVERYONE,
         lambda api, o, c, d: api.get(f"/deals/{d.deal.id}/tasks"), changes=False),
    Case("view the moves offered on D", EVERYONE,
         lambda api, o, c, d: api.get(f"/deals/{d.deal.id}/options"), changes=False),
    Case("view the templates", EVERYONE,
         lambda api, o, c, d: api.get("/deal-templates"), changes=False),
    Case("view a template with its states", EVERYONE,
         lambda api, o, c, d: api.get(f"/deal-templates/{d.connection.id}"), changes=False),
    Case("view the calendar", EVERYONE,
         lambda api, o, c, d: api.get("/calendar-days", query={"year": 2026}),
         changes=False),
    # figures (RPT-4): one's own (the board and the forecast without a manager are the
    # actor's own), another's only for Sales management and the Director
    Case("view the board (one's own figures)", EVERYONE,
         lambda api, o, c, d: api.get(f"/deal-templates/{d.connection.id}/board"),
         changes=False),
    Case("view the forecast (one's own figures)", EVERYONE,
         lambda api, o, c, d: api.get("/deal-forecast"), changes=False),
    Case("view figures: the board of deal_mgr's deals", FIGURES,
         lambda api, o, c, d: api.get(f"/deal-templates/{d.connection.id}/board",
                                      query={"manager_id": d.deal_mgr.id}), changes=False),
    Case("view figures: the forecast of deal_mgr's deals", FIGURES,
         lambda api, o, c, d: api.get("/deal-forecast",
                                      query={"manager_id": d.deal_mgr.id}), changes=False),
    Case("view figures: the list of deal_mgr's deals", FIGURES,
         lambda api, o, c, d: api.get("/deals", query={"manager_id": d.deal_mgr.id}),
         changes=False),
    # deals (DEAL-3)
    Case("register a deal for X", CLIENT_WORK,
         lambda api, o, c, d: api.post("/deals", {
             "counterparty_id": c.x.id, "template_id": d.connection.id,
             "name": "Второй офис", "amount": "80 000"})),
    Case("edit deal D", DEAL_D,
         lambda api, o, c, d: api.patch(f"/deals/{d.deal.id}", {
             "version": _v(o, d.deal.id), "attributes": {"bandwidth": "200"}})),
    Case("move deal D to the survey", DEAL_D,
         lambda api, o, c, d: api.post(f"/deals/{d.deal.id}/transitions", {
             "to_state": "survey", "version": _v(o, d.deal.id)})),
    Case("move deal D: close it as lost", DEAL_D,
         lambda api, o, c, d: api.post(f"/deals/{d.deal.id}/transitions", {
             "to_state": "lost", "reason": "Клиент передумал",
             "version": _v(o, d.deal.id)})),
    Case("approve deal S (discount)", frozenset({"director", "sales"}),
         lambda api, o, c, d: api.post(f"/deals/{d.quote.id}/approvals", {
             "approval": "discount", "version": _v(o, d.quote.id)})),
    Case("delete deal N registered by mistake", CLIENT_WORK,
         lambda api, o, c, d: api.delete(f"/deals/{d.spare.id}", query={
             "version": _v(o, d.spare.id)})),
    Case("upload a document to D", CLIENT_WORK | {"deal_manager"},
         lambda api, o, c, d: upload(api, f"/deals/{d.deal.id}/documents", "кп.pdf",
                                     PDF + b"%D")),
    # reference books (DEAL-1, DEAL-4)
    Case("edit reference books: add a deal template", BOOKS,
         lambda api, o, c, d: api.post("/deal-templates", {
             "code": "short", "name": "Короткая сделка",
             "states": [{"code": "open", "name": "Открыта", "initial": True},
                        {"code": "won", "name": "Выиграна", "final": True,
                         "outcome": "won"}],
             "transitions": [{"from_state": "open", "to_state": "won",
                              "name": "Выиграть"}]})),
    Case("edit reference books: rename a deal template", BOOKS,
         lambda api, o, c, d: api.patch(f"/deal-templates/{d.supply.id}", {
             "version": _tv(o, d.supply.id), "name": "Поставка оборудования и ПО"})),
    Case("edit reference books: mark a day off in the calendar", BOOKS,
         lambda api, o, c, d: api.post("/calendar-days", {
             "day": "2026-06-15", "working": False, "note": "Перенос"})),
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
        return
    expected = 401 if actor == "disabled" else 403
    assert response.status_code == expected, (action.name, actor, response.get_json())
    assert response.get_json()["error"] == ("unauthorized" if expected == 401
                                            else "forbidden")
    assert after == before, f"a refused action changed something: {action.name}"


@pytest.mark.parametrize("actor", list(ACTORS))
def test_deals_policy_matrix_of_reads(world, actor: str):
    """The reads change nothing, so one world serves them all."""
    org, app, clients, _sales, deals = world
    api = Api(app, org.tokens[ACTORS[actor]])
    for action in READS:
        before = deals_snapshot(org.system)
        response = action.call(api, org, clients, deals)
        _check(action, actor, response, before, deals_snapshot(org.system))


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("action", WRITES, ids=lambda c: c.name)
def test_deals_policy_matrix_of_changes(world, action: Case, actor: str):
    org, app, clients, _sales, deals = world
    before = deals_snapshot(org.system)
    response = action.call(Api(app, org.tokens[ACTORS[actor]]), org, clients, deals)
    _check(action, actor, response, before, deals_snapshot(org.system))


def test_the_matrix_covers_every_deals_action():
    names = " | ".join(c.name for c in CASES)
    for what in ("register a deal", "edit deal", "move deal", "approve deal",
                 "delete deal", "upload a document", "view deal", "view the board",
                 "view the forecast", "view figures", "add a deal template",
                 "rename a deal template", "mark a day off"):
        assert what in names, what


def test_the_deal_manager_works_only_their_deals(world):
    """DEAL-3: deal_mgr works D and S of client X, nothing else of X: not deal N (worker_b
    manages it), not X's other documents; the moves offered on N are none."""
    org, app, clients, sales, deals = world
    api = Api(app, org.tokens["deal_mgr"])
    before = deals_snapshot(org.system)
    assert api.post(f"/deals/{deals.spare.id}/transitions", {
        "to_state": "lost", "reason": "x", "version": _v(org, deals.spare.id)}
                    ).status_code == 403
    assert api.patch(f"/deals/{deals.spare.id}", {
        "version": _v(org, deals.spare.id), "name": "x"}).status_code == 403
    assert upload(api, f"/counterparties/{clients.x.id}/documents", "x.pdf", PDF
                  ).status_code == 403
    assert api.post("/invoices", {"counterparty_id": clients.x.id,
                                  "deal_id": deals.deal.id}).status_code == 403
    assert api.get(f"/deals/{deals.spare.id}/options").get_json()["options"] == []
    assert deals_snapshot(org.system) == before
    offered = api.get(f"/deals/{deals.deal.id}/options").get_json()["options"]
    assert {o["to_state"] for o in offered if o["open"]} == {"survey", "lost"}


def test_handing_a_deal_to_a_new_manager_moves_the_right(world):
    org, app, _clients, _sales, deals = world
    boss = Api(app, org.tokens["director"])
    assert boss.patch(f"/deals/{deals.deal.id}", {
        "version": _v(org, deals.deal.id), "manager_id": org.plain.id}).status_code == 200
    plain, old = Api(app, org.tokens["plain"]), Api(app, org.tokens["deal_mgr"])
    assert old.patch(f"/deals/{deals.deal.id}", {
        "version": _v(org, deals.deal.id), "note": "x"}).status_code == 403
    assert plain.patch(f"/deals/{deals.deal.id}", {
        "version": _v(org, deals.deal.id), "note": "Передана"}).status_code == 200
    figures = plain.get("/deal-forecast").get_json()["filters"]
    assert figures["manager_id"] == org.plain.id


# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def pg_world(pg_url, tmp_path):
    from ecrm_web.app import create_app

    system = make_system(pg_url, tmp_path)
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
        sales = build_sales(org, clients)
        deals = build_deals(org, clients)
        yield org, create_app(system, {"TESTING": True}), clients, sales, deals
    finally:
        system.close()


@pytest.mark.postgres
def test_every_deals_operation_on_postgres(pg_world):
    org, app, _clients, _sales, _deals = pg_world
    happy_run_deals(app, org)


@pytest.mark.postgres
@pytest.mark.parametrize("actor", ["colleague", "deal_manager", "sales", "admin",
                                   "disabled"])
def test_refusals_change_nothing_on_postgres(pg_world, actor):
    """Through real PostgreSQL transactions: a refused request changes nothing, so one
    world serves every refused case of the actor; the allowed ones are skipped here."""
    org, app, clients, _sales, deals = pg_world
    api = Api(app, org.tokens[ACTORS[actor]])
    for action in CASES:
        if actor in action.allowed:
            continue
        before = deals_snapshot(org.system)
        response = action.call(api, org, clients, deals)
        _check(action, actor, response, before, deals_snapshot(org.system))


@pytest.mark.postgres
def test_stale_versions_and_unmet_conditions_on_postgres(pg_world):
    org, app, _clients, _sales, deals = pg_world
    mgr = Api(app, org.tokens["deal_mgr"])
    current = mgr.get(f"/deals/{deals.deal.id}").get_json()
    before = deals_snapshot(org.system)
    assert mgr.patch(f"/deals/{deals.deal.id}", {
        "version": current["version"] - 1, "note": "x"}).status_code == 409
    refused = mgr.post(f"/deals/{deals.quote.id}/transitions", {
        "to_state": "prepaid", "version": _v(org, deals.quote.id)})
    assert refused.status_code == 422
    assert set(refused.get_json()["fields"]) == {"discount", "invoice_issued",
                                                 "delivery_address"}
    assert deals_snapshot(org.system) == before
    moved = mgr.post(f"/deals/{deals.deal.id}/transitions", {
        "to_state": "survey", "version": current["version"]})
    assert moved.status_code == 200 and moved.get_json()["probability"] == 25
    board = mgr.get(f"/deal-templates/{deals.connection.id}/board").get_json()
    survey = next(c for c in board["columns"] if c["state"]["code"] == "survey")
    assert (survey["count"], survey["amount"]) == (1, "120000.00")
