"""Money, VAT rates and the arithmetic of invoice lines (INV-1, PROP-1; ../shared/spec
integrations.md "Money and VAT").

- ``Money`` is a sum in rubles on ``Decimal``, exact to the kopeck. It takes a Decimal or
  an int — never a float, never text (text is user input: ``parse_decimal``). Sums add
  and subtract exactly; multiplying by a quantity or a share rounds half up to kopecks.
- ``VatRate``: reference values with validity dates — 22% (the general rate from
  1 January 2026), 20% (until 31 December 2025), 10%, 5% and 7% (simplified-system
  payers), 0% (exports) and "без НДС".
- An invoice line as Russian invoices count it: sum = round(quantity × price, 2) −
  discount, rounded per line (ROUND_HALF_UP); VAT per line either included in the sum
  (vat = round(sum × r / (100 + r))) or charged on top (vat = round(sum × r / 100),
  total = sum + vat). The invoice's totals are the sums of the rounded lines, so the
  printed columns always add up.
- Quantities have up to 3 decimal places; sums up to 999 999 999 999.99 (storage:
  NUMERIC(14, 2) for sums, NUMERIC(12, 3) for quantities).
- User input "1 234,56" (spaces or no-break spaces between thousands, a comma or a dot)
  is read by ``parse_decimal``; the ``*_field`` helpers put a message under the field's
  name into ``kernel.fields.Fields``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

import attrs

from ecrm_core.kernel.fields import Fields

RUB = "RUB"
KOPECK = Decimal("0.01")
QUANTITY_STEP = Decimal("0.001")
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("999999999.999")
#: Enough digits for quantity × price and the VAT divisions without loss.
PRECISION = 60

#: "1 234,56", "1234.56", "-5", "1 000" — spaces group thousands, comma or dot separates.
NUMBER_RE = re.compile(r"^-?(?:[0-9]{1,3}(?: [0-9]{3})+|[0-9]+)(?:[.,][0-9]+)?$")
#: Spaces people and formatters put between thousands: space, no-break, narrow, thin.
GROUP_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


def round_kopecks(value: Decimal) -> Decimal:
    """Half up to the kopeck (1.005 → 1.01, −1.005 → −1.01)."""
    with localcontext(prec=PRECISION):
        return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def _exact(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"Money takes a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError("Money must be a finite number")
    with localcontext(prec=PRECISION):
        kopecks = number.quantize(KOPECK)
    if kopecks != number:
        raise ValueError(f"{number} is not a whole number of kopecks; use Money.rounded")
    return kopecks


@attrs.frozen(order=False)
class Money:
    """A sum of money, exact to the kopeck."""

    amount: Decimal = attrs.field(converter=_exact)
    currency: str = attrs.field(default=RUB)

    @currency.validator
    def _currency(self, _attribute, value):
        if not (isinstance(value, str) and len(value) == 3 and value.isascii()
                and value.isupper()):
            raise ValueError("a currency is three capital Latin letters (RUB)")

    @classmethod
    def rounded(cls, value: Decimal | int, currency: str = RUB) -> Money:
        """``value`` rounded half up to the kopeck."""
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"Money takes a Decimal or an int, not {type(value).__name__}")
        return cls(round_kopecks(Decimal(value)), currency)

    @classmethod
    def zero(cls, currency: str = RUB) -> Money:
        return cls(Decimal("0.00"), currency)

    @classmethod
    def from_kopecks(cls, kopecks: int, currency: str = RUB) -> Money:
        if isinstance(kopecks, bool) or not isinstance(kopecks, int):
            raise TypeError("kopecks are a whole number")
        return cls(Decimal(kopecks).scaleb(-2), currency)

    @classmethod
    def total(cls, sums: Iterable[Money], currency: str = RUB) -> Money:
        result = cls.zero(currency)
        for item in sums:
            result = result + item
        return result

    @property
    def kopecks(self) -> int:
        return int(self.amount.scaleb(2))

    def _same(self, other: Any) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __radd__(self, other: Any) -> Money:
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self  # sum([...]) starts from 0
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        """× a quantity or a rate, rounded half up to the kopeck."""
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            return NotImplemented
        with localcontext(prec=PRECISION):
            return Money.rounded(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def percent(self, share: Decimal | int) -> Money:
        """``share`` per cent of this sum, rounded half up."""
        with localcontext(prec=PRECISION):
            return self * (Decimal(share) / 100)

    def allocate(self, weights: Sequence[Decimal | int]) -> tuple[Money, ...]:
        """Split into parts proportional to ``weights`` that add up exactly (the
        largest remainders get the odd kopecks): 100.00 by (1, 1, 1) → 33.34, 33.33, 33.33."""
        if not weights or any(isinstance(w, bool) or not isinstance(w, Decimal | int)
                              or w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("weights are non-negative Decimals or ints, not all zero")
        whole = sum(Decimal(w) for w in weights)
        total = self.kopecks
        with localcontext(prec=PRECISION):
            exact = [Decimal(total) * Decimal(w) / whole for w in weights]
        parts = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
        left = total - sum(parts)
        by_remainder = sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))
        for i in by_remainder[:left]:
            parts[i] += 1
        return tuple(Money.from_kopecks(p, self.currency) for p in parts)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def in_rubles(self) -> str:
        """The sum as Russian documents and messages write it: «13 230,00 ₽» (no-break
        spaces between thousands; ``parse_decimal`` reads it back)."""
        sign = "-" if self.amount < 0 else ""
        whole, _, kopecks = f"{abs(self.amount):.2f}".partition(".")
        groups = f"{int(whole):,}".replace(",", "\u00a0")
        mark = "₽" if self.currency == RUB else self.currency
        return f"{sign}{groups},{kopecks}\u00a0{mark}"


# -- VAT --------------------------------------------------------------------------------


@attrs.frozen
class VatRate:
    """A VAT rate of the reference data. ``percent`` None is "без НДС" (no VAT: the
    invoice says "Без НДС"), unlike 0% (exports: "НДС 0%")."""

    code: str
    percent: Decimal | None
    #: how documents print it (Russian: reference data, like the typical tasks)
    name: str
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_to is None or day <= self.valid_to)

    def included(self, amount: Money) -> Money:
        """The VAT inside a sum that includes it: round(sum × r / (100 + r))."""
        if not self.percent:
            return Money.zero(amount.currency)
        with localcontext(prec=PRECISION):
            return Money.rounded(amount.amount * self.percent / (100 + self.percent),
                                 amount.currency)

    def on_top(self, amount: Money) -> Money:
        """The VAT charged on a sum without it: round(sum × r / 100)."""
        if not self.percent:
            return Money.zero(amount.currency)
        with localcontext(prec=PRECISION):
            return Money.rounded(amount.amount * self.percent / 100, amount.currency)


NO_VAT = VatRate("none", None, "Без НДС")
VAT_0 = VatRate("0", Decimal(0), "НДС 0%")
VAT_5 = VatRate("5", Decimal(5), "НДС 5%", valid_from=date(2025, 1, 1))
VAT_7 = VatRate("7", Decimal(7), "НДС 7%", valid_from=date(2025, 1, 1))
VAT_10 = VatRate("10", Decimal(10), "НДС 10%")
VAT_20 = VatRate("20", Decimal(20), "НДС 20%", valid_to=date(2025, 12, 31))
VAT_22 = VatRate("22", Decimal(22), "НДС 22%", valid_from=date(2026, 1, 1))
#: The reference values, the general rate first.
VAT_RATES: tuple[VatRate, ...] = (VAT_22, VAT_10, VAT_0, NO_VAT, VAT_5, VAT_7, VAT_20)


def vat_rate(code: str) -> VatRate | None:
    return next((r for r in VAT_RATES if r.code == code), None)


def rates_on(day: date) -> tuple[VatRate, ...]:
    """The rates a document dated ``day`` may use."""
    return tuple(r for r in VAT_RATES if r.valid_on(day))


# -- invoice lines ----------------------------------------------------------------------


@attrs.frozen
class LineAmounts:
    """One line counted: ``amount`` is what its "Сумма" column shows (round(q × p) −
    discount); ``vat`` the VAT in or on it; ``total`` with VAT, ``net`` without."""

    amount: Money
    vat: Money
    total: Money
    net: Money


def _quantity(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"a quantity is a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite() or number <= 0 or number > MAX_QUANTITY \
            or number.quantize(QUANTITY_STEP) != number:
        raise ValueError(f"a quantity above 0 with at most 3 decimal places, not {number}")
    return number


@attrs.frozen
class InvoiceLine:
    """The money of one line of an invoice (or a proposal): quantity × price − discount
    at a VAT rate. The line's name and unit belong to the document."""

    quantity: Decimal = attrs.field(converter=_quantity)
    price: Money
    vat_rate: VatRate = VAT_22
    discount: Money = attrs.field(factory=Money.zero)

    def __attrs_post_init__(self) -> None:
        if self.price.amount < 0 or self.discount.amount < 0:
            raise ValueError("a price and a discount are not negative")
        if self.discount > self.gross:
            raise ValueError("the discount exceeds the line's sum")

    @property
    def gross(self) -> Money:
        """round(quantity × price, 2) before the discount."""
        return self.price * self.quantity

    def amounts(self, vat_included: bool) -> LineAmounts:
        amount = self.gross - self.discount
        if vat_included:
            vat = self.vat_rate.included(amount)
            return LineAmounts(amount=amount, vat=vat, total=amount, net=amount - vat)
        vat = self.vat_rate.on_top(amount)
        return LineAmounts(amount=amount, vat=vat, total=amount + vat, net=amount)


