"""Column types that give the core its own value types back on every database."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric, String
from sqlalchemy.types import TypeDecorator

from ecrm_core.attributes import AttributeDef, dump_defs, parse_defs
from ecrm_core.money import RUB, Money
from ecrm_core.orders.model import (
    Decision,
    OrderLine,
    Part,
    steps_data,
    steps_from_data,
)
from ecrm_core.products.model import TemplateLine
from ecrm_core.sales.model import Line
from ecrm_core.workflow.definition import dump_states, dump_transitions, load_definition
from ecrm_core.workflow.model import StateDef, TransitionDef


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out. SQLite keeps no zone and hands back naive
    values; PostgreSQL's timestamptz does. Both leave here aware and in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StrEnum(TypeDecorator):
    """A ``enum.StrEnum`` stored as its value in a plain VARCHAR (no native enum, so a
    new value in a reference book needs no ALTER TYPE)."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_cls: type[enum.Enum], length: int = 32) -> None:
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.enum_cls(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_cls(value)

    def __repr__(self) -> str:
        return f"StrEnum({self.enum_cls.__name__})"


def _amount(value: Money) -> Decimal:
    if not isinstance(value, Money):
        raise TypeError(f"a Money column takes Money, not {type(value).__name__}")
    if value.currency != RUB:
        raise ValueError(f"only {RUB} sums are stored, not {value.currency}")
    return value.amount


class MoneyType(TypeDecorator):
    """``Money`` (rubles, exact to the kopeck) in a NUMERIC(14, 2) column.

    PostgreSQL keeps and returns exact decimals. SQLite has no decimal type: a NUMERIC
    column holds the sum as a float (or an integer when it is whole), and 14 significant
    digits — the largest sum, 999 999 999 999.99 — survive a double exactly when read
    back at two decimal places."""

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            # the float conversion is done here, without SQLAlchemy's decimal warning
            return dialect.type_descriptor(Numeric(14, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(14, 2))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount = _amount(value)
        return float(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, Decimal):
            return Money(value.quantize(Decimal("0.01")))
        return Money(Decimal(f"{value:.2f}"))


class ValueJSON(TypeDecorator):
    """A tuple of the core's frozen value objects kept as plain JSON: ``dump`` turns the
    Python value into JSON data on the way in, ``load`` turns it back on the way out
    (state definitions, attribute definitions, template and invoice lines)."""

    impl = JSON
    cache_ok = True

    def __init__(self, dump: Callable[[Any], Any], load: Callable[[Any], Any]) -> None:
        super().__init__()
        self.dump = dump
        self.load = load

    def process_bind_param(self, value, dialect):
        return None if value is None else self.dump(value)

    def process_result_value(self, value, dialect):
        return None if value is None else self.load(value)

    def __repr__(self) -> str:
        return f"ValueJSON({getattr(self.load, '__name__', 'load')})"


def _money_text(value: Money) -> str:
    return str(_amount(value))


def dump_lines(lines: tuple[Line, ...]) -> list[dict[str, Any]]:
    """Invoice lines as JSON: quantities and sums as decimal text (never floats)."""
    return [{"name": x.name, "quantity": str(x.quantity), "price": _money_text(x.price),
             "unit": x.unit, "vat_rate": x.vat_rate, "discount": _money_text(x.discount),
             "item_id": x.item_id} for x in lines]


def load_lines(data: list[dict[str, Any]]) -> tuple[Line, ...]:
    return tuple(Line(name=x["name"], quantity=Decimal(x["quantity"]),
                      price=Money(Decimal(x["price"])), unit=x["unit"],
                      vat_rate=x["vat_rate"], discount=Money(Decimal(x["discount"])),
                      item_id=x.get("item_id")) for x in data)


def dump_template(lines: tuple[TemplateLine, ...]) -> list[dict[str, Any]]:
    return [{"item_id": x.item_id, "quantity": str(x.quantity)} for x in lines]


def load_template(data: list[dict[str, Any]]) -> tuple[TemplateLine, ...]:
    return tuple(TemplateLine(item_id=x["item_id"], quantity=Decimal(x["quantity"]))
                 for x in data)


def load_states(data: list[dict[str, Any]]) -> tuple[StateDef, ...]:
    return load_definition({"states": data, "transitions": []})[0]


def load_transitions(data: list[dict[str, Any]]) -> tuple[TransitionDef, ...]:
    return load_definition({"states": [], "transitions": data})[1]


def load_defs(data: list[dict[str, Any]]) -> tuple[AttributeDef, ...]:
    return parse_defs(data)


#: The value-object columns, one instance each (the tables share them).
STATES = ValueJSON(dump_states, load_states)
TRANSITIONS = ValueJSON(dump_transitions, load_transitions)
ATTRIBUTE_DEFS = ValueJSON(dump_defs, load_defs)
TEMPLATE = ValueJSON(dump_template, load_template)
LINES = ValueJSON(dump_lines, load_lines)



# -- customer orders (ORD-1…ORD-3) ------------------------------------------------------


def dump_order_lines(lines: tuple[OrderLine, ...]) -> list[dict[str, Any]]:
    """Order lines as JSON: an invoice line's shape and the line's part."""
    return [{"part": x.part.value, **dump_lines((x.line(),))[0]} for x in lines]


def load_order_lines(data: list[dict[str, Any]]) -> tuple[OrderLine, ...]:
    return tuple(OrderLine.of(Part(x["part"]), line)
                 for x, line in zip(data, load_lines(data), strict=True))


def dump_decisions(decisions: tuple[Decision, ...]) -> list[dict[str, Any]]:
    return [d.data() for d in decisions]


def load_decisions(data: list[dict[str, Any]]) -> tuple[Decision, ...]:
    return tuple(Decision.from_data(x) for x in data)


ORDER_LINES = ValueJSON(dump_order_lines, load_order_lines)
APPROVAL_STEPS = ValueJSON(steps_data, steps_from_data)
DECISIONS = ValueJSON(dump_decisions, load_decisions)

__all__ = ["ATTRIBUTE_DEFS", "LINES", "STATES", "TEMPLATE", "TRANSITIONS", "MoneyType",
           "StrEnum", "UTCDateTime", "ValueJSON", "datetime"]
