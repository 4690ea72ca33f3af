"""Lines of a sales document priced from the price list (INV-1, ORD-1, PRD-2, PRD-3): what
invoices and customer orders share.

A line naming an item of the nomenclature takes the item's name, unit and VAT rate and —
unless the user gives one — its price from the price list for the document's price type
on the document's date; a line without an item is free text with its own price. Each line
is checked field by field (``money.line_field``), every bad field named under
``lines[i].<field>`` in one ``ValidationFailed``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs

from ecrm_core.kernel.fields import Fields
from ecrm_core.kernel.uow import UnitOfWork
from ecrm_core.money import line_field
from ecrm_core.products.model import Item, PriceType
from ecrm_core.products.services import price_type_for, prices_for
from ecrm_core.sales.model import Line

#: The most lines a document holds.
MAX_LINES = 500


def price_terms(uow: UnitOfWork, fields: Fields, data: dict[str, Any], client: Any
                ) -> tuple[PriceType | None, bool]:
    """The price type and the VAT mode of a new document of ``client`` (INV-1, ORD-1,
    PRD-2): ``price_type_id`` when given (it must exist), else the client type's;
    ``vat_included`` when given, else the price type's (included without a price type).
    Bad input goes into ``fields``."""
    price_type = None
    if data.get("price_type_id") not in (None, ""):
        type_id = fields.ident(data, "price_type_id")
        price_type = uow.price_types.get(type_id) if type_id else None
        if type_id and price_type is None:
            fields.errors["price_type_id"] = "no such price type"
    else:
        price_type = price_type_for(uow, getattr(client, "client_type_id", None))
    included = fields.flag(data, "vat_included")
    if included is None:
        included = price_type.vat_included if price_type else True
    return price_type, included


@attrs.frozen
class PricedLine:
    """One line as read: its position in the input, the raw entry (what else the
    document's own fields take from it), the nomenclature item it names (if any) and the
    priced line."""

    index: int
    entry: dict[str, Any]
    item: Item | None
    line: Line


def priced_lines(uow: UnitOfWork, fields: Fields, raw: Any, day: date,
                 price_type_id: int | None, *, document: str = "invoice",
                 max_lines: int = MAX_LINES) -> list[PricedLine]:
    """Read the ``lines`` of a document dated ``day`` (a list of objects), pricing the
    items it names by ``price_type_id``. Bad input goes into ``fields`` (``lines`` or
    ``lines[i].<field>``) and the line is left out; two queries whatever the number of
    lines (the items, then their prices on the day). ``document`` names the document in
    the message about a missing price ("the invoice's date")."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list | tuple):
        fields.errors["lines"] = "must be a list"
        return []
    if len(raw) > max_lines:
        fields.errors["lines"] = f"at most {max_lines} lines"
        return []
    wanted = {}
    for i, entry in enumerate(raw):
        if isinstance(entry, dict):
            wanted[i] = fields.ident({f"lines[{i}].item_id": entry.get("item_id")},
                                     f"lines[{i}].item_id")
    known = {item.id: item for item in uow.items.list(
        id__in=sorted({v for v in wanted.values() if v}))} if any(wanted.values()) else {}
    priced = {}
    if price_type_id is not None:
        priced = prices_for(uow, list(known), price_type_id, day)
    found: list[PricedLine] = []
    for i, entry in enumerate(raw):
        at = f"lines[{i}]"
        if not isinstance(entry, dict):
            fields.errors[at] = "must be an object"
            continue
        entry = dict(entry)
        item_id = wanted.get(i)
        item = known.get(item_id) if item_id else None
        if item_id and item is None:
            fields.errors[f"{at}.item_id"] = "no such item"
            continue
        if item is not None:
            entry.setdefault("vat_rate", item.vat_rate)
            if entry.get("price") in (None, "") and price_type_id is not None:
                price = priced.get(item.id)
                if price is None:
                    fields.errors[f"{at}.price"] = (
                        f"no price for this item on the {document}'s date: enter one")
                    continue
                entry["price"] = price.amount.amount
        name = fields.text({f"{at}.name": entry.get("name") or (item.name if item else "")},
                           f"{at}.name", required=True, max_len=300)
        unit = fields.text({f"{at}.unit": entry.get("unit") or (item.unit if item else "шт")},
                           f"{at}.unit", max_len=20) or "шт"
        money = line_field(fields, entry, at, on=day)
        if money is None or not name:
            continue
        found.append(PricedLine(i, entry, item, Line(
            name=name, quantity=money.quantity, price=money.price, unit=unit,
            vat_rate=money.vat_rate.code, discount=money.discount,
            item_id=item.id if item else None)))
    return found
