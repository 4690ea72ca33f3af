"""The deals area's bulk figures (``ecrm_core.deals.ports.DealFigures``) computed in the
database: the pipeline board's columns (DEAL-3), the forecast (RPT-4) and the escalation
job's candidates (DEAL-4) — GROUP BY over covering indexes instead of loading deals
(``tables.deals``' indexes; docs/performance.md).

The statements run in the caller's unit of work (its session and transaction): on SQLite
a writing unit of work holds the write lock from its BEGIN IMMEDIATE, so the escalation
job's read of what is still unsent and its writes are one serial step; on PostgreSQL the
unique ``uq_deal_escalations_once`` makes a second copy of the job fail instead of
sending twice.

Sums are exact to the kopeck on both databases: PostgreSQL adds NUMERIC; SQLite keeps
``Money`` as a double, so it adds whole kopecks (``CAST(ROUND(amount * 100) AS INTEGER)``)
— a double sum over a million deals would drift by whole kopecks. The forecast groups by
day and adds the days into months here (a few hundred rows a year), which needs no
dialect's month function. ``tests/fakes.FakeDealFigures`` is the reference semantics;
tests/integration/test_deals_storage.py compares the two on random deals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Integer, Numeric, and_, case, cast, exists, false, func, select
from sqlalchemy import type_coerce as coerce

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.deals.ports import ColumnFigures, Filters, MonthFigures, OverdueDeal
from ecrm_core.deals.services import month_range
from ecrm_core.kernel.uow import UnitOfWork

#: kopecks (× 100) and kopecks × percent (× 10,000) back to rubles
_KOPECKS, _WEIGHTED = -2, -4
_EXACT = Numeric(30, 4)


def _rubles(value: Any, exponent: int) -> Decimal:
    """A sum of whole kopecks (SQLite: an int) or of exact rubles × 10^k (PostgreSQL: a
    Decimal) as rubles."""
    if value is None:
        return Decimal(0)
    return Decimal(value).scaleb(exponent)


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    index = day.year * 12 + day.month  # zero-based month count of the next month
    return date(index // 12, index % 12 + 1, 1)


class SqlDealFigures:
    """``DealFigures`` on SQLAlchemy Core, in the unit of work's session."""

    @staticmethod
    def _session(uow: UnitOfWork):
        return uow.session  # type: ignore[attr-defined]

    @staticmethod
    def _kopecks(session, column):
        """The money column as a whole number of kopecks (SQLite) or exact rubles × 100
        (PostgreSQL), typed so that no Money conversion applies to the result."""
        if session.get_bind().dialect.name == "sqlite":
            return cast(func.round(coerce(column, _EXACT) * 100), Integer)
        return coerce(column, _EXACT) * 100

    @staticmethod
    def _filtered(stmt, d, filters: Filters):
        if filters.template_id is not None:
            stmt = stmt.where(d.c.template_id == filters.template_id)
        if filters.manager_id is not None:
            stmt = stmt.where(d.c.manager_id == filters.manager_id)
        if filters.project_id is not None:
            stmt = stmt.where(d.c.project_id == filters.project_id)
        if filters.close_from is not None:
            stmt = stmt.where(d.c.expected_close_on >= filters.close_from)
        if filters.close_to is not None:
            stmt = stmt.where(d.c.expected_close_on <= filters.close_to)
        return stmt

    # -- the pipeline board (DEAL-3) ----------------------------------------------------

    def columns(self, uow: UnitOfWork, filters: Filters, now: datetime
                ) -> Mapping[str, ColumnFigures]:
        """Open deals by state: count, amount, amount × probability, over the norm at
        ``now`` (one index-only GROUP BY over ``ix_deals_board``)."""
        session = self._session(uow)
        d = t.deals
        amount = self._kopecks(session, d.c.amount)
        stmt = select(
            d.c.state, func.count(), func.sum(amount), func.sum(amount * d.c.probability),
            func.sum(case((d.c.due_in_state <= now, 1), else_=0)),
        ).where(d.c.closed_at.is_(None)).group_by(d.c.state)
        stmt = self._filtered(stmt, d, filters)
        return {state: ColumnFigures(int(count), _rubles(total, _KOPECKS),
                                     _rubles(weighted, _WEIGHTED), int(over or 0))
                for state, count, total, weighted, over in session.execute(stmt)}

    # -- the forecast (RPT-4) -------------------------------------------------------------

    def forecast(self, uow: UnitOfWork, filters: Filters, first: date, last: date
                 ) -> list[MonthFigures]:
        session = self._session(uow)
        months = {m: {"pipeline": Decimal(0), "weighted": Decimal(0), "planned": Decimal(0),
                      "planned_weighted": Decimal(0), "actual": Decimal(0)}
                  for m in month_range(first, last)}
        if not months:
            return []
        # days from the first month's first to the last month's last
        start, end = _month(min(months)), _next_month(max(months)) - timedelta(days=1)

        def add(day: date, name: str, value: Decimal) -> None:
            cell = months.get(_month(day))
            if cell is not None:
                cell[name] += value

        d, p = t.deals, t.deal_payments
        # open deals expected to close in the months: the amount, and the part their
        # planned payments leave uncovered × probability (ix_deals_forecast)
        amount = self._kopecks(session, d.c.amount)
        rest = case((d.c.amount > d.c.planned,
                     amount - self._kopecks(session, d.c.planned)), else_=0)
        stmt = (select(d.c.expected_close_on, func.sum(amount),
                       func.sum(rest * d.c.probability))
                .where(d.c.closed_at.is_(None), d.c.expected_close_on >= start,
                       d.c.expected_close_on <= end)
                .group_by(d.c.expected_close_on))
        for day, total, weighted in session.execute(self._filtered(stmt, d, filters)):
            add(day, "pipeline", _rubles(total, _KOPECKS))
            add(day, "weighted", _rubles(weighted, _WEIGHTED))
        # the open deals' payments planned in the months, and × probability
        paid = self._kopecks(session, p.c.amount)
        stmt = (select(p.c.due_on, func.sum(paid), func.sum(paid * d.c.probability))
                .select_from(p.join(d, d.c.id == p.c.deal_id))
                .where(d.c.closed_at.is_(None), p.c.due_on >= start, p.c.due_on <= end)
                .group_by(p.c.due_on))
        for day, total, weighted in session.execute(self._filtered(stmt, d, filters)):
            add(day, "planned", _rubles(total, _KOPECKS))
            add(day, "planned_weighted", _rubles(weighted, _WEIGHTED))
        # payments received (ix_payments_actual); with a template, manager or direction
        # filter: those against invoices of the deals it selects (open or closed). The
        # invoices are found from the deals (IN a subquery: the filter's index, then
        # ix_invoices_deal_id) — a join from the payments would read an invoice's and a
        # deal's row for every payment of the months (~1 s at 1,000,000 deals on SQLite).
        r, i = t.payments, t.invoices
        received = self._kopecks(session, r.c.amount)
        stmt = (select(r.c.paid_on, func.sum(received))
                .where(r.c.planned == false(), r.c.paid_on >= start, r.c.paid_on <= end)
                .group_by(r.c.paid_on))
        if any(v is not None for v in (filters.template_id, filters.manager_id,
                                       filters.project_id)):
            linked = self._filtered(
                select(i.c.id).select_from(d.join(i, i.c.deal_id == d.c.id)), d, filters)
            stmt = stmt.where(r.c.invoice_id.in_(linked))
        for day, total in session.execute(stmt):
            add(day, "actual", _rubles(total, _KOPECKS))
        cent = Decimal("0.01")
        return [MonthFigures(m, **{k: v.quantize(cent, ROUND_HALF_UP) for k, v in cell.items()})
                for m, cell in months.items()]

    # -- the escalation job (DEAL-4) ------------------------------------------------------

    def overdue(self, uow: UnitOfWork, due_before: datetime, level: int, after_id: int,
                limit: int) -> list[OverdueDeal]:
        """Open deals over their norm at ``due_before`` with ids above ``after_id`` and no
        notice of ``level`` for their current stay, by id (``ix_deals_open_due``; the
        ``NOT EXISTS`` reads ``uq_deal_escalations_once``)."""
        d, e = t.deals, t.deal_escalations
        sent = exists().where(and_(e.c.deal_id == d.c.id,
                                   e.c.entered_at == d.c.state_entered_at,
                                   e.c.level == level))
        stmt = (select(d.c.id, d.c.template_id, d.c.manager_id, d.c.state,
                       d.c.state_entered_at, d.c.due_in_state, d.c.number, d.c.name)
                .where(d.c.closed_at.is_(None), d.c.id > after_id,
                       d.c.due_in_state <= due_before, ~sent)
                .order_by(d.c.id).limit(limit))
        return [OverdueDeal(*row) for row in self._session(uow).execute(stmt)]
