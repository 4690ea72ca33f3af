"""Use cases of tasks and contacts with clients (§6.1): planning, registering facts and
incoming calls, editing, rescheduling, completing and deleting tasks (TASK-1…TASK-6);
the personal and the counterparty Tasks tabs with their filters and pages; the personal
page's summary, the calendar and its private feed; the reference books of typical tasks
and escalation rules; reminders and escalations run by a periodic job (TASK-7); the
counterparty's contact history (TASK-8).

Rights (TASK-6), asked of the one policy on the responsible employee's chain (a task
hangs under its responsible employee): an employee plans and works their own tasks;
their head (their own or a department's up the tree), Sales management over them and
the Director add tasks for them — from their personal page — and work those. Tasks on a
counterparty are shown on its card to everyone who sees the card.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from ecrm_core.access.model import Action
from ecrm_core.access.policy import Policy
from ecrm_core.access.services import active_directors, chain_of, policy_for
from ecrm_core.history.model import HistoryEntry
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.fields import Fields, expected_version, page_number
from ecrm_core.kernel.ports import Clock, Secrets
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory, existing
from ecrm_core.messages.model import MessageKind
from ecrm_core.messages.services import post
from ecrm_core.org.model import Employee
from ecrm_core.org.services import head_of
from ecrm_core.tasks.model import (
    ESCALATION_RULE,
    MAX_DELAY,
    MAX_REMIND_MINUTES,
    TASK,
    TASK_TYPE,
    DelayUnit,
    EscalationRule,
    EscalationTarget,
    Task,
    TaskEscalation,
    TaskState,
    TaskType,
    local_day,
    zone,
)
from ecrm_core.tasks.ports import DueTask, DueTasks

Data = dict[str, Any]

COUNTERPARTY, CONTACT = "counterparty", "contact"
#: Tasks per page of the Tasks tabs (TASK-3: ten, with [11-20] range links).
PAGE = 10
MAX_TEXT = 4000
#: The reference book every new company starts with: (code, name, reminder lead).
DEFAULT_TASK_TYPES: tuple[tuple[str, str, int], ...] = (
    ("meeting", "Встреча", 60),
    ("call", "Звонок", 15),
    ("presentation", "Презентация", 60),
    ("email", "Письмо", 0),
    ("other", "Другое", 0),
)
CALL = "call"
#: Planned tasks per unit of work of the escalation and reminder job: a recipient gets
#: one message per rule and batch, and a batch holds the write lock ~0.5 s on SQLite.
JOB_BATCH = 5000
#: Task lines listed in one escalation message; the rest are counted.
DIGEST_LINES = 20
#: Lines per page of a counterparty's contact history (TASK-8).
TIMELINE_PAGE = 20
#: The calendar feed spans this many days back and ahead of today.
FEED_PAST, FEED_AHEAD = 90, 400
#: At most this many tasks in a calendar view or feed.
CALENDAR_CAP = 5000


class Filter:
    """The Tasks tabs' filter (TASK-3) as the user gave it."""

    STATES = ("planned", "done", "overdue")


@attrs.frozen
class TaskPage:
    rows: list[Task]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_number(self) -> int:
        """The number of the page's first row (the «11» of [11-20])."""
        return (self.page - 1) * self.per_page + 1


@attrs.frozen
class Summary:
    """The personal page's block (ORG-4): today's planned tasks and the overdue ones."""

    today: list[Task]
    overdue: list[Task]
    today_count: int
    overdue_count: int


@attrs.frozen
class Feed:
    """What the private calendar feed shows: the employee's tasks and the names they
    refer to."""

    employee: Employee
    tasks: list[Task]
    type_names: dict[int, str]
    counterparty_names: dict[int, str]


@attrs.frozen
class TimelineItem:
    """One line of a counterparty's contact history (TASK-8): a task (planned, with its
    outcome when done) or a change recorded in history, at ``at``."""

    at: datetime
    task: Task | None = None
    entry: HistoryEntry | None = None


@attrs.frozen
class PendingEscalation:
    task: DueTask
    rule: EscalationRule
    recipient_id: int


@attrs.frozen
class JobReport:
    reminders: int = 0
    escalations: int = 0
    messages: int = 0






