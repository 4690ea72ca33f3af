"""Periodic jobs through the queue: the EGRUL status re-check (CP-2).

A pass over the active counterparties is a chain of ``recheck_registry(after_id,
holder)`` messages: each handles one batch (``CounterpartyService.recheck_statuses``)
and enqueues the next, until the service says the end is reached. The ``Scheduler``
(run by ``QueueRuntime``'s relay loop in every web and worker process) enqueues the
first batch every ``ECRM_REGISTRY_RECHECK_HOURS`` when ``ECRM_REGISTRY_TOKEN`` is set.

One pass at a time, however many processes: a pass holds the job's row in
``job_leases`` (``holder`` until ``lease_until``). Taking it is one conditional
``UPDATE`` — the database lets exactly one process win, on SQLite and PostgreSQL — and
every batch renews it. A message whose holder or cursor no longer matches the row (a
duplicate delivery, a pass taken over) does nothing. A pass whose messages were lost
(the process died, retries ran out) leaves a lease that runs out; the next scheduler
look takes it over and goes on from the row's ``cursor``.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import dramatiq
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ecrm_adapters.sqlalchemy import tables as t

if TYPE_CHECKING:
    from ecrm_adapters.bootstrap import System

log = logging.getLogger(__name__)

RECHECK_REGISTRY = "recheck_registry"
RECHECK_JOB = "registry_recheck"
#: Cards per message. With ECRM_REGISTRY_TIMEOUT's default of 5 s a batch stays far
#: below the actor's time limit even when the register is slow.
RECHECK_BATCH = 20
#: How long a pass owns the job without a sign of life. Longer than the longest retry
#: backoff of an actor (one hour), so a pass waiting out a register outage keeps it.
LEASE = timedelta(hours=2)
#: Seconds between the scheduler's looks at the job table.
CHECK_EVERY = 60.0


def new_holder() -> str:
    """A pass's identity: host, process and a random part (shown to an operator)."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class JobLeases:
    """The ``job_leases`` rows: who runs a job's current pass, and where it is."""

    def __init__(self, engine: Engine, now: Callable[[], datetime], lease: timedelta = LEASE
                 ) -> None:
        self.engine = engine
        self.now = now
        self.lease = lease

    def state(self, name: str):
        with self.engine.connect() as conn:
            conn.execution_options(ecrm_readonly=True)
            return conn.execute(select(t.job_leases).where(t.job_leases.c.name == name)).first()

    def _ensure(self, name: str):
        row = self.state(name)
        if row is not None:
            return row
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t.job_leases).values(name=name, cursor=0))
        except IntegrityError:
            pass  # another process made it first
        return self.state(name)

    def take(self, name: str, holder: str, every: timedelta, *, force: bool = False
             ) -> int | None:
        """Take the job for ``holder``: a new pass when none runs and the last one
        started at least ``every`` ago (or ``force``), or the abandoned pass whose lease
        ran out. The cursor to start from, or None when the job is not ``holder``'s."""
        row = self._ensure(name)
        now = self.now()
        j = t.job_leases
        if row.holder is not None:
            if row.lease_until is not None and row.lease_until > now:
                return None  # a pass is running
            condition = and_(j.c.holder == row.holder, j.c.lease_until <= now)
            values = {"holder": holder, "lease_until": now + self.lease}
            cursor = row.cursor
        else:
            if not force and row.started_at is not None and row.started_at > now - every:
                return None  # not due: no write (SQLite's write lock) once a minute
            condition = j.c.holder.is_(None)
            if not force:
                condition = and_(condition, or_(j.c.started_at.is_(None),
                                                j.c.started_at <= now - every))
            values = {"holder": holder, "lease_until": now + self.lease, "cursor": 0,
                      "started_at": now, "finished_at": None}
            cursor = 0
        with self.engine.begin() as conn:
            taken = conn.execute(update(j).where(j.c.name == name, condition).values(**values))
        if taken.rowcount != 1:
            return None
        if row.holder is not None:
            log.warning("the %s pass of %s stopped answering; %s takes it over at id %s",
                        name, row.holder, holder, cursor)
        return cursor

    def renew(self, name: str, holder: str, cursor: int) -> bool:
        """Is the job still ``holder``'s, at ``cursor``? Renews the lease when it is."""
        return self._step(name, holder, cursor, {"lease_until": self.now() + self.lease})

    def advance(self, name: str, holder: str, cursor: int, to: int) -> bool:
        """Move the pass from ``cursor`` to ``to``; False when another copy already did."""
        return self._step(name, holder, cursor,
                          {"cursor": to, "lease_until": self.now() + self.lease})

    def finish(self, name: str, holder: str, cursor: int) -> bool:
        """The pass is over: the job is free until the next one is due."""
        return self._step(name, holder, cursor, {"holder": None, "lease_until": None,
                                                 "cursor": 0, "finished_at": self.now()})

    def give_up(self, name: str, holder: str, previous) -> None:
        """Undo ``take`` when the first message could not be sent (broker down), given
        the row as it was before: a new pass is not started (the job is due again at the
        scheduler's next look); a pass being taken over keeps its cursor, its lease
        already run out, so the next look takes it over again."""
        j = t.job_leases
        if previous is not None and previous.holder is not None:
            values = {"lease_until": self.now()}
        else:
            values = {"holder": None, "lease_until": None,
                      "started_at": previous.started_at if previous is not None else None}
        with self.engine.begin() as conn:
            conn.execute(update(j).where(j.c.name == name, j.c.holder == holder).values(**values))

    def _step(self, name: str, holder: str, cursor: int, values) -> bool:
        j = t.job_leases
        with self.engine.begin() as conn:
            done = conn.execute(update(j).where(
                j.c.name == name, j.c.holder == holder, j.c.cursor == cursor).values(**values))
        return done.rowcount == 1


