"""The one workflow engine: what an object in a state may do next, and what a change of
state brings (REQ-4, INV-2, DEAL-2, DEAL-4, AUTO-1).

Pure functions over a ``StateSet``, the object's current state, what the object's area
tells about the object (a ``WorkflowSubject``) and the roles the actor holds over it. The
engine reads no storage and no clock, carries nothing out and changes nothing: it answers
with ``TransitionOutcome``s — the new state, the on-enter actions to carry out and the
``StateChanged`` event that the object records, so that the unit of work writes the
history row (who — the unit of work's actor — when, from, to, transition, reason).

The caller (the area's use case) first asks the policy whether the actor may edit the
object at all; the engine then applies the transition's own roles and guards. After any
change of the object (or of its state) the caller runs ``automatic`` and applies its
outcomes too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import attrs

from ecrm_core.access.model import Role
from ecrm_core.kernel.errors import Conflict, Forbidden, ValidationFailed
from ecrm_core.kernel.events import DomainEvent, FieldChange
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.workflow.model import (
    MAX_TEXT,
    AmountLimit,
    ApprovalObtained,
    ConditionHolds,
    Guard,
    LinkedInState,
    OnEnter,
    Outcome,
    RequiredFields,
    StateDef,
    StateSet,
    TransitionDef,
)


class WorkflowSubject(Protocol):
    """What the engine asks about the object being moved; its area answers."""

    @property
    def ref(self) -> ObjectRef: ...

    def value(self, field: str) -> Any:
        """The attribute's value (None, "" or an empty collection: not filled)."""

    def linked_state(self, link: str) -> str | None:
        """The state of the object linked as ``link`` ("contract"), None if none."""

    def has_approval(self, approval: str) -> bool: ...

    def amount(self, field: str) -> Decimal | None:
        """The amount ``field`` in rubles (a Decimal; a ``Money`` is read by its amount)."""

    def holds(self, condition: str) -> bool:
        """Whether the named condition holds ("paid_in_full"); False for unknown names."""


@attrs.frozen(eq=False)
class Facts:
    """A ``WorkflowSubject`` from plain values, for areas that gather them up front (and
    for tests)."""

    ref: ObjectRef
    values: Mapping[str, Any] = attrs.field(factory=dict)
    links: Mapping[str, str] = attrs.field(factory=dict)
    approvals: frozenset[str] = frozenset()
    amounts: Mapping[str, Decimal] = attrs.field(factory=dict)
    conditions: frozenset[str] = frozenset()

    def value(self, field: str) -> Any:
        return self.values.get(field)

    def linked_state(self, link: str) -> str | None:
        return self.links.get(link)

    def has_approval(self, approval: str) -> bool:
        return approval in self.approvals

    def amount(self, field: str) -> Decimal | None:
        return self.amounts.get(field)

    def holds(self, condition: str) -> bool:
        return condition in self.conditions


@attrs.frozen(kw_only=True)
class StateChanged(DomainEvent):
    """The object moved from one state to another: its history row names the state
    (old → new codes), the transition, the reason and whether the system made it."""

    from_state: str | None
    to_state: str
    transition: str
    reason: str = ""
    automatic: bool = False

    @classmethod
    def of(cls, subject: ObjectRef, from_state: str | None, to_state: str, transition: str,
           reason: str = "", automatic: bool = False) -> StateChanged:
        changes = [FieldChange("state", from_state, to_state),
                   FieldChange("transition", None, transition)]
        if reason:
            changes.append(FieldChange("reason", None, reason))
        if automatic:
            changes.append(FieldChange("automatic", None, True))
        return cls(subject=subject, changes=tuple(changes), from_state=from_state,
                   to_state=to_state, transition=transition, reason=reason,
                   automatic=automatic)


@attrs.frozen
class Blocker:
    """An unmet guard: the field (attribute, link, approval, amount or condition) it
    names and why."""

    field: str
    message: str
    guard: Guard


@attrs.frozen
class Option:
    """A manual transition out of the current state, as the actor sees it."""

    transition: TransitionDef
    target: StateDef
    #: the actor's roles allow it
    permitted: bool
    #: the guards not met now
    blockers: tuple[Blocker, ...]

    @property
    def open(self) -> bool:
        return self.permitted and not self.blockers


