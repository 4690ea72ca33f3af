"""Use cases of the long sales cycle (DEAL-1…DEAL-4, RPT-4 first part, TASK-2).

- ``DealTemplateService``: the reference book of deal templates (DEAL-1, DEAL-2). A
  template's states and transitions are a state set of the one workflow engine (code
  ``deal:<template>``), edited through the same checks as every set
  (``StateSetService``): a state some deal is in cannot be removed, new states can be
  added to a template in use. Conditions may only name the deal's fields, the template's
  attributes and the conditions this area answers.
- ``DealService``: deals registered for a client by a template (DEAL-3), edited, moved
  through the engine (the same call from the form, the board's drag and the API: the
  engine names every unmet condition), approvals, won/lost with a reason; every stay in a
  state is kept (``DealStage``) with its working time; entering a state plans its tasks
  (on the deal and its client, TASK-2) and payments (DEAL-2); the pipeline board and the
  forecast (RPT-4) read figures the storage computes (``ports.DealFigures``); over-norm
  deals are escalated to the manager, then the head, once each (DEAL-4).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from ecrm_core.access.model import Action
from ecrm_core.access.policy import Policy
from ecrm_core.access.services import chain_of, policy_for
from ecrm_core.attributes import AttributeDef, dump_defs, parse_defs
from ecrm_core.attributes import values as attribute_values
from ecrm_core.deals.model import (
    CONDITIONS,
    DEAL,
    DEAL_FIELDS,
    DEAL_TEMPLATE,
    DOCUMENT_ATTACHED,
    INVOICE_ISSUED,
    INVOICE_PAID,
    SET_PREFIX,
    Deal,
    DealEscalation,
    DealPayment,
    DealStage,
    DealTemplate,
    Level,
    set_code,
)
from ecrm_core.deals.ports import ColumnFigures, DealFigures, Filters, MonthFigures
from ecrm_core.kernel.books import book_code, book_name
from ecrm_core.kernel.errors import Conflict, Forbidden, ValidationFailed
from ecrm_core.kernel.events import FieldChange, ObjectChanged
from ecrm_core.kernel.fields import Fields, expected_version, page_number
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory, existing
from ecrm_core.messages.model import MessageKind
from ecrm_core.messages.services import post
from ecrm_core.money import MAX_AMOUNT, Money, money_field
from ecrm_core.org.calendar import (
    CALENDAR_DAY,
    DEFAULT_ZONE,
    CalendarDay,
    WorkCalendar,
    statutory_days,
)
from ecrm_core.org.services import head_of, today_of
from ecrm_core.sales.contracts import take_number
from ecrm_core.sales.flow import PAGE, DocumentFlow, DocumentPage
from ecrm_core.workflow.effects import Context, Mover
from ecrm_core.workflow.engine import Facts, StateChanged
from ecrm_core.workflow.model import (
    AmountLimit,
    ApprovalObtained,
    ConditionHolds,
    LinkedInState,
    Outcome,
    PlanPayment,
    PlanTask,
    RequiredFields,
    StateDef,
    StateSet,
    TransitionDef,
)
from ecrm_core.workflow.services import StateSetService, state_set_of

Data = dict[str, Any]
#: Cards per column on the board's first render (the rest by "more").
BOARD_CARDS = 20
NUMBER_PATTERN = "{seq}"
MAX_FORECAST_MONTHS = 36
#: Deals per unit of work of the escalation job.
JOB_BATCH = 2000
#: The kind whose right lets its holder record an approval on a deal (DEAL-2).
DEAL_APPROVAL = "deal_approval"
CANCELLED_INVOICE = "cancelled"


# -- the calendar (DEAL-4) ---------------------------------------------------------------


def calendar_of(uow: UnitOfWork) -> WorkCalendar:
    """The company's working-days calendar (the reference book's marked days)."""
    return WorkCalendar.of(uow.calendar_days.list())


class CalendarService:
    """The reference book of working days: read by everyone, kept by the Director and
    Administrators (DEAL-4)."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def install_defaults(self, uow: UnitOfWork) -> None:
        """The statutory holidays of this year and the next (new companies)."""
        if uow.calendar_days.first() is not None:
            return
        year = self.clock.now().year
        for day in statutory_days((year, year + 1)):
            uow.calendar_days.add(day).record_created(("day", "working", "note"))

    def days(self, actor_id: int, year: Any) -> list[CalendarDay]:
        fields = Fields()
        number = fields.whole({"year": year}, "year", upper=2999)
        if number is None or number < 1900:
            fields.errors["year"] = "a year from 1900 to 2999"
        fields.check()
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.calendar_days.list(day__gte=date(number, 1, 1),
                                          day__lte=date(number, 12, 31), order_by=("day",))

    def mark(self, actor_id: int, data: Data) -> CalendarDay | None:
        """Mark ``day`` as a day off or a working day (``working``), with a note; a day
        marked as what its weekday already is goes back to plain."""
        fields = Fields()
        day = fields.day(data, "day", required=True)
        working = bool(fields.flag(data, "working"))
        note = fields.text(data, "note", max_len=200) or ""
        fields.check()
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            current = uow.calendar_days.first(day=day)
            plain = working == (day.weekday() < 5)
            if current is not None:
                if plain:
                    current.record_deleted(("day", "working", "note"))
                    uow.calendar_days.delete(current)
                else:
                    current.apply_changes({"working": working, "note": note})
            elif not plain:
                current = uow.calendar_days.add(CalendarDay(day=day, working=working,
                                                            note=note))
                current.record_created(("day", "working", "note"))
            uow.commit()
            return None if plain else current