@attrs.frozen
class VatLine:
    """The VAT of one rate over an invoice ("в т.ч. НДС 22%: …")."""

    rate: VatRate
    amount: Money
    vat: Money


@attrs.frozen
class InvoiceTotals:
    """The invoice's totals: sums of its rounded lines (INV-1). ``amount``: the "Итого"
    of the lines; ``vat``: "В том числе НДС" (included) or "НДС" (on top); ``total``:
    "Всего к оплате"; ``by_rate``: the VAT per rate, in the order of ``VAT_RATES``."""

    lines: tuple[LineAmounts, ...]
    amount: Money
    vat: Money
    total: Money
    net: Money
    by_rate: tuple[VatLine, ...]

    @property
    def without_vat(self) -> bool:
        """Every line is "без НДС": the document prints "Без НДС"."""
        return all(v.rate.percent is None for v in self.by_rate)


def invoice_totals(lines: Sequence[InvoiceLine], vat_included: bool = True,
                   currency: str = RUB) -> InvoiceTotals:
    counted = tuple(line.amounts(vat_included) for line in lines)
    by_rate = []
    for rate in VAT_RATES:
        mine = [c for line, c in zip(lines, counted, strict=True) if line.vat_rate == rate]
        if mine:
            by_rate.append(VatLine(rate, Money.total((c.amount for c in mine), currency),
                                   Money.total((c.vat for c in mine), currency)))
    return InvoiceTotals(
        lines=counted,
        amount=Money.total((c.amount for c in counted), currency),
        vat=Money.total((c.vat for c in counted), currency),
        total=Money.total((c.total for c in counted), currency),
        net=Money.total((c.net for c in counted), currency),
        by_rate=tuple(by_rate),
    )