def plan_task(uow: UnitOfWork, clock: Clock, *, responsible_id: int, type_code: str,
              due_at: datetime, what: str = "", counterparty_id: int | None = None,
              created_by: int | None = None, deal_id: int | None = None) -> Task | None:
    """A task planned by the system inside the caller's unit of work (a workflow state's
    on-enter action, DEAL-2): of the typical task ``type_code`` for ``responsible_id``,
    due on the responsible's local day and time of ``due_at``. None when the typical task
    is gone or inactive, or the employee is disabled (nothing to plan for)."""
    kind = uow.task_types.first(code=type_code, active=True)
    employee = uow.employees.get(responsible_id)
    if kind is None or employee is None or not employee.active:
        return None
    local = due_at.astimezone(ZoneInfo(employee.timezone)) if employee.timezone else due_at
    now = clock.now()
    task = Task(responsible_id=responsible_id, task_type_id=kind.id, due_date=local.date(),
                due_time=local.time().replace(second=0, microsecond=0, tzinfo=None),
                what=what[:2000], counterparty_id=counterparty_id, deal_id=deal_id,
                created_at=now, created_by=created_by, updated_at=now, updated_by=created_by)
    task.derive(employee.timezone, kind.remind_minutes)
    uow.tasks.add(task)
    task.record_created(("responsible_id", "task_type_id", "due_date", "due_time", "what",
                         "counterparty_id", "deal_id"))
    return task


