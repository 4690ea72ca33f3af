"""Customer orders (ORD-1…ORD-3): what a client orders, the connection estimate and its
approval, and the data handed to the billing system.

- ``Order`` (ORD-1): a service package (monthly), equipment and works (one-time), each an
  ``OrderLine`` priced from the price list; it runs by the "order" state set of the
  workflow engine (draft → approval → approved → connection → connected; cancelled).
  Its ``estimate()`` (ORD-2) is counted from the lines: the one-time sum (equipment and
  works) and the monthly sum (the package), each with its VAT (``money.InvoiceTotals``).
- ``ApprovalRoute`` (ORD-2, a reference book): the chain of approvers — each step a role
  or a named employee.
- ``ApprovalRound`` (ORD-2): one submission of an order's estimate along a route: the
  route's steps and the estimate frozen as they were submitted (approvers approve what
  they saw), the step waiting for an answer and every decision taken. A refusal ends the
  round; so does the last step's approval.
- ``BillingHandoff`` (ORD-3): one versioned JSON document for the billing system, sent
  through the ``ports.BillingGateway`` under its idempotency ``key`` until it is accepted
  — and never again afterwards.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from ecrm_core.access.model import Role
from ecrm_core.kernel.errors import Conflict, ValidationFailed
from ecrm_core.kernel.events import DomainEvent, FieldChange, ObjectChanged, ObjectCreated
from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.money import InvoiceLine, InvoiceTotals, Money, invoice_totals
from ecrm_core.products.model import ItemKind
from ecrm_core.sales.model import Line, Mirrored

ORDER, APPROVAL_ROUTE, APPROVAL_ROUND, BILLING_HANDOFF = (
    "order", "approval_route", "approval_round", "billing_handoff")

#: The version of the billing document's shape (``payload["schema"]``).
BILLING_SCHEMA = "ecrm.billing/1"
#: The longest reason of a refusal and the longest error kept on a hand-off.
MAX_REASON = 2000
MAX_ERROR = 2000
#: The most steps a route has.
MAX_STEPS = 20


class Part(enum.StrEnum):
    """Which part of the order a line belongs to (ORD-1)."""

    #: the service package: paid monthly
    PACKAGE = "package"
    #: equipment (goods) the connection needs: paid once
    EQUIPMENT = "equipment"
    #: works to connect the client: paid once
    WORK = "work"


#: The part a line naming an item falls into when the input does not say.
PART_OF_ITEM: dict[ItemKind, Part] = {
    ItemKind.SERVICE: Part.PACKAGE,
    ItemKind.GOODS: Part.EQUIPMENT,
    ItemKind.WORK: Part.WORK,
}
ONE_TIME_PARTS = frozenset({Part.EQUIPMENT, Part.WORK})


@attrs.frozen
class OrderLine:
    """A line of an order: its part, an item of the nomenclature (or free text), unit,
    quantity, price, discount and VAT rate code. The money is counted as an invoice
    line's (``money.InvoiceLine``)."""

    part: Part
    name: str
    quantity: Decimal
    price: Money
    unit: str = "шт"
    vat_rate: str = "22"
    discount: Money = attrs.field(factory=Money.zero)
    item_id: int | None = None

    @classmethod
    def of(cls, part: Part, line: Line) -> OrderLine:
        return cls(part=part, name=line.name, quantity=line.quantity, price=line.price,
                   unit=line.unit, vat_rate=line.vat_rate, discount=line.discount,
                   item_id=line.item_id)

    def line(self) -> Line:
        return Line(name=self.name, quantity=self.quantity, price=self.price, unit=self.unit,
                    vat_rate=self.vat_rate, discount=self.discount, item_id=self.item_id)

    def money(self) -> InvoiceLine:
        return self.line().money()


def _money_text(value: Money) -> str:
    return f"{value.amount:.2f}"


def _totals_data(totals: InvoiceTotals) -> dict[str, str]:
    return {"amount": _money_text(totals.amount), "vat": _money_text(totals.vat),
            "total": _money_text(totals.total)}


