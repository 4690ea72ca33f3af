"""Periodic jobs through the queue: the EGRUL status re-check (CP-2) and the task
alerts — reminders and escalations (TASK-7).

Every job is a ``PeriodicJob``: the ``Scheduler`` (run by ``QueueRuntime``'s relay loop
in every web and worker process) starts a pass when it is due by enqueueing its first
message; a pass is a chain of messages to the job's actor, each doing one ``step`` and
enqueueing the next until the step says the end is reached.

- ``RegistryRecheck``: ``recheck_registry(after_id, holder)`` handles one batch of cards
  (``CounterpartyService.recheck_statuses``), every ``ECRM_REGISTRY_RECHECK_HOURS``
  when ``ECRM_REGISTRY_TOKEN`` is set.
- ``TaskAlerts``: ``run_task_alerts(cursor, holder)`` is the whole pass
  (``TaskService.run_alerts``), every ``ECRM_TASK_ALERTS_MINUTES``.

One pass at a time, however many processes: a pass holds the job's row in
``job_leases`` (``holder`` until ``lease_until``). Taking it is one conditional
``UPDATE`` — the database lets exactly one process win, on SQLite and PostgreSQL — and
every message renews it. A message whose holder or cursor no longer matches the row (a
duplicate delivery, a pass taken over) does nothing. A pass whose messages were lost
(the process died, retries ran out) leaves a lease that runs out; the next scheduler
look takes it over and goes on from the row's ``cursor``.
"""

from __future__ import annotations

