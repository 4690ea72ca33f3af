"""Tasks and contacts with clients (§6.1, TASK-1…TASK-8): the task, the reference book of
typical tasks, escalation rules and the record of an escalation sent.

Time: a task is due on a day (and optionally at a time) of its responsible employee's
time zone. ``due_at`` is the deadline as an instant (UTC): the given time, or the end of
the day (the next local midnight) for a task without a time. A planned task is overdue
from ``due_at`` on. Everything here is computed from values passed in — the core reads
no clock.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import attrs

from ecrm_core.kernel.events import DomainEvent, FieldChange
from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.org.calendar import WEEKDAYS

TASK, TASK_TYPE, ESCALATION_RULE, TASK_ESCALATION = (
    "task", "task_type", "escalation_rule", "task_escalation")

#: Where the reminder of a task without a time points: 09:00 of the due day, local.
DAY_START = time(9, 0)
#: The longest reminder lead (a week) and escalation delay a form accepts.
MAX_REMIND_MINUTES = 7 * 24 * 60
MAX_DELAY = 366


class TaskState(enum.StrEnum):
    """Execution (TASK-4): planned, or done ("fact"). Overdue is not a state: a planned
    task whose deadline has passed (see ``Task.is_overdue``)."""

    PLANNED = "planned"
    DONE = "done"


class DelayUnit(enum.StrEnum):
    HOURS = "hours"
    #: Monday to Friday in the responsible employee's time zone.
    WORKING_DAYS = "working_days"


class EscalationTarget(enum.StrEnum):
    """Whom an escalation notifies (TASK-7)."""

    RESPONSIBLE = "responsible"
    #: the employee's head: their own head, else the head of their department (up the tree)
    HEAD = "head"
    DIRECTOR = "director"


@attrs.frozen(kw_only=True)
class TaskEscalated(DomainEvent):
    """An escalation rule fired for a task: recorded in the task's history (TASK-7)."""


@attrs.frozen(kw_only=True)
class TaskReminded(DomainEvent):
    """The reminder before a task's due time was sent to the responsible employee."""


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/Moscow")
    except (ValueError, KeyError):  # an unknown name never reaches here through Fields
        return ZoneInfo("Europe/Moscow")


def deadline(due_date: date, due_time: time | None, tz: str) -> datetime:
    """The instant a task falls due: its local time, or the next local midnight."""
    local = zone(tz)
    if due_time is not None:
        return datetime.combine(due_date, due_time, tzinfo=local).astimezone(UTC)
    return datetime.combine(due_date + timedelta(days=1), time(0), tzinfo=local
                            ).astimezone(UTC)


def reminder_moment(due_date: date, due_time: time | None, tz: str, minutes: int | None
                    ) -> datetime | None:
    """When the reminder goes: ``minutes`` before the due time (09:00 local for a task
    without a time); None when there is no reminder (no lead, or a lead of 0)."""
    if not minutes:
        return None
    start = datetime.combine(due_date, due_time or DAY_START, tzinfo=zone(tz))
    return (start - timedelta(minutes=minutes)).astimezone(UTC)


def add_working_days(moment: datetime, days: int, tz: str) -> datetime:
    """The moment when ``days`` whole working days (Mon–Fri, local) have passed since
    ``moment`` (``org.calendar.WorkCalendar.add_working_days`` without holidays): Thursday
    23:59 + 1 is Friday 23:59, Friday 00:00 + 1 is Saturday 00:00, Friday 10:00 + 1 is
    Monday 10:00."""
    return WEEKDAYS.add_working_days(moment, days, tz)


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(zone(tz)).date()


@entity
class TaskType(Aggregate):
    """An entry of the reference book of typical tasks (TASK-4): meeting, call,
    presentation, …; ``code`` names the built-in ones the system refers to (``call`` for
    the incoming-call form)."""

    kind: ClassVar[str] = TASK_TYPE

    name: str
    code: str = ""
    #: default reminder lead in minutes before the due time; None or 0: no reminder
    remind_minutes: int | None = None
    active: bool = True

    EDITABLE: ClassVar[tuple[str, ...]] = ("name", "remind_minutes", "active")


