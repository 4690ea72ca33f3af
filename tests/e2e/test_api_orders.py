"""Customer orders through the API (issue 6: ORD-1…ORD-3): an order priced from the price
list and its connection estimate; the acceptance chain of three approvers (a named
employee, Sales management, the Director) with a refusal in the middle — its reason told
to the author — resubmission and approval; the move to connection and the billing
hand-off, refused by the billing system and handed off again; bad input named field by
field with nothing saved; stale versions (409); the reference book of routes. Every answer
is checked against the OpenAPI document by ``Api``. (The rights: test_api_orders_policy.py.)
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.api_support import Api, ok
from tests.e2e.orders_support import (
    copy_orders,
    make_orders_template,
    order_lines,
    orders_snapshot,
    refuse_handoff,
)
from tests.e2e.sales_support import DAY


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_orders_template(tmp_path_factory.mktemp("api-orders"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    with copy_orders(template, tmp_path) as found_world:
        yield found_world


def test_an_order_is_priced_from_the_price_list_with_its_estimate(world):
    org, app, clients, sales, orders = world
    boss = Api(app, org.tokens["worker_b"])  # the client's manager
    made = ok(boss.post("/orders", {"counterparty_id": clients.x.id, "ordered_on": DAY,
                                     "contract_id": sales.contract.id,
                                     "lines": order_lines(sales, orders.package)}), 201)
    assert made["state"] == "draft" and made["number"].startswith("З-")
    parts = [(x["part"], x["price"], x["quantity"]) for x in made["lines"]]
    # the router's March price (5 490), the set-up work 1 500, the package 1 200
    assert parts == [("package", "1200.00", "1"), ("equipment", "5490.00", "2"),
                     ("work", "1500.00", "1.5")]
    assert (made["one_time_total"], made["monthly_total"]) == ("13230.00", "1200.00")
    estimate = ok(boss.get(f"/orders/{made['id']}/estimate"))
    assert estimate["one_time"] == {"amount": "13230.00", "vat": "2385.74",
                                    "total": "13230.00"}
    assert estimate["monthly"] == {"amount": "1200.00", "vat": "216.39", "total": "1200.00"}
    listed = ok(boss.get(f"/counterparties/{clients.x.id}/orders", query={"state": "draft"}))
    assert made["id"] in [o["id"] for o in listed["items"]]


def test_bad_input_is_named_field_by_field_and_nothing_is_saved(world):
    org, app, clients, sales, orders = world
    boss = Api(app, org.tokens["director"])
    before = orders_snapshot(org.system)
    response = boss.post("/orders", {
        "counterparty_id": clients.x.id, "ordered_on": "31.02.2026", "contract_id": 999999,
        "lines": [{"name": "Без части", "quantity": 1, "price": "1"},
                  {"item_id": sales.router.id, "part": "hardware", "quantity": 1},
                  {"item_id": sales.router.id, "quantity": 0}]})
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert set(fields) == {"ordered_on", "contract_id", "lines[0].part", "lines[1].part",
                           "lines[2].quantity"}
    assert boss.post("/orders", {"lines": []}).get_json()["fields"] == {
        "counterparty_id": "required"}
    assert boss.post("/orders", [1, 2]).status_code == 400
    assert boss.post(f"/orders/{orders.draft.id}/submit", {"route_id": "x", "version": 1}
                     ).status_code == 422
    assert boss.post(f"/orders/{orders.waiting.id}/decision", {"approve": "yes"}
                     ).status_code == 422
    routed = boss.post("/approval-routes", {"name": "Пустой", "steps": [
        {"role": "director", "employee_id": org.director.id}, {"role": "boss"}]})
    assert routed.status_code == 422
    fields = routed.get_json()["fields"]
    assert fields["steps[0]"] == "name a role or an employee (one of the two)"
    assert fields["steps[1].role"].startswith("one of: director")
    assert orders_snapshot(org.system) == before


def test_the_acceptance_chain_of_three_approvers_through_the_api(world):
    """A named employee, Sales management, the Director; Sales management refuses in the
    middle with a reason (the author is told), the author changes the order and submits
    it again, all three approve, the order goes to connection and is handed to billing."""
    org, app, clients, sales, orders = world
    core, d = org.system.app, org.director.id
    author = Api(app, org.tokens["worker_b"])
    lawyer = Api(app, org.tokens["admin_a"])
    head = Api(app, org.tokens["sales_mgr"])
    boss = Api(app, org.tokens["director"])
    route = ok(boss.post("/approval-routes", {"name": "Три шага", "steps": [
        {"employee_id": org.admin_a.id}, {"role": "sales_management"},
        {"role": "director"}]}), 201)
    order = ok(author.post("/orders", {"counterparty_id": clients.x.id, "ordered_on": DAY,
                                        "lines": order_lines(sales, orders.package)}), 201)
    first = ok(author.post(f"/orders/{order['id']}/submit", {
        "route_id": route["id"], "version": order["version"]}), 201)
    assert (first["step"], first["approvers"]) == (0, [org.admin_a.id])
    assert first["estimate"]["one_time"]["total"] == "13230.00"
    ok(lawyer.post(f"/orders/{order['id']}/decision", {"approve": True}))
    before = orders_snapshot(org.system)
    assert head.post(f"/orders/{order['id']}/decision", {"approve": False}
                     ).get_json()["fields"] == {"reason": "required"}
    assert orders_snapshot(org.system) == before
    refused = ok(head.post(f"/orders/{order['id']}/decision", {
        "approve": False, "reason": "Монтаж дороже нормы"}))
    assert refused["status"] == "refused" and refused["approvers"] == []
    assert [(x["step"], x["approved"], x["reason"]) for x in refused["decisions"]] == [
        (0, True, ""), (1, False, "Монтаж дороже нормы")]
    order = ok(author.get(f"/orders/{order['id']}"))
    assert order["state"] == "draft"
    told = [m["text"] for m in ok(author.get("/messages"))["items"]]
    assert any("Монтаж дороже нормы" in text for text in told)

    # resubmitted after a change: a new round freezes the new estimate
    order = ok(author.patch(f"/orders/{order['id']}", {
        "version": order["version"], "lines": [
            {"item_id": orders.package.id, "quantity": 1},
            {"item_id": sales.router.id, "quantity": 2},
            {"item_id": sales.setup.id, "quantity": 1}]}))
    second = ok(author.post(f"/orders/{order['id']}/submit", {
        "route_id": route["id"], "version": order["version"]}), 201)
    assert second["estimate"]["one_time"]["total"] == "12480.00"
    ok(lawyer.post(f"/orders/{order['id']}/decision", {"approve": True}))
    ok(head.post(f"/orders/{order['id']}/decision", {"approve": True}))
    done = ok(boss.post(f"/orders/{order['id']}/decision", {"approve": True}))
    assert done["status"] == "approved"
    rounds = ok(author.get(f"/orders/{order['id']}/rounds"))["items"]
    assert [r["status"] for r in rounds] == ["approved", "refused"]
    order = ok(author.get(f"/orders/{order['id']}"))
    assert order["state"] == "approved"
    options = ok(author.get(f"/orders/{order['id']}/options"))["options"]
    assert {o["to_state"] for o in options if o["open"]} == {"connection", "cancelled"}

    # ORD-3: to connection; the hand-off refused for good, then handed off again
    order = ok(author.post(f"/orders/{order['id']}/transitions", {
        "to_state": "connection", "version": order["version"]}))
    [handoff] = ok(author.get(f"/orders/{order['id']}/handoffs"))["items"]
    assert handoff["key"] == f"ecrm-order-{order['id']}-v1" and handoff["state"] == "pending"
    payload = handoff["payload"]
    assert payload["schema"] == "ecrm.billing/1"
    assert payload["order"]["totals"]["monthly"]["total"] == "1200.00"
    assert [x["name"] for x in payload["order"]["equipment"]] == [sales.router.name]
    pending = ok(boss.get("/billing-handoffs", query={"pending": "true"}))["items"]
    assert handoff["id"] in [h["id"] for h in pending]
    assert author.post(f"/orders/{order['id']}/handoffs").status_code == 409
    refuse_handoff(core, order["id"])
    [failed] = ok(author.get(f"/orders/{order['id']}/handoffs"))["items"]
    assert (failed["state"], failed["attempts"]) == ("failed", 1)
    assert "INN" in failed["last_error"]
    again = ok(author.post(f"/orders/{order['id']}/handoffs"), 201)
    assert (again["revision"], again["state"]) == (2, "pending")
    assert core.orders.get(d, order["id"]).state == "connection"


def test_stale_versions_and_wrong_states_are_409_and_change_nothing(world):
    org, app, _clients, _sales, orders = world
    boss = Api(app, org.tokens["director"])
    before = orders_snapshot(org.system)
    stale = orders.draft.version - 1 or 99
    assert boss.patch(f"/orders/{orders.draft.id}", {"version": stale, "note": "x"}
                      ).status_code == 409
    assert boss.post(f"/orders/{orders.draft.id}/submit", {
        "route_id": orders.route.id, "version": stale}).status_code == 409
    # lines change only in a draft; a submitted order is cancelled, not deleted
    assert boss.patch(f"/orders/{orders.waiting.id}", {
        "version": orders.waiting.version, "lines": []}).status_code == 409
    assert boss.delete(f"/orders/{orders.waiting.id}", query={
        "version": orders.waiting.version}).status_code == 409
    # to approval only by submitting; to connection only once approved
    assert boss.post(f"/orders/{orders.draft.id}/transitions", {
        "to_state": "approval", "version": orders.draft.version}).status_code == 409
    response = boss.post(f"/orders/{orders.waiting.id}/transitions", {
        "to_state": "connection", "version": orders.waiting.version})
    assert response.status_code in (409, 422)
    assert boss.post(f"/orders/{orders.approved.id}/submit", {
        "route_id": orders.route.id, "version": orders.approved.version}).status_code == 409
    # a route an order was submitted along is kept
    route = boss.get(f"/approval-routes/{orders.route.id}").get_json()
    assert boss.delete(f"/approval-routes/{orders.route.id}",
                       query={"version": route["version"]}).status_code == 409
    assert orders_snapshot(org.system) == before


def test_a_cancelled_order_closes_its_waiting_round(world):
    org, app, _clients, _sales, orders = world
    boss = Api(app, org.tokens["director"])
    cancelled = ok(boss.post(f"/orders/{orders.waiting.id}/transitions", {
        "to_state": "cancelled", "reason": "Клиент передумал",
        "version": orders.waiting.version}))
    assert cancelled["state"] == "cancelled"
    [found] = ok(boss.get(f"/orders/{orders.waiting.id}/rounds"))["items"]
    assert found["status"] == "cancelled" and found["approvers"] == []
    assert Api(app, org.tokens["sales_mgr"]).post(
        f"/orders/{orders.waiting.id}/decision", {"approve": True}).status_code == 409


def test_the_list_of_orders_and_a_deactivated_route(world):
    org, app, clients, _sales, orders = world
    boss = Api(app, org.tokens["plain"])
    listed = ok(boss.get("/orders", query={"counterparty_id": clients.x.id}))
    assert listed["total"] == 4 and listed["per_page"] == 20
    assert [o["id"] for o in listed["items"]] == sorted(
        (orders.draft.id, orders.waiting.id, orders.approved.id, orders.refused.id),
        reverse=True)
    assert [o["id"] for o in ok(boss.get("/orders", query={"state": "connection"})
                                 )["items"]] == [orders.refused.id]
    admin = Api(app, org.tokens["admin_a"])
    route = ok(admin.get(f"/approval-routes/{orders.route2.id}"))
    ok(admin.patch(f"/approval-routes/{orders.route2.id}", {
        "version": route["version"], "active": False}))
    names = [r["name"] for r in ok(boss.get("/approval-routes"))["items"]]
    assert "Два шага" not in names
    assert "Два шага" in [r["name"] for r in ok(boss.get(
        "/approval-routes", query={"include_inactive": "true"}))["items"]]
    director = Api(app, org.tokens["director"])
    assert director.post(f"/orders/{orders.draft.id}/submit", {
        "route_id": orders.route2.id, "version": orders.draft.version}
    ).get_json()["fields"] == {"route_id": "no such active route"}


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**12) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=3),
    max_leaves=8)
_LINE = st.fixed_dictionaries({}, optional={
    "part": _JSON | st.sampled_from(["package", "equipment", "work"]),
    "item_id": _JSON, "name": _JSON, "quantity": _JSON, "price": _JSON, "vat_rate": _JSON,
    "discount": _JSON, "unit": _JSON})


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.fixed_dictionaries({}, optional={
    "counterparty_id": _JSON, "ordered_on": _JSON, "contract_id": _JSON,
    "price_type_id": _JSON, "vat_included": _JSON, "note": _JSON,
    "lines": st.lists(_LINE, max_size=3) | _JSON}),
    decision=st.fixed_dictionaries({}, optional={"approve": _JSON, "reason": _JSON}),
    route=st.fixed_dictionaries({}, optional={
        "name": _JSON, "active": _JSON,
        "steps": st.lists(st.fixed_dictionaries({}, optional={
            "role": _JSON, "employee_id": _JSON}), max_size=3) | _JSON}))
def test_generated_bodies_are_answered_never_a_server_error(world, body, decision, route):
    """Whatever JSON comes, the orders endpoints answer 2xx or a documented 4xx (``Api``
    checks each answer against the document)."""
    org, app, _clients, _sales, orders = world
    boss = Api(app, org.tokens["director"])
    assert boss.post("/orders", body).status_code in (201, 400, 404, 409, 422)
    assert boss.patch(f"/orders/{orders.draft.id}", {**body, "version": 10**6}
                      ).status_code in (400, 404, 409, 422)
    assert Api(app, org.tokens["sales_mgr"]).post(
        f"/orders/{orders.waiting.id}/decision", decision).status_code in (200, 400, 409,
                                                                            422)
    assert boss.post("/approval-routes", route).status_code in (201, 400, 422)