# -- user input -------------------------------------------------------------------------


def number_error(value: Any, places: int) -> str | None:
    """Why ``value`` is not a number with at most ``places`` decimals (2 or 3), or None."""
    try:
        number = _read_number(value)
    except (ValueError, InvalidOperation):
        return "a number like 1 234,56"
    if number is None:
        return None
    step = KOPECK if places == 2 else QUANTITY_STEP
    with localcontext(prec=PRECISION):
        if number.quantize(step) != number:
            return "at most 2 decimal places" if places == 2 else "at most 3 decimal places"
    return None


def _read_number(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        # A JSON number: its shortest repr is the decimal the client wrote (0.1 → "0.1").
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = " ".join(value.translate(GROUP_SPACES).split())
        if text.endswith("₽"):
            text = text[:-1].rstrip()
        if not text:
            return None
        if not NUMBER_RE.match(text) or len(text) > 40:
            raise ValueError("not a number")
        number = Decimal(text.replace(" ", "").replace(",", "."))
    else:
        raise ValueError("not a number")
    if not number.is_finite() or abs(number.adjusted()) > 30:
        raise ValueError("not a number")
    return number


def parse_decimal(value: Any, places: int = 2) -> Decimal | None:
    """User input as a Decimal (None when empty); ValueError with the message to show."""
    message = number_error(value, places)
    if message:
        raise ValueError(message)
    return _read_number(value)


def amount_error(value: Decimal, *, positive: bool = False) -> str | None:
    if value < 0:
        return "must not be negative"
    if positive and value == 0:
        return "must be more than zero"
    if value > MAX_AMOUNT:
        return "too large"
    return None


def money_field(fields: Fields, data: dict, name: str, *, required: bool = False,
                positive: bool = False) -> Money | None:
    """A sum of rubles from ``data[name]``, or None with a message under ``name``."""
    try:
        number = parse_decimal(data.get(name), 2)
    except ValueError as exc:
        fields.errors[name] = str(exc)
        return None
    if number is None:
        if required:
            fields.errors[name] = "required"
        return None
    if message := amount_error(number, positive=positive):
        fields.errors[name] = message
        return None
    return Money(number)


def quantity_error(value: Decimal) -> str | None:
    if value <= 0:
        return "must be more than zero"
    if value > MAX_QUANTITY:
        return "too large"
    return None


def quantity_field(fields: Fields, data: dict, name: str, *, required: bool = True
                   ) -> Decimal | None:
    """A quantity (up to 3 decimal places, above 0) from ``data[name]``."""
    try:
        number = parse_decimal(data.get(name), 3)
    except ValueError as exc:
        fields.errors[name] = str(exc)
        return None
    if number is None:
        if required:
            fields.errors[name] = "required"
        return None
    if message := quantity_error(number):
        fields.errors[name] = message
        return None
    return number


def vat_rate_error(rate: VatRate, day: date | None) -> str | None:
    if day is not None and not rate.valid_on(day):
        return "this VAT rate does not apply on the document's date"
    return None


def vat_rate_field(fields: Fields, data: dict, name: str, *, on: date | None = None,
                   default: VatRate | None = None) -> VatRate | None:
    """A VAT rate by code ("22", "10", "0", "none", …) valid on the document's date."""
    raw = data.get(name)
    if raw in (None, ""):
        if default is None:
            fields.errors[name] = "required"
        return default
    rate = vat_rate(str(raw).strip().rstrip("%").strip().lower())
    if rate is None:
        fields.errors[name] = "one of: " + ", ".join(r.code for r in VAT_RATES)
        return None
    if message := vat_rate_error(rate, on):
        fields.errors[name] = message
        return None
    return rate


def line_sum_error(quantity: Decimal, price: Money) -> str | None:
    """Why quantity × price makes no line (too large a sum), or None."""
    if (price * quantity).amount > MAX_AMOUNT:
        return "the line's sum is too large"
    return None


def discount_error(quantity: Decimal, price: Money, discount: Money) -> str | None:
    if discount > price * quantity:
        return "the discount exceeds the line's sum"
    return None


def line_field(fields: Fields, data: dict, at: str = "", *, on: date | None = None,
               default_rate: VatRate | None = VAT_22) -> InvoiceLine | None:
    """The money of one line from ``data`` (``quantity``, ``price``, ``discount``,
    ``vat_rate``), messages under ``{at}.quantity`` … (or the bare names without ``at``)."""
    prefix = f"{at}." if at else ""
    flat = {f"{prefix}{k}": data.get(k) for k in ("quantity", "price", "discount", "vat_rate")}
    quantity = quantity_field(fields, flat, f"{prefix}quantity")
    price = money_field(fields, flat, f"{prefix}price", required=True)
    discount = money_field(fields, flat, f"{prefix}discount") or Money.zero()
    rate = vat_rate_field(fields, flat, f"{prefix}vat_rate", on=on, default=default_rate)
    if quantity is None or price is None or rate is None:
        return None
    if message := line_sum_error(quantity, price):
        fields.errors[f"{prefix}price"] = message
        return None
    if message := discount_error(quantity, price, discount):
        fields.errors[f"{prefix}discount"] = message
        return None
    return InvoiceLine(quantity=quantity, price=price, vat_rate=rate, discount=discount)
