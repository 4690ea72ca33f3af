"""Rights over customer orders through the API (issue 6: the core's one policy,
ORD-1…ORD-3). Card X lies in catalog «Новосибирск», curated by worker_a; its client
manager is worker_b. Who works a client works its orders (CLIENT_WORK: makes, edits,
deletes a draft never submitted, submits it along a route, moves it, hands it off to
billing again). The approvers of a round's waiting step answer it — here Sales
management (sales_mgr), the only step of route R; nobody else may, the Director
included. The approval routes are a reference book of the Director and Administrators
(admin_a). A colleague without a role (plain) sees the client's orders, their estimates,
rounds and hand-offs and changes nothing; a disabled employee (gone) is not even
authenticated (401).

A refused action answers 403 (401 for the disabled employee) and leaves every data table
— the organisation's, the client base's, the tasks', the sales', the orders' — the history,
the outbox and the messages as they were; an allowed change leaves history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from tests.conftest import found, make_system
from tests.e2e.api_support import Api, build_org
from tests.e2e.clients_support import build_clients
from tests.e2e.orders_support import (
    build_orders,
    copy_orders,
    happy_run_orders,
    make_orders_template,
    order_lines,
    orders_snapshot,
)
from tests.e2e.sales_support import DAY, build_sales

#: actor -> login of their token
ACTORS = {"director": "director", "curator": "worker_a", "manager": "worker_b",
          "sales": "sales_mgr", "colleague": "plain", "disabled": "gone", "admin": "admin_a"}
EVERYONE = frozenset(ACTORS) - {"disabled"}
CLIENT_WORK = frozenset({"director", "curator", "manager"})
APPROVERS = frozenset({"sales"})
BOOKS = frozenset({"director", "admin"})


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_orders_template(tmp_path_factory.mktemp("api-orders-policy"),
                                _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    with copy_orders(template, tmp_path) as found_world:
        yield found_world


@attrs.frozen
class Case:
    name: str
    allowed: frozenset[str]
    call: Callable[..., Any]
    changes: bool = True


def _v(o, order_id: int) -> int:
    """The order's current version, read as the Director."""
    return o.system.app.orders.get(o.director.id, order_id).version


def _rv(o, route_id: int) -> int:
    return o.system.app.orders.route(o.director.id, route_id).version


