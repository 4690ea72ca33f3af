"""What the deals area reads in bulk (the pipeline board, the forecast, the escalation
job): aggregates the storage adapter computes in the database (GROUP BY over indexes)
instead of loading a hundred thousand deals (docs/performance.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import attrs

from ecrm_core.kernel.uow import UnitOfWork


@attrs.frozen
class Filters:
    """The board's and the forecast's filters: manager, direction (project), the expected
    close period, the template."""

    template_id: int | None = None
    manager_id: int | None = None
    project_id: int | None = None
    close_from: date | None = None
    close_to: date | None = None

    def matches(self, deal: Any) -> bool:
        """The same test on one deal (in-memory adapters and tests)."""
        close = deal.expected_close_on
        return ((self.template_id is None or deal.template_id == self.template_id)
                and (self.manager_id is None or deal.manager_id == self.manager_id)
                and (self.project_id is None or deal.project_id == self.project_id)
                and (self.close_from is None or (close is not None and close >= self.close_from))
                and (self.close_to is None or (close is not None and close <= self.close_to)))


@attrs.frozen
class ColumnFigures:
    """One column of the board: open deals in a state."""

    count: int = 0
    amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    overdue: int = 0


@attrs.frozen
class MonthFigures:
    """One month of the forecast (RPT-4), in rubles: the open deals' amounts expected to
    close in it (``pipeline``) and weighted by their state's probability (``weighted``);
    payments planned in it for open deals (``planned``, weighted likewise in
    ``planned_weighted``); payments received in it (``actual``)."""

    month: date
    pipeline: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    planned: Decimal = Decimal(0)
    planned_weighted: Decimal = Decimal(0)
    actual: Decimal = Decimal(0)

    @property
    def expected(self) -> Decimal:
        """What the month is expected to bring: weighted planned payments where a deal has
        them, else its weighted amount (``DealFigures.forecast`` splits them so)."""
        return self.weighted + self.planned_weighted


@attrs.frozen
class OverdueDeal:
    """An open deal whose stay in its state is over the norm (the escalation job)."""

    id: int
    template_id: int
    manager_id: int
    state: str
    state_entered_at: datetime
    due_in_state: datetime
    number: str = ""
    name: str = ""


class DealFigures(Protocol):
    def columns(self, uow: UnitOfWork, filters: Filters, now: datetime
                ) -> Mapping[str, ColumnFigures]:
        """Open deals of ``filters.template_id`` by state: count, amount, weighted amount
        and how many are over their norm at ``now``."""

    def forecast(self, uow: UnitOfWork, filters: Filters, first: date, last: date
                 ) -> list[MonthFigures]:
        """Months ``first``…``last`` (first days of months): open deals by the month of
        their expected close date — the part of their amount not covered by planned
        payments, weighted by probability — and their planned payments by due month;
        payments received against invoices by the month they were paid (filtered by the
        invoice's deal's manager/direction when a filter is given, else all)."""

    def overdue(self, uow: UnitOfWork, due_before: datetime, level: int, after_id: int,
                limit: int) -> list[OverdueDeal]:
        """Open deals with ``due_in_state`` at or before ``due_before`` and ids above
        ``after_id`` that have no escalation of ``level`` for their current stay, by id."""