import abc
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

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
RUN_TASK_ALERTS = "run_task_alerts"
TASK_ALERTS_JOB = "task_alerts"
RUN_DEAL_ALERTS = "run_deal_alerts"
DEAL_ALERTS_JOB = "deal_alerts"
#: Cards per message. With ECRM_REGISTRY_TIMEOUT's default of 5 s a batch stays far
#: below the actor's time limit even when the register is slow.
RECHECK_BATCH = 20
#: How long a pass owns the job without a sign of life. Longer than the longest retry
#: backoff of an actor (one hour), so a pass waiting out a register outage keeps it.
LEASE = timedelta(hours=2)
#: A task alerts pass is cut off after this long (in ``ecrm worker`` processes), well
#: before its lease runs out, so no second pass starts while one still runs.
ALERTS_TIME_LIMIT_MS = 30 * 60 * 1000
ALERTS_LEASE = timedelta(hours=1)
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
            log.warning("the %s pass of %s stopped answering; %s takes it over at cursor %s",
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


class JobBusy(Exception):
    """A pass of the job is running (or queued) elsewhere: ``PeriodicJob.held`` refused.
    ``until``: when its lease runs out unless renewed."""

    def __init__(self, name: str, holder: str | None, until: datetime | None = None) -> None:
        super().__init__(f"a pass of the {name} job is running ({holder or 'unknown'})")
        self.name = name
        self.holder = holder
        self.until = until


class PeriodicJob(abc.ABC):
    """A job the ``Scheduler`` starts every ``every``, one pass at a time, however many
    processes look: the pass holds the job's ``job_leases`` row (``name``).

    A pass is a chain of messages to the actor ``actor_name`` with the keywords
    ``<cursor_argument>`` and ``holder``. Each message ``claim``s its step (the row must
    still name its holder and cursor, else the message is stale or a duplicate and does
    nothing), does the ``step`` from its cursor and either enqueues the next message
    (``step`` returned the next cursor) or frees the job (``step`` returned 0).
    Subclasses name the job and say how often it runs and what a step does."""

    #: The job's row in ``job_leases``.
    name: ClassVar[str]
    #: The actor that runs one step of a pass.
    actor_name: ClassVar[str]
    #: The keyword the actor takes the cursor by.
    cursor_argument: ClassVar[str] = "cursor"
    #: How long a pass owns the job without a sign of life.
    lease: ClassVar[timedelta] = LEASE
    #: Options of the job's actor, over the queue's default retry options.
    actor_options: ClassVar[dict[str, Any]] = {}
    #: Shown in logs and errors.
    title: ClassVar[str] = "periodic job"

    def __init__(self, system: System, broker: dramatiq.Broker) -> None:
        self.system = system
        self.broker = broker
        self.leases = JobLeases(system.engine, lambda: system.app.clock.now(), self.lease)

    # -- what a subclass says ------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Can the job run at all (even when forced)? E.g. it needs a setting."""
        return True

    @property
    @abc.abstractmethod
    def every(self) -> timedelta | None:
        """Time between passes; None: the periodic runs are turned off."""

    @abc.abstractmethod
    def step(self, cursor: int) -> int:
        """Do the work of one message from ``cursor``; the next cursor, or 0 at the end.
        Raising leaves the step to the queue's retries (the lease stays with the pass)."""

    # -- the shared machinery --------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return self.available and self.every is not None

    def start(self, *, force: bool = False) -> str | None:
        """Begin (or take over) a pass when it is due and nobody runs one; the pass's
        holder, or None. ``force``: do not wait for the interval (still one at a time)."""
        if not self.available or not (self.enabled or force):
            return None
        before = self.leases.state(self.name)
        holder = new_holder()
        cursor = self.leases.take(self.name, holder, self.every or timedelta(0), force=force)
        if cursor is None:
            return None
        try:
            self._send(cursor, holder)
        except Exception:
            log.warning("could not enqueue the %s; trying again later", self.title,
                        exc_info=True)
            self.leases.give_up(self.name, holder, before)
            return None
        log.info("%s %s from %s", self.title, holder, cursor)
        return holder

    def run(self, cursor: int, holder: str) -> None:
        """One message of a pass (the actor calls it)."""
        at = self.claim(cursor, holder)
        if at is None:
            log.info("%s message %s@%s is stale; ignored", self.title, holder, cursor)
            return
        following = self.step(cursor)
        if not following:
            self.leases.finish(self.name, holder, at)
            log.info("%s %s finished", self.title, holder)
        elif self.leases.advance(self.name, holder, at, following):
            self._send(following, holder)

    def claim(self, cursor: int, holder: str) -> int | None:
        """Is the message the pass's current one? Renews the lease; the cursor the row
        holds now, or None (stale or duplicate)."""
        return cursor if self.leases.renew(self.name, holder, cursor) else None

    @contextmanager
    def held(self) -> Iterator[str]:
        """Run a pass here and now (``ecrm tasks escalate``): take the job even before
        it is due — unless a pass runs or is queued (``JobBusy``) — and free it after."""
        holder = new_holder()
        cursor = self.leases.take(self.name, holder, self.every or timedelta(0), force=True)
        if cursor is None:
            state = self.leases.state(self.name)
            raise JobBusy(self.name, state.holder if state is not None else None,
                          state.lease_until if state is not None else None)
        try:
            yield holder
        finally:
            self.leases.finish(self.name, holder, cursor)

    def _send(self, cursor: int, holder: str) -> None:
        self.broker.get_actor(self.actor_name).send(
            **{self.cursor_argument: cursor, "holder": holder})


class RegistryRecheck(PeriodicJob):
    """The EGRUL status re-check as a chain of queue messages (CP-2): a batch of cards
    per message, the cursor being the last card id done."""

    name = RECHECK_JOB
    actor_name = RECHECK_REGISTRY
    cursor_argument = "after_id"
    title = "EGRUL status re-check"

    def __init__(self, system: System, broker: dramatiq.Broker, batch: int | None = None
                 ) -> None:
        super().__init__(system, broker)
        self.batch = batch or RECHECK_BATCH

    @property
    def available(self) -> bool:
        return self.system.settings.registry_configured

    @property
    def every(self) -> timedelta | None:
        hours = self.system.settings.registry_recheck_hours
        return timedelta(hours=hours) if hours > 0 else None

    def step(self, cursor: int) -> int:
        """A batch of cards; raises (so the queue retries it later) when the register
        is unavailable."""
        last, changed = self.system.app.counterparties.recheck_statuses(cursor, self.batch)
        if changed:
            log.info("EGRUL re-check: %d card(s) changed status", changed)
        return last

    def run_batch(self, after_id: int, holder: str) -> None:
        """One message of a pass: a batch of cards, then the next message."""
        self.run(after_id, holder)


class SinglePassJob(PeriodicJob):
    """A job whose pass is one message that does all its work and is never retried
    (the task alerts, the deal alerts, the billing sweep).

    The message claims the pass by moving the row's cursor on (the cursor counts the
    attempts at the pass), so a copy delivered twice — even to two workers at the same
    moment — finds it moved and does nothing. A pass that fails is logged and the job
    freed: the next pass, due ``every`` later, does everything it would have done.
    Subclasses say how often (``minutes_setting``) and what a pass does (``work``:
    a line for the log, or "" when there was nothing to do)."""

    lease = ALERTS_LEASE
    actor_options = {"max_retries": 0, "time_limit": ALERTS_TIME_LIMIT_MS}
    #: the setting that holds the minutes between passes (0: off)
    minutes_setting: ClassVar[str]

    @property
    def every(self) -> timedelta | None:
        minutes = getattr(self.system.settings, self.minutes_setting)
        return timedelta(minutes=minutes) if minutes > 0 else None

    def claim(self, cursor: int, holder: str) -> int | None:
        return cursor + 1 if self.leases.advance(self.name, holder, cursor, cursor + 1) \
            else None

    @abc.abstractmethod
    def work(self) -> str:
        """Do the pass's work; what to log ("" for nothing)."""

    def step(self, cursor: int) -> int:
        try:
            said = self.work()
        except Exception:
            log.exception("the %s failed; the next pass runs in %s", self.title, self.every)
            return 0
        if said:
            log.info("%s: %s", self.title, said)
        return 0


class TaskAlerts(SinglePassJob):
    """Reminders, then escalations (TASK-7), every ``ECRM_TASK_ALERTS_MINUTES``: a pass is
    ``app.tasks.run_alerts()``, which records what it sent (a reminder once per task and
    reminder time, an escalation once per task, rule and deadline)."""

    name = TASK_ALERTS_JOB
    actor_name = RUN_TASK_ALERTS
    title = "task alerts pass"
    minutes_setting = "task_alerts_minutes"

    def work(self) -> str:
        report = self.system.app.tasks.run_alerts()
        if not (report.reminders or report.escalations):
            return ""
        return (f"{report.reminders} reminder(s), {report.escalations} escalation(s) in "
                f"{report.messages} message(s)")


REDELIVER_BILLING = "redeliver_billing"
BILLING_SWEEP_JOB = "billing_sweep"


class BillingSweep(SinglePassJob):
    """The sweep of postponed billing hand-offs (ORD-3), every
    ``ECRM_BILLING_SWEEP_MINUTES`` while a billing system is configured: hand-offs the
    billing system did not take (down, timeout) are sent again once their back-off is
    over — also after the queue's own retries of a hand-off have run out
    (``OrderService.redeliver_due``). A hand-off is never sent twice at once (the
    hand-off's own hold) nor after it was accepted."""

    name = BILLING_SWEEP_JOB
    actor_name = REDELIVER_BILLING
    title = "billing sweep"
    minutes_setting = "billing_sweep_minutes"

    @property
    def available(self) -> bool:
        return self.system.settings.billing_configured

    def work(self) -> str:
        report = self.system.app.orders.redeliver_due()
        if not (report.accepted or report.failed or report.waiting):
            return ""
        return (f"{report.accepted} accepted, {report.failed} refused, "
                f"{report.waiting} still waiting")


class DealAlerts(SinglePassJob):
    """Escalation of deals over their state's norm (DEAL-4): the manager, then their head,
    once per stay and level (``DealService.escalate``), every
    ``ECRM_DEAL_ALERTS_MINUTES``. The once-only guarantee itself is the unique row per
    deal, stay and level the notice is written with (a second pass or worker cannot
    write it again)."""

    name = DEAL_ALERTS_JOB
    actor_name = RUN_DEAL_ALERTS
    title = "deal alerts pass"
    minutes_setting = "deal_alerts_minutes"

    def work(self) -> str:
        sent = self.system.app.deals.escalate()
        return f"{sent} notice(s) about deals over their norm" if sent else ""


def periodic_jobs(system: System, broker: dramatiq.Broker) -> list[PeriodicJob]:
    """Every periodic job of ECRM, against ``broker`` (the scheduler's and the actors'
    list)."""
    return [RegistryRecheck(system, broker), TaskAlerts(system, broker),
            BillingSweep(system, broker), DealAlerts(system, broker)]


class Scheduler:
    """Starts the periodic jobs when they are due; ``QueueRuntime`` calls ``tick``."""

    def __init__(self, jobs: list[PeriodicJob], check_every: float = CHECK_EVERY) -> None:
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
                log.exception("could not start the %s; next look in %ss", job.title,
                              self.check_every)
                continue
            if holder:
                started.append(holder)
        return started
