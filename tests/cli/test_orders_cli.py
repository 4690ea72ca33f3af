"""The orders commands (issue 6: ORD-1…ORD-3): `ecrm orders list [--counterparty --state]`,
`ecrm orders show ID` (lines, estimate, the approval rounds with their decisions, the
billing hand-offs), `ecrm orders estimate ID` (the connection estimate as text), `ecrm
orders handoffs [--pending]` and `ecrm orders redeliver` (the sweep of postponed hand-offs
now: delivered through the billing system configured — a drop folder here —, an accepted
one never sent again). Errors are one line naming the argument, never a traceback. The
commands run on a fake clock from Monday 2 March 2026, 09:00 UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from ecrm_adapters.bootstrap import bootstrap
from ecrm_adapters.settings import Settings
from ecrm_cli import context
from tests.cli.conftest import DIRECTOR, DIRECTOR_PASSWORD, Ecrm
from tests.conftest import FAST_HASHER
from tests.fakes import FakeClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "password-1"


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    found = FakeClock(START)
    monkeypatch.setattr(context, "bootstrap", lambda settings, **kw: bootstrap(
        settings, hasher=FAST_HASHER, clock=found, **kw))
    return found


@pytest.fixture
def drop(tmp_path):
    return tmp_path / "billing-drop"


@pytest.fixture
def ecrm(cli_env, drop) -> Ecrm:
    """``ecrm`` with a billing drop folder configured (ECRM_BILLING_DIR)."""
    return Ecrm({**cli_env, "ECRM_BILLING_DIR": str(drop)})


def _system(ecrm, clock):
    return bootstrap(Settings.from_env(ecrm.env), hasher=FAST_HASHER, clock=clock)


@pytest.fixture
def shop(ecrm, clock):
    """A client «Альфа» (mgr its client manager); a package, a router and mounting works
    with retail prices; a route of one step (the Director); three orders of mgr: Z-1 a
    draft, Z-2 waiting for the Director, Z-3 approved and moved to connection (its
    hand-off pending)."""
    ecrm("init", "--company", "ООО «Ромашка»", "--login", DIRECTOR, "--password",
         DIRECTOR_PASSWORD, "--full-name", "Соколов Андрей Викторович")
    system = _system(ecrm, clock)
    try:
        app = system.app
        d = app.access.directors()[0].id
        mgr = app.org.add_employee(d, {"login": "mgr", "password": PASSWORD,
                                       "full_name": "Менеджеров Максим"})
        catalog = app.catalogs.create(d, {"name": "Клиенты"})
        card = app.counterparties.register(d, {
            "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
            "full_name": "ООО «Альфа»", "inn": "7707083893", "kpp": "773601001"})
        app.access.grant(d, mgr.id, "client_manager", card.ref)
        retail = next(t for t in app.products.price_types(d) if t.code == "retail")
        items = {}
        for name, kind, unit, amount in (("Интернет 100 Мбит/с", "service", "мес", "1 200"),
                                         ("Маршрутизатор", "goods", "шт", "5 490"),
                                         ("Монтаж", "work", "ч", "1 500")):
            items[kind] = app.products.save_item(d, {"name": name, "item_kind": kind,
                                                     "unit": unit})
            app.products.set_price(d, {"item_id": items[kind].id, "price_type_id": retail.id,
                                       "valid_from": "2026-01-01", "amount": amount})
        route = app.orders.save_route(d, {"name": "Директор", "steps": [{"role": "director"}]})
        lines = [{"item_id": items["service"].id, "quantity": 1},
                 {"item_id": items["goods"].id, "quantity": 2},
                 {"item_id": items["work"].id, "quantity": "1,5"}]
        made = [app.orders.create(mgr.id, {"counterparty_id": card.id, "lines": lines})
                for _n in range(3)]
        app.orders.submit(mgr.id, made[1].id, route.id)
        app.orders.submit(mgr.id, made[2].id, route.id)
        app.orders.decide(d, made[2].id, True, "")
        app.orders.move(mgr.id, made[2].id, "connection")
        return SimpleNamespace(director=d, mgr=mgr, card=card, orders=made, route=route)
    finally:
        system.close()


def test_list_and_show(ecrm, shop):
    listed = ecrm("orders", "list").stdout
    assert "З-1" in listed and "З-3" in listed and "Альфа" in listed
    assert "13 230,00" in listed and "1 200,00" in listed
    assert "3 order(s); page 1 of 1." in listed
    assert "1 order(s)" in ecrm("orders", "list", "--state", "connection").stdout
    assert "3 order(s)" in ecrm("orders", "list", "--counterparty", str(shop.card.id)).stdout
    assert "No orders." in ecrm("orders", "list", "--state", "cancelled").stdout

    waiting = ecrm("orders", "show", str(shop.orders[1].id)).stdout
    assert "Заказ № З-2" in waiting and "На согласовании (approval)" in waiting
    assert "Approval round 1 «Директор»: pending" in waiting
    assert f"1. role director: waiting ({DIRECTOR})" in waiting
    connected = ecrm("orders", "show", str(shop.orders[2].id)).stdout
    assert "Подключение (connection)" in connected
    assert f"1. role director: approved by {DIRECTOR}" in connected
    assert f"ecrm-order-{shop.orders[2].id}-v1" in connected and "pending" in connected
    assert "Approval: not submitted yet." in ecrm("orders", "show",
                                                  str(shop.orders[0].id)).stdout


def test_the_estimate_as_text(ecrm, shop):
    text = ecrm("orders", "estimate", str(shop.orders[0].id)).stdout
    assert "СМЕТА НА ПОДКЛЮЧЕНИЕ № З-1 от 02.03.2026" in text
    assert "Клиент: ООО «Альфа», ИНН 7707083893, КПП 773601001" in text
    assert "Пакет услуг (ежемесячно):" in text and "Оборудование (разово):" in text
    assert "Разово (оборудование и работы): 13 230,00 руб. (в т.ч. НДС 2 385,74)" in text
    assert "Ежемесячно (пакет услуг): 1 200,00 руб. (в т.ч. НДС 216,39)" in text


def test_handoffs_are_redelivered_once_through_the_drop_folder(ecrm, shop, drop, clock):
    order_id = shop.orders[2].id
    key = f"ecrm-order-{order_id}-v1"
    pending = ecrm("orders", "handoffs", "--pending").stdout
    assert key in pending and "З-3" in pending and "1 hand-off(s)." in pending
    assert "Accepted 1, refused 0, still waiting 0." in ecrm("orders", "redeliver").stdout
    document = json.loads((drop / f"{key}.json").read_text(encoding="utf-8"))
    assert document["schema"] == "ecrm.billing/1" and document["key"] == key
    assert document["order"]["totals"]["one_time"]["total"] == "13230.00"
    assert "No pending hand-offs." in ecrm("orders", "handoffs", "--pending").stdout
    listed = ecrm("orders", "handoffs").stdout
    assert key in listed and "accepted" in listed
    # never sent again: the sweep finds nothing, the file stays as written
    written = (drop / f"{key}.json").stat().st_mtime_ns
    clock.advance(hours=2)
    assert "Accepted 0, refused 0, still waiting 0." in ecrm("orders", "redeliver").stdout
    assert (drop / f"{key}.json").stat().st_mtime_ns == written
    assert "accepted" in ecrm("orders", "show", str(order_id)).stdout


def test_without_billing_the_hand_offs_wait(cli_env, shop, clock):
    plain = Ecrm(cli_env)  # no billing settings at all (ECRM_BILLING_URL, ECRM_BILLING_DIR unset)
    result = plain("orders", "redeliver")
    assert "Billing is not configured" in result.stderr
    assert "Accepted 0, refused 0, still waiting 1." in result.stdout
    listed = plain("orders", "handoffs", "--pending").stdout
    assert "billing is not configured" in listed and " 1 " in listed


def test_errors_are_one_line(ecrm, shop):
    assert "not found" in ecrm("orders", "show", "999", code=1).output.lower()
    assert "Error: Invalid value for 'ID'" in ecrm("orders", "estimate", "x", code=2).output
    assert "--as: no employee" in ecrm("orders", "list", "--as", "nobody", code=2).output
    assert "--page" in ecrm("orders", "list", "--page", "0", code=2).output
