"""Helpers of the orders API tests (tests/e2e/test_api_orders*.py, issue 6: ORD-1…ORD-3).

- ``build_orders``: on top of the sales world (``sales_support.build_sales``: card X, its
  signed contract C, the router and the set-up work with retail prices, sales_mgr holding
  Sales management on the Company) a service package with a retail price, three
  approval routes — R (one step: Sales management), R2 (Sales management, then the
  Director) and S (never used: it may be deleted) — and four orders of X made by the
  Director: A (a draft never submitted), B (waiting along R: sales_mgr answers), D
  (approved: it may go to connection) and F (in connection, its billing hand-off refused
  by the billing system: it may be handed off again).
- ``make_orders_template`` / ``copy_orders``: all of it built once into a database file and
  copied per test.
- ``happy_run_orders``: every orders operation of the API once with good input (the
  OpenAPI test calls it so that every documented operation has answered 2xx).
- ``orders_snapshot``: every data table (the organisation's, the client base's, the tasks',
  the sales' and the orders') and the history, for "a refused request changes nothing".
- ``Rejecting``: a billing system that refuses every document (a 400).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.orders.ports import BillingRejected
from ecrm_core.orders.services import OrderService
from tests.e2e.api_support import Api, build_org, ok
from tests.e2e.clients_support import build_clients, legal_inn
from tests.e2e.sales_support import DAY, build_sales, copy_sales, sales_snapshot

ORDER_TABLES = (t.orders, t.approval_routes, t.approval_rounds, t.billing_handoffs)


class Rejecting:
    """A billing system that refuses every document for good."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, key: str, payload: dict) -> None:
        self.sent.append(key)
        raise BillingRejected("400: the client's INN is unknown")


def refuse_handoff(app, order_id: int) -> None:
    """Deliver the order's newest hand-off to a billing system that refuses it (as the
    queue's actor would, with that gateway)."""
    handoff = app.orders.handoffs(app.access.directors()[0].id, order_id)[0]
    OrderService(app.uow_factory, app.clock, Rejecting()).deliver_handoff(handoff.id)


@attrs.frozen
class OrderWorld:
    package: Any
    route: Any  # R: Sales management
    route2: Any  # R2: Sales management, then the Director
    spare_route: Any  # S: never used
    draft: Any  # A
    waiting: Any  # B, along R
    approved: Any  # D
    refused: Any  # F, in connection, its hand-off refused


def order_lines(sales, package) -> list[dict[str, Any]]:
    return [{"item_id": package.id, "quantity": 1}, {"item_id": sales.router.id, "quantity": 2},
            {"item_id": sales.setup.id, "quantity": "1,5"}]


def build_orders(org, clients, sales) -> OrderWorld:
    app = org.system.app
    d = org.director.id
    package = app.products.save_item(d, {"name": "Интернет 100 Мбит/с", "item_kind": "service",
                                         "unit": "мес", "vat_rate": "22"})
    app.products.set_price(d, {"item_id": package.id, "price_type_id": sales.retail.id,
                               "valid_from": "2026-01-01", "amount": "1 200"})
    route = app.orders.save_route(d, {"name": "Руководство продаж",
                                      "steps": [{"role": "sales_management"}]})
    route2 = app.orders.save_route(d, {"name": "Два шага", "steps": [
        {"role": "sales_management"}, {"role": "director"}]})
    spare = app.orders.save_route(d, {"name": "Запасной",
                                      "steps": [{"employee_id": org.admin_a.id}]})

    def make():
        return app.orders.create(d, {"counterparty_id": clients.x.id, "ordered_on": DAY,
                                     "contract_id": sales.contract.id,
                                     "lines": order_lines(sales, package)})

    draft = make()
    waiting = make()
    app.orders.submit(d, waiting.id, route.id)
    approved = make()
    app.orders.submit(d, approved.id, route.id)
    app.orders.decide(sales.sales_mgr.id, approved.id, True)
    refused = make()
    app.orders.submit(d, refused.id, route.id)
    app.orders.decide(sales.sales_mgr.id, refused.id, True)
    app.orders.move(d, refused.id, "connection")
    refuse_handoff(app, refused.id)
    get = app.orders.get
    return OrderWorld(package, route, route2, spare, get(d, draft.id), get(d, waiting.id),
                      get(d, approved.id), get(d, refused.id))


def make_orders_template(base_dir: Path, migrated_db: Path):
    """((path, org), clients, sales, orders, documents), built once; copy it with
    ``copy_orders``."""
    import shutil

    from tests.conftest import found, make_system

    path = base_dir / "orders.db"
    shutil.copy(migrated_db, path)
    system = make_system(f"sqlite:///{path}", base_dir)
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
        sales = build_sales(org, clients)
        orders = build_orders(org, clients, sales)
        documents = system.settings.documents_dir
    finally:
        system.close()
    return (path, org), clients, sales, orders, documents


