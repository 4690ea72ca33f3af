"""Use cases of the client base (chapter 5): catalogs, counterparty cards, contacts,
search, duplicates, EGRUL, curators, deletion and import."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

import attrs

from ecrm_core.access.model import Action, Role, RoleAssignment, RoleGranted
from ecrm_core.access.services import chain_of, policy_for
from ecrm_core.counterparties.model import (
    ALARMING,
    CATALOG,
    CONTACT,
    COUNTERPARTY,
    AssignmentState,
    Catalog,
    Contact,
    Counterparty,
    CounterpartyType,
    CuratorAssignment,
    OrganisationStatus,
    derived_keys,
)
from ecrm_core.counterparties.ports import (
    CounterpartySearch,
    FileStore,
    RegistryGateway,
    RegistryUnavailable,
)
from ecrm_core.counterparties.requisites import (
    fold,
    inn_error,
    kpp_error,
    name_key,
    normalise_email,
    normalise_phone,
    ogrn_error,
)
from ecrm_core.kernel.errors import Conflict, Forbidden, NotFound, Unavailable, ValidationFailed
from ecrm_core.kernel.events import FieldChange, ObjectChanged
from ecrm_core.kernel.fields import FIRST_DAY, LAST_DAY, Fields, expected_version, page_number
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory
from ecrm_core.messages.model import Message, MessageKind
from ecrm_core.messages.services import post
from ecrm_core.org.services import head_of

Data = dict[str, Any]

PAGE = 20  # CAT-3
SEARCH_CAP = 1000  # counts above this read "more than 1,000"
#: Rows an import commits at once. At 1,000,000 cards on SQLite 2,000 a transaction
#: imported ~15 % faster than 500 (fewer commits, each writing the indexes' pages it
#: touched once for more rows); 5,000 is no faster again (docs/performance.md) and would
#: hold SQLite's write lock longer: a batch keeps it well under a second.
IMPORT_BATCH = 2000
MIN_QUERY = 3  # CP-9
PHOTO_TYPES = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg", b"GIF87a": ".gif",
               b"GIF89a": ".gif", b"RIFF": ".webp"}
MAX_PHOTO = 2 * 1024 * 1024
ASSIGN_ACTION = "curator_assignment"


#: How a manager's notification names an alarming register status (CP-2 job).
REGISTER_STATUS_WORDS = {
    OrganisationStatus.LIQUIDATING: "в процессе ликвидации",
    OrganisationStatus.LIQUIDATED: "ликвидирована",
    OrganisationStatus.BANKRUPT: "признана банкротом",
}


class DuplicatesFound(Conflict):
    """Registration or a change would create a likely duplicate (CP-3)."""

    code = "duplicates"

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        super().__init__("possible duplicates found; open them or save anyway")
        self.candidates = candidates


@attrs.frozen
class DuplicateCandidate:
    id: int
    name: str
    inn: str
    reasons: tuple[str, ...]  # inn, phone, email, name, branch
    deleted: bool = False

    @property
    def blocking(self) -> bool:
        return any(r != "branch" for r in self.reasons)


@attrs.frozen
class ListRow:
    """One row of the counterparties list (CP-13, §5.12)."""

    counterparty: Counterparty
    catalog_name: str
    managers: tuple[int, ...]
    main_manager: int | None
    last_modifier: int | None


@attrs.frozen
class Page:
    rows: list[ListRow]
    page: int
    per_page: int
    total: int
    #: True when ``total`` is a cap ("more than 1,000"), not the whole count.
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@attrs.frozen
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: tuple[tuple[int, dict[str, str]], ...] = ()


def _catalog(uow: UnitOfWork, catalog_id) -> Catalog:
    catalog = uow.catalogs.get(catalog_id) if isinstance(catalog_id, int) else None
    if catalog is None:
        raise NotFound(CATALOG, catalog_id)
    return catalog


def _card(uow: UnitOfWork, counterparty_id) -> Counterparty:
    card = uow.counterparties.get(counterparty_id) if isinstance(counterparty_id, int) else None
    if card is None:
        raise NotFound(COUNTERPARTY, counterparty_id)
    return card




class CatalogService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def create(self, actor_id: int, data: Data) -> Catalog:
        """A top catalog (Director) or one nested in a catalog its curator may add to
        (CAT-4). The creator's curator unless another is named; the Director curates the
        top catalogs by default (CAT-2)."""
        fields = Fields()
        name = fields.text(data, "name", required=True)
        description = fields.text(data, "description", max_len=4000) or ""
        parent_id = fields.ident(data, "parent_id")
        curator_id = fields.ident(data, "curator_id")
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            container = ObjectRef(CATALOG, parent_id) if parent_id else uow.company.first().ref
            if parent_id:
                _catalog(uow, parent_id)
            policy.require(Action.CREATE, CATALOG, chain_of(uow, container))
            if curator_id and uow.employees.get(curator_id) is None:
                raise ValidationFailed.single("curator_id", "no such employee")
            catalog = uow.catalogs.add(Catalog(
                name=name, description=description, parent_id=parent_id,
                curator_id=curator_id or actor_id))
            catalog.record_created(Catalog.EDITABLE)
            self._grant_curator(uow, catalog, actor_id)
            uow.commit()
            return catalog

    def _grant_curator(self, uow: UnitOfWork, catalog: Catalog, actor_id: int) -> None:
        if catalog.curator_id is None:
            return
        exists = uow.roles.first(role=Role.CATALOG_CURATOR, employee_id=catalog.curator_id,
                                 scope_kind=CATALOG, scope_id=catalog.id)
        if exists is None:
            grant = uow.roles.add(RoleAssignment(
                role=Role.CATALOG_CURATOR, employee_id=catalog.curator_id, scope_kind=CATALOG,
                scope_id=catalog.id, granted_at=self.clock.now(), granted_by=actor_id))
            grant.record_created(("role", "employee_id", "scope_kind", "scope_id"))
            grant.record(grant.on_employee(RoleGranted))

    def update(self, actor_id: int, catalog_id: int, data: Data) -> Catalog:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            catalog = _catalog(uow, catalog_id)
            policy.require(Action.EDIT, CATALOG, chain_of(uow, catalog.ref))
            catalog.check_version(expected_version(data))
            fields = Fields()
            values = {
                "name": fields.text(data, "name"),
                "description": fields.text(data, "description", max_len=4000),
                "curator_id": fields.ident(data, "curator_id"),
            }
            if "name" in data and not values["name"]:
                fields.errors["name"] = "required"
            if values["curator_id"] and uow.employees.get(values["curator_id"]) is None:
                fields.errors["curator_id"] = "no such employee"
            fields.check()
            values = {k: v for k, v in values.items() if k in data and v is not None}
            catalog.apply_changes(values)
            if "curator_id" in values:
                self._grant_curator(uow, catalog, actor_id)
            uow.commit()
            return catalog

    def tree(self, actor_id: int) -> list[tuple[int, Catalog]]:
        """Every catalog as (depth, catalog), parents before children (UI-4)."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            catalogs = uow.catalogs.list(order_by=("name", "id"))
        children: dict[int | None, list[Catalog]] = {}
        for c in catalogs:
            children.setdefault(c.parent_id, []).append(c)
        out: list[tuple[int, Catalog]] = []

        def walk(parent: int | None, depth: int) -> None:
            for c in children.get(parent, []):
                out.append((depth, c))
                walk(c.id, depth + 1)

        walk(None, 0)
        return out

    def get(self, actor_id: int, catalog_id: int) -> Catalog:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return _catalog(uow, catalog_id)

    def find(self, actor_id: int, text: Any, limit: int = 20) -> list[Catalog]:
        """Catalogs by a part of the name (moving a card: pick the catalog by name, CAT-6)."""
        needle = text.replace("\x00", "").strip()[:100] if isinstance(text, str) else ""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            if not needle:
                return uow.catalogs.list(order_by=("name", "id"), limit=limit)
            return uow.catalogs.list(order_by=("name", "id"), limit=limit,
                                     name__icontains=needle)