@attrs.frozen
class TransitionOutcome:
    """What a change of state brings: the new state, the on-enter actions of the state
    entered (for the caller to carry out) and the event to record (None when an object
    starts in its initial state: its creation is its history)."""

    from_state: str | None
    to_state: str
    transition: TransitionDef | None
    effects: tuple[OnEnter, ...]
    event: StateChanged | None

    def apply_to(self, obj: Any, at: datetime) -> None:
        """Move an aggregate with ``state`` (and, if it has one, ``state_entered_at``)
        and record the event on it."""
        obj.state = self.to_state
        if hasattr(obj, "state_entered_at"):
            obj.state_entered_at = at
        if self.event is not None:
            obj.record(self.event)


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | set | frozenset | dict):
        return bool(value)
    return True


def _amount(value: Any) -> Decimal | None:
    value = getattr(value, "amount", value)  # Money
    return value if isinstance(value, Decimal | int) and not isinstance(value, bool) else None


def permitted(transition: TransitionDef, roles: Collection[Role]) -> bool:
    """The transition's roles allow it (no roles: whoever may edit the object; the
    Director may make every transition, as the policy lets them do everything)."""
    return not transition.roles or Role.DIRECTOR in roles or bool(
        transition.roles.intersection(roles))


def conditions(state_set: StateSet | None, transition: TransitionDef) -> tuple[Guard, ...]:
    """Everything a transition must pass (DEAL-2): the conditions to leave its state
    (``StateDef.leave_guards``), its own guards, and the attributes its target state
    requires. The conditions to leave a state are what moving *on* takes: they do not
    hold back closing the object as lost (a target whose outcome is LOST) — a deal
    awaiting a discount approval can still be lost."""
    if state_set is None:
        return transition.guards
    source, target = state_set.state(transition.from_state), state_set.state(
        transition.to_state)
    giving_up = target is not None and target.outcome is Outcome.LOST
    found: list[Guard] = list(source.leave_guards) if source is not None and not giving_up \
        else []
    found.extend(transition.guards)
    if target is not None and target.required:
        found.append(RequiredFields(target.required))
    return tuple(found)


def unmet(transition: TransitionDef, subject: WorkflowSubject,
          roles: Collection[Role] = (), state_set: StateSet | None = None
          ) -> tuple[Blocker, ...]:
    """The conditions of the transition (``conditions``: with ``state_set``, its states'
    too) that do not hold for ``subject`` and an actor holding ``roles`` (the system,
    for automatic transitions, holds none)."""
    found: list[Blocker] = []
    for guard in conditions(state_set, transition):
        if isinstance(guard, RequiredFields):
            found.extend(Blocker(f, "required", guard) for f in guard.fields
                         if not _filled(subject.value(f)))
        elif isinstance(guard, LinkedInState):
            if subject.linked_state(guard.link) not in guard.states:
                found.append(Blocker(guard.link, "not in a state that allows this", guard))
        elif isinstance(guard, ApprovalObtained):
            if not subject.has_approval(guard.approval):
                found.append(Blocker(guard.approval, "approval not obtained", guard))
        elif isinstance(guard, AmountLimit):
            amount = _amount(subject.amount(guard.field))
            if amount is not None and amount > guard.limit and not (
                    Role.DIRECTOR in roles or guard.roles_above.intersection(roles)):
                found.append(Blocker(guard.field, "above the limit for your role", guard))
        elif isinstance(guard, ConditionHolds) and not subject.holds(guard.condition):
            found.append(Blocker(guard.condition, "the condition is not met", guard))
    return tuple(found)


def _known(state_set: StateSet, current: str) -> StateDef:
    state = state_set.state(current)
    if state is None:
        raise Conflict("the object is in a state its state set does not have")
    return state


