"""Sales documents (CON-1…CON-4, REQ-1…REQ-4, INV-1…INV-4): contract types and contracts,
requests, invoices with their lines, payments, acts of completed work and the client's
settlement status.

Requests and invoices run by state sets of the workflow engine (``state``,
``state_entered_at``); their state changes are the engine's ``StateChanged`` events.
Whatever happens to a client's documents is mirrored into the client's own history
(``client_event``), so the card's History tab tells the whole story.
"""

from __future__ import annotations

import enum
import re
import string
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from ecrm_core.attributes import AttributeDef
from ecrm_core.kernel.events import FieldChange, ObjectChanged
from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.money import InvoiceLine, InvoiceTotals, Money, invoice_totals, vat_rate

CONTRACT_TYPE, CONTRACT, REQUEST, INVOICE, PAYMENT, ACT, SETTLEMENT = (
    "contract_type", "contract", "request", "invoice", "payment", "act", "settlement")
COUNTERPARTY = "counterparty"

DEFAULT_PATTERN = "{year}-{seq:05d}"
PATTERN_FIELDS = frozenset({"year", "month", "seq", "type"})
SEQ_SPEC_RE = re.compile(r"^0?[1-9]?d?$")


def pattern_error(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable number pattern, or None. It must hold ``{seq}``
    (optionally ``{seq:05d}``) and may hold ``{year}``, ``{month}``, ``{type}``."""
    if not pattern or len(pattern) > 60:
        return "a pattern like {year}-{seq:05d} (at most 60 characters)"
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError:
        return "unbalanced braces"
    names = [p[1] for p in parts if p[1] is not None]
    unknown = [n for n in names if n not in PATTERN_FIELDS]
    if unknown:
        return "only {year}, {month}, {seq} and {type} may be used"
    if "seq" not in names:
        return "the pattern must contain {seq}"
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if conversion or (spec and (name != "seq" or not SEQ_SPEC_RE.match(spec))):
            return "only {seq} takes a width, like {seq:05d}"
    return None


def number_scope(kind: str, pattern: str, day: date, type_code: str = "") -> str:
    """The key of the sequence a number from ``pattern`` draws from: one per pattern and
    per the year, month and type it names, so equal patterns share numbers and a new year
    starts again from 1 when the pattern holds the year."""
    parts = [kind, pattern]
    if "{year}" in pattern or "{month}" in pattern:
        parts.append(str(day.year))
    if "{month}" in pattern:
        parts.append(f"{day.month:02d}")
    if "{type}" in pattern:
        parts.append(type_code)
    return "|".join(parts)[:200]


def format_number(pattern: str, day: date, seq: int, type_code: str = "") -> str:
    return pattern.format(year=day.year, month=f"{day.month:02d}", seq=seq, type=type_code)


def state_name(state_set: Any, code: str) -> str:
    """A state's name in its set (the code when the set lacks it)."""
    state = state_set.state(code)
    return state.name if state else code


def client_event(counterparty_id: int | None, field: str, old: Any, new: Any):
    """An entry for the client's own history about one of its documents."""
    if counterparty_id is None:
        return None
    return ObjectChanged(subject=ObjectRef(COUNTERPARTY, counterparty_id),
                         changes=(FieldChange(field, old, new),))


class Mirrored:
    """Aggregates whose events are also told in their client's history."""

    counterparty_id: int | None

    def tell_client(self, field: str, old: Any, new: Any) -> None:
        event = client_event(self.counterparty_id, field, old, new)
        if event is not None:
            self.record(event)  # type: ignore[attr-defined]

    def tell_state(self, state_set: Any, before: str) -> None:
        """Tell the client that the document moved from ``before`` to its state now (by
        hand or by the system), by the states' names; nothing when it did not move."""
        after: str = self.state  # type: ignore[attr-defined]
        if after != before:
            title = self.title  # type: ignore[attr-defined]
            self.tell_client(self.kind,  # type: ignore[attr-defined]
                             f"{title}: {state_name(state_set, before)}",
                             f"{title}: {state_name(state_set, after)}")


@entity
class ContractType(Aggregate):
    """A type of contract (CON-1): its own attribute set (e.g. passport data for
    individuals) and number pattern."""

    kind: ClassVar[str] = CONTRACT_TYPE

    code: str
    name: str
    attributes: tuple[AttributeDef, ...] = ()
    number_pattern: str = DEFAULT_PATTERN
    active: bool = True

    EDITABLE: ClassVar[tuple[str, ...]] = ("name", "attributes", "number_pattern", "active")


@entity
class Contract(Aggregate, Mirrored):
    """A contract with a client (CON-1…CON-4)."""

    kind: ClassVar[str] = CONTRACT

    counterparty_id: int
    contract_type_id: int
    number: str
    subject: str = ""
    signed_on: date | None = None
    draft: bool = True
    attributes: dict[str, Any] = attrs.field(factory=dict)
    #: the electronic copy (a document of the document store)
    document_id: int | None = None
    created_at: datetime | None = None
    created_by: int | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "subject", "signed_on", "draft", "attributes", "document_id")

    @property
    def title(self) -> str:
        return f"Договор № {self.number}"


class RequestKind(enum.StrEnum):
    """REQ-1: from the menu for employees, for a counterparty, or by an invoice."""

    INTERNAL = "internal"
    COUNTERPARTY = "counterparty"
    INVOICE = "invoice"


