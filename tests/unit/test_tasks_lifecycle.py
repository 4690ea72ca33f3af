"""The life cycle of tasks as a hypothesis state machine (issue 4 acceptance): planned →
rescheduled → done / deleted, over ``app.tasks`` on the in-memory fakes with a fake
clock moving on, the reminder and escalation job running in between (TASK-1…TASK-7).

The people: mgr (Asia/Omsk) in department «Продажи», whose head is head (Europe/Moscow);
an outsider with no rights over either. Tasks are planned by mgr for themself and by
head for themself and for mgr (their subordinate, TASK-6); mgr may not plan for head.
Two escalation rules: 5 hours overdue → the head (every type), and a call 1 working day
overdue → the responsible.

The test keeps its own model of the tasks and checks after every step that

- a done task has ``done_at`` and is never overdue; a planned one has none;
- ``due_at`` is the deadline computed here from ``due_date``/``due_time`` in the
  responsible's zone (the local time, or the next local midnight), and ``remind_at`` the
  lead before the local time (09:00 without one);
- the personal Tasks tab counts per section (client / employee) and state (planned /
  done / overdue) and its pages of ten match the model, and so does the card's tab;
- each (task, rule, deadline) is escalated at most once, never before the rule's moment,
  with one TaskEscalated history entry each; the job sends every escalation that is due;
- a deleted task is gone, with its escalation records, and its history ends with
  ObjectDeleted;
- a stale version always raises Conflict and changes nothing, and so do refused
  requests (Forbidden) and a second completion (ValidationFailed).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ecrm_core.kernel.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.messages.model import MessageKind
from ecrm_core.tasks.model import TaskState
from tests.fakes import FakeClock, fake_app

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday; 15:00 in Omsk, 12:00 in Moscow
ZONES = {"mgr": "Asia/Omsk", "head": "Europe/Moscow"}
HOURLY_DELAY = 5
PASSWORD = "correct-horse"

times = st.sampled_from([None, time(0, 0), time(8, 45), time(9, 0), time(12, 30),
                         time(23, 59)])
leads = st.sampled_from([None, 0, 15, 24 * 60])
kinds = st.sampled_from(["meeting", "call", "other"])
offsets = st.integers(min_value=-3, max_value=6)
picks = st.integers(min_value=0, max_value=10**6)


def deadline_here(day: date, at: time | None, tz: str) -> datetime:
    zone = ZoneInfo(tz)
    if at is None:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def reminder_here(day: date, at: time | None, tz: str, lead: int | None) -> datetime | None:
    if not lead:
        return None
    start = datetime.combine(day, at or time(9, 0), tzinfo=ZoneInfo(tz))
    return (start - timedelta(minutes=lead)).astimezone(UTC)


def working_days_after(moment: datetime, days: int, tz: str) -> datetime:
    """Monday to Friday in ``tz``: a weekend moment counts from Monday, same time."""
    local = moment.astimezone(ZoneInfo(tz))
    day = local.date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    for _ in range(days):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return datetime.combine(day, local.time(), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def working_time(start: datetime, end: datetime, tz: str) -> timedelta:
    """Time between two moments that falls on Monday to Friday in ``tz``. An escalation
    "one working day late" is due once this reaches a day: Friday 00:00 + 1 is reached
    at Friday's end (Saturday 00:00), the same working instant as Monday 00:00, which
    ``working_days_after`` names."""
    zone = ZoneInfo(tz)
    cursor = start.astimezone(zone).replace(tzinfo=None)
    stop = end.astimezone(zone).replace(tzinfo=None)
    total = timedelta(0)
    while cursor < stop:
        next_day = min(datetime.combine(cursor.date() + timedelta(days=1), time(0)), stop)
        if cursor.weekday() < 5:
            total += next_day - cursor
        cursor = next_day
    return total


@attrs.define
class Modelled:
    """What the test knows of one task."""

    responsible: str
    kind: str
    due_date: date
    due_time: time | None
    client: bool
    done: bool
    lead: int | None
    version: int
    what: str = ""

    def deadline(self) -> datetime:
        return deadline_here(self.due_date, self.due_time, ZONES[self.responsible])

    def overdue(self, now: datetime) -> bool:
        return not self.done and now >= self.deadline()


class TaskLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(START)
        self.app, self.storage = fake_app(clock=self.clock)
        self.tasks = self.app.tasks
        org = self.app.org
        self.d = org.found_company("ООО «Жизненный цикл»", {
            "login": "director", "password": PASSWORD, "full_name": "Директоров Д."}).id
        sales = org.create_department(self.d, {"name": "Продажи"})

        def person(login: str, zone: str, department_id: int | None) -> int:
            return org.add_employee(self.d, {
                "login": login, "password": PASSWORD, "full_name": login.title(),
                "timezone": zone, "department_id": department_id}).id

        self.people = {"head": person("head", ZONES["head"], sales.id),
                       "mgr": person("mgr", ZONES["mgr"], sales.id)}
        org.update_department(self.d, sales.id, {"head_id": self.people["head"]})
        self.outsider = person("outsider", "Europe/Moscow", None)
        catalog = self.app.catalogs.create(self.d, {"name": "Клиенты"})
        self.card = self.app.counterparties.register(self.d, {
            "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа"}).id
        self.types = {k.code: k for k in self.tasks.task_types(self.d)}
        self.hourly = self.tasks.create_escalation_rule(self.d, {
            "name": "Просрочка 5 часов", "delay": HOURLY_DELAY, "unit": "hours",
            "target": "head"}).id
        self.calls = self.tasks.create_escalation_rule(self.d, {
            "name": "Звонок: 1 рабочий день", "delay": 1, "unit": "working_days",
            "target": "responsible", "task_type_id": self.types["call"].id}).id
        self.model: dict[int, Modelled] = {}
        self.deleted: set[int] = set()

    # -- helpers ---------------------------------------------------------------------------

    def _pick(self, pick: int) -> int:
        return sorted(self.model)[pick % len(self.model)]

    def _day(self, offset: int) -> date:
        return self.clock.now().date() + timedelta(days=offset)

    def _worker(self, task: Modelled, as_head: bool) -> int:
        """The responsible, or the head (head's head is head: nobody is above them)."""
        return self.people["head" if as_head else task.responsible]

    def _snapshot(self) -> tuple:
        stores = {name: {i: {k: v for k, v in vars(o).items() if k != "events"}
                         for i, o in store.items()}
                  for name, store in self.storage.stores.items()}
        return stores, len(self.storage.outbox), self.storage.commits

    def _refused(self, call, error: type[DomainError]) -> None:
        before = self._snapshot()
        with pytest.raises(error):
            call()
        assert self._snapshot() == before, f"a refused {error.__name__} changed something"

    def _lead(self, task: Modelled) -> int | None:
        return task.lead if task.lead is not None else self.types[task.kind].remind_minutes

    def _stored(self, ident: int):
        return self.storage.stores["tasks"][ident]

    def _escalation_rows(self) -> list[tuple[int, int, datetime]]:
        return [(e.task_id, e.rule_id, e.due_at)
                for e in self.storage.stores["task_escalations"].values()]

    # -- planning (TASK-1, TASK-4, TASK-6) -----------------------------------------------------

    @rule(actor=st.sampled_from(["mgr", "head"]), whose=st.sampled_from(["mgr", "head"]),
          kind=kinds, offset=offsets, at=times, client=st.booleans(), done=st.booleans(),
          lead=leads)
    def plan(self, actor, whose, kind, offset, at, client, done, lead):
        data = {"responsible_id": self.people[whose], "task_type_id": self.types[kind].id,
                "due_date": self._day(offset).isoformat(),
                "due_time": at.strftime("%H:%M") if at else "",
                "state": "done" if done else "planned", "remind_minutes": lead,
                "counterparty_id": self.card if client else None}
        if actor == "mgr" and whose == "head":  # not upwards
            self._refused(lambda: self.tasks.create(self.people[actor], data), Forbidden)
            return
        task = self.tasks.create(self.people[actor], data)
        assert task.responsible_id == self.people[whose] and task.created_by == self.people[actor]
        self.model[task.id] = Modelled(whose, kind, self._day(offset), at, client, done, lead,
                                       task.version)

    # -- working a task (TASK-5) ---------------------------------------------------------------

    @precondition(lambda self: self.model)
    @rule(pick=picks, as_head=st.booleans(), offset=offsets, at=times)
    def reschedule(self, pick, as_head, offset, at):
        ident = self._pick(pick)
        task = self.model[ident]
        day = self._day(offset)
        saved = self.tasks.update(self._worker(task, as_head), ident, {
            "version": task.version, "due_date": day.strftime("%d.%m.%Y"),
            "due_time": at.strftime("%H:%M") if at else None})
        task.due_date, task.due_time, task.version = day, at, saved.version

    @precondition(lambda self: self.model)
    @rule(pick=picks, as_head=st.booleans(), what=st.sampled_from(["", "Договор", "Счёт"]),
          state=st.sampled_from([None, "planned", "done"]), client=st.none() | st.booleans(),
          lead=st.none() | leads)
    def edit(self, pick, as_head, what, state, client, lead):
        """What, the state (done completes, planned reopens), client or own, the lead
        (None here: not sent)."""
        ident = self._pick(pick)
        task = self.model[ident]
        data = {"version": task.version, "what": what}
        if state is not None:
            data["state"] = state
        if client is not None:
            data["counterparty_id"] = self.card if client else ""
        if lead is not None:
            data["remind_minutes"] = lead
        saved = self.tasks.update(self._worker(task, as_head), ident, data)
        task.what, task.version = what, saved.version
        if state is not None:
            task.done = state == "done"
        if client is not None:
            task.client = client
        if lead is not None:
            task.lead = lead

    @precondition(lambda self: self.model)
    @rule(pick=picks)
    def hand_over(self, pick):
        """The head hands a task to the other one of the two (both are in their chain):
        the deadline moves to the new responsible's zone."""
        ident = self._pick(pick)
        task = self.model[ident]
        other = "head" if task.responsible == "mgr" else "mgr"
        saved = self.tasks.update(self.people["head"], ident, {
            "version": task.version, "responsible_id": self.people[other]})
        task.responsible, task.version = other, saved.version

    @precondition(lambda self: self.model)
    @rule(pick=picks, as_head=st.booleans(), result=st.sampled_from(["", "Подписали"]))
    def complete(self, pick, as_head, result):
        ident = self._pick(pick)
        task = self.model[ident]
        actor = self._worker(task, as_head)

        def call():
            return self.tasks.complete(actor, ident, {"version": task.version,
                                                      "result": result})

        if task.done:
            self._refused(call, ValidationFailed)
            return
        saved = call()
        assert saved.done_at == self.clock.now() and saved.result == result
        task.done, task.version = True, saved.version

    @precondition(lambda self: self.model)
    @rule(pick=picks, as_head=st.booleans())
    def delete(self, pick, as_head):
        ident = self._pick(pick)
        task = self.model.pop(ident)
        self.tasks.delete(self._worker(task, as_head), ident, str(task.version))
        self.deleted.add(ident)
        with pytest.raises(NotFound):
            self.tasks.get(self.d, ident)
        history = self.app.history.of(self.d, ObjectRef("task", ident))
        assert history[0].action == "ObjectDeleted"

    @precondition(lambda self: self.model)
    @rule(pick=picks, as_head=st.booleans(), delta=st.sampled_from([-2, -1, 1, 7]),
          action=st.sampled_from(["update", "complete", "delete"]))
    def stale(self, pick, as_head, delta, action):
        """A change prepared against another version: Conflict, nothing changed."""
        ident = self._pick(pick)
        task = self.model[ident]
        actor, version = self._worker(task, as_head), task.version + delta
        calls = {
            "update": lambda: self.tasks.update(actor, ident, {
                "version": version, "what": "устаревшее", "due_date": "2026-04-01"}),
            "complete": lambda: self.tasks.complete(actor, ident, {"version": version}),
            "delete": lambda: self.tasks.delete(actor, ident, version),
        }
        self._refused(calls[action], Conflict)

    @precondition(lambda self: self.model)
    @rule(pick=picks, action=st.sampled_from(["view", "update", "complete", "delete", "tab",
                                               "plan"]))
    def outsider_tries(self, pick, action):
        """Nobody else works the tasks (TASK-6); a client task shows on the card, which
        everyone sees."""
        ident = self._pick(pick)
        task = self.model[ident]
        who, owner = self.outsider, self.people[task.responsible]
        if action == "view" and task.client:
            assert self.tasks.get(who, ident).id == ident
            return
        calls = {
            "view": lambda: self.tasks.get(who, ident),
            "update": lambda: self.tasks.update(who, ident, {"version": task.version,
                                                             "what": "чужое"}),
            "complete": lambda: self.tasks.complete(who, ident, {"version": task.version}),
            "delete": lambda: self.tasks.delete(who, ident, task.version),
            "tab": lambda: self.tasks.of_employee(who, owner, {}),
            "plan": lambda: self.tasks.create(who, {
                "responsible_id": owner, "task_type_id": self.types["call"].id,
                "due_date": "2026-03-05"}),
        }
        self._refused(calls[action], Forbidden)

    # -- time and the job (TASK-7) -------------------------------------------------------------

    @rule(hours=st.sampled_from([0, 1, 2, 5, 11, 24, 49]), minutes=st.sampled_from([0, 1, 59]))
    def time_passes(self, hours, minutes):
        self.clock.advance(hours=hours, minutes=minutes)

    @rule()
    def job_runs(self):
        now = self.clock.now()
        due = {i for i, t in self.model.items()
               if not t.done and self._stored(i).reminded_at is None
               and self._stored(i).remind_at is not None and self._stored(i).remind_at <= now}
        sendable = {i for i in due if not self.model[i].overdue(now)}
        old = set(self.storage.stores["messages"])
        assert self.tasks.send_reminders() == len(sendable)
        for i in due:
            assert self._stored(i).reminded_at == now
            self.model[i].version = self._stored(i).version  # the job changed the task
        new = [m for i, m in self.storage.stores["messages"].items() if i not in old]
        assert all(m.message_kind is MessageKind.REMINDER for m in new)
        assert sorted(m.subject.id for m in new) == sorted(sendable)
        assert all(m.recipient_id == self._stored(m.subject.id).responsible_id for m in new)

        before = set(self._escalation_rows())
        report = self.tasks.escalate()
        after = set(self._escalation_rows())
        assert before <= after and report.escalations == len(after - before)
        for i, task in self.model.items():
            if task.done:
                continue
            if now >= task.deadline() + timedelta(hours=HOURLY_DELAY):
                assert (i, self.hourly, task.deadline()) in after
            if task.kind == "call" and now >= working_days_after(
                    task.deadline(), 1, ZONES[task.responsible]):
                assert (i, self.calls, task.deadline()) in after

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def tasks_are_what_the_model_says(self):
        now = self.clock.now()
        assert set(self.storage.stores["tasks"]) == set(self.model)
        for ident, task in self.model.items():
            stored = self._stored(ident)
            tz = ZONES[task.responsible]
            assert stored.responsible_id == self.people[task.responsible]
            assert stored.version == task.version
            assert (stored.due_date, stored.due_time) == (task.due_date, task.due_time)
            assert stored.due_at == task.deadline()
            assert stored.remind_at == reminder_here(task.due_date, task.due_time, tz,
                                                     self._lead(task))
            assert stored.reminded_at is None or (
                stored.remind_at is not None and stored.remind_at <= stored.reminded_at)
            assert (stored.counterparty_id is not None) == task.client
            if task.done:
                assert stored.state is TaskState.DONE and stored.done_at is not None
                assert not stored.is_overdue(now)
            else:
                assert stored.state is TaskState.PLANNED and stored.done_at is None
                assert stored.is_overdue(now) == task.overdue(now)

    @invariant()
    def the_tabs_count_what_the_model_holds(self):
        now = self.clock.now()
        sections = {None: lambda t: True, "client": lambda t: t.client,
                    "employee": lambda t: not t.client}
        states = {None: lambda t: True, "planned": lambda t: not t.done,
                  "done": lambda t: t.done, "overdue": lambda t: t.overdue(now)}
        for person, employee_id in self.people.items():
            mine = [t for t in self.model.values() if t.responsible == person]
            for section, in_section in sections.items():
                for state, in_state in states.items():
                    filters = {k: v for k, v in (("section", section), ("state", state)) if v}
                    expected = sum(1 for t in mine if in_section(t) and in_state(t))
                    page = self.tasks.of_employee(employee_id, employee_id, filters)
                    assert page.total == expected, (person, filters)
                    assert len(page.rows) == min(10, expected)
                    assert page.pages == max(1, -(-expected // 10))
        card = self.tasks.of_counterparty(self.outsider, self.card)
        assert card.total == sum(1 for t in self.model.values() if t.client)

    @invariant()
    def each_escalation_once_and_not_early(self):
        rows = self._escalation_rows()
        assert len(rows) == len(set(rows)), "a (task, rule, deadline) escalated twice"
        # not early: the hourly rule's delay has passed, or a whole working day
        rules = {self.hourly: lambda due, sent, tz: sent >= due + timedelta(hours=HOURLY_DELAY),
                 self.calls: lambda due, sent, tz: working_time(due, sent, tz)
                 >= timedelta(days=1)}
        checked = self.__dict__.setdefault("checked_escalations", set())
        for ident, row in self.storage.stores["task_escalations"].items():
            assert row.task_id in self.model, "the records of a deleted task stay"
            if ident in checked:
                continue  # checked right after the job made it, under the responsible of
                # that moment (a later hand-over moves the task to another zone)
            checked.add(ident)
            tz = ZONES[self.model[row.task_id].responsible]
            assert rules[row.rule_id](row.due_at, row.sent_at, tz), row
        escalated: dict[int, int] = {}
        for entry in self.storage.stores["history"].values():
            if entry.subject_kind == "task" and entry.action == "TaskEscalated":
                escalated[entry.subject_id] = escalated.get(entry.subject_id, 0) + 1
        for ident in self.model:
            assert escalated.get(ident, 0) == sum(1 for r in rows if r[0] == ident)

    @invariant()
    def deleted_tasks_are_gone_and_their_history_ends_with_the_deletion(self):
        last: dict[int, tuple[int, str]] = {}
        for entry in self.storage.stores["history"].values():
            if entry.subject_kind == "task" and entry.subject_id in self.deleted:
                last[entry.subject_id] = max(last.get(entry.subject_id, (0, "")),
                                             (entry.id, entry.action))
        for ident in self.deleted:
            assert ident not in self.storage.stores["tasks"]
            assert last[ident][1] == "ObjectDeleted"


#: The "ecrm" profile (tests/conftest.py) with a budget that keeps the run to seconds.
TaskLifecycle.TestCase.settings = settings(max_examples=40, stateful_step_count=25)
test_the_task_life_cycle = TaskLifecycle.TestCase
