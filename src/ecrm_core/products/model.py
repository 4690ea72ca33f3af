"""Goods and services (PRD-1…PRD-3): the nomenclature tree, service kinds with their
template parameters and card, client types, price types and dated prices.

Prices: an item has several prices per price type, each valid over a range of days
``[valid_from, valid_to)`` (``valid_to`` None: until further notice). Ranges of one item
and price type never overlap — ``overlap`` here, and a constraint in each database — so
the price on a day is the one range containing it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import ClassVar

import attrs

from ecrm_core.attributes import AttributeDef
from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.money import Money

ITEM_GROUP, ITEM, SERVICE_KIND, PRICE_TYPE, CLIENT_TYPE, PRICE = (
    "item_group", "item", "service_kind", "price_type", "client_type", "price")

#: Units of measure (OKEI names as Russian documents print them).
UNITS: tuple[str, ...] = ("шт", "усл", "ч", "мес", "год", "компл", "м", "кг", "л", "Мбит/с")


class ItemKind(enum.StrEnum):
    GOODS = "goods"
    SERVICE = "service"
    WORK = "work"


@entity
class ItemGroup(Aggregate):
    """A folder of the nomenclature tree (any depth)."""

    kind: ClassVar[str] = ITEM_GROUP

    name: str
    parent_id: int | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = ("name", "parent_id")


@entity
class Item(Aggregate):
    """A position of the nomenclature (PRD-3): goods, a service or a work."""

    kind: ClassVar[str] = ITEM

    name: str
    item_kind: ItemKind = ItemKind.GOODS
    group_id: int | None = None
    unit: str = "шт"
    #: VAT rate code (``money.VAT_RATES``): "22", "10", "0", "none", …
    vat_rate: str = "22"
    article: str = ""
    description: str = ""
    active: bool = True

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "name", "item_kind", "group_id", "unit", "vat_rate", "article", "description", "active")


@attrs.frozen
class TemplateLine:
    """A template parameter of a service kind (PRD-1): an item (a required work or goods)
    and its usual quantity."""

    item_id: int
    quantity: Decimal = Decimal(1)


@entity
class ServiceKind(Aggregate):
    """A type of service the company provides (PRD-1, REQ-2): its template parameters
    (required works and goods), the conditions a request for it holds (IP address, phone
    number, …) and the extra attributes of its card."""

    kind: ClassVar[str] = SERVICE_KIND

    code: str
    name: str
    #: the nomenclature item billed for the service itself, if any
    item_id: int | None = None
    template: tuple[TemplateLine, ...] = ()
    conditions: tuple[AttributeDef, ...] = ()
    card: tuple[AttributeDef, ...] = ()
    #: the card's values (``card`` defines them)
    attributes: dict = attrs.field(factory=dict)
    active: bool = True

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "name", "item_id", "template", "conditions", "card", "attributes", "active")


@entity
class PriceType(Aggregate):
    """A kind of price ("Розничная", "Оптовая", "Для бюджетных", PRD-2). Prices of the type
    include VAT or not."""

    kind: ClassVar[str] = PRICE_TYPE

    code: str
    name: str
    vat_included: bool = True

    EDITABLE: ClassVar[tuple[str, ...]] = ("name", "vat_included")


@entity
class ClientType(Aggregate):
    """A type of client ("Корпоративный", "Бюджетный", …) and the price type used for it
    (PRD-2)."""

    kind: ClassVar[str] = CLIENT_TYPE

    code: str
    name: str
    price_type_id: int

    EDITABLE: ClassVar[tuple[str, ...]] = ("name", "price_type_id")


@entity
class Price(Aggregate):
    """An item's price of one price type over ``[valid_from, valid_to)`` (PRD-3)."""

    kind: ClassVar[str] = PRICE

    item_id: int
    price_type_id: int
    valid_from: date
    valid_to: date | None = None
    amount: Money = attrs.field(factory=Money.zero)

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


def overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    """Whether ``[a_from, a_to)`` and ``[b_from, b_to)`` share a day (None: open end)."""
    return (a_to is None or b_from < a_to) and (b_to is None or a_from < b_to)


def price_on(prices: Iterable[Price], day: date) -> Price | None:
    """The price in force on ``day`` among one item's and price type's prices (ranges do
    not overlap, so at most one covers it)."""
    return next((p for p in prices if p.covers(day)), None)