class CounterpartyService:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, search: CounterpartySearch,
        registry: RegistryGateway, files: FileStore,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.search_index = search
        self.registry = registry
        self.files = files

    # -- parsing the card -------------------------------------------------------------

    def parse(self, data: Data, current: Counterparty | None = None) -> Data:
        """Validate card fields (CP-1, CP-4): every bad field named at once. Returns the
        values present in ``data``, normalised (phones to +7…, e-mails' domains lower)."""
        fields = Fields()
        values: Data = {}
        type_text = fields.text(data, "type", required=current is None)
        kind = current.type.value if current else CounterpartyType.LEGAL_ENTITY.value
        if type_text:
            try:
                kind = CounterpartyType(type_text).value
                values["type"] = CounterpartyType(type_text)
            except ValueError:
                fields.errors["type"] = "one of: " + ", ".join(t.value for t in CounterpartyType)
        for name, max_len in (("name", 255), ("full_name", 500), ("legal_address", 500),
                              ("postal_address", 500), ("okved", 255), ("head", 255)):
            value = fields.text(data, name, required=(name == "name" and current is None),
                                max_len=max_len)
            if name in data and value is not None:
                values[name] = value
        if "name" in values and not values["name"] and "name" not in fields.errors:
            fields.errors["name"] = "required"
        for name, check in (("inn", lambda v: inn_error(v, kind)), ("kpp", kpp_error),
                            ("ogrn", lambda v: ogrn_error(v, kind))):
            value = fields.text(data, name, max_len=20)
            if value:
                value = value.replace(" ", "").upper()
                error = check(value)
                if error:
                    fields.errors[name] = error
            if name in data and value is not None:
                values[name] = value or ""
        if values.get("kpp") and kind != CounterpartyType.LEGAL_ENTITY.value:
            fields.errors["kpp"] = "only legal entities have a KPP"
        for name in ("phone", "sms_phone"):
            value = fields.text(data, name, max_len=40)
            if value:
                normal = normalise_phone(value)
                if normal is None:
                    fields.errors[name] = "not a phone number"
                value = normal or value
            if name in data and value is not None:
                values[name] = value or ""
        for name in ("email", "mailing_email"):
            value = fields.text(data, name, max_len=254)
            if value:
                normal = normalise_email(value)
                if normal is None:
                    fields.errors[name] = "not a valid e-mail address"
                value = normal or value
            if name in data and value is not None:
                values[name] = value or ""
        status = fields.text(data, "status")
        if status:
            try:
                values["status"] = OrganisationStatus(status)
            except ValueError:
                fields.errors["status"] = "one of: " + ", ".join(s.value for s in OrganisationStatus)
        if "parent_id" in data:
            values["parent_id"] = fields.ident(data, "parent_id")
        if "client_type_id" in data:
            values["client_type_id"] = fields.ident(data, "client_type_id")
        if "export_1c" in data:
            flag = fields.flag(data, "export_1c")
            if flag is not None:
                values["export_1c"] = flag
        if "extra" in data:
            extra = data["extra"]
            if not isinstance(extra, dict) or any(
                not isinstance(k, str) or not isinstance(v, str | int | float | bool | None)
                or (isinstance(v, str) and len(v) > 1000) for k, v in extra.items()
            ) or len(extra) > 50:
                fields.errors["extra"] = "an object of up to 50 simple values"
            else:
                values["extra"] = dict(extra)
        fields.check()
        return values

    # -- duplicates (CP-3) -----------------------------------------------------------------

    def _duplicates(self, uow: UnitOfWork, card: Data, exclude: int | None) -> list[DuplicateCandidate]:
        found: dict[int, tuple[Counterparty, set[str]]] = {}

        def add(items: Iterable[Counterparty], reason: str) -> None:
            for c in items:
                if c.id != exclude:
                    found.setdefault(c.id, (c, set()))[1].add(reason)

        inn, kpp = card.get("inn") or "", card.get("kpp") or ""
        if inn:
            for c in uow.counterparties.list(inn=inn, limit=20):
                same_branch = not kpp or not c.kpp or c.kpp == kpp
                add([c], "inn" if same_branch else "branch")
        for name in ("phone", "sms_phone"):
            if card.get(name):
                add(uow.counterparties.list(phone=card[name], limit=10), "phone")
                add(uow.counterparties.list(sms_phone=card[name], limit=10), "phone")
        for name in ("email", "mailing_email"):
            if card.get(name):
                add(uow.counterparties.list(email__ieq=card[name], limit=10), "email")
                add(uow.counterparties.list(mailing_email__ieq=card[name], limit=10), "email")
        if card.get("name"):
            key = name_key(card["name"])
            if key:
                add(uow.counterparties.list(name_key=key, limit=10), "name")
        return [
            DuplicateCandidate(id=c.id, name=c.name, inn=c.inn, reasons=tuple(sorted(r)),
                               deleted=c.deleted)
            for c, r in sorted(found.values(), key=lambda x: x[0].id)
        ]

    def duplicates(self, actor_id: int, data: Data, exclude: int | None = None
                   ) -> list[DuplicateCandidate]:
        """Candidates a new or changed card resembles (shown while filling a form)."""
        values = self.parse({k: v for k, v in data.items() if k != "type"} | {
            "type": data.get("type") or CounterpartyType.LEGAL_ENTITY.value,
            "name": data.get("name") or "-"})
        if not data.get("name"):
            values.pop("name", None)
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return self._duplicates(uow, values, exclude)

    # -- the card --------------------------------------------------------------------------

    def register(self, actor_id: int, data: Data, *, proceed: bool = False) -> Counterparty:
        """Register a counterparty in a catalog (§5.5). Likely duplicates stop it with
        DuplicatesFound unless ``proceed``; saving anyway is recorded in history."""
        fields = Fields()
        catalog_id = fields.ident(data, "catalog_id", required=True)
        fields.check()
        values = self.parse(data)
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            catalog = _catalog(uow, catalog_id)
            policy.require(Action.CREATE, COUNTERPARTY, chain_of(uow, catalog.ref))
            self._check_parent(uow, values.get("parent_id"), None, values.get("client_type_id"))
            candidates = self._duplicates(uow, values, None)
            blocking = [c for c in candidates if c.blocking]
            if blocking and not proceed:
                raise DuplicatesFound(candidates)
            now = self.clock.now()
            card = Counterparty(
                catalog_id=catalog.id, created_at=now, created_by=actor_id, updated_at=now,
                updated_by=actor_id, **values)
            card.derive()  # before the INSERT: no second write, no second re-index
            uow.counterparties.add(card)
            card.record_created(Counterparty.CREATED)
            if blocking:
                card.record(ObjectChanged(subject=card.ref, changes=(FieldChange(
                    "saved_despite_duplicates", None, [c.id for c in blocking]),)))
            uow.commit()
            return card

    def _check_parent(self, uow: UnitOfWork, parent_id: int | None, card_id: int | None,
                      client_type_id: int | None = None) -> None:
        if client_type_id and uow.client_types.get(client_type_id) is None:
            raise ValidationFailed.single("client_type_id", "no such client type")
        if not parent_id:
            return
        parent = uow.counterparties.get(parent_id)
        if parent is None:
            raise ValidationFailed.single("parent_id", "no such counterparty")
        if card_id is not None:
            seen = set()
            current = parent
            while current is not None and current.id not in seen:
                if current.id == card_id:
                    raise ValidationFailed.single(
                        "parent_id", "a counterparty cannot be its own parent organisation")
                seen.add(current.id)
                current = uow.counterparties.get(current.parent_id) if current.parent_id else None

    def update(self, actor_id: int, counterparty_id: int, data: Data, *, proceed: bool = False
               ) -> Counterparty:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            card = _card(uow, counterparty_id)
            policy.require(Action.EDIT, COUNTERPARTY, chain_of(uow, card.ref))
            card.check_version(expected_version(data))
            values = self.parse({k: v for k, v in data.items() if k in Counterparty.EDITABLE},
                                current=card)
            self._check_parent(uow, values.get("parent_id"), card.id,
                               values.get("client_type_id"))
            watched = {k: values[k] for k in ("inn", "kpp", "phone", "sms_phone", "email",
                                              "mailing_email") if k in values
                       and values[k] != getattr(card, k)}
            if watched:
                probe = {"inn": card.inn, "kpp": card.kpp, **watched}
                candidates = [c for c in self._duplicates(uow, probe, card.id) if c.blocking]
                if candidates and not proceed:
                    raise DuplicatesFound(candidates)
            if card.apply_changes(values):
                card.derive()
                card.touched(actor_id, self.clock.now())
            uow.commit()
            return card

    def get(self, actor_id: int, counterparty_id: int) -> Counterparty:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return _card(uow, counterparty_id)

    def row(self, actor_id: int, counterparty_id: int) -> ListRow:
        """One card with what its list row shows (CP-13): catalog name, managers, the
        main direction's manager, the last modifier (the API's GET of a card)."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return self._rows(uow, [_card(uow, counterparty_id)])[0]

    def move(self, actor_id: int, counterparty_id: int, catalog_id: Any, version=None
             ) -> Counterparty:
        """Move a card to another catalog, picked by name in the UI (CAT-6)."""
        fields = Fields()
        target_id = fields.ident({"catalog_id": catalog_id}, "catalog_id", required=True)
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            card = _card(uow, counterparty_id)
            card.check_version(expected_version({"version": version}))
            policy.require(Action.EDIT, COUNTERPARTY, chain_of(uow, card.ref))
            target = uow.catalogs.get(target_id)
            if target is None:
                raise ValidationFailed.single("catalog_id", "no such catalog")
            policy.require(Action.CREATE, COUNTERPARTY, chain_of(uow, target.ref))
            if card.apply_changes({"catalog_id": target.id}):
                card.touched(actor_id, self.clock.now())
            uow.commit()
            return card

    def mark_deleted(self, actor_id: int, counterparty_id: int) -> Counterparty:
        """CP-12: a mark, not a removal; the card stays (and may be moved)."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            card = _card(uow, counterparty_id)
            policy.require(Action.DELETE, COUNTERPARTY, chain_of(uow, card.ref))
            card.mark_deleted(self.clock.now())
            card.touched(actor_id, self.clock.now())
            uow.commit()
            return card

    def restore(self, actor_id: int, counterparty_id: int) -> Counterparty:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            card = _card(uow, counterparty_id)
            policy.require(Action.DELETE, COUNTERPARTY, chain_of(uow, card.ref))
            card.restore()
            card.touched(actor_id, self.clock.now())
            uow.commit()
            return card

    def links(self, uow: UnitOfWork, card: Counterparty) -> dict[str, int]:
        """What refers to a card (a hard delete is refused while anything does)."""
        found = {
            "related_clients": uow.counterparties.count(parent_id=card.id),
            "contacts": uow.contacts.count(counterparty_id=card.id),
            "curator_assignments": uow.curator_assignments.count(counterparty_id=card.id),
            "roles": uow.roles.count(scope_kind=COUNTERPARTY, scope_id=card.id),
            "messages": uow.messages.count(subject_kind=COUNTERPARTY, subject_id=card.id),
            "tasks": uow.tasks.count(counterparty_id=card.id),
            "contracts": uow.contracts.count(counterparty_id=card.id),
            "requests": uow.requests.count(counterparty_id=card.id),
            "invoices": uow.invoices.count(counterparty_id=card.id),
            "orders": uow.orders.count(counterparty_id=card.id),
            "acts": uow.acts.count(counterparty_id=card.id),
            "documents": uow.documents.count(owner_kind=COUNTERPARTY, owner_id=card.id),
        }
        return {k: v for k, v in found.items() if v}

    def purge(self, actor_id: int, counterparty_id: int) -> None:
        """Hard delete (CP-12): administrators only, and only when nothing links to the
        card; otherwise a refusal that lists what does."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            if not policy.is_administrator:
                raise Forbidden("only administrators may delete a card for good")
            card = _card(uow, counterparty_id)
            links = self.links(uow, card)
            if links:
                raise Conflict("the card is linked to other objects; mark it deleted instead",
                               **links)
            card.record_deleted(("name", "inn", "catalog_id"))
            uow.counterparties.delete(card)
            uow.commit()

    # -- lists and search (CAT-3, CP-9, CP-10, CP-13) ---------------------------------------

    def _rows(self, uow: UnitOfWork, cards: Sequence[Counterparty]) -> list[ListRow]:
        ids = [c.id for c in cards]
        managers: dict[int, list[RoleAssignment]] = {}
        if ids:
            for a in uow.roles.list(role=Role.CLIENT_MANAGER, scope_kind=COUNTERPARTY,
                                    scope_id__in=ids, order_by=("id",)):
                managers.setdefault(a.scope_id, []).append(a)
        catalog_ids = {c.catalog_id for c in cards}
        names = {c.id: c.name for c in uow.catalogs.list(id__in=list(catalog_ids))} if cards else {}
        rows = []
        for c in cards:
            held = managers.get(c.id, [])
            main = next((a.employee_id for a in held if a.project_id is None), None)
            rows.append(ListRow(
                counterparty=c, catalog_name=names.get(c.catalog_id, ""),
                managers=tuple(dict.fromkeys(a.employee_id for a in held)),
                main_manager=main if main is not None else (held[0].employee_id if held else None),
                last_modifier=c.updated_by))
        return rows

    def catalog_page(self, actor_id: int, catalog_id: int, page: Any = 1,
                     include_deleted: bool = True) -> Page:
        """The cards of one catalog, 20 a page, by name (CAT-3)."""
        page = page_number(page)
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            _catalog(uow, catalog_id)
            filters: Data = {"catalog_id": catalog_id}
            if not include_deleted:
                filters["deleted"] = False
            # Counted only as far as the page links reach (this page and the next 10,
            # at least the first 1,000 cards): a catalog of 200,000 cards is not counted
            # whole for each page view; beyond the count the list reads "more than".
            reach = max(SEARCH_CAP, (page + 10) * PAGE)
            total = uow.counterparties.count(limit=reach + 1, **filters)
            cards = uow.counterparties.list(order_by=Counterparty.LIST_ORDER, limit=PAGE,
                                            offset=(page - 1) * PAGE, **filters)
            return Page(rows=self._rows(uow, cards), page=page, per_page=PAGE,
                        total=min(total, reach), capped=total > reach)

    def search(self, actor_id: int, text: Any, page: Any = 1, include_deleted: bool = True
               ) -> Page:
        """The search line (CP-9): a name part of at least 3 letters (Russian or Latin,
        case- and ё-insensitive), a contact's surname, an INN or its beginning, an ID, or
        the INN of a parent organisation. Counts stop at 1,000 ("more than")."""
        query = text.replace("\x00", "").strip() if isinstance(text, str) else ""
        page = page_number(page)
        if query.isascii() and query.isdigit():  # "²²²".isdigit() too, but int() refuses it
            return self._search_digits(actor_id, query, page, include_deleted)
        folded = fold(query)
        letters = re.sub(r"[^\w]", "", folded)
        if len(letters) < MIN_QUERY:
            raise ValidationFailed.single("q", f"type at least {MIN_QUERY} letters")
        folded = folded[:100]
        limit = SEARCH_CAP + 1
        candidates = self.search_index.names(folded, limit, include_deleted)
        if len(candidates) < limit:
            seen = {c.id for c in candidates}
            for c in self.search_index.contact_surnames(folded, limit, include_deleted):
                if c.id not in seen:
                    seen.add(c.id)
                    candidates.append(c)
        capped = len(candidates) > SEARCH_CAP
        candidates = candidates[:SEARCH_CAP]
        rank = _relevance(folded)
        ranked = sorted(candidates, key=lambda c: (rank(c.search_text), c.search_text, c.id))
        chosen = [c.id for c in ranked[(page - 1) * PAGE: page * PAGE]]
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            by_id = {c.id: c for c in uow.counterparties.list(id__in=chosen)} if chosen else {}
            cards = [by_id[i] for i in chosen if i in by_id]
            return Page(rows=self._rows(uow, cards), page=page, per_page=PAGE,
                        total=len(candidates), capped=capped)

    def _search_digits(self, actor_id: int, digits: str, page: int, include_deleted: bool
                       ) -> Page:
        """Digits: the card with that ID, then the cards whose INN begins with them (by
        INN), then — for a whole INN — the related clients of the organisations with it
        (CP-11). Only the page's cards are loaded; the INN matches are counted up to the
        cap (performance.md: loading 1,001 cards to count them cost most of the time)."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            deleted = {} if include_deleted else {"deleted": False}

            def alive(card: Counterparty | None) -> bool:
                return card is not None and (include_deleted or not card.deleted)

            # The segments before and after the INN matches are small and held whole;
            # a card found by ID or as a related client that the INN prefix also finds
            # shows once, among the INN matches.
            head = []
            if len(digits) <= 12:
                by_id = uow.counterparties.get(int(digits))
                if alive(by_id) and not (by_id.inn or "").startswith(digits):
                    head.append(by_id)
            tail: list[Counterparty] = []
            if len(digits) in (10, 12):
                parents = [p.id for p in uow.counterparties.list(inn=digits, limit=50)]
                if parents:
                    seen = {c.id for c in head}
                    for c in uow.counterparties.list(parent_id__in=parents,
                                                     order_by=Counterparty.LIST_ORDER,
                                                     limit=SEARCH_CAP + 1, **deleted):
                        if c.id not in seen and not (c.inn or "").startswith(digits):
                            seen.add(c.id)
                            tail.append(c)
            matches = uow.counterparties.count(inn__startswith=digits, limit=SEARCH_CAP + 1,
                                               **deleted)
            total = len(head) + matches + len(tail)
            start, stop = (page - 1) * PAGE, min(page * PAGE, SEARCH_CAP)
            chosen = head[start:stop]
            inn_start = max(0, start - len(head))
            inn_stop = min(matches, stop - len(head))
            if inn_stop > inn_start:
                chosen += uow.counterparties.list(
                    inn__startswith=digits, order_by=("inn", "id"), limit=inn_stop - inn_start,
                    offset=inn_start, **deleted)
            tail_start = max(0, start - len(head) - matches)
            chosen += tail[tail_start:tail_start + max(0, stop - start - len(chosen))]
            return Page(rows=self._rows(uow, chosen), page=page, per_page=PAGE,
                        total=min(total, SEARCH_CAP), capped=total > SEARCH_CAP)

    def advanced_search(self, actor_id: int, data: Data, page: Any = 1) -> Page:
        """A form over the card's fields (CP-10)."""
        fields = Fields()
        filters: Data = {}
        for name in ("name", "full_name", "legal_address", "postal_address"):
            value = fields.text(data, name, max_len=100)
            if value:
                filters[f"{name}__icontains"] = value
        inn = fields.text(data, "inn", max_len=12)
        if inn:
            if not inn.isdigit():
                fields.errors["inn"] = "INN consists of digits only"
            filters["inn__startswith"] = inn
        for name, enum_cls in (("type", CounterpartyType), ("status", OrganisationStatus)):
            value = fields.text(data, name)
            if value:
                try:
                    filters[name] = enum_cls(value)
                except ValueError:
                    fields.errors[name] = "one of: " + ", ".join(e.value for e in enum_cls)
        catalog_id = fields.ident(data, "catalog_id")
        manager_id = fields.ident(data, "manager_id")
        for name, op in (("created_from", "created_at__gte"), ("created_to", "created_at__lt")):
            value = fields.text(data, name, max_len=10)
            if value:
                try:
                    day = date.fromisoformat(value)
                    if not FIRST_DAY <= day <= LAST_DAY:  # the next day must stay a date
                        raise ValueError(value)
                except ValueError:
                    fields.errors[name] = "a date like 2026-01-31"
                else:
                    from datetime import UTC, datetime, timedelta

                    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
                    filters[op] = moment + timedelta(days=1) if name == "created_to" else moment
        if data.get("deleted") not in (None, ""):
            flag = fields.flag(data, "deleted")
            if flag is not None:
                filters["deleted"] = flag
        fields.check()
        page = page_number(page)
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            if catalog_id:
                filters["catalog_id__in"] = [c.id for c in _catalog_subtree(uow, catalog_id)]
            if manager_id:
                filters["id__in"] = [a.scope_id for a in uow.roles.list(
                    role=Role.CLIENT_MANAGER, scope_kind=COUNTERPARTY, employee_id=manager_id)]
            total = min(uow.counterparties.count(**filters), SEARCH_CAP + 1)
            cards = uow.counterparties.list(order_by=Counterparty.LIST_ORDER, limit=PAGE,
                                            offset=(page - 1) * PAGE, **filters)
            return Page(rows=self._rows(uow, cards), page=page, per_page=PAGE,
                        total=min(total, SEARCH_CAP), capped=total > SEARCH_CAP)

    # -- contacts (CP-8) ---------------------------------------------------------------------

    def _contact_values(self, data: Data, creating: bool) -> Data:
        fields = Fields()
        values: Data = {}
        for name, max_len in (("full_name", 255), ("position", 255), ("note", 4000)):
            value = fields.text(data, name, required=(creating and name == "full_name"),
                                max_len=max_len)
            if name in data and value is not None:
                values[name] = value
        if "full_name" in values and not values["full_name"]:
            fields.errors["full_name"] = "required"
        if data.get("birthday") not in (None, ""):
            text = fields.text(data, "birthday", max_len=10)
            try:
                values["birthday"] = date.fromisoformat(text or "")
            except ValueError:
                fields.errors["birthday"] = "a date like 1980-05-31"
        elif "birthday" in data:
            values["birthday"] = None
        for name, normalise, message in (("phones", normalise_phone, "not a phone number"),
                                         ("emails", normalise_email,
                                          "not a valid e-mail address")):
            if name not in data:
                continue
            raw = data[name]
            if isinstance(raw, str):
                raw = [p for p in re.split(r"[,;\n]", raw) if p.strip()]
            if not isinstance(raw, list) or len(raw) > 10:
                fields.errors[name] = "a list of up to 10 values"
                continue
            out = []
            for item in raw:
                normal = normalise(item.strip()) if isinstance(item, str) and "\x00" not in item \
                    else None
                if normal is None:
                    fields.errors[name] = f"{message}: {str(item)[:40]}"
                    break
                out.append(normal)
            values[name] = out
        fields.check()
        return values

    def add_contact(self, actor_id: int, counterparty_id: int, data: Data) -> Contact:
        values = self._contact_values(data, creating=True)
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            card = _card(uow, counterparty_id)
            policy.require(Action.EDIT, COUNTERPARTY, chain_of(uow, card.ref))
            contact = Contact(counterparty_id=card.id, **values)
            contact.derive()
            uow.contacts.add(contact)
            contact.record_created(Contact.EDITABLE)
            uow.commit()
            return contact

    def update_contact(self, actor_id: int, contact_id: int, data: Data) -> Contact:
        values = self._contact_values(data, creating=False)
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            contact = uow.contacts.get(contact_id) if isinstance(contact_id, int) else None
            if contact is None:
                raise NotFound(CONTACT, contact_id)
            policy.require(Action.EDIT, COUNTERPARTY, chain_of(uow, contact.ref))
            contact.check_version(expected_version(data))
            if contact.apply_changes(values):
                contact.derive()
            uow.commit()
            return contact

    def remove_contact(self, actor_id: int, contact_id: int) -> None:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            contact = uow.contacts.get(contact_id) if isinstance(contact_id, int) else None
            if contact is None:
                raise NotFound(CONTACT, contact_id)
            policy.require(Action.EDIT, COUNTERPARTY, chain_of(uow, contact.ref))
            # the card's tasks with this contact person stay, without the person (their
            # history keeps who it was)
            for task in uow.tasks.list(contact_id=contact.id):
                task.apply_changes({"contact_id": None})
            # invoices keep the person's name, frozen on them (INV-1), not the link
            for invoice in uow.invoices.list(contact_id=contact.id):
                invoice.apply_changes({"contact_id": None})
            contact.record_deleted(("full_name", "counterparty_id"))
            uow.contacts.delete(contact)
            uow.commit()
        if contact.photo:
            self.files.delete(contact.photo)

    def contacts(self, actor_id: int, counterparty_id: int) -> list[Contact]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            _card(uow, counterparty_id)
            return uow.contacts.list(counterparty_id=counterparty_id, order_by=("full_name", "id"))

    def set_photo(self, actor_id: int, contact_id: int, data: bytes) -> Contact:
        """A contact's photo: PNG, JPEG, GIF or WebP, at most 2 MiB."""
        if not isinstance(data, bytes | bytearray) or not data:
            raise ValidationFailed.single("photo", "required")
        if len(data) > MAX_PHOTO:
            raise ValidationFailed.single("photo", "at most 2 MiB")
        suffix = next((s for magic, s in PHOTO_TYPES.items() if data.startswith(magic)), None)
        if suffix is None or (suffix == ".webp" and data[8:12] != b"WEBP"):
            raise ValidationFailed.single("photo", "a PNG, JPEG, GIF or WebP picture")
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            contact = uow.contacts.get(contact_id) if isinstance(contact_id, int) else None
            if contact is None:
                raise NotFound(CONTACT, contact_id)
            policy.require(Action.EDIT, COUNTERPARTY, chain_of(uow, contact.ref))
        ref = self.files.put(bytes(data), suffix)
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            contact = uow.contacts.get(contact_id)
            old = contact.photo
            contact.apply_changes({"photo": ref})
            uow.commit()
        if old:
            self.files.delete(old)
        return contact

    def photo(self, actor_id: int, contact_id: int) -> bytes | None:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            contact = uow.contacts.get(contact_id) if isinstance(contact_id, int) else None
            if contact is None:
                raise NotFound(CONTACT, contact_id)
        return self.files.get(contact.photo) if contact.photo else None

    # -- EGRUL (CP-2) ------------------------------------------------------------------------

    def from_registry(self, actor_id: int, inn: Any) -> Data:
        """Card fields for ``inn`` from the state register; nothing is saved."""
        fields = Fields()
        value = (fields.text({"inn": inn}, "inn", required=True, max_len=12) or "").strip()
        if value and not fields.errors:
            error = inn_error(value, "legal_entity" if len(value) == 10 else "individual")
            if error:
                fields.errors["inn"] = error
        fields.check()
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
        try:
            record = self.registry.find_by_inn(value)
        except RegistryUnavailable as exc:
            raise Unavailable(str(exc)) from None
        if record is None:
            raise NotFound("registry record", value)
        return {k: (v.value if hasattr(v, "value") else v)
                for k, v in attrs.asdict(record, recurse=False).items()}

    def recheck_statuses(self, after_id: int = 0, limit: int = 100) -> tuple[int, int]:
        """The periodic job (CP-2): ask the register for the status of active cards with
        an INN, record changes, warn the managers (or the catalog's curator) about a
        liquidation or bankruptcy. Returns (last id looked at, cards changed); 0 as the
        last id when the pass reached the end. When the register fails before any card
        of the batch was asked, RegistryUnavailable propagates (nothing was done; the
        caller tries the same batch later) — so 0 never stands for "stopped early"."""
        with self.uow_factory(readonly=True) as uow:
            batch = uow.counterparties.list(
                id__gt=after_id, deleted=False, status=OrganisationStatus.ACTIVE,
                order_by=("id",), limit=limit)
        changed = 0
        asked = False
        for card in batch:
            if not card.inn:
                continue
            try:
                record = self.registry.find_by_inn(card.inn)
            except RegistryUnavailable:
                if not asked:
                    raise
                return card.id - 1, changed
            asked = True
            if record is None or record.status in (card.status, OrganisationStatus.UNKNOWN):
                continue
            with self.uow_factory() as uow:
                fresh = uow.counterparties.get(card.id)
                if fresh is None or not fresh.apply_changes({"status": record.status}):
                    continue
                if record.status in ALARMING:
                    recipients = {a.employee_id for a in uow.roles.list(
                        role=Role.CLIENT_MANAGER, scope_kind=COUNTERPARTY, scope_id=fresh.id)}
                    if not recipients:
                        catalog = uow.catalogs.get(fresh.catalog_id)
                        recipients = {catalog.curator_id} if catalog and catalog.curator_id else set()
                    for employee_id in sorted(recipients):
                        post(uow, self.clock, kind=MessageKind.NOTIFICATION,
                             recipient_id=employee_id, subject=fresh.ref,
                             text=f"ЕГРЮЛ: статус «{fresh.name}» (ИНН {fresh.inn}) — "
                                  f"{REGISTER_STATUS_WORDS[record.status]}")
                uow.commit()
                changed += 1
        return (batch[-1].id if len(batch) == limit else 0), changed

    # -- curators (CP-5…CP-7) ----------------------------------------------------------------

    def assign_responsible(self, actor_id: int, counterparty_id: int, data: Data
                           ) -> CuratorAssignment:
        """"Assign responsible": employee + direction; requests for confirmation go to
        the employee and their head; on both it takes effect (CP-6)."""
        fields = Fields()
        employee_id = fields.ident(data, "employee_id", required=True)
        project_id = fields.ident(data, "project_id")
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            card = _card(uow, counterparty_id)
            policy.require(Action.ASSIGN, COUNTERPARTY, chain_of(uow, card.ref), project_id)
            employee = uow.employees.get(employee_id)
            if employee is None or not employee.active:
                raise ValidationFailed.single("employee_id", "no such active employee")
            if project_id and uow.projects.get(project_id) is None:
                raise ValidationFailed.single("project_id", "no such project")
            head_id = head_of(uow, employee)
            assignment = uow.curator_assignments.add(CuratorAssignment(
                counterparty_id=card.id, employee_id=employee.id, project_id=project_id,
                requested_by=actor_id, head_id=head_id, requested_at=self.clock.now()))
            assignment.record_created(("counterparty_id", "employee_id", "project_id", "head_id"))
            direction = uow.projects.get(project_id).name if project_id else "основное"
            text = (f"Назначить {employee.full_name} ответственным за «{card.name}» "
                    f"(направление: {direction})?")
            action = f"{ASSIGN_ACTION}:{assignment.id}"
            for recipient in dict.fromkeys(r for r in (employee.id, head_id) if r):
                post(uow, self.clock, kind=MessageKind.CONFIRMATION, recipient_id=recipient,
                     text=text, sender_id=actor_id, subject=card.ref, action=action)
            uow.commit()
            return assignment

    def on_assignment_answer(self, uow: UnitOfWork, message: Message, confirmed: bool) -> None:
        """Confirmation handler (MessageService): runs in the answering unit of work."""
        assignment = uow.curator_assignments.get(int(message.action.split(":", 1)[1]))
        if assignment is None or assignment.state is not AssignmentState.PENDING:
            return
        assignment.answer(message.recipient_id, confirmed, message.reason)
        card = uow.counterparties.get(assignment.counterparty_id)
        if assignment.state is AssignmentState.CONFIRMED and card is not None:
            before = [a.employee_id for a in uow.roles.list(
                role=Role.CLIENT_MANAGER, scope_kind=COUNTERPARTY, scope_id=card.id,
                project_id=assignment.project_id)]
            for old in uow.roles.list(role=Role.CLIENT_MANAGER, scope_kind=COUNTERPARTY,
                                      scope_id=card.id, project_id=assignment.project_id):
                old.record_deleted(("role", "employee_id", "scope_kind", "scope_id"))
                uow.roles.delete(old)
            grant = uow.roles.add(RoleAssignment(
                role=Role.CLIENT_MANAGER, employee_id=assignment.employee_id,
                scope_kind=COUNTERPARTY, scope_id=card.id, project_id=assignment.project_id,
                granted_at=self.clock.now(), granted_by=assignment.requested_by))
            grant.record_created(("role", "employee_id", "scope_kind", "scope_id", "project_id"))
            grant.record(grant.on_employee(RoleGranted))
            card.record(ObjectChanged(subject=card.ref, changes=(FieldChange(
                f"manager:{assignment.project_id or 'main'}", before or None,
                assignment.employee_id),)))
            post(uow, self.clock, kind=MessageKind.NOTIFICATION,
                 recipient_id=assignment.requested_by, subject=card.ref,
                 text=f"Назначение ответственного за «{card.name}» подтверждено.")
        elif assignment.state is AssignmentState.REFUSED and card is not None:
            post(uow, self.clock, kind=MessageKind.NOTIFICATION,
                 recipient_id=assignment.requested_by, subject=card.ref,
                 text=f"Назначение ответственного за «{card.name}» отклонено. "
                      f"Причина: {assignment.reason[:500]}")

    def managers(self, actor_id: int, counterparty_id: int) -> list[RoleAssignment]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            card = _card(uow, counterparty_id)
            return uow.roles.list(role=Role.CLIENT_MANAGER, scope_kind=COUNTERPARTY,
                                  scope_id=card.id, order_by=("project_id", "id"))

    def pending_assignments(self, actor_id: int, counterparty_id: int
                            ) -> list[CuratorAssignment]:
        """"Assign responsible" requests still awaiting an answer (the card's tab)."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            card = _card(uow, counterparty_id)
            return uow.curator_assignments.list(
                counterparty_id=card.id, state=AssignmentState.PENDING, order_by=("id",))

    def related(self, actor_id: int, counterparty_id: int, page: Any = 1) -> Page:
        """Related clients (CP-11): the cards whose parent organisation is this one."""
        page = page_number(page)
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            card = _card(uow, counterparty_id)
            total = uow.counterparties.count(parent_id=card.id)
            cards = uow.counterparties.list(parent_id=card.id, order_by=Counterparty.LIST_ORDER,
                                            limit=PAGE, offset=(page - 1) * PAGE)
            return Page(rows=self._rows(uow, cards), page=page, per_page=PAGE, total=total)

    # -- import --------------------------------------------------------------------------------

    def import_rows(self, actor_id: int, catalog_id: int, rows: Iterable[Data],
                    batch: int = IMPORT_BATCH, progress=None) -> ImportReport:
        """Import cards (a file's rows as dicts of card fields). Every row is validated;
        rejected rows are reported with reasons and nothing of them is saved; a row
        whose INN (and KPP) matches a card updates that card, so the same file can be
        imported again without duplicates. Rows commit in batches.

        ``rows`` may be any iterable (a generator over a file): it is read once, a batch
        at a time. Per batch: one query finds the cards with the batch's INNs, one for
        the parent organisations named, the new cards are stored together and every
        created or changed card gets its history row (performance.md)."""
        created = updated = unchanged = 0
        rejected: list[tuple[int, dict[str, str]]] = []
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            catalog = _catalog(uow, catalog_id)
            policy.require(Action.CREATE, COUNTERPARTY, chain_of(uow, catalog.ref))
        pending: list[tuple[int, Data]] = []

        def flush() -> None:
            nonlocal created, updated, unchanged
            if not pending:
                return
            with self.uow_factory() as uow:
                policy = policy_for(uow, actor_id)
                now = self.clock.now()
                inns = sorted({v["inn"] for _, v in pending if v.get("inn")})
                # (INN, KPP) -> the stored card, or the row of a new one of this batch
                by_key: dict[tuple[str, str], Counterparty | Data] = {}
                # unordered, sorted here: asked to order a long IN list by id, SQLite
                # reads the whole table in id order instead of probing the INN index
                found = uow.counterparties.list(inn__in=inns, order_by=()) if inns else []
                for c in sorted(found, key=lambda c: c.id):  # the oldest card first
                    by_key.setdefault((c.inn, c.kpp or ""), c)
                parent_ids = sorted({v["parent_id"] for _, v in pending if v.get("parent_id")})
                parents = {c.id for c in uow.counterparties.list(id__in=parent_ids)
                           } if parent_ids else set()
                # New cards wait here as rows of their values and are stored together
                # when the batch ends, or earlier when a later row of the batch may match
                # one of them — without building a card object each (add_values): the
                # import's cost a row is what the database's is (performance.md).
                fresh: list[Data] = []
                fresh_keys: set[str] = set()  # name keys of the new cards without an INN

                def settle() -> None:
                    fresh_keys.clear()
                    if not fresh:
                        return
                    for ident, row in zip(uow.counterparties.add_values(fresh), fresh,
                                          strict=True):
                        row["id"] = ident
                        uow.record(Counterparty.created_event(
                            ident, {name: row[name] for name in Counterparty.CREATED}))
                    fresh.clear()

                # Rights only add up along a card's chain: what its catalog's chain allows
                # holds for every card in it (asked once per catalog); else ask the card's.
                by_catalog: dict[int, bool] = {}

                def may_edit(card: Counterparty) -> bool:
                    if card.catalog_id not in by_catalog:
                        by_catalog[card.catalog_id] = policy.allows(
                            Action.EDIT, COUNTERPARTY,
                            chain_of(uow, ObjectRef(CATALOG, card.catalog_id)))
                    return by_catalog[card.catalog_id] or policy.allows(
                        Action.EDIT, COUNTERPARTY, chain_of(uow, card.ref))

                for number, values in pending:
                    if values.get("parent_id") and values["parent_id"] not in parents:
                        rejected.append((number, {"parent_id": "no such counterparty"}))
                        continue
                    match: Counterparty | Data | None
                    if values.get("inn"):
                        match = by_key.get((values["inn"], values.get("kpp") or ""))
                    else:
                        key = name_key(values.get("name") or "")
                        if key in fresh_keys:
                            settle()
                        match = _same_without_inn(uow, catalog_id, values)
                    if match is None:
                        row = Counterparty.new_values({
                            "catalog_id": catalog_id, "created_at": now, "created_by": actor_id,
                            "updated_at": now, "updated_by": actor_id, **values})
                        row["search_text"], row["name_key"] = derived_keys(
                            row["name"], row["full_name"])
                        fresh.append(row)
                        if row["inn"]:
                            by_key[(row["inn"], row["kpp"] or "")] = row
                        else:
                            fresh_keys.add(row["name_key"])
                        created += 1
                        continue
                    if isinstance(match, dict):  # a new card of this batch: store it first
                        if "id" not in match:
                            settle()
                        match = _card(uow, match["id"])
                    elif not may_edit(match):
                        rejected.append((number, {"inn": "a card with this INN exists where "
                                                         "you may not edit it"}))
                        continue
                    if match.apply_changes({k: v for k, v in values.items() if k != "type"}):
                        match.derive()
                        match.touched(actor_id, now)
                        updated += 1
                    else:
                        unchanged += 1
                settle()
                uow.commit()
            if progress:
                progress(len(pending))
            pending.clear()

        for number, row in enumerate(rows, start=1):
            try:
                values = self.parse(row)
            except ValidationFailed as exc:
                rejected.append((number, exc.errors))
                if progress:
                    progress(1)
                continue
            pending.append((number, values))
            if len(pending) >= batch:
                flush()
        flush()
        rejected.sort(key=lambda item: item[0])
        return ImportReport(created, updated, unchanged, tuple(rejected))


def _same_without_inn(uow: UnitOfWork, catalog_id: int, values: Data) -> Counterparty | None:
    """The card an imported row without an INN stands for, so that importing a file
    again creates no duplicates: a card without an INN in the same catalog with the same
    normalised name and the row's phone and e-mail (those the row gives)."""
    key = name_key(values.get("name") or "")
    if not key:
        return None
    filters: Data = {"catalog_id": catalog_id, "inn": "", "name_key": key}
    for name in ("phone", "email"):
        if values.get(name):
            filters[name] = values[name]
    return uow.counterparties.first(**filters)


def _catalog_subtree(uow: UnitOfWork, catalog_id: int) -> list[Catalog]:
    root = _catalog(uow, catalog_id)
    everything = uow.catalogs.list()
    children: dict[int | None, list[Catalog]] = {}
    for c in everything:
        children.setdefault(c.parent_id, []).append(c)
    out, stack = [], [root]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children.get(current.id, []))
    return out




def _relevance(query: str) -> Callable[[str], int]:
    """A candidate's rank for ``query``: 0 exact, 1 prefix, 2 a word starts with it, 3
    anywhere (perf notes: rank a short query's page from the capped candidates instead
    of sorting every match). The needles are made once a search, not once a candidate."""
    space, guillemet, quote = f" {query}", f"«{query}", f'"{query}'

    def rank(text: str) -> int:
        if text == query:
            return 0
        if text.startswith(query):
            return 1
        if space in text or guillemet in text or quote in text:
            return 2
        return 3

    return rank
