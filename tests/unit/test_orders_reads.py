"""The reads the orders' faces use and the removal of a route, on in-memory fakes (ORD-1…
ORD-3): the list of every order (by state, by client, 20 a page, newest first), the
hand-offs of every order (all or those still waiting), and deleting an approval route —
the Director's and Administrators' only, refused (nothing changes) once an order was
submitted along it, with a stale version refused too."""

from __future__ import annotations

import pytest

from ecrm_core.kernel.errors import Conflict, Forbidden, NotFound
from ecrm_core.orders.model import HandoffState
from tests.unit.test_orders import make_order, w  # noqa: F401  (the fixture)


def test_every_order_newest_first_by_state_and_client(w):  # noqa: F811
    made = [make_order(w) for _n in range(3)]
    w.app.orders.submit(w.mgr, made[1].id, w.route.id)
    found = w.app.orders.orders(w.other)
    assert [o.id for o in found.rows] == [o.id for o in reversed(made)]
    assert (found.total, found.page) == (3, 1)
    assert [o.id for o in w.app.orders.orders(w.other, "approval").rows] == [made[1].id]
    assert w.app.orders.orders(w.other, None, 1, w.card.id).total == 3
    assert w.app.orders.orders(w.other, None, 2).rows == []
    other = w.app.counterparties.register(w.d, {
        "catalog_id": w.card.catalog_id, "type": "legal_entity", "name": "Бета"})
    assert w.app.orders.orders(w.other, None, 1, other.id).total == 0


def test_the_hand_offs_of_every_order(w):  # noqa: F811
    order = make_order(w)
    w.app.orders.submit(w.mgr, order.id, w.route.id)
    for approver in (w.lawyer, w.boss, w.d):
        w.app.orders.decide(approver, order.id, True)
    w.app.orders.move(w.mgr, order.id, "connection")
    [pending] = w.app.orders.all_handoffs(w.other, pending_only=True)
    assert pending.order_id == order.id and pending.state is HandoffState.PENDING
    w.app.orders.deliver_handoff(pending.id)
    assert w.app.orders.all_handoffs(w.other, pending_only=True) == []
    [accepted] = w.app.orders.all_handoffs(w.other)
    assert accepted.state is HandoffState.ACCEPTED


def test_a_route_never_used_is_deleted_by_an_administrator_only(w):  # noqa: F811
    spare = w.app.orders.save_route(w.d, {"name": "Запасной",
                                          "steps": [{"role": "director"}]})
    with pytest.raises(Forbidden):
        w.app.orders.delete_route(w.mgr, spare.id, spare.version)
    with pytest.raises(Conflict):
        w.app.orders.delete_route(w.d, spare.id, spare.version + 1)
    w.app.orders.delete_route(w.d, spare.id, spare.version)
    with pytest.raises(NotFound):
        w.app.orders.route(w.d, spare.id)
    assert any(h.action == "ObjectDeleted"
               for h in w.app.history.of(w.d, spare.ref))
    # a route an order was submitted along stays
    order = make_order(w)
    w.app.orders.submit(w.mgr, order.id, w.route.id)
    with pytest.raises(Conflict):
        w.app.orders.delete_route(w.d, w.route.id, w.route.version)
    assert w.app.orders.route(w.d, w.route.id).name == w.route.name
