"""State sets as data (REQ-4, INV-2, DEAL-1, DEAL-2, DEAL-4, ORD-3, AUTO-1).

A ``StateSet`` is an entry of the reference book of state sets: the states an object of
one kind (``code``: "request", "invoice", later "deal:<template>", "order") goes through,
the transitions between them, who may make each, the guards each must pass and what
happens on entering a state. Everything here is a frozen value object; the engine
(``workflow.engine``) reads them, ``check_definition`` says whether a whole set is sound.

Guards (DEAL-2 "conditions to change state") are data too, one class per kind:

- ``RequiredFields``  — these attributes of the object are filled;
- ``LinkedInState``   — a linked object (its contract, its invoice) is in one of the states;
- ``ApprovalObtained``— an approval (ORD-2: the connection estimate) was obtained;
- ``AmountLimit``     — an amount above the limit needs one of the given roles;
- ``ConditionHolds``  — a named condition the object's area answers ("paid_in_full"): what
  automatic transitions wait for.

On-enter actions (DEAL-2 "planning of contacts or payments when entering it", AUTO-1) are
data: ``PlanTask``, ``PlanPayment``, ``NotifyEmployees``, ``EmailClient``. The engine only
returns them; the area's use case carries them out in the same unit of work.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import ClassVar

import attrs

from ecrm_core.access.model import Role
from ecrm_core.kernel.errors import ValidationFailed
from ecrm_core.kernel.events import FieldChange, ObjectChanged, ObjectCreated
from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.money import MAX_AMOUNT

STATE_SET = "state_set"

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: A state set's code may name a variant: "deal:long_sale" (DEAL-1 templates).
SET_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}(:[a-z0-9_]{1,40})?$")
COLOUR_RE = re.compile(r"^#[0-9a-f]{6}$")
#: The longest normative duration or task lead: a leap year, in hours.
MAX_HOURS = 366 * 24
MAX_DAYS = 366
MAX_NAME = 100
MAX_TEXT = 1000
#: Field, link, approval and condition names a guard may refer to.
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,63}$")

CODE_MESSAGE = "Latin small letters, digits and underscores; starts with a letter"
NAME_MESSAGE = "Latin letters, digits, dots and underscores; starts with a letter"


# -- guards ---------------------------------------------------------------------------


@attrs.frozen
class RequiredFields:
    """These attributes of the object must be filled (DEAL-2)."""

    fields: tuple[str, ...]
    type: ClassVar[str] = "required_fields"


@attrs.frozen
class LinkedInState:
    """The object linked as ``link`` ("contract", "invoice") is in one of ``states``."""

    link: str
    states: frozenset[str]
    type: ClassVar[str] = "linked_in_state"


@attrs.frozen
class ApprovalObtained:
    """The approval ``approval`` (ORD-2: "estimate") has been obtained."""

    approval: str
    type: ClassVar[str] = "approval_obtained"


@attrs.frozen
class AmountLimit:
    """Above ``limit`` (the value of the amount ``field``, in rubles) only holders of one of
    ``roles_above`` (or the Director) may make the transition."""

    field: str
    limit: Decimal
    roles_above: frozenset[Role] = frozenset()
    type: ClassVar[str] = "amount_limit"


@attrs.frozen
class ConditionHolds:
    """A named condition the object's area answers ("paid_in_full", "partly_paid")."""

    condition: str
    type: ClassVar[str] = "condition_holds"


Guard = RequiredFields | LinkedInState | ApprovalObtained | AmountLimit | ConditionHolds
GUARDS: tuple[type, ...] = (
    RequiredFields, LinkedInState, ApprovalObtained, AmountLimit, ConditionHolds)


# -- on-enter actions -----------------------------------------------------------------


class Recipient(enum.StrEnum):
    """Whom ``NotifyEmployees`` writes to."""

    #: the employee responsible for the object
    RESPONSIBLE = "responsible"
    #: their head (their own, else their department's up the tree)
    HEAD = "head"
    #: the holders of ``role`` over the object
    ROLE = "role"


@attrs.frozen
class PlanTask:
    """Plan a task of the typical task ``task_type`` for the object's responsible employee
    (``who``: RESPONSIBLE) or their head (HEAD), due ``due_in_hours`` after the state is
    entered (DEAL-2)."""

    task_type: str
    due_in_hours: int
    what: str = ""
    who: Recipient = Recipient.RESPONSIBLE
    type: ClassVar[str] = "plan_task"

    def due_at(self, entered_at: datetime) -> datetime:
        return entered_at + timedelta(hours=self.due_in_hours)