@attrs.frozen
class Estimate:
    """The connection estimate of an order (ORD-2): the one-time sum (equipment and
    works) and the monthly sum (the package), each with its VAT."""

    vat_included: bool
    lines: tuple[OrderLine, ...]
    one_time: InvoiceTotals
    monthly: InvoiceTotals

    @classmethod
    def of(cls, lines: Sequence[OrderLine], vat_included: bool) -> Estimate:
        once = [x.money() for x in lines if x.part in ONE_TIME_PARTS]
        monthly = [x.money() for x in lines if x.part is Part.PACKAGE]
        return cls(vat_included=vat_included, lines=tuple(lines),
                   one_time=invoice_totals(once, vat_included),
                   monthly=invoice_totals(monthly, vat_included))

    def line_data(self) -> list[dict[str, Any]]:
        """Each line with its counted money, as plain JSON (sums as decimal text)."""
        out = []
        for x in self.lines:
            counted = x.money().amounts(self.vat_included)
            out.append({
                "part": x.part.value, "item_id": x.item_id, "name": x.name, "unit": x.unit,
                "quantity": str(x.quantity), "price": _money_text(x.price),
                "discount": _money_text(x.discount), "vat_rate": x.vat_rate,
                "amount": _money_text(counted.amount), "vat": _money_text(counted.vat),
                "total": _money_text(counted.total)})
        return out

    def snapshot(self) -> dict[str, Any]:
        """The estimate as plain JSON: what an approval round freezes and compares."""
        return {"vat_included": self.vat_included, "lines": self.line_data(),
                "one_time": _totals_data(self.one_time),
                "monthly": _totals_data(self.monthly)}


@entity
class Order(Aggregate, Mirrored):
    """A customer order (ORD-1…ORD-3). Its lines change only in the set's initial state
    (a draft); its states run by the "order" state set."""

    kind: ClassVar[str] = ORDER

    number: str
    counterparty_id: int
    author_id: int
    ordered_on: date
    contract_id: int | None = None
    price_type_id: int | None = None
    vat_included: bool = True
    lines: tuple[OrderLine, ...] = ()
    #: derived from the lines (``recount``): stored for lists and amount guards
    one_time_total: Money = attrs.field(factory=Money.zero)
    monthly_total: Money = attrs.field(factory=Money.zero)
    state: str = ""
    state_entered_at: datetime | None = None
    note: str = ""
    created_at: datetime | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "ordered_on", "contract_id", "vat_included", "lines", "note")

    @property
    def title(self) -> str:
        return f"Заказ № {self.number} от {self.ordered_on.strftime('%d.%m.%Y')}"

    def estimate(self) -> Estimate:
        return Estimate.of(self.lines, self.vat_included)

    def recount(self, estimate: Estimate | None = None) -> None:
        estimate = estimate or self.estimate()
        self.one_time_total = estimate.one_time.total
        self.monthly_total = estimate.monthly.total


# -- approval routes (ORD-2) ----------------------------------------------------------


@attrs.frozen
class ApprovalStep:
    """A step of an approval route: answered by any active holder of ``role`` over the
    order (company-wide for the Director and Sales management), or by the employee
    ``employee_id``. Exactly one of the two is set."""

    role: Role | None = None
    employee_id: int | None = None

    def __attrs_post_init__(self) -> None:
        if (self.role is None) == (self.employee_id is None):
            raise ValueError("an approval step names a role or an employee, not both")


def steps_data(steps: Iterable[ApprovalStep]) -> list[dict[str, Any]]:
    """Steps as plain JSON (storage, history, faces)."""
    return [{"role": s.role.value, "employee_id": None} if s.role is not None
            else {"role": None, "employee_id": s.employee_id} for s in steps]


