"""Customer orders on in-memory fakes (ORD-1…ORD-3): an order priced from the price list,
its connection estimate, approval along a route of approvers — the acceptance chain of
three approvers with a refusal in the middle, resubmission and approval — the billing
hand-off (retried, never sent twice, refused for good and made again), who may do what,
and bad input named field by field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from ecrm_core.kernel.errors import Conflict, Forbidden, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.messages.model import ConfirmationState, MessageKind
from ecrm_core.money import Money
from ecrm_core.orders.model import BILLING_SCHEMA, HandoffState, Part, RoundStatus
from ecrm_core.orders.ports import BillingRejected, BillingUnavailable
from ecrm_core.orders.services import SEND_LEASE, HandoffBusy
from ecrm_core.workflow.definition import dump_definition
from tests.fakes import FakeBilling, FakeClock, fake_app

PASSWORD = "correct-horse"


def rub(text: str) -> Money:
    return Money(Decimal(text))


@pytest.fixture
def w():
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    billing = FakeBilling()
    app, storage = fake_app(clock=clock, billing=billing)
    w = SimpleNamespace(app=app, storage=storage, clock=clock, billing=billing)
    w.d = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": PASSWORD,
                          "full_name": "Петров И."}).id
    company = ObjectRef("company", next(iter(storage.stores["company"])))

    def person(login: str, name: str) -> int:
        return app.org.add_employee(w.d, {"login": login, "password": PASSWORD,
                                          "full_name": name}).id

    w.mgr = person("mgr", "Менеджеров М.")
    w.lawyer = person("lawyer", "Юристов Ю.")
    w.boss = person("boss", "Продажин П.")
    w.boss2 = person("boss2", "Продажина В.")
    w.other = person("other", "Посторонний")
    for head in (w.boss, w.boss2):
        app.access.grant(w.d, head, "sales_management", company)
    catalog = app.catalogs.create(w.d, {"name": "Клиенты"})
    w.card = app.counterparties.register(w.d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
        "inn": "7707083893", "kpp": "773601001", "email": "buh@alfa.example"})
    app.access.grant(w.d, w.mgr, "client_manager", w.card.ref)
    retail = next(t for t in app.products.price_types(w.d) if t.code == "retail")
    w.package = app.products.save_item(w.d, {"name": "Интернет 100 Мбит/с",
                                             "item_kind": "service", "unit": "мес"})
    w.router = app.products.save_item(w.d, {"name": "Маршрутизатор", "unit": "шт"})
    w.mount = app.products.save_item(w.d, {"name": "Монтаж", "item_kind": "work",
                                           "unit": "ч"})
    for item, day, amount in ((w.package, "2026-01-01", "1 200"),
                              (w.router, "2026-01-01", "4 990"),
                              (w.router, "2026-03-01", "5 490"),
                              (w.mount, "2026-01-01", "1 500")):
        app.products.set_price(w.d, {"item_id": item.id, "price_type_id": retail.id,
                                     "valid_from": day, "amount": amount})
    kind = next(t for t in app.contracts.types(w.d) if t.code == "services")
    w.contract = app.contracts.register(w.mgr, w.card.id, {"contract_type_id": kind.id,
                                                           "signed_on": "2026-02-20"})
    # the acceptance chain: a named lawyer, then Sales management, then the Director
    w.route = app.orders.save_route(w.d, {"name": "Подключение офиса", "steps": [
        {"employee_id": w.lawyer}, {"role": "sales_management"}, {"role": "director"}]})
    return w


def make_order(w, **extra):
    return w.app.orders.create(w.mgr, {
        "counterparty_id": w.card.id, "contract_id": w.contract.id,
        "lines": [{"item_id": w.package.id, "quantity": 1},
                  {"item_id": w.router.id, "quantity": 2},
                  {"item_id": w.mount.id, "quantity": "1,5"}], **extra})


def pending_requests(w, employee_id):
    return [m for m in w.app.messages.inbox(employee_id)
            if m.message_kind is MessageKind.CONFIRMATION
            and m.state is ConfirmationState.PENDING]


def notices(w, employee_id):
    return [m.text for m in w.app.messages.inbox(employee_id, per_page=200)
            if m.message_kind is MessageKind.NOTIFICATION]


def changes(w, ref, field):
    return [c for h in w.app.history.of(w.d, ref) for c in h.changes if c["field"] == field]


# -- ORD-1: an order priced from the price list ------------------------------------------


def test_an_order_is_priced_from_the_price_list_and_split_into_its_parts(w):
    order = make_order(w)
    assert order.number == "З-1" and order.state == "draft"
    assert order.ordered_on == date(2026, 3, 2)
    parts = {x.name: (x.part, x.price, x.quantity) for x in order.lines}
    assert parts == {
        "Интернет 100 Мбит/с": (Part.PACKAGE, rub("1200"), Decimal(1)),
        # the price in force on the order's date (the March price)
        "Маршрутизатор": (Part.EQUIPMENT, rub("5490"), Decimal(2)),
        "Монтаж": (Part.WORK, rub("1500"), Decimal("1.5")),
    }
    estimate = w.app.orders.estimate(w.other, order.id)
    # retail prices include VAT 22%: one-time 10 980 + 2 250 = 13 230
    assert estimate.one_time.total == rub("13230") == order.one_time_total
    assert estimate.one_time.vat == rub("1980.00") + rub("405.74")
    assert estimate.monthly.total == rub("1200") == order.monthly_total
    assert estimate.monthly.vat == rub("216.39")
    # an earlier date takes the earlier price; a free-text line names its part
    older = w.app.orders.create(w.mgr, {
        "counterparty_id": w.card.id, "ordered_on": "2026-02-10",
        "lines": [{"item_id": w.router.id, "quantity": 1},
                  {"part": "work", "name": "Прокладка кабеля", "quantity": 10,
                   "unit": "м", "price": "150", "vat_rate": "22"}]})
    assert older.number == "З-2"
    assert [x.price for x in older.lines] == [rub("4990"), rub("150")]
    assert older.one_time_total == rub("6490") and older.monthly_total == Money.zero()
    history = w.app.history.of(w.d, w.card.ref)
    assert any(c["field"] == "order" and "З-1" in (c["new"] or "")
               for h in history for c in h.changes)


def test_bad_order_input_is_named_field_by_field_and_nothing_is_saved(w):
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.create(w.mgr, {})
    assert err.value.errors == {"counterparty_id": "required"}
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.create(w.mgr, {
            "counterparty_id": w.card.id, "ordered_on": "31.02.2026",
            "contract_id": 999, "vat_included": "maybe",
            "lines": [{"name": "Без части", "quantity": 1, "price": "1"},
                      {"item_id": w.router.id, "part": "hardware", "quantity": 1},
                      {"item_id": w.router.id, "quantity": 0},
                      {"item_id": 999}, "line"]})
    assert err.value.errors == {
        "ordered_on": "a date like 2026-03-31",
        "contract_id": "not a contract of this client",
        "vat_included": "must be true or false",
        "lines[0].part": "required: package, equipment or work",
        "lines[1].part": "one of: package, equipment, work",
        "lines[2].quantity": err.value.errors["lines[2].quantity"],
        "lines[3].item_id": "no such item",
        "lines[4]": "must be an object",
    }
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.create(w.mgr, {"counterparty_id": w.card.id, "ordered_on": "2025-12-01",
                                    "lines": [{"item_id": w.router.id, "quantity": 1}]})
    assert err.value.errors == {
        "lines[0].price": "no price for this item on the order's date: enter one"}
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.create(w.mgr, {"counterparty_id": w.card.id, "lines": [
            {"part": "equipment", "name": "Слиток", "quantity": "999999999",
             "price": "999999999999"}]})
    assert set(err.value.errors) == {"lines[0].price"}
    assert not w.storage.stores["orders"]


def test_only_a_draft_changes_its_lines_and_only_an_unsubmitted_draft_is_deleted(w):
    order = make_order(w)
    with pytest.raises(Conflict):
        w.app.orders.update(w.mgr, order.id, {"note": "x", "version": 99})
    changed = w.app.orders.update(w.mgr, order.id, {
        "lines": [{"item_id": w.package.id, "quantity": 1}], "version": order.version})
    assert changed.one_time_total == Money.zero() and changed.monthly_total == rub("1200")
    w.app.orders.submit(w.mgr, order.id, w.route.id)
    with pytest.raises(Conflict):
        w.app.orders.update(w.mgr, order.id, {"lines": []})
    assert w.app.orders.update(w.mgr, order.id, {"note": "позвонить"}).note == "позвонить"
    with pytest.raises(Conflict):
        w.app.orders.delete(w.mgr, order.id)
    fresh = make_order(w)
    w.app.orders.delete(w.mgr, fresh.id)
    assert fresh.id not in w.storage.stores["orders"]


# -- ORD-2: approval along a route -----------------------------------------------------


def test_acceptance_three_approvers_a_refusal_in_the_middle_resubmission_and_approval(w):
    """The issue's acceptance: a chain of three approvers, a refusal in the middle,
    resubmission, approval — each step asked and answered through system messages."""
    app = w.app
    order = make_order(w)
    first = app.orders.submit(w.mgr, order.id, w.route.id)
    assert app.orders.get(w.mgr, order.id).state == "approval"
    assert first.status is RoundStatus.PENDING and first.step == 0
    assert first.estimate["one_time"]["total"] == "13230.00"
    assert first.estimate["monthly"]["total"] == "1200.00"
    assert app.orders.current_approvers(w.other, order.id) == {w.lawyer}
    # step 1: the lawyer is asked (a confirmation request about the order) and agrees
    [asked] = pending_requests(w, w.lawyer)
    assert asked.subject == order.ref and "Шаг 1 из 3" in asked.text
    assert not pending_requests(w, w.boss)
    app.orders.decide(w.lawyer, order.id, True)
    assert app.messages.get(w.lawyer, asked.id).state is ConfirmationState.CONFIRMED
    # step 2: both holders of Sales management are asked; one refuses — with a reason
    assert app.orders.current_approvers(w.d, order.id) == {w.boss, w.boss2}
    assert len(pending_requests(w, w.boss)) == len(pending_requests(w, w.boss2)) == 1
    with pytest.raises(ValidationFailed) as err:
        app.orders.decide(w.boss, order.id, False, "  ")
    assert err.value.errors == {"reason": "required"}
    app.orders.decide(w.boss, order.id, False, "Скидка на монтаж не согласована")
    refused = app.orders.rounds(w.mgr, order.id)[0]
    assert refused.status is RoundStatus.REFUSED
    assert [(d.employee_id, d.approved) for d in refused.decisions] == [
        (w.lawyer, True), (w.boss, False)]
    # the order went back to its author's draft by itself; the author knows why
    back = app.orders.get(w.mgr, order.id)
    assert back.state == "draft"
    assert any("не согласована" in t and "Скидка на монтаж" in t for t in notices(w, w.mgr))
    states = changes(w, order.ref, "state")
    assert states[0] == {"field": "state", "old": "approval", "new": "draft"}
    assert {"field": "automatic", "old": None, "new": True} in changes(w, order.ref,
                                                                       "automatic")
    # the other holder's request is stale now: answering it changes nothing
    [stale] = pending_requests(w, w.boss2)
    app.messages.answer(w.boss2, stale.id, True)
    assert app.orders.get(w.mgr, order.id).state == "draft"
    assert len(app.orders.rounds(w.mgr, order.id)[0].decisions) == 2
    with pytest.raises(Conflict):
        app.orders.decide(w.boss2, order.id, True)  # nothing waits for an answer now

    # the author fixes the order and submits it again: a new round from the first step
    app.orders.update(w.mgr, order.id, {"lines": [
        {"item_id": w.package.id, "quantity": 1}, {"item_id": w.router.id, "quantity": 2},
        {"item_id": w.mount.id, "quantity": 1, "discount": "200"}]})
    second = app.orders.submit(w.mgr, order.id, w.route.id)
    assert second.id != first.id and second.step == 0
    assert second.estimate["one_time"]["total"] == "12280.00"
    # the lawyer answers in their messages this time (the confirmation handler)
    [asked] = pending_requests(w, w.lawyer)
    app.messages.answer(w.lawyer, asked.id, True)
    assert app.orders.rounds(w.d, order.id)[0].step == 1
    app.orders.decide(w.boss2, order.id, True)
    assert app.orders.current_approvers(w.d, order.id) == {w.d}
    with pytest.raises(Forbidden):
        app.orders.decide(w.boss, order.id, True)  # step 2 is answered already
    app.orders.decide(w.d, order.id, True)
    done = app.orders.rounds(w.d, order.id)[0]
    assert done.status is RoundStatus.APPROVED and done.finished_at is not None
    assert [(d.step, d.employee_id) for d in done.decisions] == [
        (0, w.lawyer), (1, w.boss2), (2, w.d)]
    approved = app.orders.get(w.mgr, order.id)
    assert approved.state == "approved"
    assert any(t.endswith("смета согласована.") for t in notices(w, w.mgr))
    assert app.orders.current_approvers(w.mgr, order.id) == set()
    # every decision is in the history of the round and of the order
    decisions = changes(w, ObjectRef("approval_round", second.id), "decision")
    assert [c["new"]["employee_id"] for c in decisions][::-1] == [w.lawyer, w.boss2, w.d]
    said = [c["new"] for c in changes(w, order.ref, "approval")]
    assert sum("Отказано" in s for s in said) == 1 and sum("Согласовано" in s for s in said) == 4


def test_who_may_answer_and_when(w):
    order = make_order(w)
    with pytest.raises(Conflict):
        w.app.orders.decide(w.lawyer, order.id, True)  # not submitted
    with pytest.raises(Conflict):
        w.app.orders.move(w.mgr, order.id, "approval")  # only through submit
    w.app.orders.submit(w.mgr, order.id, w.route.id)
    for outsider in (w.other, w.mgr, w.boss, w.d):
        with pytest.raises(Forbidden):
            w.app.orders.decide(outsider, order.id, True)
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.decide(w.lawyer, order.id, "yes")
    assert err.value.errors == {"approve": "must be true or false"}
    with pytest.raises(Conflict):
        w.app.orders.submit(w.mgr, order.id, w.route.id)  # not a draft any more
    # cancelling an order under approval closes its round; nobody answers it then
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.move(w.mgr, order.id, "cancelled")
    assert err.value.errors == {"reason": "required"}
    w.app.orders.move(w.mgr, order.id, "cancelled", "клиент передумал")
    assert w.app.orders.rounds(w.mgr, order.id)[0].status is RoundStatus.CANCELLED
    with pytest.raises(Conflict):
        w.app.orders.decide(w.lawyer, order.id, True)
    [stale] = pending_requests(w, w.lawyer)
    w.app.messages.answer(w.lawyer, stale.id, True)  # changes nothing
    assert w.app.orders.get(w.mgr, order.id).state == "cancelled"


def test_submitting_needs_lines_and_a_route_someone_can_answer(w):
    empty = w.app.orders.create(w.mgr, {"counterparty_id": w.card.id})
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.submit(w.mgr, empty.id, w.route.id)
    assert err.value.errors == {"lines": "required"}
    assert not w.storage.stores["approval_rounds"]  # nothing half-saved
    order = make_order(w)
    nobody = w.app.orders.save_route(w.d, {"name": "Кураторы", "steps": [
        {"role": "director"}, {"role": "project_leader"}]})
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.submit(w.mgr, order.id, nobody.id)
    assert err.value.errors == {"route_id": "nobody can answer step 2 of this route"}
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.submit(w.mgr, order.id, "x")
    assert err.value.errors == {"route_id": "must be an id (a whole number)"}
    w.app.orders.save_route(w.d, {"active": False, "version": nobody.version}, nobody.id)
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.submit(w.mgr, order.id, nobody.id)
    assert err.value.errors == {"route_id": "no such active route"}
    with pytest.raises(Forbidden):
        w.app.orders.submit(w.other, order.id, w.route.id)
    assert w.app.orders.get(w.mgr, order.id).state == "draft"


def test_routes_are_a_reference_book_of_administrators_read_by_everyone(w):
    assert [r.name for r in w.app.orders.routes(w.other)] == ["Подключение офиса"]
    with pytest.raises(Forbidden):
        w.app.orders.save_route(w.mgr, {"name": "Свой", "steps": [{"role": "director"}]})
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.save_route(w.d, {"name": "", "steps": [
            {}, {"role": "director", "employee_id": w.lawyer}, {"role": "pope"},
            {"employee_id": 999}, {"employee_id": "abc"}, "x"]})
    assert err.value.errors == {
        "name": "required",
        "steps[0]": "name a role or an employee (one of the two)",
        "steps[1]": "name a role or an employee (one of the two)",
        "steps[2].role": err.value.errors["steps[2].role"],
        "steps[3].employee_id": "no such active employee",
        "steps[4].employee_id": "must be an id (a whole number)",
        "steps[5]": "must be an object",
    }
    assert err.value.errors["steps[2].role"].startswith("one of: director")
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.save_route(w.d, {"name": "Пустой", "steps": []})
    assert err.value.errors == {"steps": "add at least one step"}
    renamed = w.app.orders.save_route(w.d, {"name": "Офис", "version": w.route.version},
                                      w.route.id)
    assert renamed.name == "Офис" and len(renamed.steps) == 3
    with pytest.raises(Conflict):
        w.app.orders.save_route(w.d, {"name": "Снова", "version": w.route.version},
                                w.route.id)
    history = w.app.history.of(w.other, ObjectRef("approval_route", w.route.id))
    assert history[0].changes == [{"field": "name", "old": "Подключение офиса",
                                   "new": "Офис"}]


def test_rights_over_orders_follow_the_client(w):
    with pytest.raises(Forbidden):
        w.app.orders.create(w.other, {"counterparty_id": w.card.id})
    order = make_order(w)
    assert w.app.orders.get(w.other, order.id).id == order.id  # seen with the client
    with pytest.raises(Forbidden):
        w.app.orders.update(w.other, order.id, {"note": "x"})
    with pytest.raises(Forbidden):
        w.app.orders.move(w.other, order.id, "cancelled", "нет")
    _set, options = w.app.orders.options(w.other, order.id)
    assert options == ()
    _set, options = w.app.orders.options(w.mgr, order.id)
    assert {o.target.code for o in options} == {"approval", "cancelled"}
    assert w.app.orders.of_counterparty(w.boss, w.card.id).total == 1


# -- ORD-3: the billing hand-off ---------------------------------------------------------


def approved_order(w):
    order = make_order(w)
    w.app.orders.submit(w.mgr, order.id, w.route.id)
    for who in (w.lawyer, w.boss, w.d):
        w.app.orders.decide(who, order.id, True)
    assert w.app.orders.get(w.mgr, order.id).state == "approved"
    return order


def test_connection_needs_the_approved_estimate_and_hands_the_order_to_billing(w):
    order = make_order(w)
    with pytest.raises(Conflict):
        w.app.orders.move(w.mgr, order.id, "connection")
    order = approved_order(w)
    w.storage.outbox.clear()
    moved = w.app.orders.move(w.mgr, order.id, "connection")
    assert moved.state == "connection"
    [handoff] = w.app.orders.handoffs(w.other, order.id)
    assert (handoff.revision, handoff.key, handoff.state) == (
        1, f"ecrm-order-{order.id}-v1", HandoffState.PENDING)
    relayed = [e for e, _at in w.storage.outbox if e.name == "BillingHandoffRequested"]
    assert [(e.handoff_id, e.key) for e in relayed] == [(handoff.id, handoff.key)]
    data = handoff.payload
    assert data["schema"] == BILLING_SCHEMA and data["key"] == handoff.key
    body = data["order"]
    assert (body["number"], body["client"]["inn"], body["client"]["kpp"]) == (
        order.number, "7707083893", "773601001")
    assert body["contract"]["number"] == w.contract.number
    assert [x["name"] for x in body["package"]] == ["Интернет 100 Мбит/с"]
    assert body["equipment"][0] == {
        "item_id": w.router.id, "name": "Маршрутизатор", "unit": "шт", "quantity": "2",
        "price": "5490.00", "discount": "0.00", "vat_rate": "22", "amount": "10980.00",
        "vat": "1980.00", "total": "10980.00"}
    assert body["works"][0]["total"] == "2250.00"
    assert body["totals"] == {
        "monthly": {"amount": "1200.00", "vat": "216.39", "total": "1200.00"},
        "one_time": {"amount": "13230.00", "vat": "2385.74", "total": "13230.00"}}
    assert "billing" in {c["field"] for h in w.app.history.of(w.d, order.ref)
                         for c in h.changes}


def test_a_hand_off_is_retried_until_accepted_and_never_sent_again(w):
    order = approved_order(w)
    w.app.orders.move(w.mgr, order.id, "connection")
    [handoff] = w.app.orders.handoffs(w.mgr, order.id)
    w.billing.outcomes = [BillingUnavailable("HTTP 503"), BillingUnavailable("HTTP 503")]
    with pytest.raises(BillingUnavailable):
        w.app.orders.deliver_handoff(handoff.id)
    waiting = w.app.orders.handoffs(w.mgr, order.id)[0]
    assert (waiting.state, waiting.attempts, waiting.last_error) == (
        HandoffState.PENDING, 1, "HTTP 503")
    assert waiting.next_try_at == w.clock.now() + timedelta(seconds=30)
    assert waiting.sending_until is None
    # the sweep leaves it until its back-off is over
    assert w.app.orders.redeliver_due().waiting == 0 and len(w.billing.sent) == 1
    w.clock.advance(seconds=31)
    assert w.app.orders.redeliver_due().waiting == 1
    assert w.app.orders.handoffs(w.mgr, order.id)[0].next_try_at == \
        w.clock.now() + timedelta(minutes=1)
    w.clock.advance(minutes=2)
    assert w.app.orders.redeliver_due().accepted == 1
    done = w.app.orders.deliver_handoff(handoff.id)  # again: nothing is sent
    assert (done.state, done.attempts) == (HandoffState.ACCEPTED, 3)
    assert [key for key, _ in w.billing.sent] == [handoff.key] * 3
    assert list(w.billing.accepted) == [handoff.key]
    assert any("биллинг принял" in t for t in notices(w, w.mgr))


def test_a_refused_hand_off_fails_tells_the_author_and_is_made_again(w):
    order = approved_order(w)
    w.app.orders.move(w.mgr, order.id, "connection")
    [first] = w.app.orders.handoffs(w.mgr, order.id)
    with pytest.raises(Conflict):
        w.app.orders.hand_off_again(w.mgr, order.id)  # nothing refused yet
    w.billing.outcomes = [BillingRejected("HTTP 400: unknown tariff")]
    failed = w.app.orders.deliver_handoff(first.id)
    assert (failed.state, failed.last_error) == (HandoffState.FAILED,
                                                 "HTTP 400: unknown tariff")
    assert any("отклонил" in t and "unknown tariff" in t for t in notices(w, w.mgr))
    assert w.app.orders.deliver_handoff(first.id).state is HandoffState.FAILED
    assert len(w.billing.sent) == 1  # a refused one is not sent again
    with pytest.raises(Forbidden):
        w.app.orders.hand_off_again(w.other, order.id)
    second = w.app.orders.hand_off_again(w.mgr, order.id)
    assert (second.revision, second.key) == (2, f"ecrm-order-{order.id}-v2")
    assert w.app.orders.deliver_handoff(second.id).state is HandoffState.ACCEPTED
    assert w.app.orders.move(w.mgr, order.id, "connected").state == "connected"


def test_a_second_delivery_while_one_is_sending_sends_nothing(w):
    order = approved_order(w)
    w.app.orders.move(w.mgr, order.id, "connection")
    [handoff] = w.app.orders.handoffs(w.mgr, order.id)
    raced = []

    class Racing(FakeBilling):
        def send(self, key, payload):
            if not raced:  # a second worker gets the same message meanwhile
                with pytest.raises(HandoffBusy):
                    w.app.orders.deliver_handoff(handoff.id)
                raced.append(key)
            super().send(key, payload)

    w.app.orders.billing = Racing()
    assert w.app.orders.deliver_handoff(handoff.id).state is HandoffState.ACCEPTED
    assert raced == [handoff.key] and len(w.app.orders.billing.sent) == 1


class Crash(BaseException):
    """The worker died in the middle of a send."""


def test_a_delivery_that_died_is_taken_over_after_its_hold_under_the_same_key(w):
    order = approved_order(w)
    w.app.orders.move(w.mgr, order.id, "connection")
    [handoff] = w.app.orders.handoffs(w.mgr, order.id)
    w.billing.outcomes = [Crash()]
    with pytest.raises(Crash):
        w.app.orders.deliver_handoff(handoff.id)
    held = w.app.orders.handoffs(w.mgr, order.id)[0]
    assert held.sending_until == w.clock.now() + SEND_LEASE and held.attempts == 1
    with pytest.raises(HandoffBusy):
        w.app.orders.deliver_handoff(handoff.id)
    assert w.app.orders.redeliver_due().waiting == 0  # held: the sweep skips it
    w.clock.advance(seconds=SEND_LEASE.total_seconds() + 1)
    assert w.app.orders.deliver_handoff(handoff.id).state is HandoffState.ACCEPTED
    assert [key for key, _ in w.billing.sent] == [handoff.key, handoff.key]


def test_without_a_billing_system_the_hand_off_waits():
    app, storage = fake_app()
    assert type(app.orders.billing).__name__ == "NoBilling"
    with pytest.raises(BillingUnavailable, match="not configured"):
        app.orders.billing.send("k", {})


def test_a_new_company_runs_orders_by_the_order_state_set(w):
    found = next(s for s in w.app.state_sets.state_sets(w.other) if s.code == "order")
    assert [s.code for s in found.ordered()] == [
        "draft", "approval", "approved", "connection", "connected", "cancelled"]
    assert [s.name for s in found.ordered()][:3] == ["Черновик", "На согласовании",
                                                     "Согласован"]
    automatic = {(t.from_state, t.to_state) for t in found.transitions if t.automatic}
    assert automatic == {("approval", "approved"), ("approval", "draft")}
    order = make_order(w)
    w.app.orders.move(w.mgr, order.id, "cancelled", "ошибка")
    data = dump_definition(found.states, found.transitions)
    data["states"] = [s for s in data["states"] if s["code"] != "cancelled"]
    data["transitions"] = [t for t in data["transitions"] if t["to_state"] != "cancelled"]
    with pytest.raises(ValidationFailed) as err:  # a state orders are in stays
        w.app.state_sets.update(w.d, found.id, {**data, "version": found.version})
    assert err.value.errors == {"states": "states in use cannot be removed: Отменён"}


def test_a_contract_or_client_with_orders_is_not_deleted(w):
    make_order(w)
    with pytest.raises(Conflict) as err:
        w.app.contracts.delete(w.mgr, w.contract.id)
    assert err.value.details.get("orders") == 1
    with pytest.raises(Conflict) as err:
        w.app.counterparties.purge(w.d, w.card.id)
    assert err.value.details.get("orders") == 1


def test_nobody_approves_their_own_order_nor_two_steps_of_one_round(w):
    """ORD-2: the author (here a holder of Sales management) does not answer a step of
    their own order's round, and one approver does not answer two steps of a round."""
    from ecrm_core.kernel.refs import ObjectRef as Ref

    company = Ref("company", next(iter(w.storage.stores["company"])))
    w.app.access.grant(w.d, w.mgr, "sales_management", company)
    twice = w.app.orders.save_route(w.d, {"name": "Дважды продажи", "steps": [
        {"role": "sales_management"}, {"role": "sales_management"}]})
    order = make_order(w)
    w.app.orders.submit(w.mgr, order.id, twice.id)
    assert w.app.orders.current_approvers(w.mgr, order.id) == {w.boss, w.boss2}
    with pytest.raises(Forbidden):
        w.app.orders.decide(w.mgr, order.id, True)  # the author
    w.app.orders.decide(w.boss, order.id, True)
    assert w.app.orders.current_approvers(w.mgr, order.id) == {w.boss2}
    with pytest.raises(Forbidden):
        w.app.orders.decide(w.boss, order.id, True)  # answered the first step
    w.app.orders.decide(w.boss2, order.id, True)
    assert w.app.orders.get(w.mgr, order.id).state == "approved"
    # a route whose step only the author could answer is refused when submitted
    alone = w.app.orders.save_route(w.d, {"name": "Сам себе", "steps": [
        {"employee_id": w.mgr}]})
    other = make_order(w)
    with pytest.raises(ValidationFailed) as err:
        w.app.orders.submit(w.mgr, other.id, alone.id)
    assert set(err.value.errors) == {"route_id"}