class TaskService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, secrets: Secrets,
                 due_tasks: DueTasks) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.secrets = secrets
        #: the escalation job's bulk read (TASK-7)
        self.due_tasks = due_tasks

    # -- rights -----------------------------------------------------------------------------

    @staticmethod
    def _require(uow: UnitOfWork, policy: Policy, action: Action, responsible_id: int) -> None:
        """TASK-6: rights over tasks follow the responsible employee's chain."""
        policy.require(action, TASK, chain_of(uow, ObjectRef(refs.EMPLOYEE, responsible_id)))

    @staticmethod
    def _may(uow: UnitOfWork, policy: Policy, action: Action, responsible_id: int) -> bool:
        return policy.allows(action, TASK, chain_of(uow, ObjectRef(refs.EMPLOYEE, responsible_id)))

    def _task(self, uow: UnitOfWork, task_id: Any) -> Task:
        return existing(uow.tasks, TASK, task_id)

    def _may_view(self, uow: UnitOfWork, policy: Policy, task: Task) -> bool:
        if self._may(uow, policy, Action.VIEW, task.responsible_id):
            return True
        return task.counterparty_id is not None and policy.allows(
            Action.VIEW, COUNTERPARTY, chain_of(uow, ObjectRef(COUNTERPARTY, task.counterparty_id)))

    # -- reference books (TASK-4, TASK-7) -------------------------------------------------

    def install_defaults(self, uow: UnitOfWork) -> None:
        """The typical tasks a new company starts with (called when it is founded)."""
        if uow.task_types.first() is not None:
            return
        for code, name, minutes in DEFAULT_TASK_TYPES:
            kind = uow.task_types.add(TaskType(code=code, name=name, remind_minutes=minutes))
            kind.record_created(("code", "name", "remind_minutes"))

    def follow_zone(self, uow: UnitOfWork, employee: Employee) -> None:
        """The employee's time zone changed: their planned tasks keep their local day and
        time, so deadlines and reminders move with the zone (called by OrgService)."""
        leads = {k.id: k.remind_minutes for k in uow.task_types.list()}
        for task in uow.tasks.list(responsible_id=employee.id, state=TaskState.PLANNED):
            before = task.due_at
            task.derive(employee.timezone, leads.get(task.task_type_id))
            if task.due_at != before:
                # the same deadline, told in another zone: what was escalated stays sent
                for sent in uow.task_escalations.list(task_id=task.id, due_at=before):
                    uow.task_escalations.delete(sent)
                    uow.task_escalations.add(attrs.evolve(sent, id=None, due_at=task.due_at,
                                                          events=[]))

    def task_types(self, actor_id: int, include_inactive: bool = False) -> list[TaskType]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            filters = {} if include_inactive else {"active": True}
            return uow.task_types.list(order_by=("name", "id"), **filters)

    def _type_values(self, uow: UnitOfWork, data: Data, creating: bool,
                     current: TaskType | None = None) -> Data:
        fields = Fields()
        values: Data = {}
        if creating or "name" in data:
            name = fields.text(data, "name", required=True, max_len=100)
            if name and any(t.name.lower() == name.lower() and t is not current
                            for t in uow.task_types.list()):
                fields.errors["name"] = "a typical task with this name exists"
            values["name"] = name
        if "remind_minutes" in data:
            values["remind_minutes"] = fields.whole(data, "remind_minutes", upper=MAX_REMIND_MINUTES)
        if "active" in data:
            values["active"] = bool(fields.flag(data, "active"))
        fields.check()
        return values

    def create_task_type(self, actor_id: int, data: Data) -> TaskType:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            kind = uow.task_types.add(TaskType(**self._type_values(uow, data, True)))
            kind.record_created(("name", "remind_minutes"))
            uow.commit()
            return kind

    def update_task_type(self, actor_id: int, type_id: Any, data: Data) -> TaskType:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            kind = existing(uow.task_types, TASK_TYPE, type_id)
            kind.check_version(expected_version(data))
            kind.apply_changes(self._type_values(uow, data, False, kind))
            uow.commit()
            return kind

    def escalation_rules(self, actor_id: int) -> list[EscalationRule]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.escalation_rules.list(order_by=("name", "id"))

    def _rule_values(self, uow: UnitOfWork, data: Data, creating: bool) -> Data:
        fields = Fields()
        values: Data = {}
        if creating or "name" in data:
            values["name"] = fields.text(data, "name", required=True, max_len=200)
        if creating or "delay" in data:
            delay = fields.whole(data, "delay", upper=MAX_DELAY)
            if delay is None and "delay" not in fields.errors:
                fields.errors["delay"] = "required"
            values["delay"] = delay
        for name, enum_cls in (("unit", DelayUnit), ("target", EscalationTarget)):
            if name in data or creating:
                raw = data.get(name) or (
                    DelayUnit.WORKING_DAYS if name == "unit" else EscalationTarget.HEAD)
                try:
                    values[name] = enum_cls(raw)
                except ValueError:
                    fields.errors[name] = "one of: " + ", ".join(e.value for e in enum_cls)
        if "task_type_id" in data:
            type_id = fields.ident(data, "task_type_id")
            if type_id is not None and uow.task_types.get(type_id) is None:
                fields.errors["task_type_id"] = "no such typical task"
            values["task_type_id"] = type_id
        if "active" in data:
            values["active"] = bool(fields.flag(data, "active"))
        fields.check()
        return values

    def create_escalation_rule(self, actor_id: int, data: Data) -> EscalationRule:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            rule = uow.escalation_rules.add(EscalationRule(**self._rule_values(uow, data, True)))
            rule.record_created(EscalationRule.EDITABLE)
            uow.commit()
            return rule

    def update_escalation_rule(self, actor_id: int, rule_id: Any, data: Data) -> EscalationRule:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            rule = existing(uow.escalation_rules, ESCALATION_RULE, rule_id)
            rule.check_version(expected_version(data))
            rule.apply_changes(self._rule_values(uow, data, False))
            uow.commit()
            return rule

    def delete_escalation_rule(self, actor_id: int, rule_id: Any, version: Any = None) -> None:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            rule = existing(uow.escalation_rules, ESCALATION_RULE, rule_id)
            rule.check_version(expected_version({"version": version}))
            rule.record_deleted(("name", "delay", "unit", "target"))
            # what the rule sent stays in the tasks' history; its records only kept it
            # from sending twice
            for sent in uow.task_escalations.list(rule_id=rule.id):
                uow.task_escalations.delete(sent)
            uow.escalation_rules.delete(rule)
            uow.commit()

    # -- the task form (TASK-4) -------------------------------------------------------------

    def _values(self, uow: UnitOfWork, data: Data, current: Task | None, actor_id: int) -> Data:
        """The form's fields checked: every bad field named at once."""
        fields = Fields()
        values: Data = {}
        creating = current is None

        def given(name: str) -> bool:
            return creating or name in data

        if given("responsible_id"):
            responsible = fields.ident(data, "responsible_id") if data.get(
                "responsible_id") not in (None, "") else (actor_id if creating else None)
            if responsible is not None:
                employee = uow.employees.get(responsible)
                if employee is None or not employee.active:
                    fields.errors["responsible_id"] = "no such active employee"
            elif "responsible_id" not in fields.errors:
                fields.errors["responsible_id"] = "required"
            values["responsible_id"] = responsible
        if given("task_type_id"):
            type_id = fields.ident(data, "task_type_id", required=True)
            if type_id is not None:
                kind = uow.task_types.get(type_id)
                if kind is None or (not kind.active and (
                        creating or type_id != current.task_type_id)):
                    fields.errors["task_type_id"] = "no such typical task"
            values["task_type_id"] = type_id
        if given("state"):
            raw = data.get("state") or TaskState.PLANNED
            try:
                values["state"] = TaskState(raw)
            except ValueError:
                fields.errors["state"] = "planned or done"
        if given("due_date"):
            values["due_date"] = fields.day(data, "due_date", required=True)
        if given("due_time"):
            values["due_time"] = fields.time_of_day(data, "due_time")
        for name in ("what", "result"):
            if given(name):
                values[name] = fields.text(data, name, max_len=MAX_TEXT) or ""
        if given("remind_minutes"):
            values["remind_minutes"] = fields.whole(data, "remind_minutes", upper=MAX_REMIND_MINUTES)
        if given("project_id"):
            project_id = fields.ident(data, "project_id")
            if project_id is not None and uow.projects.get(project_id) is None:
                fields.errors["project_id"] = "no such project"
            values["project_id"] = project_id
        counterparty_id = current.counterparty_id if current else None
        if given("counterparty_id"):
            counterparty_id = fields.ident(data, "counterparty_id")
            if counterparty_id is not None:
                card = uow.counterparties.get(counterparty_id)
                if card is None:
                    fields.errors["counterparty_id"] = "no such counterparty"
            values["counterparty_id"] = counterparty_id
        if given("contact_id") or "counterparty_id" in values:
            contact_id = fields.ident(data, "contact_id") if "contact_id" in data else (
                current.contact_id if current else None)
            if contact_id is not None:
                contact = uow.contacts.get(contact_id)
                if counterparty_id is None:
                    fields.errors["contact_id"] = "choose the counterparty first"
                elif contact is None or contact.counterparty_id != counterparty_id:
                    fields.errors["contact_id"] = "not a contact person of this counterparty"
            values["contact_id"] = contact_id
        fields.check()
        return values

    @staticmethod
    def _basis(uow: UnitOfWork, responsible_id: int, type_id: int) -> tuple[str, int | None]:
        """What a task's deadline and reminder derive from: the responsible employee's
        time zone and the typical task's reminder lead."""
        employee = uow.employees.get(responsible_id)
        kind = uow.task_types.get(type_id)
        return employee.timezone if employee else "", kind.remind_minutes if kind else None

    def _open(self, uow: UnitOfWork, actor_id: int, values: Data) -> Task:
        now = self.clock.now()
        policy = policy_for(uow, actor_id)
        self._require(uow, policy, Action.CREATE, values["responsible_id"])
        task = Task(created_at=now, created_by=actor_id, updated_at=now, updated_by=actor_id,
                    **values)
        if task.state is TaskState.DONE:
            task.done_at = now
        task.derive(*self._basis(uow, task.responsible_id, task.task_type_id))
        uow.tasks.add(task)
        task.record_created(("responsible_id", *(f for f in Task.EDITABLE
                                                  if f != "responsible_id")))
        return task

    def create(self, actor_id: int, data: Data) -> Task:
        """Add a planned task, or a done one registered after the event (TASK-1, TASK-4).
        The responsible is the actor unless given; another employee's task needs rights
        over them (TASK-6: added from their personal page)."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            values = self._values(uow, data, None, actor_id)
            task = self._open(uow, actor_id, values)
            uow.commit()
            return task

    def register_call(self, actor_id: int, data: Data) -> Task:
        """The one-step "register an incoming call" form (TASK-1): a done call of the
        actor, now (their local day and time), about a counterparty (and its contact),
        with what was said as the result."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            kind = uow.task_types.first(code=CALL, active=True)
            if kind is None:
                raise ValidationFailed.single("task_type_id", "the typical task «call» is "
                                              "missing or closed in the reference book")
            actor = uow.employees.get(actor_id)
            local = self.clock.now().astimezone(zone(actor.timezone))
            form = {"responsible_id": actor_id, "task_type_id": kind.id, "state": "done",
                    "due_date": local.date().isoformat(),
                    "due_time": local.strftime("%H:%M"), "remind_minutes": 0}
            form.update({k: data.get(k) for k in (
                "counterparty_id", "contact_id", "project_id", "what", "result") if k in data})
            if form.get("counterparty_id") in (None, ""):
                raise ValidationFailed.single("counterparty_id", "required")
            values = self._values(uow, form, None, actor_id)
            task = self._open(uow, actor_id, values)
            uow.commit()
            return task

    def get(self, actor_id: int, task_id: Any) -> Task:
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            task = self._task(uow, task_id)
            if not self._may_view(uow, policy, task):
                raise Forbidden("you may not view this task")
            return task

    def rights(self, actor_id: int, task: Task) -> dict[str, bool]:
        """What the actor may do with ``task`` (for the faces' buttons)."""
        return self.rights_of(actor_id, [task])[task.id]

    def rights_of(self, actor_id: int, tasks: Iterable[Task]) -> dict[int, dict[str, bool]]:
        """What the actor may do with each of ``tasks`` (a page's rows), by task id: asked
        once per responsible employee, in one unit of work (rights follow them)."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            by_responsible: dict[int, dict[str, bool]] = {}
            out = {}
            for task in tasks:
                if task.responsible_id not in by_responsible:
                    by_responsible[task.responsible_id] = {
                        "edit": self._may(uow, policy, Action.EDIT, task.responsible_id),
                        "delete": self._may(uow, policy, Action.DELETE, task.responsible_id)}
                out[task.id] = by_responsible[task.responsible_id]
            return out

    def may_plan_for(self, actor_id: int, employee_id: int) -> bool:
        """May the actor add tasks for ``employee_id`` (TASK-6)?"""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            if uow.employees.get(employee_id) is None:
                return False
            return self._may(uow, policy, Action.CREATE, employee_id)

    def update(self, actor_id: int, task_id: Any, data: Data) -> Task:
        """Edit or reschedule (TASK-5); switching the state to done completes it. A new
        responsible needs the same rights over them as adding a task for them."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            task = self._task(uow, task_id)
            self._require(uow, policy, Action.EDIT, task.responsible_id)
            task.check_version(expected_version(data))
            values = self._values(uow, data, task, actor_id)
            if values.get("responsible_id", task.responsible_id) != task.responsible_id:
                self._require(uow, policy, Action.CREATE, values["responsible_id"])
            self._change(uow, task, values, actor_id)
            uow.commit()
            return task

    def _change(self, uow: UnitOfWork, task: Task, values: Data, actor_id: int) -> None:
        now = self.clock.now()
        state = values.get("state", task.state)
        if state is TaskState.DONE and task.state is TaskState.PLANNED:
            values["done_at"] = now
        elif state is TaskState.PLANNED and task.state is TaskState.DONE:
            values["done_at"] = None
        # read before the change: a query after it would flush the task (a second UPDATE)
        basis = self._basis(uow, values.get("responsible_id", task.responsible_id),
                            values.get("task_type_id", task.task_type_id))
        if task.apply_changes(values):
            task.derive(*basis)
            task.touched(actor_id, now)

    def complete(self, actor_id: int, task_id: Any, data: Data) -> Task:
        """Mark done by switching to "fact" with a result note (TASK-5)."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            task = self._task(uow, task_id)
            self._require(uow, policy, Action.EDIT, task.responsible_id)
            task.check_version(expected_version(data))
            if task.state is TaskState.DONE:
                raise ValidationFailed.single("state", "the task is already done")
            fields = Fields()
            result = fields.text(data, "result", max_len=MAX_TEXT) or ""
            fields.check()
            self._change(uow, task, {"state": TaskState.DONE, "result": result}, actor_id)
            uow.commit()
            return task

    def delete(self, actor_id: int, task_id: Any, version: Any = None) -> None:
        """Delete after the user confirmed it (TASK-5); history keeps the task's last
        state."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            task = self._task(uow, task_id)
            self._require(uow, policy, Action.DELETE, task.responsible_id)
            task.check_version(expected_version({"version": version}))
            task.record_deleted(("responsible_id", "task_type_id", "state", "due_date",
                                 "counterparty_id", "what", "result"))
            for sent in uow.task_escalations.list(task_id=task.id):
                uow.task_escalations.delete(sent)
            uow.tasks.delete(task)
            uow.commit()

    # -- the Tasks tabs (TASK-2, TASK-3) ----------------------------------------------------

    def _filters(self, data: Data) -> Data:
        fields = Fields()
        filters: Data = {}
        start = fields.day(data, "date_from")
        end = fields.day(data, "date_to")
        if start:
            filters["due_date__gte"] = start
        if end:
            filters["due_date__lte"] = end
        state = fields.text(data, "state", max_len=20)
        if state:
            if state not in Filter.STATES:
                fields.errors["state"] = "one of: " + ", ".join(Filter.STATES)
            elif state == "overdue":
                filters["state"] = TaskState.PLANNED
                filters["due_at__lte"] = self.clock.now()
            else:
                filters["state"] = TaskState(state)
        for name in ("task_type_id", "counterparty_id", "project_id"):
            ident = fields.ident(data, name)
            if ident is not None:
                filters[name] = ident
        section = fields.text(data, "section", max_len=20)
        if section == "client":
            filters.setdefault("counterparty_id__ne", None)
        elif section == "employee":
            if "counterparty_id" in filters:
                fields.errors["section"] = "employee tasks have no counterparty"
            filters["counterparty_id"] = None
        elif section:
            fields.errors["section"] = "client or employee"
        fields.check()
        return filters

    @staticmethod
    def _order(filters: Data) -> tuple[str, ...]:
        """Planned work soonest first; otherwise the latest first."""
        if filters.get("state") is TaskState.PLANNED:
            return ("due_at", "id")
        return ("-due_at", "-id")

    def _listing(self, uow: UnitOfWork, filters: Data, page: int) -> TaskPage:
        """A page of 10. A page in the second half is read from the other end in the
        opposite order (the order ends in ``id``, so both are the same sequence): an
        OFFSET walks every row it skips — PostgreSQL fetches each — so the last page of
        an employee with 48,000 tasks cost 130 ms; now it costs what the first does
        (docs/performance.md)."""
        total = uow.tasks.count(**filters)
        order = self._order(filters)
        offset = (page - 1) * PAGE
        size = min(PAGE, total - offset)
        if size > 0 and offset > total - offset - size:
            backwards = tuple(k[1:] if k.startswith("-") else f"-{k}" for k in order)
            rows = uow.tasks.list(order_by=backwards, limit=size,
                                  offset=total - offset - size, **filters)
            rows.reverse()
        else:
            rows = uow.tasks.list(order_by=order, limit=PAGE, offset=offset, **filters)
        return TaskPage(rows=rows, page=page, per_page=PAGE, total=total)

    def of_employee(self, actor_id: int, employee_id: Any, data: Data | None = None,
                    page: Any = 1) -> TaskPage:
        """The personal Tasks tab ("Задачник → Задачи"): ``section`` client (client and
        deal tasks) or employee (own tasks), 10 a page, filtered (TASK-3)."""
        data = data or {}
        filters = self._filters(data)
        page = page_number(page)
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            employee = existing(uow.employees, refs.EMPLOYEE, employee_id)
            self._require(uow, policy, Action.VIEW, employee.id)
            return self._listing(uow, {"responsible_id": employee.id, **filters}, page)

    def of_counterparty(self, actor_id: int, counterparty_id: Any, data: Data | None = None,
                        page: Any = 1) -> TaskPage:
        """The counterparty's Tasks tab (TASK-2): every employee's tasks about it."""
        data = dict(data or {})
        data.pop("counterparty_id", None)
        data.pop("section", None)
        filters = self._filters(data)
        page = page_number(page)
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            card = existing(uow.counterparties, COUNTERPARTY, counterparty_id)
            policy.require(Action.VIEW, COUNTERPARTY, chain_of(uow, card.ref))
            return self._listing(uow, {"counterparty_id": card.id, **filters}, page)

    def summary(self, actor_id: int, employee_id: Any, limit: int = 5) -> Summary:
        """Today's planned tasks and the overdue ones, for the personal page (ORG-4)."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            employee = existing(uow.employees, refs.EMPLOYEE, employee_id)
            self._require(uow, policy, Action.VIEW, employee.id)
            now = self.clock.now()
            today = local_day(now, employee.timezone)
            mine = {"responsible_id": employee.id, "state": TaskState.PLANNED}
            due_today = {**mine, "due_date": today, "due_at__gt": now}
            overdue = {**mine, "due_at__lte": now}
            return Summary(
                today=uow.tasks.list(order_by=("due_at", "id"), limit=limit, **due_today),
                overdue=uow.tasks.list(order_by=("due_at", "id"), limit=limit, **overdue),
                today_count=uow.tasks.count(**due_today),
                overdue_count=uow.tasks.count(**overdue))

    def calendar(self, actor_id: int, employee_id: Any, start: Any, end: Any) -> list[Task]:
        """The employee's tasks due from ``start`` to ``end`` (inclusive days): the week
        and month views."""
        fields = Fields()
        first = fields.day({"start": start}, "start", required=True)
        last = fields.day({"end": end}, "end", required=True)
        if first and last and (last < first or (last - first).days > 62):
            fields.errors["end"] = "at most two months after the start"
        fields.check()
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            employee = existing(uow.employees, refs.EMPLOYEE, employee_id)
            self._require(uow, policy, Action.VIEW, employee.id)
            return uow.tasks.list(responsible_id=employee.id, due_date__gte=first,
                                  due_date__lte=last, order_by=("due_at", "id"),
                                  limit=CALENDAR_CAP)

    # -- the private calendar feed ----------------------------------------------------------

    def issue_feed_token(self, actor_id: int) -> str:
        """A new private feed address token for the actor's own tasks (the old one stops
        working). Shown once; only its digest is kept."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            employee = uow.employees.get(actor_id)
            token = self.secrets.new_token()
            employee.apply_changes({"calendar_token_hash": self.secrets.digest(token)})
            uow.commit()
            return token

    def revoke_feed_token(self, actor_id: int) -> None:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            uow.employees.get(actor_id).apply_changes({"calendar_token_hash": ""})
            uow.commit()

    def has_feed(self, actor_id: int) -> bool:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return bool(uow.employees.get(actor_id).calendar_token_hash)

    def feed(self, token: Any) -> Feed:
        """The tasks behind a feed token (no session: the token is the key), from
        ``FEED_PAST`` days back to ``FEED_AHEAD`` ahead, with the names of their typical
        tasks and counterparties. NotFound for an unknown or revoked token or a disabled
        employee."""
        if not isinstance(token, str) or not 10 <= len(token) <= 200:
            raise NotFound("calendar", "-")
        with self.uow_factory(readonly=True) as uow:
            employee = uow.employees.first(calendar_token_hash=self.secrets.digest(token))
            if employee is None or not employee.active:
                raise NotFound("calendar", "-")
            today = local_day(self.clock.now(), employee.timezone)
            tasks = uow.tasks.list(
                responsible_id=employee.id, due_date__gte=today - timedelta(days=FEED_PAST),
                due_date__lte=today + timedelta(days=FEED_AHEAD), order_by=("due_at", "id"),
                limit=CALENDAR_CAP)
            card_ids = sorted({t.counterparty_id for t in tasks if t.counterparty_id})
            return Feed(
                employee=employee, tasks=tasks,
                type_names={k.id: k.name for k in uow.task_types.list()},
                counterparty_names={c.id: c.name for c in uow.counterparties.list(
                    id__in=card_ids)} if card_ids else {})

    # -- contact history (TASK-8) ---------------------------------------------------------

    def contact_history(self, actor_id: int, counterparty_id: Any, page: Any = 1,
                        per_page: int = TIMELINE_PAGE) -> list[TimelineItem]:
        """The counterparty's relations in one time line, newest first: its tasks (planned
        contacts at their due time, done ones with the outcome) among the changes of the
        card recorded in history (fields, curators, deletion marks)."""
        page = page_number(page)
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            card = existing(uow.counterparties, COUNTERPARTY, counterparty_id)
            policy.require(Action.VIEW, COUNTERPARTY, chain_of(uow, card.ref))
            want = page * per_page
            tasks = uow.tasks.list(counterparty_id=card.id, order_by=("-due_at", "-id"),
                                   limit=want)
            entries = uow.history.list(subject_kind=COUNTERPARTY, subject_id=card.id,
                                       order_by=("-id",), limit=want)
            # a task stands at its due moment (a fact task's is when it happened), the
            # order the tasks were read in, so pages neither skip nor repeat them
            items = [TimelineItem(at=t.due_at, task=t) for t in tasks]
            items += [TimelineItem(at=e.at, entry=e) for e in entries]
            items.sort(key=lambda i: i.at, reverse=True)
            return items[(page - 1) * per_page: want]

    # -- reminders and escalations (TASK-7), run by the periodic job ---------------------

    def send_reminders(self, batch: int = JOB_BATCH) -> int:
        """Remind the responsible employees of planned tasks whose reminder time has come
        (once each: ``reminded_at``). A reminder whose task is already overdue (the job
        did not run for a while), or whose employee is disabled, is dropped silently —
        the escalation speaks then."""
        sent = 0
        while True:
            with self.uow_factory() as uow:
                now = self.clock.now()
                due = uow.tasks.list(state=TaskState.PLANNED, reminded_at=None,
                                     remind_at__lte=now, order_by=("remind_at", "id"),
                                     limit=batch)
                if not due:
                    return sent
                kinds = {k.id: k.name for k in uow.task_types.list()}
                active = {e.id for e in uow.employees.list(
                    id__in=sorted({t.responsible_id for t in due})) if e.active}
                for task in due:
                    if not task.is_overdue(now) and task.responsible_id in active:
                        post(uow, self.clock, kind=MessageKind.REMINDER,
                             recipient_id=task.responsible_id, subject=task.ref,
                             text=_reminder_text(uow, task, kinds))
                        sent += 1
                    task.mark_reminded(now)
                uow.commit()
            if len(due) < batch:
                return sent

    def pending_escalations(self, batch: int = JOB_BATCH) -> list[PendingEscalation]:
        """What the escalation job would send now (``ecrm tasks escalate --dry-run``)."""
        found: list[PendingEscalation] = []
        with self.uow_factory(readonly=True) as uow:
            now, cache = self.clock.now(), _People(uow)
            for rule in uow.escalation_rules.list(active=True, order_by=("id",)):
                after: int | None = 0
                while after is not None:
                    chunk, after = self._due(uow, rule, after, batch, now, cache)
                    found += chunk
        return found

    def escalate(self, batch: int = JOB_BATCH, on_batch: Callable[[int], Any] | None = None
                 ) -> JobReport:
        """Send every escalation due now: per rule, the planned tasks overdue by the
        rule's delay that were not escalated by it for their current deadline. Each is
        recorded (``task_escalations``, unique per task, rule and deadline — a second
        copy of the job running at once fails on it and its batch sends nothing) and in
        the task's history; a recipient gets one message per rule and batch listing the
        tasks (not one message per task)."""
        escalations = messages = 0
        now = self.clock.now()
        with self.uow_factory(readonly=True) as uow:
            rule_ids = [r.id for r in uow.escalation_rules.list(active=True, order_by=("id",))]
            kinds = {k.id: k.name for k in uow.task_types.list()}
        # zones, heads and names are looked up once for the whole run, not per batch
        people: _People | None = None
        for rule_id in rule_ids:
            after: int | None = 0
            while after is not None:
                with self.uow_factory() as uow:
                    rule = uow.escalation_rules.get(rule_id)
                    if rule is None or not rule.active:
                        break
                    people = _People(uow) if people is None else people.within(uow)
                    chunk, after = self._due(uow, rule, after, batch, now, people)
                    if not chunk:
                        continue
                    records = [TaskEscalation(task_id=p.task.id, rule_id=rule.id,
                                              due_at=p.task.due_at, recipient_id=p.recipient_id,
                                              sent_at=now) for p in chunk]
                    for record in records:
                        record.record_sent(rule)
                    uow.task_escalations.add_all(records)
                    by_recipient: dict[int, list[PendingEscalation]] = {}
                    for p in chunk:
                        by_recipient.setdefault(p.recipient_id, []).append(p)
                    names = {e.id: e.full_name for e in people.employees.values()}
                    for recipient_id, items in by_recipient.items():
                        post(uow, self.clock, kind=MessageKind.NOTIFICATION,
                             recipient_id=recipient_id,
                             subject=items[0].task.ref if len(items) == 1 else None,
                             text=_escalation_text(items, kinds, names))
                    uow.commit()
                    escalations += len(chunk)
                    messages += len(by_recipient)
                    if on_batch:
                        on_batch(len(chunk))
        return JobReport(escalations=escalations, messages=messages)

    def run_alerts(self) -> JobReport:
        """One pass of the periodic job: reminders, then escalations."""
        reminders = self.send_reminders()
        report = self.escalate()
        return attrs.evolve(report, reminders=reminders)

    def _due(self, uow: UnitOfWork, rule: EscalationRule, after: int, batch: int,
             now: datetime, people: _People) -> tuple[list[PendingEscalation], int | None]:
        """The escalations ``rule`` owes for a batch of planned tasks with ids above
        ``after``, and the last id looked at (None: no tasks left)."""
        tasks = self.due_tasks.unescalated(rule.id, rule.task_type_id, rule.earliest_due(now),
                                           after, batch)
        if not tasks:
            return [], None
        people.load({t.responsible_id for t in tasks})
        chunk = []
        for task in tasks:
            if rule.fires_at(task, people.zone(task.responsible_id)) > now:
                continue
            recipient = people.recipient(rule.target, task.responsible_id)
            if recipient is not None:
                chunk.append(PendingEscalation(task, rule, recipient))
        return chunk, tasks[-1].id


