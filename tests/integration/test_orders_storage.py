"""Customer orders on the real databases (SQLite and PostgreSQL, ORD-1…ORD-3): orders,
approval routes, approval rounds and billing hand-offs go through the unit of work and
come back equal — lines with their parts, Money exact to the kopeck, steps, decisions,
the frozen estimate and the billing document as JSON; the database refuses a second
hand-off of one revision or key; the use cases run on the real unit of work (the latest
round, the pending confirmation requests, the due hand-offs, the outbox row of a
hand-off); and migration 0009 gives a company founded before it the "order" state set."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import select

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.migrate import alembic_config, upgrade
from ecrm_core.access.model import Role
from ecrm_core.kernel.errors import Conflict
from ecrm_core.money import Money
from ecrm_core.orders.model import (
    ApprovalRound,
    ApprovalRoute,
    ApprovalStep,
    BillingHandoff,
    Decision,
    HandoffState,
    Order,
    OrderLine,
    Part,
    RoundStatus,
)
from ecrm_core.orders.ports import BillingUnavailable
from ecrm_core.workflow.services import DEFAULT_STATE_SETS
from tests.conftest import make_system
from tests.fakes import FakeBilling
from tests.integration.test_orders_billing import _approved, _world
from tests.integration.test_sales_storage import round_trip

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BIG = Money(Decimal("999999999999.99"))


@pytest.fixture
def world(database_url, tmp_path):
    billing = FakeBilling()
    system = make_system(database_url, tmp_path, billing=billing)
    w = _world(system)
    w.system, w.billing, w.url = system, billing, database_url
    yield w
    system.close()


def test_orders_routes_rounds_and_hand_offs_come_back_equal(world):
    system, w = world.system, world
    lines = (
        OrderLine(part=Part.PACKAGE, name="Интернет 100", quantity=Decimal("1"),
                  price=Money(Decimal("1200.00")), unit="мес", item_id=w.package.id),
        OrderLine(part=Part.EQUIPMENT, name="Маршрутизатор", quantity=Decimal("2.125"),
                  price=BIG, vat_rate="none", discount=Money(Decimal("0.01"))),
        OrderLine(part=Part.WORK, name="Монтаж", quantity=Decimal("999999999.999"),
                  price=Money(Decimal("0.01")), unit="ч", vat_rate="10"),
    )
    order = round_trip(system, "orders", Order(
        number="З-900", counterparty_id=w.card.id, author_id=w.mgr, ordered_on=date(2026, 3, 2),
        price_type_id=None, vat_included=False, lines=lines, one_time_total=BIG,
        monthly_total=Money(Decimal("1464.00")), state="draft", state_entered_at=AT,
        note="без НДС", created_at=AT))
    assert order.lines == lines and order.lines[1].quantity == Decimal("2.125")
    steps = (ApprovalStep(employee_id=w.lawyer), ApprovalStep(role=Role.SALES_MANAGEMENT))
    route = round_trip(system, "approval_routes", ApprovalRoute(name="Два шага",
                                                                steps=steps))
    assert route.steps == steps and route.active
    decisions = (Decision(step=0, employee_id=w.lawyer, approved=True, reason="", at=AT),
                 Decision(step=1, employee_id=w.boss, approved=False,
                          reason="Дорого — «очень»", at=AT + timedelta(hours=1)))
    estimate = order.estimate().snapshot()
    back = round_trip(system, "approval_rounds", ApprovalRound(
        order_id=order.id, steps=steps, estimate=estimate, route_id=route.id,
        route_name=route.name, order_version=3, step=1, decisions=decisions,
        status=RoundStatus.REFUSED, submitted_by=w.mgr, submitted_at=AT,
        finished_at=AT + timedelta(hours=1)))
    assert back.decisions == decisions and back.estimate == estimate
    assert back.decisions[1].at.tzinfo is not None
    payload = {"schema": "ecrm.billing/1", "order": {"number": "З-900", "lines": [
        {"price": "999999999999.99", "name": "Ёлка «Люкс»"}]}}
    handoff = round_trip(system, "billing_handoffs", BillingHandoff(
        order_id=order.id, revision=1, key=f"ecrm-order-{order.id}-v1", payload=payload,
        state=HandoffState.PENDING, attempts=2, last_error="HTTP 503",
        next_try_at=AT, sending_until=AT + timedelta(minutes=5), created_at=AT))
    assert handoff.payload == payload and handoff.state is HandoffState.PENDING
    # one row per revision of an order, one per key: the database refuses a second
    for revision, key in ((1, "another-key"), (2, handoff.key)):
        with pytest.raises(Conflict), system.app.uow_factory() as uow:
            uow.billing_handoffs.add(BillingHandoff(order_id=order.id, revision=revision,
                                                    key=key, payload={}))
            uow.commit()


def test_the_use_cases_run_on_the_real_unit_of_work(world):
    system, w, app = world.system, world, world.app
    order = _approved(w)
    rounds = app.orders.rounds(w.mgr, order.id)
    assert [r.status for r in rounds] == [RoundStatus.APPROVED]
    assert [d.employee_id for d in rounds[0].decisions] == [w.lawyer, w.boss, w.d]
    # the approvers' own requests were answered with their decisions
    with system.engine.connect() as conn:
        states = conn.execute(select(t.messages.c.state).where(
            t.messages.c.action.like("order_approval:%"))).scalars().all()
    assert states == ["confirmed"] * 3
    app.orders.move(w.mgr, order.id, "connection")
    [handoff] = app.orders.handoffs(w.mgr, order.id)
    with system.engine.connect() as conn:
        rows = conn.execute(select(t.outbox.c.payload).where(
            t.outbox.c.name == "BillingHandoffRequested")).scalars().all()
    assert [(r["handoff_id"], r["key"], r["subject"]) for r in rows] == [
        (handoff.id, handoff.key, f"billing_handoff:{handoff.id}")]
    # postponed: the sweep finds it once its back-off is over, by the index on state
    w.billing.outcomes = [BillingUnavailable("down")]
    with pytest.raises(BillingUnavailable, match="down"):
        app.orders.deliver_handoff(handoff.id)
    waiting = app.orders.handoffs(w.mgr, order.id)[0]
    assert waiting.next_try_at > waiting.created_at and waiting.sending_until is None
    assert app.orders.redeliver_due(waiting.next_try_at - timedelta(seconds=1)).accepted == 0
    assert app.orders.redeliver_due(waiting.next_try_at).accepted == 1
    assert app.orders.move(w.mgr, order.id, "connected").state == "connected"
    history = app.history.of(w.d, order.ref)
    assert {c["new"] for h in history for c in h.changes if c["field"] == "state"} >= {
        "approval", "approved", "connection", "connected"}
    # a state in use cannot be removed from the "order" set
    in_use = app.state_sets.in_use(w.d, next(
        s for s in app.state_sets.state_sets(w.d) if s.code == "order").id)
    assert in_use == {"connected"}


def test_a_company_founded_before_orders_gets_the_order_state_set(world):
    """Migration 0009 seeds the "order" set for a company that has none (and removes it
    again on the way down)."""
    url = world.url
    world.system.engine.dispose()
    command.downgrade(alembic_config(url), "0008")
    try:
        with world.system.engine.connect() as conn:
            codes = set(conn.execute(select(t.state_sets.c.code)).scalars())
        assert "order" not in codes and {"request", "invoice"} <= codes
    finally:
        upgrade(url)
    with world.system.app.uow_factory(readonly=True) as uow:
        stored = uow.state_sets.first(code="order")
    default = next(d for d in DEFAULT_STATE_SETS if d.code == "order")
    assert (stored.name, stored.states, stored.transitions) == (
        default.name, default.states, default.transitions)