def steps_from_data(data: Iterable[dict[str, Any]]) -> tuple[ApprovalStep, ...]:
    return tuple(ApprovalStep(role=Role(x["role"]) if x.get("role") else None,
                              employee_id=x.get("employee_id")) for x in data)


@entity
class ApprovalRoute(Aggregate):
    """A chain of approvers (ORD-2): the reference book of routes an order is submitted
    along. Edited by the Director and Administrators; read by everyone."""

    kind: ClassVar[str] = APPROVAL_ROUTE

    name: str
    steps: tuple[ApprovalStep, ...] = ()
    active: bool = True

    EDITABLE: ClassVar[tuple[str, ...]] = ("name", "steps", "active")

    def record_defined(self) -> None:
        self.record(ObjectCreated(subject=self.ref, changes=(
            FieldChange("name", None, self.name),
            FieldChange("steps", None, steps_data(self.steps)),
            FieldChange("active", None, self.active))))

    def redefine(self, values: dict[str, Any]) -> bool:
        changes = []
        for name, value in values.items():
            old = getattr(self, name)
            if old != value:
                changes.append(FieldChange(name, steps_data(old), steps_data(value))
                               if name == "steps" else FieldChange(name, old, value))
        if not changes:
            return False
        for name, value in values.items():
            setattr(self, name, value)
        self.record(ObjectChanged(subject=self.ref, changes=tuple(changes)))
        return True


class RoundStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    #: the order was cancelled while the round waited
    CANCELLED = "cancelled"


@attrs.frozen
class Decision:
    """An approver's answer to a step of a round: ``step`` counts from 0."""

    step: int
    employee_id: int
    approved: bool
    reason: str
    at: datetime

    def data(self) -> dict[str, Any]:
        return {"step": self.step, "employee_id": self.employee_id,
                "approved": self.approved, "reason": self.reason,
                "at": self.at.isoformat()}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Decision:
        return cls(step=int(data["step"]), employee_id=int(data["employee_id"]),
                   approved=bool(data["approved"]), reason=str(data.get("reason") or ""),
                   at=datetime.fromisoformat(data["at"]))


@entity
class ApprovalRound(Aggregate):
    """One submission of an order's estimate along a route (ORD-2). ``steps`` and
    ``estimate`` are frozen at submission (with the order's ``order_version``);
    ``step`` is the index of the step waiting for an answer."""

    kind: ClassVar[str] = APPROVAL_ROUND

    order_id: int
    steps: tuple[ApprovalStep, ...]
    estimate: dict[str, Any]
    route_id: int | None = None
    route_name: str = ""
    order_version: int = 1
    step: int = 0
    decisions: tuple[Decision, ...] = ()
    status: RoundStatus = RoundStatus.PENDING
    submitted_by: int | None = None
    submitted_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.status is RoundStatus.PENDING

    @property
    def current(self) -> ApprovalStep | None:
        """The step waiting for an answer (None once the round is over)."""
        return self.steps[self.step] if self.pending else None

    def record_submitted(self) -> None:
        self.record(ObjectCreated(subject=self.ref, changes=(
            FieldChange("order_id", None, self.order_id),
            FieldChange("route_name", None, self.route_name),
            FieldChange("steps", None, steps_data(self.steps)),
            FieldChange("estimate", None, self.estimate),
            FieldChange("status", None, self.status.value))))

    def decide(self, step: int, employee_id: int, approved: bool, reason: str,
               at: datetime) -> Decision:
        """Record an approver's answer to ``step`` (ORD-2): a refusal (which needs a
        reason) ends the round refused; an approval moves it to the next step, or ends
        it approved after the last one. The decision goes to history."""
        if not self.pending:
            raise Conflict("the approval round is over")
        if step != self.step:
            raise Conflict("this step of the approval has been answered already")
        reason = (reason or "").strip()
        if not approved and not reason:
            raise ValidationFailed.single("reason", "required")
        if len(reason) > MAX_REASON:
            raise ValidationFailed.single("reason", f"at most {MAX_REASON} characters")
        decision = Decision(step=step, employee_id=employee_id, approved=approved,
                            reason=reason, at=at)
        changes = [FieldChange("decision", None, decision.data())]
        if not approved or step + 1 >= len(self.steps):
            status = RoundStatus.APPROVED if approved else RoundStatus.REFUSED
            changes.append(FieldChange("status", self.status.value, status.value))
            self.status, self.finished_at = status, at
        else:
            changes.append(FieldChange("step", self.step, step + 1))
            self.step = step + 1
        self.decisions = (*self.decisions, decision)
        self.record(ObjectChanged(subject=self.ref, changes=tuple(changes)))
        return decision

    def cancel(self, at: datetime) -> None:
        """The order was cancelled while the round waited for an answer."""
        if self.pending:
            self.apply_changes({"status": RoundStatus.CANCELLED, "finished_at": at})


