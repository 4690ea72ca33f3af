"""A hypothesis state machine over random deal templates and random work on deals
(DEAL-1…DEAL-4), through the real services on fakes. Whatever happens:

- a deal never enters a state whose conditions are unmet (the conditions to leave the
  state it was in, the transition's guards and the attributes the new state requires —
  judged here independently of the engine, from what the test itself did to the deal);
- every entry into a state plans exactly the tasks the state lists, and the payments it
  lists on the deal's first entry into it;
- the deal's stays follow one another without gaps, and the time in states sums to the
  deal's age; the deal's probability is its state's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ecrm_core.kernel.errors import Conflict, ValidationFailed
from ecrm_core.workflow.definition import dump_definition
from ecrm_core.workflow.model import (
    ApprovalObtained,
    ConditionHolds,
    PlanPayment,
    PlanTask,
    Recipient,
    RequiredFields,
    StateDef,
    TransitionDef,
)
from tests.fakes import FakeClock, fake_app

PASSWORD = "correct-horse"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ATTRS = ("site", "budget", "owner")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

guards = st.one_of(
    st.builds(RequiredFields, st.lists(st.sampled_from(ATTRS), min_size=1, max_size=2,
                                       unique=True).map(tuple)),
    st.just(ConditionHolds("document_attached")),
    st.just(ApprovalObtained("ok")),
)
plans = st.one_of(
    st.builds(PlanTask, st.sampled_from(["call", "meeting"]), st.integers(0, 100),
              st.just(""), st.sampled_from([Recipient.RESPONSIBLE, Recipient.HEAD])),
    st.builds(PlanPayment, st.just("amount"), st.sampled_from([Decimal(30), Decimal(100)]),
              st.integers(0, 30)),
    st.builds(PlanPayment, st.just("amount"), st.just(Decimal(100)), st.integers(0, 30),
              st.sampled_from([Decimal("5000.00"), Decimal("1.50")])),
)


@st.composite
def templates(draw):
    """A sound template: s0 initial, the last state final, everything reachable."""
    n = draw(st.integers(2, 5))
    final = [False] + [draw(st.booleans()) for _ in range(n - 2)] + [True]
    states = []
    for i in range(n):
        states.append(StateDef(
            f"s{i}", f"Этап {i}", order=i * 10, initial=i == 0, final=final[i],
            probability=draw(st.integers(0, 100)),
            norm_days=draw(st.none() | st.integers(1, 5)),
            required=() if i == 0 else tuple(draw(st.lists(st.sampled_from(ATTRS),
                                                           max_size=2, unique=True))),
            leave_guards=() if final[i] else tuple(draw(st.lists(guards, max_size=2))),
            on_enter=tuple(draw(st.lists(plans, max_size=2)))))
    pairs: list[tuple[int, int]] = []

    def add(a, b):
        if a != b and not final[a] and (a, b) not in pairs:
            pairs.append((a, b))

    for i in range(1, n):
        add(draw(st.sampled_from([j for j in range(i) if not final[j]])), i)
    for j in range(n):
        if not final[j] and not any(a == j for a, _ in pairs):
            add(j, n - 1)
    for a, b in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                              max_size=4)):
        add(a, b)
    transitions = []
    for a, b in pairs:
        # automatic ones only forward, waiting for an approval or attributes (what the
        # deal's own calls settle after)
        auto = a < b and draw(st.integers(0, 4)) == 0
        own = tuple(draw(st.lists(guards, max_size=1)))
        if auto:
            own = own or (ApprovalObtained("ok"),)
            own = tuple(g for g in own if not isinstance(g, ConditionHolds)) or (
                ApprovalObtained("ok"),)
        transitions.append(TransitionDef(f"s{a}", f"s{b}", f"В {b}", guards=own,
                                         automatic=auto))
    return tuple(states), tuple(transitions)


class DealMachine(RuleBasedStateMachine):
    @initialize(definition=templates())
    def setup(self, definition):
        states, transitions = definition
        self.clock = FakeClock(T0)
        app, storage = fake_app(clock=self.clock)
        w = SimpleNamespace(app=app, storage=storage)
        w.d = app.org.found_company("ООО", {"login": "dir", "password": PASSWORD,
                                            "full_name": "Директор"}).id
        dep = app.org.create_department(w.d, {"name": "Продажи"})
        w.head = app.org.add_employee(w.d, {"login": "head", "password": PASSWORD,
                                            "full_name": "Начальник",
                                            "department_id": dep.id}).id
        app.org.update_department(w.d, dep.id, {"head_id": w.head})
        w.mgr = app.org.add_employee(w.d, {"login": "mgr", "password": PASSWORD,
                                           "full_name": "Менеджер",
                                           "department_id": dep.id}).id
        catalog = app.catalogs.create(w.d, {"name": "К"})
        w.card = app.counterparties.register(w.d, {"catalog_id": catalog.id,
                                                   "type": "legal_entity", "name": "Альфа",
                                                   "inn": "7707083893", "kpp": "773601001"})
        app.access.grant(w.d, w.mgr, "client_manager", w.card.ref)
        self.by_code = {s.code: s for s in states}
        self.tpl = app.deal_templates.create(w.d, {
            "code": "random", "name": "Случайный",
            "attributes": [{"code": a, "label": a, "type": "text"} for a in ATTRS],
            **dump_definition(states, transitions)})
        self.set = app.deal_templates.template(w.d, self.tpl.id).state_set
        self.w = w
        # what the test did to each deal: attributes filled, a document, approvals
        self.model: dict[int, dict] = {}
        self.tasks = 0
        self.payments = 0
        self._register("100000", [])

    # -- independent judgement of conditions ---------------------------------------------

    def holds(self, deal_id, guard) -> bool:
        m = self.model[deal_id]
        if isinstance(guard, RequiredFields):
            return all(m["attrs"].get(f) for f in guard.fields)
        if isinstance(guard, ConditionHolds):
            return m["document"]
        return guard.approval in m["approvals"]

    def allowed(self, deal_id, from_state, to_state) -> bool:
        t = self.set.between(from_state, to_state)
        source, target = self.set.state(from_state), self.set.state(to_state)
        needed = (*source.leave_guards, *t.guards, RequiredFields(target.required)
                  if target.required else None)
        return all(self.holds(deal_id, g) for g in needed if g is not None)

    def entered(self, deal_id, before_stays: int, amount: Decimal, path_from: str):
        """Check and count the states a deal entered since it had ``before_stays``."""
        card = self.w.app.deals.card(self.w.mgr, deal_id)
        new = card.stages[before_stays:]
        previous = path_from
        for stay in new:
            if previous is not None:
                assert self.allowed(deal_id, previous, stay.state), (previous, stay.state)
            state = self.by_code[stay.state]
            self.tasks += sum(isinstance(a, PlanTask) for a in state.on_enter)
            # payments: on the first entry into a state that plans some (a deal that
            # comes back does not plan them again)
            planned = self.model[deal_id].setdefault("planned_in", set())
            if stay.state not in planned:
                added = sum(isinstance(a, PlanPayment) and a.sum_of(amount) is not None
                            and round(a.sum_of(amount), 2) > 0 for a in state.on_enter)
                self.payments += added
                if added:
                    planned.add(stay.state)
            previous = stay.state
        return card

    # -- rules --------------------------------------------------------------------------

    @precondition(lambda self: len(self.model) < 3)
    @rule(amount=st.sampled_from(["0", "100000", "7,50"]),
          filled=st.lists(st.sampled_from(ATTRS), max_size=3, unique=True))
    def register(self, amount, filled):
        self._register(amount, filled)

    def _register(self, amount, filled):
        values = {a: f"значение {a}" for a in filled}
        deal = self.w.app.deals.register(self.w.mgr, {
            "counterparty_id": self.w.card.id, "template_id": self.tpl.id, "name": "Сделка",
            "amount": amount, "attributes": values})
        self.model[deal.id] = {"attrs": dict(values), "document": False,
                               "approvals": set(), "amount": deal.amount.amount}
        self.entered(deal.id, 0, deal.amount.amount, None)

    def deals(self):
        return sorted(self.model)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), reason=st.sampled_from(["", "Причина"]))
    def move(self, data, reason):
        deal_id = data.draw(st.sampled_from(self.deals()))
        deal = self.w.app.deals.get(self.w.mgr, deal_id)
        onward = [t.to_state for t in self.set.outgoing(deal.state)]
        to = data.draw(st.sampled_from(onward or ["s0"]) | st.sampled_from(
            sorted(self.by_code)))
        stays = len(self.w.app.deals.card(self.w.mgr, deal_id).stages)
        try:
            self.w.app.deals.move(self.w.mgr, deal_id, to, reason)
        except (ValidationFailed, Conflict) as exc:
            assert self.w.app.deals.get(self.w.mgr, deal_id).state == deal.state
            event(f"move refused {type(exc).__name__} {sorted(getattr(exc, 'errors', {}))}")
            return
        event("move made")
        self.entered(deal_id, stays, self.model[deal_id]["amount"], deal.state)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), attr=st.sampled_from(ATTRS),
          fill=st.sampled_from([True, True, True, False]))
    def edit(self, data, attr, fill):
        deal_id = data.draw(st.sampled_from(self.deals()))
        deal = self.w.app.deals.get(self.w.mgr, deal_id)
        stays = len(self.w.app.deals.card(self.w.mgr, deal_id).stages)
        value = f"новое {attr}" if fill else ""
        try:
            self.w.app.deals.update(self.w.mgr, deal_id, {"attributes": {attr: value}})
        except (ValidationFailed, Conflict):
            assert self.w.app.deals.get(self.w.mgr, deal_id).attributes == deal.attributes
            return
        self.model[deal_id]["attrs"][attr] = value
        self.entered(deal_id, stays, self.model[deal_id]["amount"], deal.state)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def attach(self, data):
        deal_id = data.draw(st.sampled_from(self.deals()))
        deal = self.w.app.deals.get(self.w.mgr, deal_id)
        stays = len(self.w.app.deals.card(self.w.mgr, deal_id).stages)
        self.w.app.documents.upload(self.w.mgr, "deal", deal_id, "doc.pdf", PDF)
        self.model[deal_id]["document"] = True
        # an automatic transition waiting only for a document to leave a state goes now
        self.entered(deal_id, stays, self.model[deal_id]["amount"], deal.state)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def approve(self, data):
        deal_id = data.draw(st.sampled_from(self.deals()))
        deal = self.w.app.deals.get(self.w.mgr, deal_id)
        stays = len(self.w.app.deals.card(self.w.mgr, deal_id).stages)
        try:
            self.w.app.deals.approve(self.w.d, deal_id, "ok")
        except (ValidationFailed, Conflict):
            return
        self.model[deal_id]["approvals"].add("ok")
        self.entered(deal_id, stays, self.model[deal_id]["amount"], deal.state)

    @rule(hours=st.integers(1, 200))
    def wait(self, hours):
        self.clock.advance(hours=hours)

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def plans_are_exactly_the_configured_ones(self):
        if not hasattr(self, "w"):
            return
        stores = self.w.storage.stores
        assert sum(t.deal_id is not None for t in stores["tasks"].values()) == self.tasks
        assert len(stores["deal_payments"]) == self.payments

    @invariant()
    def time_in_states_sums_to_the_age(self):
        if not hasattr(self, "w"):
            return
        now = self.clock.now()
        for deal_id in self.model:
            card = self.w.app.deals.card(self.w.mgr, deal_id)
            stays = card.stages
            assert stays[0].entered_at == card.deal.created_at
            for a, b in zip(stays, stays[1:], strict=False):
                assert a.left_at == b.entered_at
            assert stays[-1].left_at is None and stays[-1].state == card.deal.state
            assert sum(card.time_in_states().values(), timedelta(0)) == \
                now - card.deal.created_at
            state = self.by_code[card.deal.state]
            assert card.deal.probability == state.probability
            assert (card.deal.closed_at is not None) == state.final


TestDealMachine = DealMachine.TestCase
TestDealMachine.settings = settings(max_examples=100, stateful_step_count=40, deadline=None,
                                    suppress_health_check=[HealthCheck.too_slow])
