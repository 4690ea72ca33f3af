"""Use cases of goods and services (PRD-1…PRD-3): the nomenclature tree, service kinds,
price types, client types and the price list.

Everyone signed in reads them (managers price invoices from them); the Director and
Administrators edit the reference books; prices are set by them and by holders of Sales
management (``Policy.require_price_manager``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from ecrm_core.access.services import policy_for
from ecrm_core.attributes import dump_defs, parse_defs, values
from ecrm_core.kernel.books import book_code, book_name, save_entry
from ecrm_core.kernel.errors import Conflict, NotFound, ValidationFailed
from ecrm_core.kernel.fields import Fields, expected_version, page_number
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory, existing
from ecrm_core.money import money_field, quantity_field, vat_rate
from ecrm_core.products.model import (
    CLIENT_TYPE,
    ITEM,
    ITEM_GROUP,
    PRICE,
    PRICE_TYPE,
    SERVICE_KIND,
    UNITS,
    ClientType,
    Item,
    ItemGroup,
    ItemKind,
    Price,
    PriceType,
    ServiceKind,
    TemplateLine,
    overlap,
)

Data = dict[str, Any]
PAGE = 20

#: What a new company starts with: price types and client types (PRD-2).
DEFAULT_PRICE_TYPES = (("retail", "Розничная", True), ("wholesale", "Оптовая", True))
DEFAULT_CLIENT_TYPES = (("corporate", "Корпоративный", "retail"),
                        ("partner", "Партнёр", "wholesale"))


def price_type_for(uow: UnitOfWork, client_type_id: int | None) -> PriceType | None:
    """The price type used for a client of ``client_type_id`` (PRD-2); a client without a
    type is priced by the first price type of the book."""
    kind = uow.client_types.get(client_type_id) if client_type_id else None
    if kind is not None:
        found = uow.price_types.get(kind.price_type_id)
        if found is not None:
            return found
    return uow.price_types.first()


def price_for(uow: UnitOfWork, item_id: int, price_type_id: int, day: date) -> Price | None:
    """The item's price of the type in force on ``day``: one indexed query (the latest
    range starting on or before the day; ranges do not overlap)."""
    latest = uow.prices.list(item_id=item_id, price_type_id=price_type_id,
                             valid_from__lte=day, order_by=("-valid_from",), limit=1)
    return latest[0] if latest and latest[0].covers(day) else None


def prices_for(uow: UnitOfWork, item_ids: Iterable[int], price_type_id: int, day: date
               ) -> dict[int, Price]:
    """The prices of several items in force on ``day`` (an invoice's lines): for each
    item the latest range starting on or before the day, if it still runs then — one
    statement, an index probe an item (``first_per``), as ``price_for`` does for one."""
    latest = uow.prices.first_per("item_id", item_ids, order_by=("-valid_from",),
                                  price_type_id=price_type_id, valid_from__lte=day)
    return {item: price for item, price in latest.items() if price.covers(day)}


class ProductService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def install_defaults(self, uow: UnitOfWork) -> None:
        """The price and client types a new company starts with."""
        if uow.price_types.first() is not None:
            return
        by_code = {}
        for code, name, included in DEFAULT_PRICE_TYPES:
            by_code[code] = save_entry(uow.price_types, None, PriceType,
                                  {"code": code, "name": name, "vat_included": included},
                                  ("code", "name", "vat_included"))
        for code, name, price_type in DEFAULT_CLIENT_TYPES:
            save_entry(uow.client_types, None, ClientType,
                  {"code": code, "name": name, "price_type_id": by_code[price_type].id},
                  ("code", "name", "price_type_id"))

    # -- the nomenclature tree ------------------------------------------------------------

    def _group_id(self, uow: UnitOfWork, fields: Fields, data: Data, name: str,
                  moving: ItemGroup | None = None) -> int | None:
        group_id = fields.ident(data, name)
        if group_id is None:
            return None
        group = uow.item_groups.get(group_id)
        if group is None:
            fields.errors[name] = "no such group"
            return None
        ancestor: ItemGroup | None = group
        while moving is not None and ancestor is not None:
            if ancestor.id == moving.id:
                fields.errors[name] = "a group cannot go inside itself"
                return None
            ancestor = uow.item_groups.get(ancestor.parent_id) if ancestor.parent_id else None
        return group_id

    def save_group(self, actor_id: int, data: Data, group_id: Any = None) -> ItemGroup:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            current = existing(uow.item_groups, ITEM_GROUP, group_id) \
                if group_id is not None else None
            if current is not None:
                current.check_version(expected_version(data))
            fields = Fields()
            found = {"name": book_name(fields, data, current),
                     "parent_id": self._group_id(uow, fields, data, "parent_id", current)
                     if current is None or "parent_id" in data else current.parent_id}
            fields.check()
            group = save_entry(uow.item_groups, current, ItemGroup, found, ItemGroup.EDITABLE)
            uow.commit()
            return group

    def delete_group(self, actor_id: int, group_id: Any) -> None:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            group = existing(uow.item_groups, ITEM_GROUP, group_id)
            if uow.item_groups.count(parent_id=group.id, limit=1) or uow.items.count(
                    group_id=group.id, limit=1):
                raise Conflict("the group is not empty: move or delete what is in it first")
            group.record_deleted(("name", "parent_id"))
            uow.item_groups.delete(group)
            uow.commit()

    def groups(self, actor_id: int) -> list[tuple[int, ItemGroup]]:
        """The whole tree, depth-first, with each group's depth."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            every = uow.item_groups.list(order_by=("name", "id"))
        children: dict[int | None, list[ItemGroup]] = {}
        for g in every:
            children.setdefault(g.parent_id, []).append(g)
        out: list[tuple[int, ItemGroup]] = []

        def walk(parent: int | None, depth: int) -> None:
            for g in children.get(parent, ()):
                out.append((depth, g))
                walk(g.id, depth + 1)

        walk(None, 0)
        return out

    # -- items ----------------------------------------------------------------------------

    def _item_values(self, uow: UnitOfWork, data: Data, current: Item | None) -> Data:
        fields = Fields()
        found: Data = {}

        def given(name: str) -> bool:
            return current is None or name in data

        found["name"] = book_name(fields, data, current, 300)
        if given("item_kind"):
            raw = data.get("item_kind") or ItemKind.GOODS.value
            try:
                found["item_kind"] = ItemKind(raw)
            except ValueError:
                fields.errors["item_kind"] = "one of: goods, service, work"
        if given("group_id"):
            found["group_id"] = self._group_id(uow, fields, data, "group_id")
        if given("unit"):
            unit = fields.text(data, "unit", max_len=20) or "шт"
            found["unit"] = unit
        if given("vat_rate"):
            raw = str(data.get("vat_rate") or "22").strip().rstrip("%").strip().lower()
            if vat_rate(raw) is None:
                fields.errors["vat_rate"] = "no such VAT rate"
            found["vat_rate"] = raw
        for name, size in (("article", 50), ("description", 2000)):
            if given(name):
                found[name] = fields.text(data, name, max_len=size) or ""
        if given("active"):
            flag = fields.flag(data, "active")
            found["active"] = True if flag is None else flag
        fields.check()
        return found

    def save_item(self, actor_id: int, data: Data, item_id: Any = None) -> Item:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            current = existing(uow.items, ITEM, item_id) if item_id is not None else None
            if current is not None:
                current.check_version(expected_version(data))
            item = save_entry(uow.items, current, Item, self._item_values(uow, data, current),
                         Item.EDITABLE)
            uow.commit()
            return item

    def item(self, actor_id: int, item_id: Any) -> Item:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return existing(uow.items, ITEM, item_id)

    def items(self, actor_id: int, group_id: Any = None, text: Any = None, page: Any = 1,
              include_inactive: bool = False) -> tuple[list[Item], int]:
        """A page of items (of a group, or whose name contains ``text``) and how many."""
        number = page_number(page)
        filters: Data = {}
        if group_id not in (None, ""):
            fields = Fields()
            filters["group_id"] = fields.ident({"group_id": group_id}, "group_id")
            fields.check()
        if isinstance(text, str) and text.strip():
            filters["name__icontains"] = text.strip()[:100]
        if not include_inactive:
            filters["active"] = True
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return (uow.items.list(order_by=("name", "id"), limit=PAGE,
                                   offset=(number - 1) * PAGE, **filters),
                    uow.items.count(**filters))

    @staticmethod
    def units() -> tuple[str, ...]:
        return UNITS

    # -- service kinds (PRD-1, REQ-2) -----------------------------------------------------

    def _template(self, uow: UnitOfWork, fields: Fields, raw: Any) -> tuple[TemplateLine, ...]:
        if raw in (None, ""):
            return ()
        if not isinstance(raw, list | tuple):
            fields.errors["template"] = "must be a list"
            return ()
        lines = []
        for i, entry in enumerate(raw[:100]):
            at = f"template[{i}]"
            if not isinstance(entry, dict):
                fields.errors[at] = "must be an object"
                continue
            item_id = fields.ident({f"{at}.item_id": entry.get("item_id")}, f"{at}.item_id",
                                   required=True)
            if item_id is not None and uow.items.get(item_id) is None:
                fields.errors[f"{at}.item_id"] = "no such item"
            quantity = quantity_field(fields, {f"{at}.quantity": entry.get("quantity", 1)},
                                      f"{at}.quantity")
            if item_id is not None and quantity is not None:
                lines.append(TemplateLine(item_id, quantity))
        return tuple(lines)

    def save_service_kind(self, actor_id: int, data: Data, kind_id: Any = None) -> ServiceKind:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            current = existing(uow.service_kinds, SERVICE_KIND, kind_id) \
                if kind_id is not None else None
            if current is not None:
                current.check_version(expected_version(data))
            fields = Fields()
            found: Data = {"code": book_code(fields, data, uow.service_kinds, current),
                           "name": book_name(fields, data, current)}
            if current is None or "item_id" in data:
                found["item_id"] = fields.ident(data, "item_id")
                if found["item_id"] is not None and uow.items.get(found["item_id"]) is None:
                    fields.errors["item_id"] = "no such item"
            if current is None or "template" in data:
                found["template"] = self._template(uow, fields, data.get("template"))
            for name in ("conditions", "card"):
                if current is None or name in data:
                    try:
                        found[name] = parse_defs(data.get(name), name)
                    except ValidationFailed as exc:
                        fields.errors.update(exc.errors)
            card = found.get("card", current.card if current else ())
            if current is None or "attributes" in data or "card" in data:
                found["attributes"] = values(fields, card, data.get("attributes"),
                                             "attributes",
                                             current.attributes if current else None)
            if current is None or "active" in data:
                flag = fields.flag(data, "active")
                found["active"] = True if flag is None else flag
            fields.check()
            kind = save_entry(uow.service_kinds, current, ServiceKind, found,
                         ("code", *ServiceKind.EDITABLE))
            uow.commit()
            return kind

    def service_kinds(self, actor_id: int, include_inactive: bool = False) -> list[ServiceKind]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            filters = {} if include_inactive else {"active": True}
            return uow.service_kinds.list(order_by=("name", "id"), **filters)

    def service_kind(self, actor_id: int, kind_id: Any) -> ServiceKind:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return existing(uow.service_kinds, SERVICE_KIND, kind_id)

    @staticmethod
    def dump_service_kind(kind: ServiceKind) -> Data:
        """Plain data of a service kind (forms, API)."""
        return {"code": kind.code, "name": kind.name, "item_id": kind.item_id,
                "template": [{"item_id": t.item_id, "quantity": str(t.quantity)}
                             for t in kind.template],
                "conditions": dump_defs(kind.conditions), "card": dump_defs(kind.card),
                "attributes": dict(kind.attributes), "active": kind.active}

    # -- price types and client types (PRD-2) ---------------------------------------------

    def save_price_type(self, actor_id: int, data: Data, type_id: Any = None) -> PriceType:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            current = existing(uow.price_types, PRICE_TYPE, type_id) \
                if type_id is not None else None
            if current is not None:
                current.check_version(expected_version(data))
            fields = Fields()
            found: Data = {"code": book_code(fields, data, uow.price_types, current),
                           "name": book_name(fields, data, current, 100)}
            if current is None or "vat_included" in data:
                flag = fields.flag(data, "vat_included")
                found["vat_included"] = True if flag is None else flag
            fields.check()
            kind = save_entry(uow.price_types, current, PriceType, found,
                         ("code", *PriceType.EDITABLE))
            uow.commit()
            return kind

    def price_types(self, actor_id: int) -> list[PriceType]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.price_types.list(order_by=("name", "id"))

    def save_client_type(self, actor_id: int, data: Data, type_id: Any = None) -> ClientType:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            current = existing(uow.client_types, CLIENT_TYPE, type_id) \
                if type_id is not None else None
            if current is not None:
                current.check_version(expected_version(data))
            fields = Fields()
            found: Data = {"code": book_code(fields, data, uow.client_types, current),
                           "name": book_name(fields, data, current, 100)}
            if current is None or "price_type_id" in data:
                found["price_type_id"] = fields.ident(data, "price_type_id", required=True)
                if found["price_type_id"] and uow.price_types.get(found["price_type_id"]) is None:
                    fields.errors["price_type_id"] = "no such price type"
            fields.check()
            kind = save_entry(uow.client_types, current, ClientType, found,
                         ("code", *ClientType.EDITABLE))
            uow.commit()
            return kind

    def client_types(self, actor_id: int) -> list[ClientType]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.client_types.list(order_by=("name", "id"))

    # -- the price list (PRD-3) -----------------------------------------------------------

    def _price_values(self, uow: UnitOfWork, data: Data, current: Price | None) -> Data:
        fields = Fields()
        if current is None:
            item_id = fields.ident(data, "item_id", required=True)
            if item_id is not None and uow.items.get(item_id) is None:
                fields.errors["item_id"] = "no such item"
            type_id = fields.ident(data, "price_type_id", required=True)
            if type_id is not None and uow.price_types.get(type_id) is None:
                fields.errors["price_type_id"] = "no such price type"
        else:
            item_id, type_id = current.item_id, current.price_type_id
        valid_from = fields.day(data, "valid_from", required=True) \
            if current is None or "valid_from" in data else current.valid_from
        valid_to = fields.day(data, "valid_to") \
            if current is None or "valid_to" in data else current.valid_to
        if valid_from and valid_to and valid_to <= valid_from:
            fields.errors["valid_to"] = "must be after the first day"
        amount = money_field(fields, data, "amount", required=True) \
            if current is None or "amount" in data else current.amount
        fields.check()
        return {"item_id": item_id, "price_type_id": type_id, "valid_from": valid_from,
                "valid_to": valid_to, "amount": amount}

    def set_price(self, actor_id: int, data: Data, price_id: Any = None) -> Price:
        """Add a price change (or correct one): ``amount`` of ``item_id`` for
        ``price_type_id`` from ``valid_from`` (to ``valid_to``, exclusive, if given).
        A new price from a day closes an open-ended earlier price at that day; when the
        new price has an end (a promotion), the earlier price resumes from that end, as
        a price of its own. Any other overlap with an existing range is refused, naming
        the range it meets."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_price_manager()
            current = existing(uow.prices, PRICE, price_id) if price_id is not None else None
            if current is not None:
                current.check_version(expected_version(data))
            found = self._price_values(uow, data, current)
            others = [p for p in uow.prices.list(item_id=found["item_id"],
                                                 price_type_id=found["price_type_id"],
                                                 order_by=("valid_from",))
                      if current is None or p.id != current.id]
            closing: Price | None = None
            if current is None:
                closing = next((p for p in others if p.valid_to is None
                                and p.valid_from < found["valid_from"]), None)
            for p in others:
                end = found["valid_from"] if p is closing else p.valid_to
                if overlap(p.valid_from, end, found["valid_from"], found["valid_to"]):
                    until = f" to {p.valid_to.isoformat()}" if p.valid_to else ""
                    raise ValidationFailed.single(
                        "valid_from", f"overlaps the price from "
                        f"{p.valid_from.isoformat()}{until}")
            if closing is not None:
                # The change is written before the new row (updates precede inserts),
                # so the databases' own non-overlap constraint sees a consistent list.
                closing.apply_changes({"valid_to": found["valid_from"]})
            fields = ("item_id", "price_type_id", "valid_from", "valid_to", "amount")
            price = save_entry(uow.prices, current, Price, found, fields)
            if closing is not None and found["valid_to"] is not None:
                save_entry(uow.prices, None, Price, {
                    "item_id": closing.item_id, "price_type_id": closing.price_type_id,
                    "valid_from": found["valid_to"], "valid_to": None,
                    "amount": closing.amount}, fields)
            uow.commit()
            return price

    def delete_price(self, actor_id: int, price_id: Any, version: Any = None) -> None:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_price_manager()
            price = existing(uow.prices, PRICE, price_id)
            price.check_version(expected_version({"version": version}))
            price.record_deleted(("item_id", "price_type_id", "valid_from", "valid_to",
                                  "amount"))
            uow.prices.delete(price)
            uow.commit()

    def import_prices(self, actor_id: int, rows, progress=None):
        """A price list from rows of item (article or name), price type, first day and
        amount (``ecrm prices import``): see ``price_import``. Returns a
        ``PriceImportResult``."""
        from ecrm_core.products.price_import import import_prices

        return import_prices(self, actor_id, rows, progress)

    def prices(self, actor_id: int, item_id: Any) -> list[Price]:
        """An item's prices, by price type and date."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            item = existing(uow.items, ITEM, item_id)
            return uow.prices.list(item_id=item.id, order_by=("price_type_id", "valid_from"))

    def price_type_of(self, actor_id: int, counterparty_id: Any) -> PriceType | None:
        """The price type a client's invoices are priced by (PRD-2: its client type's)."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            client = existing(uow.counterparties, "counterparty", counterparty_id)
            return price_type_for(uow, client.client_type_id)

    def prices_in_force(self, actor_id: int, item_ids: Iterable[int], day: date
                        ) -> dict[int, dict[int, Price]]:
        """The prices of a page of items in force on ``day``, per item and price type (a
        list or an export of the nomenclature): two queries whatever the page."""
        ids = sorted({i for i in item_ids if isinstance(i, int)})
        found: dict[int, dict[int, Price]] = {i: {} for i in ids}
        if not ids:
            return found
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            for ending in ({"valid_to__gt": day}, {"valid_to": None}):
                for price in uow.prices.list(item_id__in=ids, valid_from__lte=day, **ending):
                    found[price.item_id][price.price_type_id] = price
        return found

    def price_on(self, actor_id: int, item_id: Any, price_type_id: Any, day: Any) -> Price:
        """The price in force on a day (NotFound when none)."""
        fields = Fields()
        ids = {"item_id": item_id, "price_type_id": price_type_id}
        item = fields.ident(ids, "item_id", required=True)
        kind = fields.ident(ids, "price_type_id", required=True)
        on = fields.day({"day": day}, "day", required=True)
        fields.check()
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            found = price_for(uow, item, kind, on)
            if found is None:
                raise NotFound(PRICE, f"{item}/{kind}/{on.isoformat()}")
            return found