@attrs.frozen
class PlanPayment:
    """Plan a payment of ``percent`` of the amount ``amount_field`` — or of the fixed
    ``amount`` (rubles) when it is given — due ``due_in_days`` after the state is entered
    (DEAL-2)."""

    amount_field: str = "total"
    percent: Decimal = Decimal(100)
    due_in_days: int = 0
    amount: Decimal | None = None
    type: ClassVar[str] = "plan_payment"

    def sum_of(self, base: Decimal | None) -> Decimal | None:
        """What the payment is for an object whose ``amount_field`` is ``base``: the fixed
        amount, else the share of ``base`` (None: nothing to plan)."""
        if self.amount is not None:
            return self.amount if self.amount > 0 else None
        if base is None or base <= 0:
            return None
        return base * self.percent / 100

    def due_at(self, entered_at: datetime) -> datetime:
        return entered_at + timedelta(days=self.due_in_days)


@attrs.frozen
class NotifyEmployees:
    """Send a system message (ORG messages) to ``who``."""

    who: Recipient
    text: str
    role: Role | None = None
    type: ClassVar[str] = "notify_employees"


@attrs.frozen
class EmailClient:
    """E-mail the client's contact by the template ``template`` (MAIL-6)."""

    template: str
    type: ClassVar[str] = "email_client"


OnEnter = PlanTask | PlanPayment | NotifyEmployees | EmailClient
ON_ENTER: tuple[type, ...] = (PlanTask, PlanPayment, NotifyEmployees, EmailClient)


# -- states and transitions -----------------------------------------------------------


class Outcome(enum.StrEnum):
    """What a final state of a deal means (DEAL-3: won / lost with a reason)."""

    WON = "won"
    LOST = "lost"


@attrs.frozen
class StateDef:
    """A state: ``order`` places it in lists and boards; ``norm_hours`` (calendar hours) or
    ``norm_days`` (working days by the company's calendar) is how long an object should
    stay in it (DEAL-4: longer → overdue in the state).

    What a deal template sets per state (DEAL-2): ``leave_guards`` — the conditions to
    leave it (checked on every transition out of it, besides the transition's own
    guards); ``required`` — the attributes that must be filled to enter it (and stay in
    it); ``visible`` — the attributes the card shows in it (None: all); ``probability``
    — the win probability in percent (the pipeline's weighted totals and the forecast,
    RPT-4); ``outcome`` — for a final state, whether the object was won or lost."""

    code: str
    name: str
    order: int = 0
    initial: bool = False
    final: bool = False
    colour: str = "#9e9e9e"
    norm_hours: int | None = None
    on_enter: tuple[OnEnter, ...] = ()
    norm_days: int | None = None
    probability: int | None = None
    outcome: Outcome | None = None
    required: tuple[str, ...] = ()
    visible: tuple[str, ...] | None = None
    leave_guards: tuple[Guard, ...] = ()

    def shows(self, field: str) -> bool:
        """Whether the card shows the attribute ``field`` in this state (a required one
        always shows)."""
        return self.visible is None or field in self.visible or field in self.required


@attrs.frozen
class TransitionDef:
    """A permitted change of state. ``roles``: who may make it (empty: whoever may edit
    the object); an ``automatic`` one is made by the system as soon as its guards hold
    and is never offered to people."""

    from_state: str
    to_state: str
    name: str
    roles: frozenset[Role] = frozenset()
    guards: tuple[Guard, ...] = ()
    automatic: bool = False
    reason_required: bool = False


@entity
class StateSet(Aggregate):
    """An entry of the reference book of state sets (REQ-4, INV-2, DEAL-1). The area
    that uses a set finds it by ``code``; the code never changes."""

    kind: ClassVar[str] = STATE_SET

    code: str
    name: str
    states: tuple[StateDef, ...] = ()
    transitions: tuple[TransitionDef, ...] = ()

    @property
    def initial(self) -> StateDef:
        return next(s for s in self.states if s.initial)

    def state(self, code: str | None) -> StateDef | None:
        return next((s for s in self.states if s.code == code), None)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(s.code for s in self.states)

    def ordered(self) -> list[StateDef]:
        return sorted(self.states, key=lambda s: (s.order, s.code))

    def outgoing(self, code: str) -> tuple[TransitionDef, ...]:
        return tuple(t for t in self.transitions if t.from_state == code)

    def between(self, from_state: str, to_state: str) -> TransitionDef | None:
        return next((t for t in self.transitions
                     if t.from_state == from_state and t.to_state == to_state), None)

    def check(self) -> None:
        """Raise ValidationFailed naming every unsound part (``states[2].colour``)."""
        errors = check_definition(self.code, self.name, self.states, self.transitions)
        if errors:
            raise ValidationFailed(errors)

    def record_defined(self) -> None:
        from ecrm_core.workflow.definition import dump_states, dump_transitions

        self.record(ObjectCreated(subject=self.ref, changes=(
            FieldChange("code", None, self.code),
            FieldChange("name", None, self.name),
            FieldChange("states", None, dump_states(self.states)),
            FieldChange("transitions", None, dump_transitions(self.transitions)),
        )))

    def redefine(self, name: str, states: Iterable[StateDef],
                 transitions: Iterable[TransitionDef]) -> bool:
        """Replace the definition; records old → new (as plain data) of what changed."""
        from ecrm_core.workflow.definition import dump_states, dump_transitions

        states, transitions = tuple(states), tuple(transitions)
        changes = []
        if name != self.name:
            changes.append(FieldChange("name", self.name, name))
        if states != self.states:
            changes.append(FieldChange("states", dump_states(self.states), dump_states(states)))
        if transitions != self.transitions:
            changes.append(FieldChange("transitions", dump_transitions(self.transitions),
                                       dump_transitions(transitions)))
        if not changes:
            return False
        self.name, self.states, self.transitions = name, states, transitions
        self.record(ObjectChanged(subject=self.ref, changes=tuple(changes)))
        return True