class _People:
    """Time zones, heads and Directors looked up once for a run of the job (its batches
    are units of work of their own: ``within`` hands over the next one)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.employees: dict[int, Employee] = {}
        self.heads: dict[int, int | None] = {}
        self.directors = sorted(active_directors(uow))

    def within(self, uow: UnitOfWork) -> _People:
        self.uow = uow
        return self

    def load(self, ids: set[int]) -> None:
        missing = sorted(ids - self.employees.keys())
        if missing:
            for e in self.uow.employees.list(id__in=missing):
                self.employees[e.id] = e

    def zone(self, employee_id: int) -> str:
        employee = self.employees.get(employee_id)
        return employee.timezone if employee else ""

    def recipient(self, target: EscalationTarget, employee_id: int) -> int | None:
        """Who gets an escalation about ``employee_id``'s task: them, their head, or the
        Director (also when nobody is above them)."""
        employee = self.employees.get(employee_id)
        if employee is not None and employee.active and target is EscalationTarget.RESPONSIBLE:
            return employee.id
        if employee is not None and target is EscalationTarget.HEAD:
            if employee.id not in self.heads:
                self.heads[employee.id] = head_of(self.uow, employee)
            if self.heads[employee.id] is not None:
                return self.heads[employee.id]
        others = [d for d in self.directors if d != employee_id]
        return (others or self.directors or [None])[0]


def _describe(task: Task | DueTask, kinds: dict[int, str]) -> str:
    when = task.due_date.strftime("%d.%m.%Y") + (
        " " + task.due_time.strftime("%H:%M") if task.due_time else "")
    what = f" — {task.what}" if task.what else ""
    return f"{kinds.get(task.task_type_id, '')} {when}{what}"[:300]


def _reminder_text(uow: UnitOfWork, task: Task, kinds: dict[int, str]) -> str:
    return "Напоминание о задаче: " + _describe(task, kinds)


def _escalation_text(items: list[PendingEscalation], kinds: dict[int, str],
                     names: dict[int, str]) -> str:
    rule = items[0].rule
    lines = [f"Просрочены задачи ({len(items)}) — правило эскалации «{rule.name}»:"]
    for p in items[:DIGEST_LINES]:
        lines.append(f"— {names.get(p.task.responsible_id, '')}: {_describe(p.task, kinds)}")
    if len(items) > DIGEST_LINES:
        lines.append(f"… и ещё {len(items) - DIGEST_LINES}")
    return "\n".join(lines)