# -- templates (DEAL-1, DEAL-2) ----------------------------------------------------------


def _named_fields(state: StateDef, transitions: Iterable[TransitionDef], at: str
                  ) -> list[tuple[str, str]]:
    """(path, field name) of every field a state's settings name."""
    found = [(f"{at}.required[{k}]", f) for k, f in enumerate(state.required)]
    found += [(f"{at}.visible[{k}]", f) for k, f in enumerate(state.visible or ())]
    for j, guard in enumerate(state.leave_guards):
        found += _guard_fields(guard, f"{at}.leave_guards[{j}]")
    for j, action in enumerate(state.on_enter):
        if isinstance(action, PlanPayment) and action.amount is None:
            found.append((f"{at}.on_enter[{j}].amount_field", action.amount_field))
    return found


def _guard_fields(guard: Any, at: str) -> list[tuple[str, str]]:
    if isinstance(guard, RequiredFields):
        return [(f"{at}.fields[{k}]", f) for k, f in enumerate(guard.fields)]
    if isinstance(guard, AmountLimit):
        return [(f"{at}.field", guard.field)]
    return []


def check_template(states: tuple[StateDef, ...], transitions: tuple[TransitionDef, ...],
                   attributes: tuple[AttributeDef, ...]) -> dict[str, str]:
    """What a deal template's conditions may name: the deal's fields and the template's
    attributes; the conditions this area answers; no links (a deal has none)."""
    known = set(DEAL_FIELDS) | {a.code for a in attributes}
    errors: dict[str, str] = {}
    named: list[tuple[str, str]] = []
    guards: list[tuple[str, Any]] = []
    for i, s in enumerate(states):
        named += _named_fields(s, transitions, f"states[{i}]")
        guards += [(f"states[{i}].leave_guards[{j}]", g) for j, g in enumerate(s.leave_guards)]
    for i, t in enumerate(transitions):
        for j, guard in enumerate(t.guards):
            named += _guard_fields(guard, f"transitions[{i}].guards[{j}]")
            guards.append((f"transitions[{i}].guards[{j}]", guard))
    for path, name in named:
        if name not in known:
            errors[path] = "no such field or attribute of the deal"
    for path, guard in guards:
        if isinstance(guard, ConditionHolds) and guard.condition not in CONDITIONS:
            errors[f"{path}.condition"] = "one of: " + ", ".join(CONDITIONS)
        elif isinstance(guard, LinkedInState):
            errors[f"{path}.type"] = "a deal has no linked objects: use a condition"
        elif isinstance(guard, AmountLimit) and guard.field != "amount":
            errors[f"{path}.field"] = "amount"
    return errors


@attrs.frozen
class TemplateView:
    template: DealTemplate
    state_set: StateSet
    in_use: frozenset[str] = frozenset()


