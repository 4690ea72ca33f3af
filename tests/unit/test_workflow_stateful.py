"""Property and stateful tests (hypothesis) of the workflow engine (REQ-4, INV-2, DEAL-2,
AUTO-1): random sound state sets and random sequences of manual and automatic changes of
state. Whatever happens, an object never leaves its set, never moves along a transition
the set lacks, never past an unmet guard or without the transition's role, never out of a
final state; its history (the events it recorded) is complete and in order; automatic
transitions always settle."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ecrm_core.access.model import Role
from ecrm_core.kernel.errors import Conflict, Forbidden, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.workflow.definition import dump_definition, parse_definition
from ecrm_core.workflow.engine import (
    Facts,
    StateChanged,
    automatic,
    available,
    start,
    transition,
)
from ecrm_core.workflow.model import (
    AmountLimit,
    ApprovalObtained,
    ConditionHolds,
    EmailClient,
    LinkedInState,
    NotifyEmployees,
    PlanPayment,
    PlanTask,
    Recipient,
    RequiredFields,
    StateDef,
    StateSet,
    TransitionDef,
    check_definition,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REF = ObjectRef("request", 1)
FIELDS = ("inn", "kpp", "lines")
LINK_STATES = ("draft", "signed", "closed")
APPROVALS = ("estimate", "discount")
CONDITIONS = ("paid_in_full", "ready")
ROLES = tuple(Role)

role_sets = st.frozensets(st.sampled_from(ROLES), max_size=3)
guards = st.one_of(
    st.builds(RequiredFields, st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2,
                                       unique=True).map(tuple)),
    st.builds(LinkedInState, st.just("contract"),
              st.frozensets(st.sampled_from(LINK_STATES), min_size=1)),
    st.builds(ApprovalObtained, st.sampled_from(APPROVALS)),
    st.builds(AmountLimit, st.just("total"),
              st.sampled_from([Decimal(0), Decimal("1000.00"), Decimal(50000)]),
              st.frozensets(st.sampled_from(ROLES), max_size=2)),
    st.builds(ConditionHolds, st.sampled_from(CONDITIONS)),
)
on_enter = st.one_of(
    st.builds(PlanTask, st.sampled_from(["call", "meeting"]), st.integers(0, 200),
              st.sampled_from(["", "Позвонить клиенту"])),
    st.builds(PlanPayment, st.just("total"), st.sampled_from([Decimal(30), Decimal(100)]),
              st.integers(0, 30)),
    st.builds(NotifyEmployees, st.sampled_from([Recipient.RESPONSIBLE, Recipient.HEAD]),
              st.just("Заявка выполнена")),
    st.builds(EmailClient, st.just("request_done")),
)
colours = st.text("0123456789abcdef", min_size=6, max_size=6).map(lambda c: "#" + c)


@st.composite
def state_sets(draw) -> StateSet:
    """A sound set: s0 initial, the last one final, every state reachable, a way out of
    every state that is not final, automatic transitions only "forward" (no cycles)."""
    n = draw(st.integers(2, 6))
    final = [False] + [draw(st.booleans()) for _ in range(n - 2)] + [True]
    states = [
        StateDef(f"s{i}", f"Состояние {i}", order=draw(st.integers(0, 50)), initial=i == 0,
                 final=final[i], colour=draw(colours),
                 norm_hours=draw(st.none() | st.integers(1, 500)),
                 on_enter=tuple(draw(st.lists(on_enter, max_size=2))))
        for i in range(n)
    ]
    pairs: list[tuple[int, int]] = []

    def add(a: int, b: int) -> None:
        if a != b and not final[a] and (a, b) not in pairs:
            pairs.append((a, b))

    for i in range(1, n):
        add(draw(st.sampled_from([j for j in range(i) if not final[j]])), i)
    for j in range(n):
        if not final[j] and not any(a == j for a, _ in pairs):
            add(j, n - 1)
    for a, b in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                              max_size=6)):
        add(a, b)
    transitions = []
    for a, b in pairs:
        auto = a < b and draw(st.integers(0, 3)) == 0
        transitions.append(TransitionDef(
            f"s{a}", f"s{b}", f"В {b}",
            roles=frozenset() if auto else draw(st.just(frozenset()) | role_sets),
            guards=tuple(draw(st.lists(guards, max_size=2))), automatic=auto,
            reason_required=not auto and draw(st.booleans())))
    return StateSet(id=7, code="request", name="Заявки",
                    states=tuple(draw(st.permutations(states))),
                    transitions=tuple(draw(st.permutations(transitions))))


facts = st.builds(
    Facts,
    ref=st.just(REF),
    values=st.fixed_dictionaries({}, optional={
        f: st.sampled_from([None, "", "  ", "7707083893", 0, [], ["строка"]]) for f in FIELDS}),
    links=st.fixed_dictionaries({}, optional={"contract": st.sampled_from(LINK_STATES)}),
    approvals=st.frozensets(st.sampled_from(APPROVALS)),
    amounts=st.fixed_dictionaries({}, optional={
        "total": st.decimals(0, 100000, places=2, allow_nan=False, allow_infinity=False)}),
    conditions=st.frozensets(st.sampled_from(CONDITIONS)),
)


# -- an oracle written from the requirements, not from the engine ------------------------


def _filled(value: Any) -> bool:
    return value not in (None, "", "  ", [])


def holds(guard, f: Facts, roles: frozenset[Role]) -> bool:
    match guard:
        case RequiredFields(fields=names):
            return all(_filled(f.values.get(name)) for name in names)
        case LinkedInState(link=link, states=wanted):
            return f.links.get(link) in wanted
        case ApprovalObtained(approval=a):
            return a in f.approvals
        case AmountLimit(field=field, limit=limit, roles_above=above):
            amount = f.amounts.get(field)
            return amount is None or amount <= limit or Role.DIRECTOR in roles or bool(
                above & roles)
        case ConditionHolds(condition=c):
            return c in f.conditions
    raise AssertionError(guard)


def allowed_by_roles(t: TransitionDef, roles: frozenset[Role]) -> bool:
    return not t.roles or Role.DIRECTOR in roles or bool(t.roles & roles)


@attrs.define
class Thing:
    """An aggregate run by a state set (a request)."""

    state: str = ""
    state_entered_at: datetime | None = None
    events: list = attrs.Factory(list)

    def record(self, event) -> None:
        self.events.append(event)


class WorkflowMachine(RuleBasedStateMachine):
    @initialize(state_set=state_sets())
    def create(self, state_set: StateSet) -> None:
        assert check_definition(state_set.code, state_set.name, state_set.states,
                                state_set.transitions) == {}
        self.set = state_set
        self.thing = Thing()
        self.clock = T0
        outcome = start(state_set)
        assert outcome.event is None and outcome.effects == state_set.initial.on_enter
        outcome.apply_to(self.thing, self.clock)
        self.entered = [state_set.initial.code]

    def _apply(self, outcome) -> None:
        self.clock = self.clock.replace(minute=(self.clock.minute + 1) % 60)
        outcome.apply_to(self.thing, self.clock)
        assert outcome.effects == self.set.state(outcome.to_state).on_enter
        self.entered.append(outcome.to_state)

    @rule(data=st.data(), f=facts, roles=role_sets,
          reason=st.sampled_from(["", "   ", "Клиент передумал", None, 5, "x" * 1001]))
    def move(self, data, f: Facts, roles: frozenset[Role], reason: Any) -> None:
        current = self.thing.state
        near = sorted(t.to_state for t in self.set.outgoing(current))
        anywhere = st.sampled_from(sorted(self.set.codes) + ["nowhere"])
        to = data.draw(st.sampled_from(near) | anywhere if near else anywhere)
        t = self.set.between(current, to)
        try:
            outcome = transition(self.set, current, to, f, roles, reason)
        except Conflict:
            event("move: no such transition here")
            assert to in self.set.codes and (t is None or t.automatic)
        except Forbidden:
            event("move: role refused")
            assert t is not None and not t.automatic and not allowed_by_roles(t, roles)
        except ValidationFailed as exc:
            event("move: guard or reason refused")
            if to not in self.set.codes:
                assert exc.errors == {"to_state": "no such state"}
                return
            assert t is not None and not t.automatic and allowed_by_roles(t, roles)
            blocked = {g for g in t.guards if not holds(g, f, roles)}
            bad_reason = not isinstance(reason, str | None) or (
                isinstance(reason, str) and (len(reason.strip()) > 1000 or (
                    t.reason_required and not reason.strip()))) or (
                reason is None and t.reason_required)
            assert blocked or bad_reason
            assert ("reason" in exc.errors) == bad_reason
        else:
            event("move: made")
            assert t is not None and not t.automatic and allowed_by_roles(t, roles)
            assert all(holds(g, f, roles) for g in t.guards)
            assert not self.set.state(current).final
            made = outcome.event
            assert (made.from_state, made.to_state, made.transition) == (current, to, t.name)
            assert made.subject == REF and not made.automatic
            self._apply(outcome)

    @rule(f=facts)
    def settle(self, f: Facts) -> None:
        before = self.thing.state
        outcomes = automatic(self.set, before, f)
        assert len(outcomes) < len(self.set.states)
        event(f"settle: {len(outcomes)} automatic step(s)")
        for outcome in outcomes:
            assert outcome.from_state == self.thing.state
            assert outcome.transition.automatic and outcome.event.automatic
            assert all(holds(g, f, frozenset()) for g in outcome.transition.guards)
            self._apply(outcome)
        # a fixpoint: nothing automatic applies any more
        assert not any(t.automatic and all(holds(g, f, frozenset()) for g in t.guards)
                       for t in self.set.outgoing(self.thing.state))

    @rule(f=facts, roles=role_sets)
    def offer(self, f: Facts, roles: frozenset[Role]) -> None:
        """What ``available`` offers is exactly what ``transition`` lets through."""
        current = self.thing.state
        options = available(self.set, current, f, roles)
        assert {o.transition for o in options} == {
            t for t in self.set.outgoing(current) if not t.automatic}
        for o in options:
            assert o.permitted == allowed_by_roles(o.transition, roles)
            assert {b.guard for b in o.blockers} == {
                g for g in o.transition.guards if not holds(g, f, roles)}
            try:
                transition(self.set, current, o.target.code, f, roles, "Причина")
            except Forbidden:
                assert not o.permitted
            except ValidationFailed as exc:
                assert o.permitted and o.blockers
                assert set(exc.errors) == {b.field for b in o.blockers}
            else:
                assert o.open

    @invariant()
    def stays_in_its_set(self) -> None:
        assert self.thing.state in self.set.codes
        assert self.thing.state_entered_at is not None

    @invariant()
    def history_is_complete_and_in_order(self) -> None:
        events = self.thing.events
        assert all(isinstance(e, StateChanged) for e in events)
        assert [e.to_state for e in events] == self.entered[1:]
        assert [e.from_state for e in events] == self.entered[:-1]
        for e in events:
            t = self.set.between(e.from_state, e.to_state)
            assert t is not None and t.name == e.transition and t.automatic == e.automatic
            assert not self.set.state(e.from_state).final  # final states are final
            assert e.changes[0].field == "state"
            assert (e.changes[0].old, e.changes[0].new) == (e.from_state, e.to_state)


WorkflowMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=25)
TestWorkflowMachine = WorkflowMachine.TestCase


@settings(max_examples=60)
@given(state_sets())
def test_random_sound_sets_pass_and_round_trip_through_plain_data(state_set):
    assert state_set.check() is None
    data = dump_definition(state_set.states, state_set.transitions)
    assert parse_definition(data) == (state_set.states, state_set.transitions)


@settings(max_examples=60)
@given(state_sets(), st.data())
def test_an_automatic_cycle_is_refused(state_set, data):
    """Closing a loop of automatic transitions is named as a fault; so automatic runs
    always settle."""
    autos = [t for t in state_set.transitions if t.automatic]
    forward = data.draw(st.sampled_from(autos)) if autos else None
    if forward is None or state_set.state(forward.to_state).final:
        return
    back = TransitionDef(forward.to_state, forward.from_state, "Назад", automatic=True)
    broken = (*state_set.transitions, back)
    if any(t.from_state == back.from_state and t.to_state == back.to_state
           for t in state_set.transitions):
        return
    errors = check_definition(state_set.code, state_set.name, state_set.states, broken)
    assert list(errors.values()) == ["automatic transitions must not form a cycle"]
    (key,) = errors
    index = int(key.removeprefix("transitions[").removesuffix("].automatic"))
    assert broken[index].automatic  # one of the loop's transitions is named


@settings(max_examples=60)
@given(state_sets(), facts)
def test_automatic_runs_settle_from_every_state(state_set, f):
    for s in state_set.states:
        if s.final:
            assert automatic(state_set, s.code, f) == ()
            continue
        outcomes = automatic(state_set, s.code, f)
        assert len(outcomes) < len(state_set.states)
        path = [s.code] + [o.to_state for o in outcomes]
        assert len(set(path)) == len(path)