class RegistryRecheck:
    """The EGRUL status re-check as a chain of queue messages (CP-2)."""

    def __init__(self, system: System, broker: dramatiq.Broker, batch: int | None = None
                 ) -> None:
        self.system = system
        self.broker = broker
        self.batch = batch or RECHECK_BATCH
        self.leases = JobLeases(system.engine, lambda: system.app.clock.now())

    @property
    def enabled(self) -> bool:
        settings = self.system.settings
        return settings.registry_configured and settings.registry_recheck_hours > 0

    def start(self, *, force: bool = False) -> str | None:
        """Begin (or take over) a pass when it is due and nobody runs one; the pass's
        holder, or None. ``force``: do not wait for the interval (still one at a time)."""
        settings = self.system.settings
        if not settings.registry_configured or not (self.enabled or force):
            return None
        every = timedelta(hours=settings.registry_recheck_hours or 24)
        before = self.leases.state(RECHECK_JOB)
        holder = new_holder()
        cursor = self.leases.take(RECHECK_JOB, holder, every, force=force)
        if cursor is None:
            return None
        try:
            self._send(cursor, holder)
        except Exception:
            log.warning("could not enqueue the EGRUL re-check; trying again later",
                        exc_info=True)
            self.leases.give_up(RECHECK_JOB, holder, before)
            return None
        log.info("EGRUL status re-check %s from id %s", holder, cursor)
        return holder

    def run_batch(self, after_id: int, holder: str) -> None:
        """One message of a pass: a batch of cards, then the next message. Raises
        (so the queue retries it later) when the register is unavailable."""
        if not self.leases.renew(RECHECK_JOB, holder, after_id):
            log.info("EGRUL re-check message %s@%s is stale; ignored", holder, after_id)
            return
        last, changed = self.system.app.counterparties.recheck_statuses(after_id, self.batch)
        if changed:
            log.info("EGRUL re-check: %d card(s) changed status", changed)
        if last == 0:
            self.leases.finish(RECHECK_JOB, holder, after_id)
            log.info("EGRUL status re-check %s finished", holder)
        elif self.leases.advance(RECHECK_JOB, holder, after_id, last):
            self._send(last, holder)

    def _send(self, after_id: int, holder: str) -> None:
        self.broker.get_actor(RECHECK_REGISTRY).send(after_id=after_id, holder=holder)


class Scheduler:
    """Starts the periodic jobs when they are due; ``QueueRuntime`` calls ``tick``."""

    def __init__(self, jobs: list[RegistryRecheck], check_every: float = CHECK_EVERY) -> None:
        self.jobs = jobs
        self.check_every = check_every
        self._next: float = 0.0

    def tick(self, monotonic: float) -> None:
        """Look at the jobs if ``check_every`` seconds have passed since the last look."""
        if monotonic < self._next:
            return
        self._next = monotonic + self.check_every
        self.run_due()

    def run_due(self) -> list[str]:
        """Start every job that is due; the holders of the passes started."""
        started = []
        for job in self.jobs:
            try:
                holder = job.start()
            except Exception:
                log.exception("could not start a periodic job; next look in %ss",
                              self.check_every)
                continue
            if holder:
                started.append(holder)
        return started
