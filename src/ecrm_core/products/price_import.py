"""Loading a price list from rows (PRD-3): ``ecrm prices import`` reads a CSV or XLSX file
into rows of ``item`` (an item's article or exact name), ``price_type`` (a price type's
code or exact name), ``valid_from`` and ``amount``; this use case prices each row through
``ProductService.set_price`` — the same rules as a price typed in (a new price closes the
open-ended earlier one, overlaps are refused).

Unknown items are not created: such a row is rejected, like any row with a bad value, and
reported with its reasons; the other rows are saved, each in its own transaction. A row
repeating a price already in the list (same item, type and first day) leaves it
unchanged, or corrects its amount — so importing the same file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ecrm_core.access.services import policy_for
from ecrm_core.kernel.errors import Conflict, NotFound, ValidationFailed
from ecrm_core.kernel.fields import Fields
from ecrm_core.money import money_field
from ecrm_core.products.model import Item, PriceType

if TYPE_CHECKING:
    from ecrm_core.products.services import ProductService

#: What a row carries (the CLI maps the file's columns onto these).
COLUMNS = ("item", "price_type", "valid_from", "amount")
#: The core's field names -> the row's.
FIELD_COLUMNS = {"item_id": "item", "price_type_id": "price_type", "valid_from": "valid_from",
                 "valid_to": "valid_from", "amount": "amount"}


@attrs.frozen
class PriceImportResult:
    created: int
    updated: int
    unchanged: int
    #: (row number among the rows given, from 1; column -> message)
    rejected: tuple[tuple[int, dict[str, str]], ...]


def _key(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


@attrs.frozen
class _Books:
    """The nomenclature and the price types, looked up by what a file names them."""

    by_article: dict[str, list[Item]]
    by_name: dict[str, list[Item]]
    types: dict[str, PriceType]

    @classmethod
    def load(cls, items: Iterable[Item], types: Iterable[PriceType]) -> _Books:
        by_article: dict[str, list[Item]] = {}
        by_name: dict[str, list[Item]] = {}
        for item in items:
            if item.article:
                by_article.setdefault(_key(item.article), []).append(item)
            by_name.setdefault(_key(item.name), []).append(item)
        found: dict[str, PriceType] = {}
        for kind in types:
            found.setdefault(_key(kind.name), kind)
        for kind in types:
            found[_key(kind.code)] = kind  # a code wins over a name
        return cls(by_article, by_name, found)

    def item(self, text: Any, errors: dict[str, str]) -> Item | None:
        key = _key(text)
        if not key:
            errors["item"] = "required"
            return None
        found = self.by_article.get(key) or self.by_name.get(key) or []
        if not found:
            errors["item"] = "no item with this article or name (items are not created " \
                             "by the import)"
            return None
        if len(found) > 1:
            errors["item"] = "several items are named so: give the article"
            return None
        return found[0]

    def price_type(self, text: Any, errors: dict[str, str]) -> PriceType | None:
        key = _key(text)
        if not key:
            errors["price_type"] = "required"
            return None
        found = self.types.get(key)
        if found is None:
            codes = ", ".join(sorted({t.code for t in self.types.values()}))
            errors["price_type"] = f"no such price type (one of: {codes})"
        return found


def import_prices(products: ProductService, actor_id: int, rows: Iterable[Mapping[str, Any]],
                  progress: Callable[[int], None] | None = None) -> PriceImportResult:
    """Price every row (see the module's text); ``progress(1)`` after each row. The whole
    import is refused (Forbidden) for whoever may not set prices."""
    with products.uow_factory(readonly=True) as uow:
        policy_for(uow, actor_id).require_price_manager()
        books = _Books.load(uow.items.list(order_by=("id",)),
                            uow.price_types.list(order_by=("id",)))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    rejected: list[tuple[int, dict[str, str]]] = []
    for number, row in enumerate(rows, 1):
        errors: dict[str, str] = {}
        outcome = _one(products, actor_id, books, row, errors)
        if outcome is None:
            rejected.append((number, errors))
        else:
            counts[outcome] += 1
        if progress is not None:
            progress(1)
    return PriceImportResult(rejected=tuple(rejected), **counts)


def _one(products: ProductService, actor_id: int, books: _Books, row: Mapping[str, Any],
         errors: dict[str, str]) -> str | None:
    """"created", "updated" or "unchanged"; None with ``errors`` for a rejected row."""
    item = books.item(row.get("item"), errors)
    kind = books.price_type(row.get("price_type"), errors)
    fields = Fields()
    day = fields.day(dict(row), "valid_from", required=True)
    amount = money_field(fields, dict(row), "amount", required=True)
    errors.update(fields.errors)
    if errors or item is None or kind is None or day is None or amount is None:
        return None
    data = {"item_id": item.id, "price_type_id": kind.id, "valid_from": day.isoformat(),
            "amount": str(amount.amount)}
    try:
        same_day = next((p for p in products.prices(actor_id, item.id)
                         if p.price_type_id == kind.id and p.valid_from == day), None)
        if same_day is not None:
            if same_day.amount == amount:
                return "unchanged"
            products.set_price(actor_id, {"amount": data["amount"],
                                          "version": same_day.version}, same_day.id)
            return "updated"
        products.set_price(actor_id, data)
        return "created"
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            errors.setdefault(FIELD_COLUMNS.get(field, field), message)
    except (Conflict, NotFound) as exc:
        errors["row"] = exc.message
    return None


__all__ = ["COLUMNS", "PriceImportResult", "import_prices"]
