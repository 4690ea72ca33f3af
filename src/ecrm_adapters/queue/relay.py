"""The outbox relay: hands committed domain events to the broker.

The unit of work writes every ``relayed`` event as an ``outbox`` row in the same
transaction as the change (no dual write). ``OutboxRelay.relay_once`` then selects the
unpublished rows, oldest first, sends each to its actor with the dramatiq message id
``outbox-<id>`` and marks it published:

- on PostgreSQL in one transaction, the rows selected ``FOR UPDATE SKIP LOCKED``, so
  several relays (web processes, workers) never send the same row twice;
- on SQLite the rows are read, sent outside any transaction and then marked, so a slow
  or unreachable broker never holds the database's single write lock.

When the broker refuses a message (down, unreachable) the pass stops: that row stays
unpublished with ``attempts`` incremented and ``last_error`` set, and the next pass sends
it. A row is sent at least once; the actors are idempotent, so a resend has no effect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import dramatiq
from sqlalchemy import String, and_, cast, exists, func, literal, select, update
from sqlalchemy.engine import Engine

from ecrm_adapters.sqlalchemy import tables as t

if TYPE_CHECKING:
    from ecrm_adapters.queue.actors import Route

log = logging.getLogger(__name__)

#: Longest error text kept on an outbox row.
MAX_ERROR = 2000
KEY_PREFIX = "outbox:"


def delivery_key(outbox_id: int) -> str:
    """The key an actor records as handled for the row ``outbox_id`` (idempotency)."""
    return f"{KEY_PREFIX}{outbox_id}"


def broker_message_id(outbox_id: int) -> str:
    """The dramatiq message id of the row ``outbox_id``: stable across resends."""
    return f"outbox-{outbox_id}"


class OutboxRelay:
    def __init__(
        self, engine: Engine, broker: dramatiq.Broker, routes: Mapping[str, Route],
        now: Callable[[], datetime],
    ) -> None:
        self.engine = engine
        self.broker = broker
        self.routes = routes
        self.now = now

    def relay_once(self, limit: int = 100) -> int:
        """One pass over at most ``limit`` unpublished rows. Returns how many rows were
        marked published (sent, or without a route). Stops early, leaving the row for
        the next pass, when the broker fails; never raises for a broker failure.

        PostgreSQL: rows are locked ``FOR UPDATE SKIP LOCKED`` while they are sent, so
        concurrent relays never send a row twice and other writers are not held up.
        SQLite has one write lock for the whole database, so the rows are read first,
        sent outside any transaction (a slow broker must not stop every other writer),
        then marked; two relays racing may send a row twice, which the idempotent actors
        absorb."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as conn:
                rows = conn.execute(self._unpublished(limit).with_for_update(skip_locked=True))
                return self._apply(conn, self._send(rows.all()))
        with self.engine.connect() as conn:
            conn.execution_options(ecrm_readonly=True)
            rows = conn.execute(self._unpublished(limit)).all()
        outcomes = self._send(rows)
        if not outcomes:
            return 0
        with self.engine.begin() as conn:
            return self._apply(conn, outcomes)

    def _unpublished(self, limit: int):
        o = t.outbox
        return (
            select(o.c.id, o.c.name, o.c.payload)
            .where(o.c.published_at.is_(None))
            .order_by(o.c.id)
            .limit(limit)
        )

    def _send(self, rows) -> list[tuple[int, BaseException | None]]:
        """Send the rows in order; (row id, None) when it is done with, (row id, error)
        when it failed. Stops at the first broker failure."""
        outcomes: list[tuple[int, BaseException | None]] = []
        for row in rows:
            route = self.routes.get(row.name)
            if route is None:
                log.debug("outbox row %s (%s) has no route; marked published", row.id, row.name)
                outcomes.append((row.id, None))
                continue
            try:
                message = self._message(route, row.id, row.payload)
            except Exception as exc:
                # A bad payload or a missing actor: a bug, not an outage. Keep the row
                # (with the error, for an operator) and go on with the others.
                log.error("outbox row %s (%s) cannot be routed: %r", row.id, row.name, exc)
                outcomes.append((row.id, exc))
                continue
            try:
                self.broker.enqueue(message)
            except Exception as exc:
                log.warning(
                    "broker unavailable; outbox row %s stays for the next pass: %r", row.id, exc
                )
                outcomes.append((row.id, exc))
                break
            outcomes.append((row.id, None))
        return outcomes

    def _apply(self, conn, outcomes) -> int:
        published = 0
        for outbox_id, error in outcomes:
            if error is None:
                self._mark_published(conn, outbox_id)
                published += 1
            else:
                self._record_failure(conn, outbox_id, error)
        return published

    def _message(self, route: Route, outbox_id: int, payload: Any) -> dramatiq.Message:
        actor = self.broker.get_actor(route.actor_name)
        arguments = route.arguments(payload if isinstance(payload, dict) else {})
        message = actor.message_with_options(kwargs={"outbox_id": outbox_id, **arguments})
        return message.copy(message_id=broker_message_id(outbox_id))

    def _mark_published(self, conn, outbox_id: int) -> None:
        conn.execute(
            update(t.outbox).where(t.outbox.c.id == outbox_id).values(published_at=self.now())
        )

    def _record_failure(self, conn, outbox_id: int, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        conn.execute(
            update(t.outbox)
            .where(t.outbox.c.id == outbox_id)
            .values(attempts=t.outbox.c.attempts + 1, last_error=error)
        )

    def pending(self) -> int:
        """How many rows wait to be published."""
        with self.engine.connect() as conn:
            conn.execution_options(ecrm_readonly=True)
            return conn.execute(
                select(func.count()).select_from(t.outbox).where(t.outbox.c.published_at.is_(None))
            ).scalar_one()

    def requeue_unhandled(self, within: timedelta = timedelta(days=7)) -> int:
        """Mark routed rows published within ``within`` but never handled (no
        ``delivery_key`` recorded) as unpublished again, so the next pass resends them.

        For the embedded queue only: its broker lives in memory, so whatever a previous
        process had published but not yet handled died with it. Resending is safe — the
        actors are idempotent. Returns how many rows were put back."""
        o = t.outbox
        key = literal(KEY_PREFIX) + cast(o.c.id, String)
        handled = exists().where(t.handled_messages.c.key == key)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(o)
                .where(
                    and_(
                        o.c.published_at.is_not(None),
                        o.c.published_at >= self.now() - within,
                        o.c.name.in_(list(self.routes)),
                        ~handled,
                    )
                )
                .values(published_at=None)
            )
            return result.rowcount or 0
