"""Money, VAT and invoice-line arithmetic (INV-1, PROP-1; spec integrations.md "Money and
VAT"): exact kopecks, no floats, rounding half up per line, totals as sums of the rounded
lines, VAT included or on top, reading "1 234,56" from a form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecrm_core.kernel.fields import Fields
from ecrm_core.money import (
    MAX_AMOUNT,
    NO_VAT,
    VAT_0,
    VAT_10,
    VAT_20,
    VAT_22,
    VAT_RATES,
    InvoiceLine,
    Money,
    invoice_totals,
    line_field,
    money_field,
    parse_decimal,
    quantity_field,
    rates_on,
    vat_rate,
    vat_rate_field,
)

kopecks = st.integers(min_value=0, max_value=10**11)
sums = kopecks.map(Money.from_kopecks)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10000), places=3)
rates = st.sampled_from(VAT_RATES)


@st.composite
def lines(draw) -> InvoiceLine:
    quantity = draw(quantities)
    price = Money.from_kopecks(draw(st.integers(0, 10**8)))
    gross = price * quantity
    discount = Money.from_kopecks(draw(st.integers(0, gross.kopecks)))
    return InvoiceLine(quantity=quantity, price=price, vat_rate=draw(rates), discount=discount)


def test_money_is_exact_and_takes_no_floats():
    assert Money(Decimal("1234.5")).amount == Decimal("1234.50")
    assert Money(10) == Money(Decimal("10.00"))
    assert str(Money(Decimal("1501.05"))) == "1501.05 RUB"
    for bad in (0.1, 1.0, "12.30", None, True):
        with pytest.raises(TypeError):
            Money(bad)
    with pytest.raises(ValueError, match="kopecks"):
        Money(Decimal("1.005"))
    with pytest.raises(ValueError):
        Money(Decimal("NaN"))
    with pytest.raises(TypeError):
        Money(1) * 0.5
    with pytest.raises(TypeError):
        Money(1) + 1
    with pytest.raises(ValueError):
        Money(1) + Money(1, "USD")
    assert Money.rounded(Decimal("1.005")) == Money(Decimal("1.01"))  # half up
    assert Money.rounded(Decimal("-1.005")) == Money(Decimal("-1.01"))
    assert Money.rounded(Decimal("2.675")) == Money(Decimal("2.68"))  # 2.675 as a float: 2.67
    assert sum([Money(1), Money(2)]) == Money(3)
    assert Money.from_kopecks(150105).amount == Decimal("1501.05")


@given(a=kopecks, b=kopecks)
def test_sums_add_and_subtract_exactly(a, b):
    x, y = Money.from_kopecks(a), Money.from_kopecks(b)
    assert (x + y).kopecks == a + b
    assert (x - y).kopecks == a - b
    assert (x + y - y) == x
    assert (x < y) == (a < b) and (x >= y) == (a >= b)
    assert type((x + y).amount) is Decimal and (x + y).amount.as_tuple().exponent == -2


@given(total=sums, weights=st.lists(st.integers(0, 1000), min_size=1, max_size=6).filter(any))
def test_allocation_adds_up_to_the_kopeck(total, weights):
    parts = total.allocate(weights)
    assert Money.total(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part.amount - total.amount * weight / whole) < Decimal("0.01")


def test_vat_rates_are_reference_data_with_dates():
    assert vat_rate("22") is VAT_22 and vat_rate("none") is NO_VAT and vat_rate("18") is None
    assert VAT_RATES[0] is VAT_22  # the general rate first
    assert VAT_22 in rates_on(date(2026, 1, 1)) and VAT_20 not in rates_on(date(2026, 1, 1))
    assert VAT_20 in rates_on(date(2025, 12, 31)) and VAT_22 not in rates_on(date(2025, 12, 31))
    assert {VAT_10, VAT_0, NO_VAT} <= set(rates_on(date(2026, 6, 1)))
    assert NO_VAT.name == "Без НДС" and VAT_22.name == "НДС 22%"


def test_an_invoice_counted_as_russian_invoices_do():
    # 3 × 333.33 = 999.99; 1.5 × 100.01 = 150.015 → 150.02 (half up, per line)
    a = InvoiceLine(quantity=Decimal(3), price=Money(Decimal("333.33")))
    b = InvoiceLine(quantity=Decimal("1.5"), price=Money(Decimal("100.01")),
                    discount=Money(Decimal("0.02")))
    c = InvoiceLine(quantity=Decimal(1), price=Money(1000), vat_rate=NO_VAT)
    included = invoice_totals([a, b, c], vat_included=True)
    assert [x.amount for x in included.lines] == [
        Money(Decimal("999.99")), Money(150), Money(1000)]
    # 999.99 × 22/122 = 180.3260… → 180.33; 150 × 22/122 = 27.0491… → 27.05
    assert [x.vat for x in included.lines] == [
        Money(Decimal("180.33")), Money(Decimal("27.05")), Money(0)]
    assert included.total == Money(Decimal("2149.99")) == included.amount
    assert included.vat == Money(Decimal("207.38"))
    assert [(v.rate, v.vat) for v in included.by_rate] == [
        (VAT_22, Money(Decimal("207.38"))), (NO_VAT, Money(0))]
    assert not included.without_vat
    on_top = invoice_totals([a, b], vat_included=False)
    # 999.99 × 0.22 = 219.9978 → 220.00; 150 × 0.22 = 33.00
    assert on_top.vat == Money(Decimal("253.00"))
    assert on_top.total == Money(Decimal("1402.99"))
    assert invoice_totals([c]).without_vat


@given(st.lists(lines(), max_size=8), st.booleans())
def test_totals_are_the_sums_of_the_rounded_lines(items, vat_included):
    totals = invoice_totals(items, vat_included)
    assert totals.total == Money.total(x.total for x in totals.lines)
    assert totals.vat == Money.total(x.vat for x in totals.lines)
    assert totals.amount == Money.total(x.amount for x in totals.lines)
    assert totals.net + totals.vat == totals.total
    assert Money.total(v.vat for v in totals.by_rate) == totals.vat
    for line, counted in zip(items, totals.lines, strict=True):
        assert counted.amount == Money.rounded(line.quantity * line.price.amount) - line.discount
        assert counted.amount.amount >= 0 and counted.vat.amount >= 0


@given(net=sums, rate=rates)
def test_vat_on_top_then_included_gives_the_same_vat(net, rate):
    vat = rate.on_top(net)
    assert rate.included(net + vat) == vat


@given(total=sums, rate=rates)
def test_vat_included_then_on_top_round_trips_within_a_kopeck(total, rate):
    vat = rate.included(total)
    net = total - vat
    assert abs((net + rate.on_top(net)).kopecks - total.kopecks) <= 1
    assert abs(rate.on_top(net).kopecks - vat.kopecks) <= 1


@given(st.lists(lines(), max_size=5), st.booleans())
def test_no_float_anywhere_in_the_results(items, vat_included):
    totals = invoice_totals(items, vat_included)
    for money in (totals.total, totals.vat, totals.amount, totals.net,
                  *(x.total for x in totals.lines), *(x.vat for x in totals.lines)):
        assert type(money.amount) is Decimal


@pytest.mark.parametrize("text, places, value", [
    ("1 234,56", 2, Decimal("1234.56")),
    ("1\u00a0234,56 ₽", 2, Decimal("1234.56")),
    ("1\u202f234\u202f567,8", 2, Decimal("1234567.8")),
    ("1234.56", 2, Decimal("1234.56")),
    ("  -5 ", 2, Decimal(-5)),
    ("1,500", 3, Decimal("1.5")),
    ("1,50", 2, Decimal("1.5")),
    (0.1, 2, Decimal("0.1")),  # a JSON number: the decimal the client wrote
    (12, 2, Decimal(12)),
    (Decimal("3.30"), 2, Decimal("3.3")),
    ("", 2, None),
    (None, 2, None),
])
def test_reading_numbers_people_type(text, places, value):
    assert parse_decimal(text, places) == value


@pytest.mark.parametrize("text, places, message", [
    ("1,234.56", 2, "a number like 1 234,56"),
    ("12 34", 2, "a number like 1 234,56"),
    ("1e5", 2, "a number like 1 234,56"),
    ("abc", 2, "a number like 1 234,56"),
    ("1,", 2, "a number like 1 234,56"),
    (True, 2, "a number like 1 234,56"),
    (float("nan"), 2, "a number like 1 234,56"),
    ("1,005", 2, "at most 2 decimal places"),
    ("0,0005", 3, "at most 3 decimal places"),
])
def test_bad_numbers_are_named(text, places, message):
    with pytest.raises(ValueError, match=message):
        parse_decimal(text, places)


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2,
                   allow_nan=False, allow_infinity=False))
def test_russian_formatting_reads_back(value):
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.2f}".partition(".")
    groups = f"{int(whole):,}".replace(",", "\u00a0")
    assert parse_decimal(f"{sign}{groups},{frac}", 2) == value


def test_form_fields_name_every_bad_value():
    fields = Fields()
    data = {"price": "12,345", "quantity": "0", "discount": "-1", "vat_rate": "18",
            "total": "1 000 000 000 000", "paid": ""}
    assert money_field(fields, data, "price") is None
    assert quantity_field(fields, data, "quantity") is None
    assert money_field(fields, data, "discount") is None
    assert vat_rate_field(fields, data, "vat_rate") is None
    assert money_field(fields, data, "total") is None
    assert money_field(fields, data, "paid", required=True) is None
    assert fields.errors == {
        "price": "at most 2 decimal places",
        "quantity": "must be more than zero",
        "discount": "must not be negative",
        "vat_rate": "one of: 22, 10, 0, none, 5, 7, 20",
        "total": "too large",
        "paid": "required",
    }
    fields = Fields()
    assert vat_rate_field(fields, {"r": "20%"}, "r", on=date(2026, 2, 1)) is None
    assert fields.errors == {"r": "this VAT rate does not apply on the document's date"}
    assert money_field(Fields(), {"x": str(MAX_AMOUNT)}, "x") == Money(MAX_AMOUNT)


def test_a_line_from_a_form():
    fields = Fields()
    line = line_field(fields, {"quantity": "2,5", "price": "1 000", "vat_rate": "10"},
                      "lines[0]")
    assert fields.errors == {}
    assert line == InvoiceLine(quantity=Decimal("2.5"), price=Money(1000), vat_rate=VAT_10)
    assert line.amounts(vat_included=False).total == Money(2750)
    fields = Fields()
    assert line_field(fields, {"quantity": "2", "price": "10", "discount": "20,01"},
                      "lines[1]") is None
    assert fields.errors == {"lines[1].discount": "the discount exceeds the line's sum"}
    fields = Fields()
    assert line_field(fields, {"quantity": "999999999", "price": "999999999999"},
                      "lines[2]") is None
    assert fields.errors == {"lines[2].price": "the line's sum is too large"}
    fields = Fields()
    assert line_field(fields, {}, "lines[3]") is None
    assert fields.errors == {"lines[3].quantity": "required", "lines[3].price": "required"}


def test_a_line_refuses_impossible_numbers():
    with pytest.raises(ValueError):
        InvoiceLine(quantity=Decimal("0.0001"), price=Money(1))
    with pytest.raises(ValueError):
        InvoiceLine(quantity=Decimal(0), price=Money(1))
    with pytest.raises(TypeError):
        InvoiceLine(quantity=1.5, price=Money(1))
    with pytest.raises(ValueError, match="discount"):
        InvoiceLine(quantity=Decimal(1), price=Money(1), discount=Money(2))


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2,
                   allow_nan=False, allow_infinity=False))
def test_a_sum_in_rubles_reads_back(value):
    text = Money(value).in_rubles()
    assert text.endswith("\u00a0₽") and parse_decimal(text, 2) == value


def test_a_sum_in_rubles_looks_as_documents_write_it():
    assert Money(Decimal("13230")).in_rubles() == "13\u00a0230,00\u00a0₽"
