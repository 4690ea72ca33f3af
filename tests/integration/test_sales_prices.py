"""Dated prices on SQLite (PRD-3): random price histories are set through ProductService
— new prices, open-ended ones that close the earlier open price, overlaps the service
refuses — and then, for every day of the span, ``price_on`` (one indexed query: the latest
start on or before the day) agrees with a brute-force scan of the item's ranges."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecrm_core.kernel.errors import NotFound, ValidationFailed
from ecrm_core.money import Money
from tests.conftest import found, make_system

BASE = date(2026, 1, 1)
SPAN = 60

change = st.tuples(
    st.sampled_from(["retail", "wholesale"]),
    st.integers(0, SPAN - 10),                       # start, days after BASE
    st.one_of(st.none(), st.integers(1, 30)),        # length in days; None: open-ended
    st.integers(1, 10**9),                           # amount in kopecks
)


@pytest.fixture(scope="module")
def shop(_sqlite_template, tmp_path_factory):
    """One system for every example (each example prices its own item)."""
    folder = tmp_path_factory.mktemp("prices")
    shutil.copy(_sqlite_template, folder / "ecrm.db")
    system = make_system(f"sqlite:///{folder / 'ecrm.db'}", folder)
    director = found(system).id
    types = {t.code: t.id for t in system.app.products.price_types(director)}
    yield system.app, director, types
    system.close()


@settings(max_examples=15)
@given(changes=st.lists(change, min_size=1, max_size=8))
def test_the_price_on_a_day_is_the_one_range_holding_it(shop, changes):
    app, director, types = shop
    item = app.products.save_item(director, {"name": "Товар"})
    for code, start, length, kopecks in changes:
        valid_from = BASE + timedelta(days=start)
        valid_to = valid_from + timedelta(days=length) if length else None
        amount = Money.from_kopecks(kopecks)
        data = {"item_id": item.id, "price_type_id": types[code],
                "valid_from": valid_from.isoformat(),
                "valid_to": valid_to.isoformat() if valid_to else "",
                "amount": str(amount.amount)}
        try:
            app.products.set_price(director, data)
        except ValidationFailed as refused:
            assert set(refused.errors) == {"valid_from"}
            continue
        assert app.products.price_on(director, item.id, types[code],
                                     valid_from.isoformat()).amount == amount
    prices = app.products.prices(director, item.id)
    for code, type_id in types.items():
        ranges = [p for p in prices if p.price_type_id == type_id]
        for day in (BASE + timedelta(days=n) for n in range(-1, SPAN + 25)):
            holding = [p for p in ranges if p.covers(day)]
            assert len(holding) <= 1, (code, day, holding)
            if holding:
                found_ = app.products.price_on(director, item.id, type_id, day.isoformat())
                assert (found_.id, found_.amount) == (holding[0].id, holding[0].amount)
            else:
                with pytest.raises(NotFound):
                    app.products.price_on(director, item.id, type_id, day.isoformat())


def test_a_price_history_by_hand(shop):
    """4 990 from January, 5 490 from March: the January price closes itself at March;
    a range inside the closed one is refused."""
    app, director, types = shop
    item = app.products.save_item(director, {"name": "Маршрутизатор"})
    retail = types["retail"]

    def on(day: str) -> Decimal:
        return app.products.price_on(director, item.id, retail, day).amount.amount

    app.products.set_price(director, {"item_id": item.id, "price_type_id": retail,
                                      "valid_from": "2026-01-01", "amount": "4 990,00"})
    app.products.set_price(director, {"item_id": item.id, "price_type_id": retail,
                                      "valid_from": "2026-03-01", "amount": "5490"})
    assert (on("2026-02-28"), on("2026-03-01"), on("2030-01-01")) == (
        Decimal("4990"), Decimal("5490"), Decimal("5490"))
    with pytest.raises(ValidationFailed):
        app.products.set_price(director, {"item_id": item.id, "price_type_id": retail,
                                          "valid_from": "2026-02-01",
                                          "valid_to": "2026-02-10", "amount": "1"})
    assert [(p.valid_from.isoformat(), p.valid_to and p.valid_to.isoformat())
            for p in app.products.prices(director, item.id)] == [
        ("2026-01-01", "2026-03-01"), ("2026-03-01", None)]


def test_a_promotion_inside_an_open_price_splits_it_under_the_database_guards(shop):
    """A bounded price over an open-ended one: the open one closes at the promotion's
    start and resumes at its end — three rows the database's own no-overlap triggers
    accept."""
    app, director, types = shop
    item = app.products.save_item(director, {"name": "Тариф «Офис»"})
    retail = types["retail"]
    app.products.set_price(director, {"item_id": item.id, "price_type_id": retail,
                                      "valid_from": "2026-01-01", "amount": "2000"})
    app.products.set_price(director, {"item_id": item.id, "price_type_id": retail,
                                      "valid_from": "2026-04-01", "valid_to": "2026-04-11",
                                      "amount": "1500"})
    assert [(p.valid_from.isoformat(), p.valid_to and p.valid_to.isoformat(),
             p.amount.amount) for p in app.products.prices(director, item.id)] == [
        ("2026-01-01", "2026-04-01", Decimal("2000")),
        ("2026-04-01", "2026-04-11", Decimal("1500")),
        ("2026-04-11", None, Decimal("2000"))]