class DealTemplateService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock,
                 state_sets: StateSetService) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.state_sets = state_sets

    def templates(self, actor_id: int, active_only: bool = False) -> list[DealTemplate]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            filters = {"active": True} if active_only else {}
            return uow.deal_templates.list(order_by=("name", "id"), **filters)

    def template(self, actor_id: int, template_id: Any) -> TemplateView:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            template = existing(uow.deal_templates, DEAL_TEMPLATE, template_id)
            state_set = state_set_of(uow, template.set_code)
            return TemplateView(template, state_set,
                                frozenset(self.state_sets.states_in_use(uow, state_set)))

    def _save(self, uow: UnitOfWork, data: Data, current: DealTemplate | None
              ) -> DealTemplate:
        if not isinstance(data, dict):
            raise ValidationFailed.single("name", "must be an object")
        fields = Fields()
        code = book_code(fields, data, uow.deal_templates, current)
        name = book_name(fields, data, current, max_len=100)
        description = fields.text(data, "description", max_len=2000) \
            if "description" in data or current is None else current.description
        head_after = fields.whole(data, "head_after_days", upper=366) \
            if "head_after_days" in data else None
        active = fields.flag(data, "active") if "active" in data else None
        attributes = current.attributes if current else ()
        if "attributes" in data:
            try:
                attributes = parse_defs(data["attributes"])
            except ValidationFailed as exc:
                fields.errors.update(exc.errors)
        errors = dict(fields.errors)
        if current is None and code and "code" not in errors and uow.state_sets.first(
                code=set_code(code)) is not None:
            # a state set of that code left behind (the templates' sets are made only
            # with their templates)
            errors["code"] = "this code is taken"
        state_set = uow.state_sets.first(code=set_code(code)) if code and current else None
        definition: Data = {"code": set_code(code or "x"), "name": name or "—"}
        definition.update({k: data[k] for k in ("states", "transitions") if k in data})
        if current is None and "states" not in data:
            errors["states"] = "required"
        try:
            _c, _n, states, transitions = self.state_sets._definition(
                uow, definition, state_set)
        except ValidationFailed as exc:
            errors.update({k: v for k, v in exc.errors.items() if k not in ("code", "name")})
            states, transitions = (), ()
        if states and not any(k.startswith(("states", "transitions")) for k in errors):
            errors.update(check_template(states, transitions, tuple(attributes)))
        if errors:
            raise ValidationFailed(errors)
        values = {"name": name, "description": description or "", "attributes": attributes}
        if head_after is not None:
            values["head_after_days"] = head_after
        if active is not None:
            values["active"] = bool(active)
        if current is None:
            template = uow.deal_templates.add(DealTemplate(code=code, **values))
            template.record_created(("code", "name", "description", "head_after_days"))
            found = uow.state_sets.add(StateSet(code=set_code(code), name=name,
                                                states=states, transitions=transitions))
            found.record_defined()
            return template
        before = dump_defs(current.attributes)
        current.apply_changes({k: v for k, v in values.items() if k != "attributes"})
        if tuple(attributes) != current.attributes:
            current.attributes = tuple(attributes)
            current.record(ObjectChanged(subject=current.ref, changes=(
                FieldChange("attributes", before, dump_defs(attributes)),)))
        if state_set is not None and state_set.redefine(name, states, transitions):
            current.apply_changes({"revision": current.revision + 1})
        return current

    def create(self, actor_id: int, data: Data) -> DealTemplate:
        """A new template with its states (``states``, ``transitions`` as the state set
        editor takes them) and attributes (DEAL-1)."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            template = self._save(uow, data, None)
            uow.commit()
            return template

    def update(self, actor_id: int, template_id: Any, data: Data) -> DealTemplate:
        """Edit a template; states in use stay (DEAL-1), new states may be added."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            template = existing(uow.deal_templates, DEAL_TEMPLATE, template_id)
            template.check_version(expected_version(data) if isinstance(data, dict) else None)
            template = self._save(uow, data, template)
            uow.commit()
            return template

    def put(self, actor_id: int, data: Data) -> tuple[DealTemplate, bool]:
        """An import (what export wrote): the template of ``data``'s code is changed, or a
        new one added; True when added."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            code = data.get("code") if isinstance(data, dict) else None
            current = uow.deal_templates.first(code=code) if isinstance(code, str) else None
            template = self._save(uow, data, current)
            uow.commit()
            return template, current is None

    def install_defaults(self, uow: UnitOfWork) -> None:
        """The templates a new company starts with (``DEFAULT_TEMPLATES``)."""
        from ecrm_core.deals.defaults import DEFAULT_TEMPLATES

        for d in DEFAULT_TEMPLATES:
            if uow.deal_templates.first(code=d.code) is not None:
                continue
            if not all(uow.task_types.first(code=a.task_type) for s in d.states
                       for a in s.on_enter if isinstance(a, PlanTask)):
                continue
            template = uow.deal_templates.add(DealTemplate(
                code=d.code, name=d.name, description=d.description,
                attributes=d.attributes))
            template.record_created(("code", "name", "description"))
            if uow.state_sets.first(code=set_code(d.code)) is None:
                uow.state_sets.add(StateSet(code=set_code(d.code), name=d.name,
                                            states=d.states, transitions=d.transitions)
                                   ).record_defined()


# -- deals (DEAL-3, DEAL-4) --------------------------------------------------------------


#: One page of deals (a client's: ``DocumentFlow.of_counterparty``; the list).
DealPage = DocumentPage


@attrs.frozen
class BoardColumn:
    state: StateDef
    figures: ColumnFigures
    cards: list[Deal]


@attrs.frozen
class Board:
    """The pipeline board of a template (columns are its states, in order)."""

    template: DealTemplate
    state_set: StateSet
    columns: list[BoardColumn]
    client_names: dict[int, str]
    now: datetime

    @property
    def amount(self) -> Decimal:
        return sum((c.figures.amount for c in self.columns), Decimal(0))

    @property
    def weighted(self) -> Decimal:
        return sum((c.figures.weighted for c in self.columns), Decimal(0))


@attrs.frozen
class Forecast:
    months: list[MonthFigures]
    filters: Filters

    @property
    def totals(self) -> MonthFigures:
        def total(name: str) -> Decimal:
            return sum((getattr(m, name) for m in self.months), Decimal(0))
        first = self.months[0].month if self.months else date(2000, 1, 1)
        return MonthFigures(first, total("pipeline"), total("weighted"), total("planned"),
                            total("planned_weighted"), total("actual"))


def _month(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class DealService(DocumentFlow):
    KIND, REPOSITORY, STATE_SET = DEAL, "deals", SET_PREFIX

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, figures: DealFigures
                 ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.figures = figures
        self.mover = Mover(clock)

    # -- the engine's view of a deal ------------------------------------------------------

    def _set_of(self, uow: UnitOfWork, document: Deal) -> StateSet:
        return state_set_of(uow, set_code(self._template(uow, document).code))

    @staticmethod
    def _template(uow: UnitOfWork, deal: Deal) -> DealTemplate:
        return existing(uow.deal_templates, DEAL_TEMPLATE, deal.template_id)

    @staticmethod
    def facts(uow: UnitOfWork, deal: Deal) -> Facts:
        conditions = set()
        if deal.id is not None and uow.documents.count(owner_kind=DEAL, owner_id=deal.id,
                                                       limit=1):
            conditions.add(DOCUMENT_ATTACHED)
        invoices = uow.invoices.list(deal_id=deal.id) if deal.id is not None else []
        initial = {s.initial.code for s in [uow.state_sets.first(code="invoice")] if s}
        issued = [i for i in invoices if i.state not in initial | {CANCELLED_INVOICE}]
        if issued:
            conditions.add(INVOICE_ISSUED)
        if any(i.total and i.paid >= i.total for i in issued):
            conditions.add(INVOICE_PAID)
        values = {name: deal.value(name) for name in DEAL_FIELDS}
        values.update(deal.attributes)
        return Facts(ref=deal.ref, values=values,
                     amounts={"amount": deal.amount.amount},
                     approvals=frozenset(deal.approvals), conditions=frozenset(conditions))

    def context(self, uow: UnitOfWork, deal: Deal) -> Context:
        calendar = calendar_of(uow)
        zone = self._zone(uow, deal.manager_id)

        # the states whose payments are planned already: a deal that comes back to a state
        # does not plan them again (the forecast would count them twice)
        planned_before = {p.state for p in uow.deal_payments.list(deal_id=deal.id)} \
            if deal.id is not None else set()

        def plan_payment(uow: UnitOfWork, amount: Money, due_on: date) -> None:
            if deal.state in planned_before:
                return
            payment = uow.deal_payments.add(DealPayment(
                deal_id=deal.id, counterparty_id=deal.counterparty_id, amount=amount,
                due_on=due_on, state=deal.state, created_at=self.clock.now()))
            payment.record_created(("deal_id", "amount", "due_on", "state"))
            # the forecast's figure (RPT-4); past the largest sum the uncovered part is
            # nothing either way
            deal.planned = Money(min(deal.planned.amount + amount.amount, MAX_AMOUNT))

        def task_due(action: PlanTask, entered: datetime) -> datetime:
            # DEAL-2: a task's offset counts whole working days by the calendar
            days, hours = divmod(action.due_in_hours, 24)
            return calendar.add_working_days(entered, days, zone) + timedelta(hours=hours)

        def day_of(moment: datetime) -> date:
            return moment.astimezone(ZoneInfo(zone or DEFAULT_ZONE)).date()

        return Context(responsible_id=deal.manager_id, counterparty_id=deal.counterparty_id,
                       title=deal.title, chain=chain_of(uow, deal.ref),
                       plan_payment=plan_payment, task_links={"deal_id": deal.id},
                       task_due=task_due, day_of=day_of)

    @staticmethod
    def _zone(uow: UnitOfWork, employee_id: int | None) -> str | None:
        employee = uow.employees.get(employee_id) if employee_id else None
        return employee.timezone if employee is not None else None

    @staticmethod
    def _mark(deal: Deal) -> int:
        """How many changes of state the deal has recorded in this unit of work so far
        (``_follow`` takes those after the mark)."""
        return sum(isinstance(e, StateChanged) for e in deal.events)

    def _follow(self, uow: UnitOfWork, deal: Deal, state_set: StateSet, mark: int,
                reason: str = "") -> None:
        """Keep the deal's stays, norm, probability and outcome in step with the changes
        of state it recorded after ``mark`` (several when automatic transitions
        followed)."""
        now = self.clock.now()
        calendar = calendar_of(uow)
        zone = self._zone(uow, deal.manager_id)
        changes = [e for e in deal.events if isinstance(e, StateChanged)][mark:]
        for event in changes:
            for stay in uow.deal_stages.list(deal_id=deal.id, left_at=None):
                stay.left_at = now
                stay.working_hours = round(calendar.working_time(
                    stay.entered_at, now, zone).total_seconds() / 3600, 2)
            uow.deal_stages.add(DealStage(deal_id=deal.id, state=event.to_state,
                                          entered_at=now))
        self._derive(deal, state_set, calendar, zone, reason)

    def _derive(self, deal: Deal, state_set: StateSet, calendar: WorkCalendar,
                zone: str | None, reason: str = "") -> None:
        state = state_set.state(deal.state)
        assert state is not None
        entered = deal.state_entered_at or self.clock.now()
        due = None
        if state.norm_days is not None:
            due = calendar.add_working_days(entered, state.norm_days, zone)
        elif state.norm_hours is not None:
            due = entered + timedelta(hours=state.norm_hours)
        values: Data = {"due_in_state": None if state.final else due,
                        "probability": state.probability if state.probability is not None
                        else (100 if state.outcome is Outcome.WON else 0
                              if state.final else deal.probability)}
        if state.final:
            values.update(outcome=state.outcome.value if state.outcome else None,
                          closed_at=deal.closed_at or entered,
                          close_reason=reason or deal.close_reason)
        else:
            values.update(outcome=None, closed_at=None, close_reason="")
        deal.apply_changes(values)

    # -- registering and editing ------------------------------------------------------------

    def _values(self, uow: UnitOfWork, fields: Fields, data: Data, template: DealTemplate,
                client_id: int, current: Deal | None) -> Data:
        values: Data = {}
        if current is None or "name" in data:
            values["name"] = fields.text(data, "name", required=True, max_len=300)
        if current is None or "amount" in data:
            amount = money_field(fields, data, "amount")
            values["amount"] = amount if amount is not None else Money.zero()
            if amount is not None and amount.amount < 0:
                fields.errors["amount"] = "must not be negative"
        if current is None or "expected_close_on" in data:
            values["expected_close_on"] = fields.day(data, "expected_close_on")
        if current is None or "project_id" in data:
            project_id = fields.ident(data, "project_id")
            if project_id is not None and uow.projects.get(project_id) is None:
                fields.errors["project_id"] = "no such direction"
            values["project_id"] = project_id
        if current is None or "contact_id" in data:
            contact_id = fields.ident(data, "contact_id")
            if contact_id is not None:
                contact = uow.contacts.get(contact_id)
                if contact is None or contact.counterparty_id != client_id:
                    fields.errors["contact_id"] = "not a contact of this client"
            values["contact_id"] = contact_id
        if current is None or data.get("manager_id") not in (None, ""):
            manager_id = fields.ident(data, "manager_id")
            manager_id = manager_id or (current.manager_id if current else None)
            employee = uow.employees.get(manager_id) if manager_id else None
            if manager_id and (employee is None or not employee.active):
                fields.errors["manager_id"] = "no such active employee"
            if manager_id:
                values["manager_id"] = manager_id
        if current is None or "note" in data:
            values["note"] = fields.text(data, "note", max_len=4000) or ""
        if current is None or "attributes" in data:
            # the template's own "required" flags are the states' business (DEAL-2)
            loose = tuple(attrs.evolve(d, required=False) for d in template.attributes)
            values["attributes"] = attribute_values(
                fields, loose, data.get("attributes"), "attributes",
                current.attributes if current else None)
        return values

    def register(self, actor_id: int, data: Data) -> Deal:
        """A deal for ``counterparty_id`` by the template ``template_id`` (DEAL-3); it
        starts in the template's initial state, whose tasks and payments are planned."""
        fields = Fields()
        client_id = fields.ident(data, "counterparty_id", required=True)
        template_id = fields.ident(data, "template_id", required=True)
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            client = existing(uow.counterparties, "counterparty", client_id)
            policy.require(Action.CREATE, DEAL, chain_of(uow, client.ref))
            template = uow.deal_templates.get(template_id)
            if template is None or not template.active:
                raise ValidationFailed.single("template_id", "no such active deal template")
            state_set = state_set_of(uow, template.set_code)
            if "manager_id" not in data or data.get("manager_id") in (None, ""):
                data = {**data, "manager_id": actor_id}
            values = self._values(uow, fields, data, template, client.id, None)
            fields.check()
            now = self.clock.now()
            day = today_of(uow, self.clock, actor_id)
            deal = Deal(number=take_number(uow, DEAL, uow.deals, NUMBER_PATTERN, day),
                        template_id=template.id, counterparty_id=client.id,
                        author_id=actor_id, created_at=now, state=state_set.initial.code,
                        state_entered_at=now, **values)
            self._require_state_fields(deal, state_set.initial)
            uow.deals.add(deal)
            deal.record_created(("number", "template_id", "counterparty_id", "state",
                                 *Deal.EDITABLE))
            deal.tell_client("deal", None, f"{deal.title} на {deal.amount.in_rubles()}")
            uow.deal_stages.add(DealStage(deal_id=deal.id, state=deal.state, entered_at=now))
            self.mover.start(uow, state_set, deal, self.facts(uow, deal),
                             self.context(uow, deal), actor_id)
            self._follow(uow, deal, state_set, 0)
            deal.tell_state(state_set, state_set.initial.code)
            uow.commit()
            return deal

    @staticmethod
    def _require_state_fields(deal: Deal, state: StateDef) -> None:
        """The attributes the deal's state requires stay filled (DEAL-2)."""
        missing = {(f if f in DEAL_FIELDS else f"attributes.{f}"): "required in this state"
                   for f in state.required if deal.value(f) in (None, "", [], ())}
        if missing:
            raise ValidationFailed(missing)

    def update(self, actor_id: int, deal_id: Any, data: Data) -> Deal:
        """Edit a deal's card (its state's required attributes must stay filled); the
        automatic transitions that now apply are made."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            deal = self._editable(uow, policy, deal_id)
            deal.check_version(expected_version(data))
            if not deal.is_open:
                raise Conflict("the deal is closed")
            template = self._template(uow, deal)
            state_set = state_set_of(uow, template.set_code)
            fields = Fields()
            values = self._values(uow, fields, data, template, deal.counterparty_id, deal)
            fields.check()
            before_amount, before_attributes = deal.amount, dict(deal.attributes)
            if deal.apply_changes(values):
                if deal.approvals and (deal.amount != before_amount
                                       or deal.attributes != before_attributes):
                    # an approval was given to the deal as it was (DEAL-2): a new amount
                    # or new terms ask for it again
                    deal.apply_changes({"approvals": ()})
                self._require_state_fields(deal, state_set.state(deal.state))
                if deal.amount != before_amount:
                    deal.tell_client("deal", f"{deal.title} на {before_amount.in_rubles()}",
                                     f"{deal.title} на {deal.amount.in_rubles()}")
                if "manager_id" in values:
                    self._derive(deal, state_set, calendar_of(uow),
                                 self._zone(uow, deal.manager_id))
            self._settle(uow, deal, state_set, actor_id)
            uow.commit()
            return deal

    def _settle(self, uow: UnitOfWork, deal: Deal, state_set: StateSet, actor_id: int
                ) -> None:
        before, mark = deal.state, self._mark(deal)
        self.mover.settle(uow, state_set, deal, self.facts(uow, deal),
                          self.context(uow, deal), actor_id)
        self._follow(uow, deal, state_set, mark)
        deal.tell_state(state_set, before)

    def move(self, actor_id: int, deal_id: Any, to_state: Any, reason: Any = "",
             version: Any = None) -> Deal:
        """Move a deal to another state (the form, the board's drag and the API call
        this): the engine checks the roles and every condition and names those unmet
        (DEAL-2); a final state closes it as won or lost with the reason (DEAL-3)."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            deal = self._editable(uow, policy, deal_id)
            deal.check_version(expected_version({"version": version}))
            mark = self._mark(deal)
            state_set = self._moved(uow, policy, deal, to_state, reason)
            self._follow(uow, deal, state_set, mark,
                         reason.strip() if isinstance(reason, str) else "")
            uow.commit()
            return deal

    def approve(self, actor_id: int, deal_id: Any, approval: Any, version: Any = None
                ) -> Deal:
        """Record an approval (``ApprovalObtained`` conditions, DEAL-2) on a deal: by the
        Director, Sales management or the manager's department head."""
        fields = Fields()
        name = fields.text({"approval": approval}, "approval", required=True, max_len=64)
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            deal = existing(uow.deals, DEAL, deal_id)
            policy.require(Action.EDIT, DEAL_APPROVAL, chain_of(uow, deal.ref))
            deal.check_version(expected_version({"version": version}))
            if not deal.is_open:
                raise Conflict("the deal is closed")
            state_set = self._set_of(uow, deal)
            if name not in approvals_of(state_set):
                raise ValidationFailed.single("approval", "the template asks for no such "
                                              "approval")
            if name not in deal.approvals:
                deal.apply_changes({"approvals": (*deal.approvals, name)})
            self._settle(uow, deal, state_set, actor_id)
            uow.commit()
            return deal

    def delete(self, actor_id: int, deal_id: Any, version: Any = None) -> None:
        """A deal registered by mistake goes while it is in its initial state with no
        invoices or documents; its tasks stay, unlinked."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            deal = existing(uow.deals, DEAL, deal_id)
            policy.require(Action.DELETE, DEAL, chain_of(uow, deal.ref))
            deal.check_version(expected_version({"version": version}))
            state_set = self._set_of(uow, deal)
            links = {"invoices": uow.invoices.count(deal_id=deal.id, limit=1),
                     "documents": uow.documents.count(owner_kind=DEAL, owner_id=deal.id,
                                                      limit=1)}
            if deal.state != state_set.initial.code or any(links.values()):
                raise Conflict("only a deal in its first state with nothing under it can "
                               "be deleted; close it as lost instead",
                               **{k: v for k, v in links.items() if v})
            for task in uow.tasks.list(deal_id=deal.id):
                task.apply_changes({"deal_id": None})
            for repo in (uow.deal_stages, uow.deal_payments, uow.deal_escalations):
                for row in repo.list(deal_id=deal.id):
                    repo.delete(row)
            deal.record_deleted(("number", "counterparty_id", "amount"))
            deal.tell_client("deal", deal.title, None)
            uow.deals.delete(deal)
            uow.commit()

    # -- reading ----------------------------------------------------------------------------

    def card(self, actor_id: int, deal_id: Any) -> DealCard:
        """What the deal's page shows: the deal, its template and state set, its stays,
        planned payments, tasks and whether the actor may edit / approve."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            deal = existing(uow.deals, DEAL, deal_id)
            chain = chain_of(uow, deal.ref)
            policy.require(Action.VIEW, DEAL, chain)
            template = self._template(uow, deal)
            now = self.clock.now()
            return DealCard(
                deal=deal, template=template, state_set=self._set_of(uow, deal),
                stages=uow.deal_stages.list(deal_id=deal.id, order_by=("entered_at", "id")),
                payments=uow.deal_payments.list(deal_id=deal.id, order_by=("due_on", "id")),
                tasks=uow.tasks.list(deal_id=deal.id, order_by=("due_date", "id")),
                invoices=uow.invoices.list(deal_id=deal.id, order_by=("-id",)),
                invoice_states={s.code: s.name for s in invoice_set.states}
                if (invoice_set := uow.state_sets.first(code="invoice")) else {},
                may_edit=policy.allows(Action.EDIT, DEAL, chain),
                may_approve=policy.allows(Action.EDIT, DEAL_APPROVAL, chain),
                client=uow.counterparties.get(deal.counterparty_id), now=now)

    def _filters(self, uow: UnitOfWork, policy: Policy, data: Data) -> Filters:
        fields = Fields()
        values = {name: fields.ident(data, name)
                  for name in ("template_id", "manager_id", "project_id")}
        close_from, close_to = fields.day(data, "close_from"), fields.day(data, "close_to")
        if close_from and close_to and close_from > close_to:
            fields.errors["close_to"] = "before the start of the period"
        fields.check()
        if not policy.sees_all_deal_figures:
            # a manager sees the figures of their own deals (Sales management and the
            # Director see everyone's)
            if values["manager_id"] not in (None, policy.actor_id):
                raise Forbidden("you see the figures of your own deals only")
            values["manager_id"] = policy.actor_id
        return Filters(close_from=close_from, close_to=close_to, **values)

    def sees_all_figures(self, actor_id: int) -> bool:
        """Whether the actor sees everyone's board and forecast figures (the Director,
        Sales management) or only their own deals' (the filters offered on the pages)."""
        with self.uow_factory(readonly=True) as uow:
            return policy_for(uow, actor_id).sees_all_deal_figures

    def deals(self, actor_id: int, data: Data | None = None, page: Any = 1,
              state: Any = None, overdue_only: bool = False) -> DealPage:
        """Deals by the board's filters (a manager: their own), newest first; a state's
        column; only those over their norm."""
        number = page_number(page)
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            filters = self._filters(uow, policy, data or {})
            query = self._query(filters)
            if isinstance(state, str) and state:
                query["state"] = state
            if overdue_only:
                query.update(closed_at=None, due_in_state__lte=self.clock.now())
            return DealPage(uow.deals.list(order_by=("-id",), limit=PAGE,
                                           offset=(number - 1) * PAGE, **query),
                            uow.deals.count(**query), number)

    @staticmethod
    def _query(filters: Filters) -> Data:
        query: Data = {k: v for k, v in (
            ("template_id", filters.template_id), ("manager_id", filters.manager_id),
            ("project_id", filters.project_id)) if v is not None}
        if filters.close_from:
            query["expected_close_on__gte"] = filters.close_from
        if filters.close_to:
            query["expected_close_on__lte"] = filters.close_to
        return query

    def board(self, actor_id: int, template_id: Any, data: Data | None = None,
              per_column: int = BOARD_CARDS) -> Board:
        """The pipeline board of a template: a column per state with its open deals'
        count, amount and weighted amount (amount × probability) and the first cards,
        longest in the state first."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            template = existing(uow.deal_templates, DEAL_TEMPLATE, template_id)
            filters = attrs.evolve(self._filters(uow, policy, data or {}),
                                   template_id=template.id)
            state_set = state_set_of(uow, template.set_code)
            now = self.clock.now()
            figures = self.figures.columns(uow, filters, now)
            query = self._query(filters)
            columns = []
            for state in state_set.ordered():
                found = figures.get(state.code, ColumnFigures())
                cards = uow.deals.list(state=state.code, closed_at=None,
                                       order_by=("state_entered_at", "id"),
                                       limit=per_column, **query) if found.count else []
                columns.append(BoardColumn(state, found, cards))
            ids = sorted({d.counterparty_id for c in columns for d in c.cards})
            names = {c.id: c.name for c in uow.counterparties.list(id__in=ids)} if ids else {}
            return Board(template, state_set, columns, names, now)

    def forecast(self, actor_id: int, data: Data | None = None) -> Forecast:
        """Expected revenue by month (RPT-4): open deals weighted by their state's
        probability, their planned payments, beside the payments received."""
        data = data or {}
        fields = Fields()
        months = fields.whole(data, "months", upper=MAX_FORECAST_MONTHS)
        if "months" in fields.errors or months == 0:
            fields.errors["months"] = f"a whole number from 1 to {MAX_FORECAST_MONTHS}"
        months = months or 12
        start = fields.day(data, "start")
        fields.check()
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            filters = self._filters(uow, policy, data)
            first = _month(start or today_of(uow, self.clock, actor_id))
            last = _add_months(first, max(months, 1) - 1)
            return Forecast(self.figures.forecast(uow, filters, first, last), filters)

    # -- what other areas tell (DEAL-2 conditions on invoices and documents) ---------------

    def follow(self, uow: UnitOfWork, deal_id: int | None, actor_id: int) -> None:
        """Something a deal's conditions look at changed (its invoice moved or was paid, a
        document came or went): make the automatic transitions that now apply, in the
        caller's unit of work."""
        deal = uow.deals.get(deal_id) if deal_id else None
        if deal is None or not deal.is_open:
            return
        self._settle(uow, deal, self._set_of(uow, deal), actor_id)

    def follow_invoice(self, uow: UnitOfWork, invoice: Any, actor_id: int) -> None:
        self.follow(uow, invoice.deal_id, actor_id)

    def follow_document(self, uow: UnitOfWork, owner: ObjectRef, actor_id: int) -> None:
        if owner.kind == DEAL:
            self.follow(uow, owner.id, actor_id)

    def states_in_use(self, uow: UnitOfWork, state_set: StateSet) -> set[str]:
        if not state_set.code.startswith(SET_PREFIX):
            return set()
        template = uow.deal_templates.first(code=state_set.code[len(SET_PREFIX):])
        if template is None:
            return set()
        return {code for code in state_set.codes
                if uow.deals.count(template_id=template.id, state=code, limit=1)}

    # -- DEAL-4: escalation of over-norm deals --------------------------------------------

    def escalate(self, batch: int = JOB_BATCH) -> int:
        """Tell the manager of every open deal over its state's norm, and — the
        template's ``head_after_days`` working days later — their head; once per stay
        and level (a unique row per deal, stay and level: two workers cannot both send).
        Returns how many notices were sent."""
        sent = 0
        for level in (Level.MANAGER, Level.HEAD):
            after = 0
            while True:
                with self.uow_factory() as uow:
                    now = self.clock.now()
                    rows = self.figures.overdue(uow, now, int(level), after, batch)
                    if not rows:
                        break
                    after = rows[-1].id
                    sent += self._escalate_batch(uow, rows, level, now)
                    uow.commit()
        return sent

    def _escalate_batch(self, uow: UnitOfWork, rows: list, level: Level, now: datetime
                        ) -> int:
        calendar = calendar_of(uow)
        templates = {t.id: t for t in uow.deal_templates.list()}
        # per manager (a batch holds many deals of few managers): their zone and whom
        # this level tells — the manager, or their head
        told: dict[int, tuple[str | None, int | None]] = {}
        for manager_id in {row.manager_id for row in rows}:
            manager = uow.employees.get(manager_id)
            if manager is None:
                told[manager_id] = (None, None)
            elif level is Level.HEAD:
                told[manager_id] = (manager.timezone, head_of(uow, manager))
            else:
                told[manager_id] = (manager.timezone, manager.id if manager.active else None)
        sent = 0
        for row in rows:
            zone, recipient = told[row.manager_id]
            if level is Level.HEAD:
                template = templates.get(row.template_id)
                after = template.head_after_days if template else 0
                if calendar.add_working_days(row.due_in_state, after, zone) > now:
                    continue
            uow.deal_escalations.add(DealEscalation(
                deal_id=row.id, entered_at=row.state_entered_at, level=int(level),
                recipient_id=recipient, sent_at=now, state=row.state))
            if recipient is None:
                continue
            over = "превышен норматив" if level is Level.MANAGER else \
                "превышен норматив, сотрудник уведомлён"
            post(uow, self.clock, kind=MessageKind.NOTIFICATION, recipient_id=recipient,
                 text=f"Сделка № {row.number} «{row.name}»: {over} пребывания в состоянии",
                 subject=ObjectRef(DEAL, row.id))
            sent += 1
        return sent