@entity
class Request(Aggregate, Mirrored):
    """A request (заявка, REQ-1…REQ-4): a service for a client, or an action for an
    employee; its service conditions depend on its service kind (REQ-2)."""

    kind: ClassVar[str] = REQUEST

    request_kind: RequestKind
    subject: str
    author_id: int
    assignee_id: int
    state: str = ""
    state_entered_at: datetime | None = None
    service_kind_id: int | None = None
    conditions: dict[str, Any] = attrs.field(factory=dict)
    counterparty_id: int | None = None
    contract_id: int | None = None
    invoice_id: int | None = None
    description: str = ""
    due_on: date | None = None
    created_at: datetime | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "subject", "service_kind_id", "conditions", "description", "due_on", "contract_id")

    @property
    def title(self) -> str:
        return f"Заявка № {self.id}: {self.subject}"


@attrs.frozen
class Line:
    """A line of an invoice (INV-1): an item of the nomenclature (or free text), its
    unit, quantity, price, discount and VAT rate code. The money is counted by
    ``money.InvoiceLine``."""

    name: str
    quantity: Decimal
    price: Money
    unit: str = "шт"
    vat_rate: str = "22"
    discount: Money = attrs.field(factory=Money.zero)
    item_id: int | None = None

    def money(self) -> InvoiceLine:
        rate = vat_rate(self.vat_rate)
        assert rate is not None
        return InvoiceLine(quantity=self.quantity, price=self.price, vat_rate=rate,
                           discount=self.discount)


def totals_of(lines: Sequence[Line], vat_included: bool) -> InvoiceTotals:
    return invoice_totals([line.money() for line in lines], vat_included)


@entity
class Invoice(Aggregate, Mirrored):
    """An invoice to a client (INV-1…INV-4): its lines, the client's requisites and
    contact frozen as they were when it was made, its state and what has been paid."""

    kind: ClassVar[str] = INVOICE

    number: str
    issued_on: date
    counterparty_id: int
    author_id: int
    contract_id: int | None = None
    price_type_id: int | None = None
    vat_included: bool = True
    lines: tuple[Line, ...] = ()
    #: derived from the lines (``recount``): stored for lists and settlements
    total: Money = attrs.field(factory=Money.zero)
    vat: Money = attrs.field(factory=Money.zero)
    #: what the registered payments cover
    paid: Money = attrs.field(factory=Money.zero)
    state: str = ""
    state_entered_at: datetime | None = None
    #: the client's requisites as of the invoice (INV-1): name, inn, kpp, address, …
    requisites: dict[str, Any] = attrs.field(factory=dict)
    contact_id: int | None = None
    contact_name: str = ""
    due_on: date | None = None
    note: str = ""
    created_at: datetime | None = None
    #: the deal the invoice is issued for (DEAL-2: "an invoice issued / paid" conditions)
    deal_id: int | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "issued_on", "contract_id", "vat_included", "lines", "contact_id", "contact_name",
        "due_on", "note", "requisites")

    @property
    def title(self) -> str:
        return f"Счёт № {self.number} от {self.issued_on.strftime('%d.%m.%Y')}"

    def totals(self) -> InvoiceTotals:
        return totals_of(self.lines, self.vat_included)

    def recount(self, counted: InvoiceTotals | None = None) -> None:
        """Store the totals of the lines (``counted``: already counted from them)."""
        counted = counted or self.totals()
        self.total, self.vat = counted.total, counted.vat

    @property
    def debt(self) -> Money:
        return self.total - self.paid


@entity
class Payment(Aggregate, Mirrored):
    """A payment received against an invoice (CON-4), possibly partial; or a planned one
    (a state's on-enter action, DEAL-2), which settlements do not count."""

    kind: ClassVar[str] = PAYMENT

    invoice_id: int
    counterparty_id: int
    amount: Money
    paid_on: date
    contract_id: int | None = None
    planned: bool = False
    reference: str = ""
    note: str = ""
    created_at: datetime | None = None
    created_by: int | None = None


@entity
class Act(Aggregate, Mirrored):
    """An act of completed work (CON-4)."""

    kind: ClassVar[str] = ACT

    number: str
    counterparty_id: int
    act_on: date
    amount: Money
    contract_id: int | None = None
    invoice_id: int | None = None
    note: str = ""
    created_at: datetime | None = None
    created_by: int | None = None


class SettlementStatus(enum.StrEnum):
    """The client's settlement status (CP-13, CON-4)."""

    NONE = "none"
    PAID = "paid"
    DEBT = "debt"
    PREPAID = "prepaid"


@entity
class Settlement(Aggregate):
    """What a client has been invoiced and has paid, kept with every invoice and payment
    (one row a client, so lists show the status without summing)."""

    kind: ClassVar[str] = SETTLEMENT

    counterparty_id: int
    invoiced: Money = attrs.field(factory=Money.zero)
    paid: Money = attrs.field(factory=Money.zero)

    @property
    def balance(self) -> Money:
        """Positive: the client owes; negative: paid in advance."""
        return self.invoiced - self.paid

    @property
    def status(self) -> SettlementStatus:
        return status_of(self.invoiced, self.paid)


def status_of(invoiced: Money, paid: Money) -> SettlementStatus:
    if not invoiced and not paid:
        return SettlementStatus.NONE
    if invoiced > paid:
        return SettlementStatus.DEBT
    if paid > invoiced:
        return SettlementStatus.PREPAID
    return SettlementStatus.PAID
