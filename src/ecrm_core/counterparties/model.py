"""Catalogs, counterparties, contacts and curator assignments (CAT-1…6, CP-1…14)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

import attrs

from ecrm_core.counterparties.requisites import fold, name_key
from ecrm_core.kernel.errors import Conflict
from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.kernel.refs import ObjectRef

CATALOG = "catalog"
COUNTERPARTY = "counterparty"
CONTACT = "contact"
CURATOR_ASSIGNMENT = "curator_assignment"


class CounterpartyType(enum.StrEnum):
    LEGAL_ENTITY = "legal_entity"
    INDIVIDUAL = "individual"
    SOLE_PROPRIETOR = "sole_proprietor"


class OrganisationStatus(enum.StrEnum):
    ACTIVE = "active"
    LIQUIDATING = "liquidating"
    LIQUIDATED = "liquidated"
    BANKRUPT = "bankrupt"
    REORGANISING = "reorganising"
    UNKNOWN = "unknown"


#: Statuses the manager is warned about when the register reports them (CP-2 job).
ALARMING = frozenset(
    {OrganisationStatus.LIQUIDATING, OrganisationStatus.LIQUIDATED, OrganisationStatus.BANKRUPT}
)


@entity
class Catalog(Aggregate):
    """A folder of counterparties; catalogs nest without limit (CAT-1)."""

    kind: ClassVar[str] = CATALOG

    name: str
    description: str = ""
    parent_id: int | None = None
    curator_id: int | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = ("name", "description", "parent_id", "curator_id")


def derived_keys(name: str, full_name: str) -> tuple[str, str]:
    """A card's ``search_text`` and ``name_key``, derived from its names."""
    return fold(f"{name} {full_name}".strip()), name_key(name)


@entity
class Counterparty(Aggregate):
    """A client's card (CP-1). ``search_text`` and the ``*_key`` fields are derived
    from the card by the domain and kept by the adapters for search and duplicates."""

    kind: ClassVar[str] = COUNTERPARTY

    catalog_id: int
    type: CounterpartyType
    name: str
    full_name: str = ""
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""
    legal_address: str = ""
    postal_address: str = ""
    phone: str = ""
    sms_phone: str = ""
    email: str = ""
    mailing_email: str = ""
    status: OrganisationStatus = OrganisationStatus.ACTIVE
    parent_id: int | None = None
    #: the client's type, which sets the price type its invoices are priced by (PRD-2)
    client_type_id: int | None = None
    okved: str = ""
    head: str = ""
    extra: dict[str, Any] = attrs.field(factory=dict)
    export_1c: bool = False
    deleted: bool = False
    deleted_at: datetime | None = None
    created_at: datetime | None = None
    created_by: int | None = None
    updated_at: datetime | None = None
    updated_by: int | None = None
    # derived, for search and duplicate checks
    search_text: str = ""
    name_key: str = ""

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "type", "name", "full_name", "inn", "kpp", "ogrn", "legal_address", "postal_address",
        "phone", "sms_phone", "email", "mailing_email", "status", "parent_id", "okved", "head",
        "extra", "export_1c", "client_type_id",
    )

    #: the fields a card's creation records in its history
    CREATED: ClassVar[tuple[str, ...]] = ("catalog_id", *EDITABLE)
    #: How lists of cards are ordered (CAT-3, CP-10, CP-11): alphabetically by the name
    #: without its legal form, quotes, case or ё — «АО "Ромашка"» beside «Ромашка ООО»
    #: under Р, not every ООО under О (the key the duplicate check compares, CP-3).
    #: One index serves it and the duplicate check (docs/performance.md).
    LIST_ORDER: ClassVar[tuple[str, ...]] = ("name_key", "id")

    def derive(self) -> None:
        """Refresh the derived search fields from the card."""
        self.search_text, self.name_key = derived_keys(self.name, self.full_name)

    def touched(self, by: int, at: datetime) -> None:
        self.updated_by = by
        self.updated_at = at

    def mark_deleted(self, at: datetime) -> None:
        if self.deleted:
            raise Conflict("the card is already marked deleted")
        self.apply_changes({"deleted": True, "deleted_at": at})

    def restore(self) -> None:
        if not self.deleted:
            raise Conflict("the card is not marked deleted")
        self.apply_changes({"deleted": False, "deleted_at": None})


@entity
class Contact(Aggregate):
    """A contact person (representative) of a counterparty (CP-8)."""

    kind: ClassVar[str] = CONTACT

    counterparty_id: int
    full_name: str
    position: str = ""
    birthday: date | None = None
    phones: list[str] = attrs.field(factory=list)
    emails: list[str] = attrs.field(factory=list)
    note: str = ""
    photo: str = ""
    surname_key: str = ""

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "full_name", "position", "birthday", "phones", "emails", "note", "photo",
    )

    def derive(self) -> None:
        parts = fold(self.full_name).split()
        self.surname_key = parts[0] if parts else ""


class AssignmentState(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"


@entity
class CuratorAssignment(Aggregate):
    """"Assign responsible" (CP-6): employee + direction, confirmed by the employee and
    their head before it takes effect."""

    kind: ClassVar[str] = CURATOR_ASSIGNMENT

    counterparty_id: int
    employee_id: int
    project_id: int | None
    requested_by: int
    head_id: int | None = None
    state: AssignmentState = AssignmentState.PENDING
    employee_confirmed: bool = False
    head_confirmed: bool = False
    reason: str = ""
    requested_at: datetime | None = None

    @property
    def counterparty(self) -> ObjectRef:
        return ObjectRef(COUNTERPARTY, self.counterparty_id)

    def answer(self, by: int, confirmed: bool, reason: str) -> None:
        """Record one side's answer; the state follows (both yes -> confirmed)."""
        if self.state is not AssignmentState.PENDING:
            return
        if not confirmed:
            self.apply_changes({"state": AssignmentState.REFUSED, "reason": reason})
            return
        changes: dict[str, Any] = {}
        if by == self.employee_id:
            changes["employee_confirmed"] = True
        if by == self.head_id:
            changes["head_confirmed"] = True
        employee = changes.get("employee_confirmed", self.employee_confirmed)
        head = changes.get("head_confirmed", self.head_confirmed) or self.head_id is None
        if employee and head:
            changes["state"] = AssignmentState.CONFIRMED
        self.apply_changes(changes)