@contextmanager
def copy_orders(template, tmp_path: Path):
    """(org, app, clients, sales, orders) on a fresh copy of the template's database."""
    base, clients, sales, orders, documents = template
    with copy_sales((base, clients, sales, documents), tmp_path) as (org, app, _c, _s):
        yield org, app, clients, sales, orders


def orders_snapshot(system) -> dict[str, Any]:
    return sales_snapshot(system, ORDER_TABLES)


# -- every operation once ---------------------------------------------------------------------


def happy_run_orders(app, org) -> None:
    """Every orders operation with good input, as the Director (each answer is checked
    against the document by ``Api``)."""
    boss = Api(app, org.tokens["director"])
    core, d = org.system.app, org.director.id
    catalog = core.catalogs.create(d, {"name": "Клиенты заказов"})
    card = core.counterparties.register(d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "ООО «Абонент»",
        "inn": legal_inn("540677003"), "kpp": "540601001"})
    retail = next(p for p in core.products.price_types(d) if p.code == "retail")
    package = core.products.save_item(d, {"name": "Интернет 50 Мбит/с",
                                          "item_kind": "service", "unit": "мес"})
    switch = core.products.save_item(d, {"name": "Коммутатор", "unit": "шт"})
    for item, amount in ((package, "900"), (switch, "3 000")):
        core.products.set_price(d, {"item_id": item.id, "price_type_id": retail.id,
                                    "valid_from": "2026-01-01", "amount": amount})

    # the reference book of routes (ORD-2)
    route = ok(boss.post("/approval-routes", {
        "name": "Директор", "steps": [{"role": "director"}]}), 201)
    route = ok(boss.patch(f"/approval-routes/{route['id']}", {
        "version": route["version"], "name": "Согласование директором"}))
    ok(boss.get(f"/approval-routes/{route['id']}"))
    ok(boss.get("/approval-routes", query={"include_inactive": "true"}))
    spare = ok(boss.post("/approval-routes", {
        "name": "Лишний", "steps": [{"employee_id": d}], "active": False}), 201)
    assert boss.delete(f"/approval-routes/{spare['id']}",
                       query={"version": spare["version"]}).status_code == 204

    # an order from the draft to connection (ORD-1…ORD-3)
    order = ok(boss.post("/orders", {
        "counterparty_id": card.id, "ordered_on": "2026-03-02",
        "lines": [{"item_id": package.id, "quantity": 1},
                  {"item_id": switch.id, "quantity": 2},
                  {"part": "work", "name": "Монтаж", "quantity": 1, "price": "2 500",
                   "vat_rate": "22"}]}), 201)
    order = ok(boss.patch(f"/orders/{order['id']}", {"version": order["version"],
                                                      "note": "Подключить до апреля"}))
    ok(boss.get(f"/orders/{order['id']}"))
    ok(boss.get(f"/orders/{order['id']}/options"))
    estimate = ok(boss.get(f"/orders/{order['id']}/estimate"))
    assert estimate["one_time"]["total"] == "8500.00"
    ok(boss.post(f"/orders/{order['id']}/submit", {"route_id": route["id"],
                                                     "version": order["version"]}), 201)
    rounds = ok(boss.get(f"/orders/{order['id']}/rounds"))["items"]
    assert rounds[0]["approvers"] == [d]
    assert ok(boss.post(f"/orders/{order['id']}/decision", {"approve": True})
               )["status"] == "approved"
    order = ok(boss.get(f"/orders/{order['id']}"))
    order = ok(boss.post(f"/orders/{order['id']}/transitions", {
        "to_state": "connection", "version": order["version"]}))
    refuse_handoff(core, order["id"])
    assert ok(boss.get(f"/orders/{order['id']}/handoffs"))["items"][0]["state"] == "failed"
    ok(boss.post(f"/orders/{order['id']}/handoffs"), 201)
    ok(boss.get("/billing-handoffs", query={"pending": "true", "limit": 10}))
    ok(boss.get("/orders", query={"state": "connection", "counterparty_id": card.id,
                                   "page": 1}))
    ok(boss.get(f"/counterparties/{card.id}/orders", query={"state": "connection",
                                                             "page": 1}))
    spare_order = ok(boss.post("/orders", {"counterparty_id": card.id}), 201)
    assert boss.delete(f"/orders/{spare_order['id']}",
                       query={"version": spare_order["version"]}).status_code == 204