# -- the billing hand-off (ORD-3) -------------------------------------------------------


class HandoffState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class BillingHandoffRequested(DomainEvent):
    """Relayed to the queue: deliver the hand-off to the billing system (ORD-3)."""

    relayed: ClassVar[bool] = True
    handoff_id: int
    order_id: int
    key: str


def handoff_key(order_id: int, revision: int) -> str:
    """The idempotency key of an order's hand-off: the billing system takes a key once."""
    return f"ecrm-order-{order_id}-v{revision}"


@entity
class BillingHandoff(Aggregate):
    """The data of an order for the billing system (ORD-3): ``revision`` 1, 2 … per order
    (a new one each time the order enters "connection", or when a refused one is made
    again), ``payload`` the versioned JSON document (``BILLING_SCHEMA``), ``key`` its
    idempotency key. ``sending_until``: a delivery holds the hand-off until then (a
    lease, so two workers never send it at once)."""

    kind: ClassVar[str] = BILLING_HANDOFF

    order_id: int
    revision: int
    key: str
    payload: dict[str, Any]
    state: HandoffState = HandoffState.PENDING
    attempts: int = 0
    last_error: str = ""
    next_try_at: datetime | None = None
    sending_until: datetime | None = None
    accepted_at: datetime | None = None
    created_at: datetime | None = None

    def record_requested(self) -> None:
        self.record(ObjectCreated(subject=self.ref, changes=(
            FieldChange("order_id", None, self.order_id),
            FieldChange("revision", None, self.revision),
            FieldChange("key", None, self.key),
            FieldChange("state", None, self.state.value))))
        self.record(BillingHandoffRequested(
            subject=self.ref, handoff_id=self.id, order_id=self.order_id, key=self.key,
            changes=(FieldChange("billing", None, self.key),)))

    def busy(self, now: datetime) -> bool:
        """Another delivery holds it now."""
        return self.sending_until is not None and self.sending_until > now

    def claim(self, now: datetime, lease: timedelta) -> int:
        """Take the hand-off for one delivery attempt; the attempt's number."""
        if self.state is not HandoffState.PENDING:
            raise Conflict("the hand-off is not waiting to be sent")
        self.apply_changes({"attempts": self.attempts + 1, "sending_until": now + lease})
        return self.attempts

    def accept(self, now: datetime) -> bool:
        """The billing system took it (False: it had already)."""
        if self.state is HandoffState.ACCEPTED:
            return False
        return self.apply_changes({"state": HandoffState.ACCEPTED, "accepted_at": now,
                                   "sending_until": None, "last_error": "",
                                   "next_try_at": None})

    def postpone(self, error: str, retry_at: datetime) -> None:
        """The billing system did not answer usefully: try again at ``retry_at``."""
        self.apply_changes({"last_error": error[:MAX_ERROR], "next_try_at": retry_at,
                            "sending_until": None})

    def fail(self, error: str) -> None:
        """The billing system refused it for good."""
        self.apply_changes({"state": HandoffState.FAILED, "last_error": error[:MAX_ERROR],
                            "sending_until": None, "next_try_at": None})