CASES = [
    # seeing: a client's orders are seen by everyone who sees the client
    Case("view order B", EVERYONE,
         lambda api, o, c, s, w: api.get(f"/orders/{w.waiting.id}"), changes=False),
    Case("view the list of orders", EVERYONE,
         lambda api, o, c, s, w: api.get("/orders"), changes=False),
    Case("view the orders of X", EVERYONE,
         lambda api, o, c, s, w: api.get(f"/counterparties/{c.x.id}/orders"), changes=False),
    Case("view the estimate of B", EVERYONE,
         lambda api, o, c, s, w: api.get(f"/orders/{w.waiting.id}/estimate"), changes=False),
    Case("view the rounds of B", EVERYONE,
         lambda api, o, c, s, w: api.get(f"/orders/{w.waiting.id}/rounds"), changes=False),
    Case("view the options of B", EVERYONE,
         lambda api, o, c, s, w: api.get(f"/orders/{w.waiting.id}/options"), changes=False),
    Case("view the hand-offs of F", EVERYONE,
         lambda api, o, c, s, w: api.get(f"/orders/{w.refused.id}/handoffs"), changes=False),
    Case("view every hand-off", EVERYONE,
         lambda api, o, c, s, w: api.get("/billing-handoffs"), changes=False),
    Case("view the approval routes", EVERYONE,
         lambda api, o, c, s, w: api.get("/approval-routes"), changes=False),
    Case("view route R", EVERYONE,
         lambda api, o, c, s, w: api.get(f"/approval-routes/{w.route.id}"), changes=False),
    # orders (ORD-1)
    Case("create an order for X", CLIENT_WORK,
         lambda api, o, c, s, w: api.post("/orders", {
             "counterparty_id": c.x.id, "ordered_on": DAY,
             "lines": order_lines(s, w.package)})),
    Case("edit draft A", CLIENT_WORK,
         lambda api, o, c, s, w: api.patch(f"/orders/{w.draft.id}", {
             "version": _v(o, w.draft.id), "lines": [{"item_id": w.package.id,
                                                      "quantity": 2}]})),
    Case("edit the note of B", CLIENT_WORK,
         lambda api, o, c, s, w: api.patch(f"/orders/{w.waiting.id}", {
             "version": _v(o, w.waiting.id), "note": "Срочно"})),
    Case("delete draft A", CLIENT_WORK,
         lambda api, o, c, s, w: api.delete(f"/orders/{w.draft.id}", query={
             "version": _v(o, w.draft.id)})),
    # approval (ORD-2)
    Case("submit draft A along R", CLIENT_WORK,
         lambda api, o, c, s, w: api.post(f"/orders/{w.draft.id}/submit", {
             "route_id": w.route.id, "version": _v(o, w.draft.id)})),
    Case("decide B: approve", APPROVERS,
         lambda api, o, c, s, w: api.post(f"/orders/{w.waiting.id}/decision",
                                          {"approve": True})),
    Case("decide B: refuse with a reason", APPROVERS,
         lambda api, o, c, s, w: api.post(f"/orders/{w.waiting.id}/decision", {
             "approve": False, "reason": "Дорого"})),
    # states and billing (ORD-3)
    Case("transition approved D to connection", CLIENT_WORK,
         lambda api, o, c, s, w: api.post(f"/orders/{w.approved.id}/transitions", {
             "to_state": "connection", "version": _v(o, w.approved.id)})),
    Case("transition B: cancel it", CLIENT_WORK,
         lambda api, o, c, s, w: api.post(f"/orders/{w.waiting.id}/transitions", {
             "to_state": "cancelled", "reason": "Клиент передумал",
             "version": _v(o, w.waiting.id)})),
    Case("hand F off again", CLIENT_WORK,
         lambda api, o, c, s, w: api.post(f"/orders/{w.refused.id}/handoffs")),
    # the reference book of routes
    Case("edit reference books: add a route", BOOKS,
         lambda api, o, c, s, w: api.post("/approval-routes", {
             "name": "Новый", "steps": [{"role": "director"}]})),
    Case("edit reference books: change route R", BOOKS,
         lambda api, o, c, s, w: api.patch(f"/approval-routes/{w.route.id}", {
             "version": _rv(o, w.route.id), "name": "Продажи"})),
    Case("edit reference books: delete route S", BOOKS,
         lambda api, o, c, s, w: api.delete(f"/approval-routes/{w.spare_route.id}", query={
             "version": _rv(o, w.spare_route.id)})),
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
def test_orders_policy_matrix_of_reads(world, actor: str):
    """The reads change nothing, so one world serves them all."""
    org, app, clients, sales, orders = world
    api = Api(app, org.tokens[ACTORS[actor]])
    for action in READS:
        before = orders_snapshot(org.system)
        response = action.call(api, org, clients, sales, orders)
        _check(action, actor, response, before, orders_snapshot(org.system))


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("action", WRITES, ids=lambda c: c.name)
def test_orders_policy_matrix_of_changes(world, action: Case, actor: str):
    org, app, clients, sales, orders = world
    before = orders_snapshot(org.system)
    response = action.call(Api(app, org.tokens[ACTORS[actor]]), org, clients, sales, orders)
    _check(action, actor, response, before, orders_snapshot(org.system))


def test_the_matrix_covers_every_orders_action():
    names = " | ".join(c.name for c in CASES)
    for what in ("create an order", "edit draft", "delete draft", "submit", "decide",
                 "approve", "refuse", "transition", "cancel", "hand F off again",
                 "add a route", "change route", "delete route", "view"):
        assert what in names, what


def test_only_the_waiting_steps_approvers_answer(world):
    """The second step of R2 is the Director's: Sales management answers the first, the
    Director the second — never the other way round, and not twice."""
    org, app, _clients, _sales, orders = world
    boss, sales = Api(app, org.tokens["director"]), Api(app, org.tokens["sales_mgr"])
    draft = orders.draft
    assert boss.post(f"/orders/{draft.id}/submit", {"route_id": orders.route2.id,
                                                     "version": draft.version}
                     ).status_code == 201
    before = orders_snapshot(org.system)
    assert boss.post(f"/orders/{draft.id}/decision", {"approve": True}).status_code == 403
    assert orders_snapshot(org.system) == before
    first = sales.post(f"/orders/{draft.id}/decision", {"approve": True}).get_json()
    assert first["step"] == 1 and first["approvers"] == [org.director.id]
    before = orders_snapshot(org.system)
    assert sales.post(f"/orders/{draft.id}/decision", {"approve": True}).status_code == 403
    assert orders_snapshot(org.system) == before
    assert boss.post(f"/orders/{draft.id}/decision", {"approve": True}
                     ).get_json()["status"] == "approved"
    assert boss.get(f"/orders/{draft.id}").get_json()["state"] == "approved"
    # a round that is over takes no answer: 409, nothing changes
    before = orders_snapshot(org.system)
    assert boss.post(f"/orders/{draft.id}/decision", {"approve": True}).status_code == 409
    assert orders_snapshot(org.system) == before


# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def pg_world(pg_url, tmp_path):
    from ecrm_web.app import create_app

    system = make_system(pg_url, tmp_path)
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
        sales = build_sales(org, clients)
        orders = build_orders(org, clients, sales)
        yield org, create_app(system, {"TESTING": True}), clients, sales, orders
    finally:
        system.close()


@pytest.mark.postgres
def test_every_orders_operation_on_postgres(pg_world):
    org, app, _clients, _sales, _orders = pg_world
    happy_run_orders(app, org)


@pytest.mark.postgres
@pytest.mark.parametrize("actor", ["colleague", "sales", "curator", "disabled"])
def test_refusals_change_nothing_on_postgres(pg_world, actor):
    """Through real PostgreSQL transactions: a refused request changes nothing, so one
    world serves every refused case of the actor; the allowed ones are skipped here."""
    org, app, clients, sales, orders = pg_world
    api = Api(app, org.tokens[ACTORS[actor]])
    for action in CASES:
        if actor in action.allowed:
            continue
        before = orders_snapshot(org.system)
        response = action.call(api, org, clients, sales, orders)
        _check(action, actor, response, before, orders_snapshot(org.system))
