"""Deals of the long sales cycle (DEAL-1…DEAL-4) and what they carry.

- ``DealTemplate`` — an entry of the reference book of deal templates (DEAL-1): the deal
  card's attributes and the template's state set, the workflow engine's set with the
  code ``deal:<template code>``, whose states carry the template's per-state settings
  (DEAL-2: conditions to leave, required and visible attributes, tasks and payments
  planned on entry, win probability, normative duration in working days).
- ``Deal`` — a deal with a client run by a template (DEAL-3): amount, expected close
  date, direction (project), the deal manager, attribute values, approvals obtained,
  its state, when it entered it and when it outstays the state's norm (DEAL-4), its
  outcome once closed (won / lost with a reason).
- ``DealStage`` — one stay of a deal in a state (entered, left): the time in each state.
- ``DealPayment`` — a payment planned on entering a state (DEAL-2), for the forecast.
- ``DealEscalation`` — a notice sent about a deal over its norm, once per level (DEAL-4).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

import attrs

from ecrm_core.attributes import AttributeDef
from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.money import Money
from ecrm_core.sales.model import Mirrored

DEAL_TEMPLATE, DEAL, DEAL_STAGE, DEAL_PAYMENT, DEAL_ESCALATION = (
    "deal_template", "deal", "deal_stage", "deal_payment", "deal_escalation")
#: A template's state set is found by this code prefix and the template's code.
SET_PREFIX = "deal:"
#: The deal's own fields a template's conditions may name besides its attributes.
DEAL_FIELDS = ("name", "amount", "expected_close_on", "project_id", "manager_id",
               "contact_id")
#: Conditions the deals area answers (``ConditionHolds``, DEAL-2).
DOCUMENT_ATTACHED, INVOICE_ISSUED, INVOICE_PAID = (
    "document_attached", "invoice_issued", "invoice_paid")
CONDITIONS = (DOCUMENT_ATTACHED, INVOICE_ISSUED, INVOICE_PAID)


def set_code(template_code: str) -> str:
    return f"{SET_PREFIX}{template_code}"


@entity
class DealTemplate(Aggregate):
    """A deal template (DEAL-1). Its states live in the state set ``set_code``."""

    kind: ClassVar[str] = DEAL_TEMPLATE

    code: str
    name: str
    description: str = ""
    attributes: tuple[AttributeDef, ...] = ()
    active: bool = True
    #: after a deal outstays its norm, how many more working days before its manager's
    #: head is told too (DEAL-4: the manager first, then the head)
    head_after_days: int = 2
    #: counts the edits of its states (kept in its state set): an edit of the states
    #: alone changes the template too, so the template's version guards every edit
    revision: int = 1

    @property
    def set_code(self) -> str:
        return set_code(self.code)

    def attribute(self, code: str) -> AttributeDef | None:
        return next((a for a in self.attributes if a.code == code), None)


class Level(enum.IntEnum):
    """Who an over-norm deal is escalated to (DEAL-4)."""

    MANAGER = 1
    HEAD = 2


@entity
class Deal(Aggregate, Mirrored):
    """A deal with a client (DEAL-3)."""

    kind: ClassVar[str] = DEAL

    number: str
    template_id: int
    counterparty_id: int
    name: str
    manager_id: int
    author_id: int
    amount: Money = attrs.field(factory=Money.zero)
    #: the sum of its planned payments (``DealPayment``, capped at the largest sum), kept
    #: by ``DealService``: the forecast weighs the part of the amount they leave
    #: uncovered without reading the payments (RPT-4)
    planned: Money = attrs.field(factory=Money.zero)
    expected_close_on: date | None = None
    project_id: int | None = None
    contact_id: int | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict)
    #: approvals obtained (``ApprovalObtained`` conditions)
    approvals: tuple[str, ...] = ()
    state: str = ""
    state_entered_at: datetime | None = None
    #: when the deal outstays its state's norm (None: the state has no norm)
    due_in_state: datetime | None = None
    #: the win probability of its state, in percent (board and forecast figures)
    probability: int = 0
    #: "won" / "lost" once it reached a final state that says so
    outcome: str | None = None
    close_reason: str = ""
    closed_at: datetime | None = None
    created_at: datetime | None = None
    note: str = ""

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "name", "amount", "expected_close_on", "project_id", "contact_id", "attributes",
        "note", "manager_id")

    @property
    def title(self) -> str:
        return f"Сделка № {self.number} «{self.name}»"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def weighted(self) -> Money:
        """The amount weighted by the win probability (the board's weighted totals)."""
        return Money.rounded(self.amount.amount * self.probability / 100)

    def value(self, field: str) -> Any:
        if field in DEAL_FIELDS:
            value = getattr(self, field)
            return value.amount if isinstance(value, Money) and value else (
                None if isinstance(value, Money) else value)
        return self.attributes.get(field)

    def overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_in_state is not None and now >= self.due_in_state


@entity
class DealStage(Aggregate):
    """One stay of a deal in a state: ``left_at`` is None while it is there."""

    kind: ClassVar[str] = DEAL_STAGE

    deal_id: int
    state: str
    entered_at: datetime
    left_at: datetime | None = None
    #: the stay's working time by the calendar, in hours, once it is over (DEAL-4)
    working_hours: float | None = None

    def length(self, now: datetime) -> timedelta:
        return (self.left_at or now) - self.entered_at


@entity
class DealPayment(Aggregate):
    """A payment planned for a deal on entering a state (DEAL-2); the forecast counts it
    in its month (RPT-4)."""

    kind: ClassVar[str] = DEAL_PAYMENT

    deal_id: int
    counterparty_id: int
    amount: Money
    due_on: date
    state: str = ""
    created_at: datetime | None = None


@entity
class DealEscalation(Aggregate):
    """A notice about a deal over its state's norm, sent once per stay and level."""

    kind: ClassVar[str] = DEAL_ESCALATION

    deal_id: int
    entered_at: datetime
    level: int
    recipient_id: int | None
    sent_at: datetime
    state: str = ""