@entity
class EscalationRule(Aggregate):
    """"A planned <type> overdue by <delay> <unit> → notify <target>" (TASK-7)."""

    kind: ClassVar[str] = ESCALATION_RULE

    name: str
    delay: int
    unit: DelayUnit = DelayUnit.WORKING_DAYS
    target: EscalationTarget = EscalationTarget.HEAD
    #: None: tasks of every type
    task_type_id: int | None = None
    active: bool = True

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "name", "delay", "unit", "target", "task_type_id", "active")

    def fires_at(self, task, tz: str) -> datetime:
        """The moment this rule fires for ``task`` (anything with a ``due_at``, whose
        responsible lives in ``tz``)."""
        if self.unit is DelayUnit.HOURS:
            return task.due_at + timedelta(hours=self.delay)
        return add_working_days(task.due_at, self.delay, tz)

    def earliest_due(self, now: datetime) -> datetime:
        """Tasks due after this cannot have reached the rule by ``now`` (a bound for the
        query: n working days are at least n calendar days)."""
        if self.unit is DelayUnit.HOURS:
            return now - timedelta(hours=self.delay)
        return now - timedelta(days=self.delay)

    def applies_to(self, task: Task) -> bool:
        return self.active and task.state is TaskState.PLANNED and (
            self.task_type_id is None or self.task_type_id == task.task_type_id)


@entity
class Task(Aggregate):
    """A planned or done ("fact") action (TASK-1): of an employee (``responsible_id``),
    optionally about a counterparty, one of its contact persons, within a project
    (direction). A task without a counterparty is an employee's own task (TASK-2)."""

    kind: ClassVar[str] = TASK

    responsible_id: int
    task_type_id: int
    state: TaskState = TaskState.PLANNED
    due_date: date
    due_time: time | None = None
    #: the deadline as an instant (derived: ``derive``)
    due_at: datetime | None = None
    what: str = ""
    result: str = ""
    counterparty_id: int | None = None
    #: the deal the task is about (TASK-2: it shows on the deal and on its client)
    deal_id: int | None = None
    contact_id: int | None = None
    project_id: int | None = None
    #: reminder lead in minutes overriding the type's; 0: none; None: the type's
    remind_minutes: int | None = None
    #: when the reminder goes (derived); None: no reminder
    remind_at: datetime | None = None
    reminded_at: datetime | None = None
    done_at: datetime | None = None
    created_at: datetime | None = None
    created_by: int | None = None
    updated_at: datetime | None = None
    updated_by: int | None = None

    #: What a form may set.
    EDITABLE: ClassVar[tuple[str, ...]] = (
        "responsible_id", "task_type_id", "state", "due_date", "due_time", "what", "result",
        "counterparty_id", "contact_id", "project_id", "remind_minutes",
    )

    @property
    def is_client_task(self) -> bool:
        return self.counterparty_id is not None

    def is_overdue(self, now: datetime) -> bool:
        return self.state is TaskState.PLANNED and self.due_at is not None and now >= self.due_at

    def derive(self, tz: str, type_remind_minutes: int | None) -> None:
        """Refresh the deadline and the reminder moment from the due day and time in the
        responsible employee's time zone ``tz``."""
        self.due_at = deadline(self.due_date, self.due_time, tz)
        lead = self.remind_minutes if self.remind_minutes is not None else type_remind_minutes
        moment = reminder_moment(self.due_date, self.due_time, tz, lead)
        if moment != self.remind_at:
            self.remind_at = moment
            self.reminded_at = None  # a moved reminder goes again

    def touched(self, by: int, at: datetime) -> None:
        self.updated_by = by
        self.updated_at = at

    def mark_reminded(self, at: datetime) -> None:
        self.reminded_at = at
        self.record(TaskReminded(subject=self.ref, changes=(
            FieldChange("reminded_at", None, at),)))


@entity
class TaskEscalation(Aggregate):
    """An escalation sent: one per task, rule and deadline — the job sends it once, and
    a rescheduled task that falls overdue again is escalated again (TASK-7)."""

    kind: ClassVar[str] = TASK_ESCALATION

    task_id: int
    rule_id: int
    due_at: datetime
    recipient_id: int
    sent_at: datetime

    def record_sent(self, rule: EscalationRule) -> None:
        """The task's history shows the escalation (the record itself is bookkeeping)."""
        self.record(TaskEscalated(subject=ObjectRef(TASK, self.task_id), changes=(
            FieldChange("escalation_rule", None, rule.name),
            FieldChange("notified", None, self.recipient_id),
        )))