def approvals_of(state_set: StateSet, state: str | None = None) -> list[str]:
    """The approvals a template's conditions ask for (DEAL-2): all of them, or those the
    state ``state`` or its ways out name, in the order they are named."""
    guards = []
    for s in state_set.states:
        if state is None or s.code == state:
            guards.extend(s.leave_guards)
    for t in state_set.transitions:
        if state is None or t.from_state == state:
            guards.extend(t.guards)
    found: list[str] = []
    for g in guards:
        if isinstance(g, ApprovalObtained) and g.approval not in found:
            found.append(g.approval)
    return found


@attrs.frozen
class DealCard:
    deal: Deal
    template: DealTemplate
    state_set: StateSet
    stages: list[DealStage]
    payments: list[DealPayment]
    tasks: list[Any]
    #: the invoices issued for the deal, newest first, and the invoice states' names
    invoices: list[Any]
    invoice_states: dict[str, str]
    may_edit: bool
    may_approve: bool
    client: Any
    now: datetime

    @property
    def wanted_approvals(self) -> list[str]:
        """The approvals the deal's state or its ways out ask for and it lacks (what the
        page offers to record)."""
        if not self.deal.is_open:
            return []
        return [a for a in approvals_of(self.state_set, self.deal.state)
                if a not in self.deal.approvals]

    def time_in_states(self) -> dict[str, timedelta]:
        """How long the deal has spent in each state (DEAL-4)."""
        spent: dict[str, timedelta] = {}
        for stay in self.stages:
            spent[stay.state] = spent.get(stay.state, timedelta(0)) + stay.length(self.now)
        return spent


def month_range(first: date, last: date) -> list[date]:
    months, cursor = [], first
    while cursor <= last:
        months.append(cursor)
        cursor = _add_months(cursor, 1)
    return months


__all__ = ["CALENDAR_DAY", "MAX_AMOUNT", "Board", "CalendarService", "DealService",
           "DealTemplateService", "Forecast", "month_range"]