def available(state_set: StateSet, current: str, subject: WorkflowSubject,
              roles: Collection[Role]) -> tuple[Option, ...]:
    """The manual transitions out of ``current``, in the order of their target states,
    each with whether the actor's roles allow it and which guards block it now."""
    _known(state_set, current)
    found = []
    for t in state_set.outgoing(current):
        if t.automatic:
            continue
        target = state_set.state(t.to_state)
        assert target is not None  # a sound set (check_definition)
        found.append(Option(t, target, permitted(t, roles),
                            unmet(t, subject, roles, state_set)))
    return tuple(sorted(found, key=lambda o: (o.target.order, o.target.code)))


def _outcome(state_set: StateSet, t: TransitionDef, subject: WorkflowSubject, reason: str,
             automatic: bool) -> TransitionOutcome:
    target = state_set.state(t.to_state)
    assert target is not None
    return TransitionOutcome(
        from_state=t.from_state, to_state=t.to_state, transition=t, effects=target.on_enter,
        event=StateChanged.of(subject.ref, t.from_state, t.to_state, t.name, reason,
                              automatic))


def transition(state_set: StateSet, current: str, to_state: Any, subject: WorkflowSubject,
               roles: Collection[Role], reason: Any = "") -> TransitionOutcome:
    """Move ``subject`` from ``current`` to ``to_state`` by hand.

    Conflict: no such transition from the current state (or it is automatic);
    Forbidden: the actor's roles do not allow it; ValidationFailed: unmet guards (named
    by the field each names) and a missing or overlong ``reason``, all at once."""
    _known(state_set, current)
    if not isinstance(to_state, str) or state_set.state(to_state) is None:
        raise ValidationFailed.single("to_state", "no such state")
    t = state_set.between(current, to_state)
    if t is None:
        raise Conflict("this change of state is not allowed from the current state")
    if t.automatic:
        raise Conflict("this change of state is made automatically")
    if not permitted(t, roles):
        raise Forbidden("your role does not allow this change of state")
    errors = {b.field: b.message for b in unmet(t, subject, roles, state_set)}
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        errors["reason"] = "must be text"
        reason = ""
    reason = reason.strip()
    if t.reason_required and not reason and "reason" not in errors:
        errors["reason"] = "required"
    elif len(reason) > MAX_TEXT:
        errors["reason"] = f"at most {MAX_TEXT} characters"
    if errors:
        raise ValidationFailed(errors)
    return _outcome(state_set, t, subject, reason, automatic=False)


def automatic(state_set: StateSet, current: str, subject: WorkflowSubject
              ) -> tuple[TransitionOutcome, ...]:
    """The automatic transitions the system makes now from ``current``, one after another
    until none applies (the first automatic transition, in the set's order, whose guards
    hold). A sound set has no cycle of automatic transitions, so this takes fewer steps
    than the set has states; a set that does not settle within that bound is refused."""
    state = _known(state_set, current).code
    outcomes: list[TransitionOutcome] = []
    for _ in range(len(state_set.states)):
        step = next((t for t in state_set.outgoing(state)
                     if t.automatic and not unmet(t, subject, (), state_set)), None)
        if step is None:
            return tuple(outcomes)
        outcomes.append(_outcome(state_set, step, subject, "", automatic=True))
        state = step.to_state
    raise Conflict("automatic changes of state do not settle; check the state set")


def start(state_set: StateSet) -> TransitionOutcome:
    """A new object enters the initial state: its on-enter actions, no event (the
    object's creation is its history). Run ``automatic`` after it."""
    initial = state_set.initial
    return TransitionOutcome(from_state=None, to_state=initial.code, transition=None,
                             effects=initial.on_enter, event=None)


def due_in_state(entered_at: datetime, norm_hours: int | None) -> datetime | None:
    """When an object that entered a state at ``entered_at`` outstays its norm (DEAL-4)."""
    if norm_hours is None:
        return None
    return entered_at + timedelta(hours=norm_hours)


def overdue(entered_at: datetime | None, norm_hours: int | None, now: datetime) -> bool:
    """Whether the object has stayed in its state longer than the norm by ``now``
    (calendar hours; no norm or no entry moment: never)."""
    if entered_at is None:
        return False
    due = due_in_state(entered_at, norm_hours)
    return due is not None and now >= due