# -- soundness of a whole set -----------------------------------------------------------


def _guard_errors(guard: Guard, at: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if isinstance(guard, RequiredFields):
        if not guard.fields:
            errors[f"{at}.fields"] = "add at least one field"
        for i, name in enumerate(guard.fields):
            if not NAME_RE.match(name):
                errors[f"{at}.fields[{i}]"] = NAME_MESSAGE
    elif isinstance(guard, LinkedInState):
        if not NAME_RE.match(guard.link):
            errors[f"{at}.link"] = NAME_MESSAGE
        if not guard.states:
            errors[f"{at}.states"] = "add at least one state"
        elif not all(CODE_RE.match(s) for s in guard.states):
            errors[f"{at}.states"] = CODE_MESSAGE
    elif isinstance(guard, ApprovalObtained):
        if not NAME_RE.match(guard.approval):
            errors[f"{at}.approval"] = NAME_MESSAGE
    elif isinstance(guard, AmountLimit):
        if not NAME_RE.match(guard.field):
            errors[f"{at}.field"] = NAME_MESSAGE
        if not guard.limit.is_finite() or guard.limit < 0:
            errors[f"{at}.limit"] = "must not be negative"
    elif isinstance(guard, ConditionHolds) and not NAME_RE.match(guard.condition):
        errors[f"{at}.condition"] = NAME_MESSAGE
    return errors


def _hours_error(value: int | None, low: int, high: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"a whole number from {low} to {high}"
    return None


def _on_enter_errors(action: OnEnter, at: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if isinstance(action, PlanTask):
        if not CODE_RE.match(action.task_type):
            errors[f"{at}.task_type"] = CODE_MESSAGE
        if message := _hours_error(action.due_in_hours, 0, MAX_HOURS):
            errors[f"{at}.due_in_hours"] = message
        if len(action.what) > MAX_TEXT:
            errors[f"{at}.what"] = f"at most {MAX_TEXT} characters"
        if action.who not in (Recipient.RESPONSIBLE, Recipient.HEAD):
            errors[f"{at}.who"] = "the responsible employee or their head"
    elif isinstance(action, PlanPayment):
        if not NAME_RE.match(action.amount_field):
            errors[f"{at}.amount_field"] = NAME_MESSAGE
        if not (action.percent.is_finite() and 0 < action.percent <= 100):
            errors[f"{at}.percent"] = "a percentage above 0 and at most 100"
        if message := _hours_error(action.due_in_days, 0, MAX_DAYS):
            errors[f"{at}.due_in_days"] = message
        if action.amount is not None and not (
                action.amount.is_finite() and 0 < action.amount <= MAX_AMOUNT):
            errors[f"{at}.amount"] = "an amount above 0"
    elif isinstance(action, NotifyEmployees):
        if not action.text.strip():
            errors[f"{at}.text"] = "required"
        elif len(action.text) > MAX_TEXT:
            errors[f"{at}.text"] = f"at most {MAX_TEXT} characters"
        if action.who is Recipient.ROLE and action.role is None:
            errors[f"{at}.role"] = "required"
        if action.who is not Recipient.ROLE and action.role is not None:
            errors[f"{at}.role"] = "only when the message goes to a role"
    elif isinstance(action, EmailClient) and not CODE_RE.match(action.template):
        errors[f"{at}.template"] = CODE_MESSAGE
    return errors


def _name_error(name: str) -> str | None:
    if not name or not name.strip():
        return "required"
    if len(name) > MAX_NAME:
        return f"at most {MAX_NAME} characters"
    return None


def _automatic_cycle(transitions: tuple[TransitionDef, ...]) -> int | None:
    """The index of an automatic transition that closes a cycle of automatic ones."""
    graph: dict[str, list[tuple[int, str]]] = {}
    for i, t in enumerate(transitions):
        if t.automatic:
            graph.setdefault(t.from_state, []).append((i, t.to_state))
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str) -> int | None:
        state[node] = 1
        for index, nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return index
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def check_definition(code: str, name: str, states: tuple[StateDef, ...],
                     transitions: tuple[TransitionDef, ...]) -> dict[str, str]:
    """Every reason the set is unsound, by field path (empty: sound). A sound set has
    exactly one initial state, which is not final; unique state codes; valid colours and
    norms; transitions between existing, different states, none leaving a final state,
    each pair once; every state reachable from the initial one; a way out of every
    state that is not final; automatic transitions without roles and without cycles (so
    that automatic transitions always settle)."""
    errors: dict[str, str] = {}
    if not SET_CODE_RE.match(code or ""):
        errors["code"] = CODE_MESSAGE
    if message := _name_error(name):
        errors["name"] = message
    if not states:
        errors["states"] = "add at least one state"
        return errors
    seen: set[str] = set()
    for i, s in enumerate(states):
        at = f"states[{i}]"
        if not CODE_RE.match(s.code or ""):
            errors[f"{at}.code"] = CODE_MESSAGE
        elif s.code in seen:
            errors[f"{at}.code"] = "this code is taken"
        seen.add(s.code)
        if message := _name_error(s.name):
            errors[f"{at}.name"] = message
        if not COLOUR_RE.match(s.colour or ""):
            errors[f"{at}.colour"] = "a colour like #1e88e5"
        if message := _hours_error(s.norm_hours, 1, MAX_HOURS):
            errors[f"{at}.norm_hours"] = message
        if message := _hours_error(s.norm_days, 1, MAX_DAYS):
            errors[f"{at}.norm_days"] = message
        elif s.norm_days is not None and s.norm_hours is not None:
            errors[f"{at}.norm_days"] = "give the norm in hours or in working days, not both"
        if message := _hours_error(s.probability, 0, 100):
            errors[f"{at}.probability"] = message
        if s.outcome is not None and not s.final:
            errors[f"{at}.outcome"] = "only a final state is won or lost"
        for name_at, names in (("required", s.required), ("visible", s.visible or ())):
            for k, field in enumerate(names):
                if not NAME_RE.match(field):
                    errors[f"{at}.{name_at}[{k}]"] = NAME_MESSAGE
        if s.final and s.leave_guards:
            errors[f"{at}.leave_guards"] = "a final state cannot be left"
        for j, guard in enumerate(s.leave_guards):
            errors.update(_guard_errors(guard, f"{at}.leave_guards[{j}]"))
        if s.initial and s.final:
            errors[f"{at}.final"] = "the initial state cannot be final"
        for j, action in enumerate(s.on_enter):
            errors.update(_on_enter_errors(action, f"{at}.on_enter[{j}]"))
    initial = [s for s in states if s.initial]
    if len(initial) != 1:
        errors["states"] = "exactly one state must be initial"
    by_code = {s.code: s for s in states}
    pairs: set[tuple[str, str]] = set()
    for i, t in enumerate(transitions):
        at = f"transitions[{i}]"
        for end in ("from_state", "to_state"):
            if getattr(t, end) not in by_code:
                errors[f"{at}.{end}"] = "no such state"
        if t.from_state == t.to_state:
            errors[f"{at}.to_state"] = "a state cannot lead to itself"
        elif (t.from_state, t.to_state) in pairs:
            errors[f"{at}.to_state"] = "this transition is already defined"
        pairs.add((t.from_state, t.to_state))
        if t.from_state in by_code and by_code[t.from_state].final:
            errors[f"{at}.from_state"] = "a final state cannot be left"
        if message := _name_error(t.name):
            errors[f"{at}.name"] = message
        if t.automatic and t.roles:
            errors[f"{at}.roles"] = (
                "automatic transitions are made by the system: leave the roles empty")
        for j, guard in enumerate(t.guards):
            errors.update(_guard_errors(guard, f"{at}.guards[{j}]"))
    if errors:
        return errors
    reachable = {initial[0].code}
    frontier = [initial[0].code]
    while frontier:
        current = frontier.pop()
        for t in transitions:
            if t.from_state == current and t.to_state not in reachable:
                reachable.add(t.to_state)
                frontier.append(t.to_state)
    leaving = {t.from_state for t in transitions}
    for i, s in enumerate(states):
        if s.code not in reachable:
            errors[f"states[{i}].code"] = "unreachable from the initial state"
        elif not s.final and s.code not in leaving:
            errors[f"states[{i}].final"] = "a state that is not final needs a way out"
    cycle = _automatic_cycle(tuple(transitions))
    if cycle is not None:
        errors[f"transitions[{cycle}].automatic"] = "automatic transitions must not form a cycle"
    return errors
