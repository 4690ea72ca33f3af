"""The order state machine and its approval rounds under random use (hypothesis, fakes):
ORD-1…ORD-3.

Random orders are edited, submitted along two routes, answered by anyone — through
``decide`` or their messages, approving or refusing — cancelled, moved to connection and
connected, and their billing hand-offs delivered against a billing system that accepts,
is down or refuses. A model says what each attempt must do; the invariants:

- an order is in a state of its set and exactly where the model says;
- an order waits for approval exactly when its latest round is pending, and it has at
  most one pending round; an approved order's latest round approved the estimate it
  has now; every decision is one of the approvers of its step, in step order, and
  recorded in the round's history;
- an order has one hand-off per entry into connection (plus one per "hand off again"),
  revisions 1, 2, … with their keys;
- a hand-off the billing system accepted is never sent again, and is accepted once;
- every change of state is in the order's history.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ecrm_core.kernel.errors import Conflict, Forbidden, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.messages.model import ConfirmationState, MessageKind
from ecrm_core.orders.model import HandoffState, RoundStatus
from ecrm_core.orders.ports import BillingRejected, BillingUnavailable
from tests.fakes import FakeBilling, FakeClock, fake_app

PASSWORD = "correct-horse"
LIVE = ("draft", "approval", "approved")


class OrderLifecycle(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        self.billing = FakeBilling()
        self.app, self.storage = fake_app(clock=self.clock, billing=self.billing)
        app = self.app
        self.d = app.org.found_company("ООО", {"login": "dir", "password": PASSWORD,
                                               "full_name": "Директоров"}).id
        company = ObjectRef("company", next(iter(self.storage.stores["company"])))

        def person(login):
            return app.org.add_employee(self.d, {"login": login, "password": PASSWORD,
                                                 "full_name": login}).id

        self.mgr, self.lawyer, self.boss, self.boss2, self.other = (
            person(n) for n in ("mgr", "lawyer", "boss", "boss2", "other"))
        for head in (self.boss, self.boss2):
            app.access.grant(self.d, head, "sales_management", company)
        catalog = app.catalogs.create(self.d, {"name": "Клиенты"})
        self.client = app.counterparties.register(self.d, {
            "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа"})
        app.access.grant(self.d, self.mgr, "client_manager", self.client.ref)
        self.people = (self.d, self.mgr, self.lawyer, self.boss, self.boss2, self.other)
        long = app.orders.save_route(self.d, {"name": "Длинный", "steps": [
            {"employee_id": self.lawyer}, {"role": "sales_management"}]})
        short = app.orders.save_route(self.d, {"name": "Короткий",
                                               "steps": [{"role": "director"}]})
        #: route id -> the approvers of each step
        self.routes = {long.id: ({self.lawyer}, {self.boss, self.boss2}),
                       short.id: ({self.d},)}
        #: order id -> the model: state, pending step and route, state changes, hand-offs
        self.orders: dict[int, dict] = {}
        #: hand-off keys accepted, with how many sends each had when it was accepted
        self.accepted_at: dict[str, int] = {}

    # -- helpers -------------------------------------------------------------------------

    def _pick(self, pick):
        ids = sorted(self.orders)
        return ids[pick % len(ids)]

    def _lines(self, count):
        return [{"part": ("package", "equipment", "work")[i % 3], "name": f"Строка {i}",
                 "quantity": i + 1, "price": "100"} for i in range(count)]

    def _moved(self, ident, to):
        event(f"an order reached {to}")
        self.orders[ident]["state"] = to
        self.orders[ident]["moves"] += 1

    def _answered(self, ident, who, approve):
        """The model of an approver's answer."""
        model = self.orders[ident]
        steps = self.routes[model["route"]]
        assert who in steps[model["step"]]
        if not approve:
            model["step"] = None
            self._moved(ident, "draft")
        elif model["step"] + 1 == len(steps):
            model["step"] = None
            self._moved(ident, "approved")
        else:
            model["step"] += 1

    def _approvers_now(self, ident):
        model = self.orders[ident]
        if model["state"] != "approval":
            return set()
        return self.routes[model["route"]][model["step"]]

    # -- rules ---------------------------------------------------------------------------

    @precondition(lambda self: len(self.orders) < 4)
    @rule(count=st.integers(0, 3))
    def create(self, count):
        order = self.app.orders.create(self.mgr, {"counterparty_id": self.client.id,
                                                  "lines": self._lines(count)})
        self.orders[order.id] = {"state": "draft", "step": None, "route": None, "moves": 0,
                                 "handoffs": 0, "lines": count}

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 50), count=st.integers(0, 3))
    def edit(self, pick, count):
        ident = self._pick(pick)
        try:
            self.app.orders.update(self.mgr, ident, {"lines": self._lines(count)})
        except Conflict:
            assert self.orders[ident]["state"] != "draft"
            return
        assert self.orders[ident]["state"] == "draft"
        self.orders[ident]["lines"] = count

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 50), route=st.integers(0, 1))
    def submit(self, pick, route):
        ident = self._pick(pick)
        model = self.orders[ident]
        route_id = sorted(self.routes)[route]
        try:
            self.app.orders.submit(self.mgr, ident, route_id)
        except Conflict:
            assert model["state"] != "draft"
            return
        except ValidationFailed as exc:
            assert model["state"] == "draft" and not model["lines"]
            assert exc.errors == {"lines": "required"}
            return
        assert model["state"] == "draft" and model["lines"]
        model.update(step=0, route=route_id)
        self._moved(ident, "approval")

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 50), who=st.integers(0, 5), approve=st.booleans())
    def decide(self, pick, who, approve):
        ident = self._pick(pick)
        employee = self.people[who]
        expected = self._approvers_now(ident)
        try:
            self.app.orders.decide(employee, ident, approve, "" if approve else "нет")
        except Conflict:
            assert self.orders[ident]["state"] != "approval"
            return
        except Forbidden:
            assert self.orders[ident]["state"] == "approval" and employee not in expected
            return
        assert employee in expected
        self._answered(ident, employee, approve)

    @precondition(lambda self: any(m["state"] == "approval" for m in self.orders.values()))
    @rule(pick=st.integers(0, 50), who=st.integers(0, 5), approve=st.integers(0, 3))
    def an_approver_answers(self, pick, who, approve):
        """Mostly approvals by whoever answers the step now (so that orders get on)."""
        waiting = sorted(i for i, m in self.orders.items() if m["state"] == "approval")
        ident = waiting[pick % len(waiting)]
        approvers = sorted(self._approvers_now(ident))
        employee = approvers[who % len(approvers)]
        self.app.orders.decide(employee, ident, bool(approve), "" if approve else "нет")
        self._answered(ident, employee, bool(approve))

    @rule(who=st.integers(0, 5), pick=st.integers(0, 50), approve=st.booleans())
    def answer_a_request(self, who, pick, approve):
        employee = self.people[who]
        waiting = [m for m in self.app.messages.inbox(employee, per_page=200)
                   if m.message_kind is MessageKind.CONFIRMATION
                   and m.state is ConfirmationState.PENDING]
        if not waiting:
            return
        message = waiting[pick % len(waiting)]
        ident = message.subject_id
        _action, round_id, step = message.action.split(":")
        current = self.storage.stores["approval_rounds"][int(round_id)]
        live = (current.status is RoundStatus.PENDING and current.step == int(step)
                and employee in self._approvers_now(ident))
        self.app.messages.answer(employee, message.id, approve, "" if approve else "нет")
        if live:
            self._answered(ident, employee, approve)

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 50), really=st.integers(0, 3))
    def cancel(self, pick, really):
        if really:  # now and then: a cancelled order goes nowhere
            return
        ident = self._pick(pick)
        try:
            self.app.orders.move(self.mgr, ident, "cancelled", "передумали")
        except Conflict:
            assert self.orders[ident]["state"] not in LIVE
            return
        assert self.orders[ident]["state"] in LIVE
        self.orders[ident]["step"] = None
        self._moved(ident, "cancelled")

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 50), to=st.sampled_from(["connection", "connected", "draft"]))
    def move(self, pick, to):
        ident = self._pick(pick)
        model = self.orders[ident]
        allowed = {("approved", "connection"), ("connection", "connected")}
        try:
            self.app.orders.move(self.mgr, ident, to)
        except Conflict:
            assert (model["state"], to) not in allowed
            return
        assert (model["state"], to) in allowed
        self._moved(ident, to)
        if to == "connection":
            model["handoffs"] += 1

    @precondition(lambda self: any(m["state"] == "approved" for m in self.orders.values()))
    @rule(pick=st.integers(0, 50))
    def connect(self, pick):
        """An approved order goes to connection (so that hand-offs happen)."""
        ready = sorted(i for i, m in self.orders.items() if m["state"] == "approved")
        ident = ready[pick % len(ready)]
        assert self.app.orders.move(self.mgr, ident, "connection").state == "connection"
        self._moved(ident, "connection")
        self.orders[ident]["handoffs"] += 1

    @precondition(lambda self: self.storage.stores["billing_handoffs"])
    @rule(pick=st.integers(0, 50), outcome=st.sampled_from(["ok", "down", "refused"]),
          pending=st.booleans())
    def deliver(self, pick, outcome, pending):
        """Deliver a hand-off (mostly a pending one) while the billing system accepts,
        is down or refuses."""
        found = self.storage.stores["billing_handoffs"]
        ids = sorted(i for i, h in found.items()
                     if not pending or h.state is HandoffState.PENDING) or sorted(found)
        handoff = found[ids[pick % len(ids)]]
        before = len(self.billing.sent)
        self.billing.outcomes = [None if outcome == "ok" else BillingUnavailable("503")
                                 if outcome == "down" else BillingRejected("400")]
        try:
            after = self.app.orders.deliver_handoff(handoff.id)
        except BillingUnavailable:
            assert handoff.state is HandoffState.PENDING and outcome == "down"
            assert len(self.billing.sent) == before + 1
            return
        if handoff.state is not HandoffState.PENDING:
            assert len(self.billing.sent) == before  # accepted or refused: not sent
            assert after.state is handoff.state
            return
        assert len(self.billing.sent) == before + 1
        expected = HandoffState.ACCEPTED if outcome == "ok" else HandoffState.FAILED
        assert after.state is expected
        event(f"a hand-off was {expected.value}")
        if expected is HandoffState.ACCEPTED:
            self.accepted_at[after.key] = sum(1 for k, _ in self.billing.sent
                                              if k == after.key)

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 50))
    def hand_off_again(self, pick):
        ident = self._pick(pick)
        last = max((h for h in self.storage.stores["billing_handoffs"].values()
                    if h.order_id == ident), key=lambda h: h.revision, default=None)
        try:
            self.app.orders.hand_off_again(self.mgr, ident)
        except Conflict:
            assert last is None or last.state is not HandoffState.FAILED
            return
        assert last is not None and last.state is HandoffState.FAILED
        self.orders[ident]["handoffs"] += 1

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def orders_are_where_the_model_says(self):
        state_set = next(s for s in self.app.state_sets.state_sets(self.d)
                         if s.code == "order")
        for ident, model in self.orders.items():
            order = self.storage.stores["orders"][ident]
            assert order.state in state_set.codes
            assert order.state == model["state"]

    @invariant()
    def a_pending_round_is_exactly_an_order_waiting_for_approval(self):
        for ident, model in self.orders.items():
            order = self.storage.stores["orders"][ident]
            rounds = sorted((r for r in self.storage.stores["approval_rounds"].values()
                             if r.order_id == ident), key=lambda r: r.id)
            pending = [r for r in rounds if r.status is RoundStatus.PENDING]
            assert len(pending) <= 1
            assert bool(pending) == (order.state == "approval")
            if pending:
                assert pending[0] is rounds[-1] and pending[0].step == model["step"]
            if order.state in ("approved", "connection", "connected"):
                assert rounds[-1].status is RoundStatus.APPROVED
                assert rounds[-1].estimate == order.estimate().snapshot()
            for r in rounds:
                steps = self.routes[r.route_id]
                assert [d.step for d in r.decisions] == list(range(len(r.decisions)))
                assert all(d.employee_id in steps[d.step] for d in r.decisions)
                refused = [d for d in r.decisions if not d.approved]
                assert refused == ([r.decisions[-1]] if r.status is RoundStatus.REFUSED
                                   else [])
                recorded = [c for h in self.storage.stores["history"].values()
                            if h.subject_kind == "approval_round" and h.subject_id == r.id
                            for c in h.changes if c["field"] == "decision"]
                assert len(recorded) == len(r.decisions)

    @invariant()
    def hand_offs_are_one_per_entry_into_connection_and_never_resent_once_accepted(self):
        for ident, model in self.orders.items():
            found = sorted((h for h in self.storage.stores["billing_handoffs"].values()
                            if h.order_id == ident), key=lambda h: h.revision)
            assert len(found) == model["handoffs"]
            assert [(h.revision, h.key) for h in found] == [
                (n, f"ecrm-order-{ident}-v{n}") for n in range(1, len(found) + 1)]
        for key, sends in self.accepted_at.items():
            assert sum(1 for k, _ in self.billing.sent if k == key) == sends
        assert set(self.billing.accepted) == set(self.accepted_at)

    @invariant()
    def every_change_of_state_is_in_history(self):
        for ident, model in self.orders.items():
            moves = [h for h in self.storage.stores["history"].values()
                     if h.subject_kind == "order" and h.subject_id == ident
                     and h.action == "StateChanged"]
            assert len(moves) == model["moves"]


OrderLifecycle.TestCase.settings = settings(max_examples=100, stateful_step_count=60,
                                            deadline=None)
test_order_lifecycle = OrderLifecycle.TestCase
