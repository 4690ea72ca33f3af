"""Deals of the long sales cycle on in-memory fakes (DEAL-1…DEAL-4, RPT-4, TASK-2):
templates as state sets with per-state settings, deals moved through the one workflow
engine with every unmet condition named, tasks and payments planned on entry, stays and
working time, escalation once per level, the board's and the forecast's figures, rights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from ecrm_core.access.model import Role
from ecrm_core.kernel.errors import Conflict, Forbidden, ValidationFailed
from ecrm_core.messages.model import MessageKind
from ecrm_core.org.calendar import WorkCalendar
from tests.fakes import FakeClock, fake_app

PASSWORD = "correct-horse"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def w():
    # Monday 2 March 2026, 09:00 UTC (12:00 in Moscow)
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    app, storage = fake_app(clock=clock)
    w = SimpleNamespace(app=app, storage=storage, clock=clock)
    w.d = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": PASSWORD,
                          "full_name": "Петров И."}).id
    sales = app.org.create_department(w.d, {"name": "Продажи"})
    w.head = app.org.add_employee(w.d, {"login": "head", "password": PASSWORD,
                                        "full_name": "Начальников",
                                        "department_id": sales.id}).id
    app.org.update_department(w.d, sales.id, {"head_id": w.head})
    w.mgr = app.org.add_employee(w.d, {"login": "mgr", "password": PASSWORD,
                                       "full_name": "Менеджеров", "department_id": sales.id,
                                       "head_id": w.head}).id
    w.other = app.org.add_employee(w.d, {"login": "oth", "password": PASSWORD,
                                         "full_name": "Посторонний"}).id
    catalog = app.catalogs.create(w.d, {"name": "Клиенты"})
    w.card = app.counterparties.register(w.d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
        "inn": "7707083893", "kpp": "773601001"})
    app.access.grant(w.d, w.mgr, "client_manager", w.card.ref)
    w.tpl = next(t for t in app.deal_templates.templates(w.d) if t.code == "b2b_connection")
    return w


def register(w, **extra):
    return w.app.deals.register(w.mgr, {
        "counterparty_id": w.card.id, "template_id": w.tpl.id, "name": "Офис на Ленина",
        "amount": "120 000", "expected_close_on": "2026-04-15", **extra})


def test_a_new_company_has_the_default_templates_and_the_holidays(w):
    codes = {t.code for t in w.app.deal_templates.templates(w.d)}
    assert codes == {"b2b_connection", "equipment_supply"}
    view = w.app.deal_templates.template(w.d, w.tpl.id)
    assert view.state_set.code == "deal:b2b_connection"
    assert [s.code for s in view.state_set.ordered()][:3] == ["lead", "survey", "proposal"]
    days = w.app.calendar.days(w.d, 2026)
    assert date(2026, 3, 9) not in {d.day for d in days}  # 8 March 2026 is a Sunday
    assert date(2026, 11, 4) in {d.day for d in days}


def test_registering_a_deal_plans_its_first_task_on_the_deal_and_its_client(w):
    deal = register(w)
    assert deal.state == "lead" and deal.probability == 10 and deal.number == "1"
    assert deal.manager_id == w.mgr and deal.amount.amount == Decimal("120000.00")
    # 3 working days from Monday noon (Moscow): Thursday noon
    assert deal.due_in_state == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    card = w.app.deals.card(w.mgr, deal.id)
    assert [t.deal_id for t in card.tasks] == [deal.id]
    assert card.tasks[0].counterparty_id == w.card.id and card.tasks[0].responsible_id == w.mgr
    assert [(s.state, s.left_at) for s in card.stages] == [("lead", None)]
    client_history = w.app.history.of(w.d, w.card.ref) if hasattr(w.app.history, "of") else []
    assert client_history is not None


def test_a_move_names_every_unmet_condition_then_passes_when_they_are_met(w):
    deal = register(w)
    with pytest.raises(ValidationFailed) as err:
        w.app.deals.move(w.mgr, deal.id, "survey")
    assert err.value.errors == {"address": "required"}
    deal = w.app.deals.update(w.mgr, deal.id, {"attributes": {"address": "Ленина, 1"},
                                               "version": deal.version})
    w.clock.advance(hours=26)
    deal = w.app.deals.move(w.mgr, deal.id, "survey")
    assert deal.state == "survey" and deal.probability == 25
    # proposal needs the bandwidth to enter, and a document to leave
    with pytest.raises(ValidationFailed) as err:
        w.app.deals.move(w.mgr, deal.id, "proposal")
    assert set(err.value.errors) == {"bandwidth"}
    w.app.deals.update(w.mgr, deal.id, {"attributes": {"bandwidth": "100"}})
    deal = w.app.deals.move(w.mgr, deal.id, "proposal")
    with pytest.raises(ValidationFailed) as err:
        w.app.deals.move(w.mgr, deal.id, "negotiation")
    assert set(err.value.errors) == {"document_attached", "decision_maker"}
    w.app.documents.upload(w.mgr, "deal", deal.id, "kp.pdf", PDF)
    w.app.deals.update(w.mgr, deal.id, {"attributes": {"decision_maker": "Сидоров"}})
    deal = w.app.deals.move(w.mgr, deal.id, "negotiation")
    assert deal.state == "negotiation"
    # the negotiation's call is planned for the manager's head (PlanTask.who = head)
    card = w.app.deals.card(w.mgr, deal.id)
    assert {t.responsible_id for t in card.tasks} == {w.mgr, w.head}
    stays = [(s.state, s.left_at is None) for s in card.stages]
    assert stays == [("lead", False), ("survey", False), ("proposal", False),
                     ("negotiation", True)]
    spent = card.time_in_states()
    assert spent["lead"] == timedelta(hours=26)
    assert sum(spent.values(), timedelta(0)) == w.clock.now() - deal.created_at


def test_an_invoice_issued_for_the_deal_opens_the_way_to_payment_which_plans_it(w):
    deal = register(w, attributes={"address": "Ленина, 1", "bandwidth": "100",
                                   "decision_maker": "Сидоров"})
    for state in ("survey", "proposal"):
        deal = w.app.deals.move(w.mgr, deal.id, state)
    w.app.documents.upload(w.mgr, "deal", deal.id, "kp.pdf", PDF)
    deal = w.app.deals.move(w.mgr, deal.id, "negotiation")
    with pytest.raises(ValidationFailed) as err:
        w.app.deals.move(w.mgr, deal.id, "payment")
    assert err.value.errors == {"invoice_issued": "the condition is not met"}
    invoice = w.app.invoices.create(w.mgr, {
        "counterparty_id": w.card.id, "deal_id": deal.id,
        "lines": [{"name": "Подключение", "quantity": "1", "price": "120000"}]})
    w.app.invoices.move(w.mgr, invoice.id, "issued")
    deal = w.app.deals.move(w.mgr, deal.id, "payment")
    card = w.app.deals.card(w.mgr, deal.id)
    assert [(p.amount.amount, p.due_on) for p in card.payments] == [
        (Decimal("120000.00"), date(2026, 3, 12))]
    with pytest.raises(ValidationFailed):
        w.app.deals.move(w.mgr, deal.id, "won")
    w.app.invoices.register_payment(w.mgr, invoice.id, {"amount": "120000"})
    deal = w.app.deals.move(w.mgr, deal.id, "won")
    assert deal.outcome == "won" and deal.closed_at is not None and deal.probability == 100
    assert deal.due_in_state is None
    with pytest.raises(Conflict):
        w.app.deals.update(w.mgr, deal.id, {"name": "x"})


def test_a_lost_deal_needs_a_reason(w):
    deal = register(w)
    with pytest.raises(ValidationFailed) as err:
        w.app.deals.move(w.mgr, deal.id, "lost")
    assert err.value.errors == {"reason": "required"}
    deal = w.app.deals.move(w.mgr, deal.id, "lost", reason="Дорого")
    assert (deal.outcome, deal.close_reason, deal.probability) == ("lost", "Дорого", 0)


def test_an_over_norm_deal_is_escalated_to_the_manager_then_the_head_once_each(w):
    deal = register(w)
    assert w.app.deals.escalate() == 0
    w.clock.current = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)  # the norm: 3 working days
    assert w.app.deals.escalate() == 1
    assert w.app.deals.escalate() == 0
    inbox = [m for m in w.app.messages.inbox(w.mgr) if m.message_kind is MessageKind.NOTIFICATION]
    assert any("превышен норматив" in m.text for m in inbox)
    # two more working days (Thursday noon → Monday noon) and the head is told
    w.clock.current = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    assert w.app.deals.escalate() == 0
    w.clock.current = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert w.app.deals.escalate() == 1
    assert w.app.deals.escalate() == 0
    # a new stay in another state starts again
    w.app.deals.update(w.mgr, deal.id, {"attributes": {"address": "Ленина, 1"}})
    w.app.deals.move(w.mgr, deal.id, "survey")
    assert w.app.deals.escalate() == 0


def test_the_board_and_the_forecast(w):
    a = register(w)
    b = register(w, amount="80 000", expected_close_on="2026-05-20",
                 attributes={"address": "Мира, 2"})
    w.app.deals.move(w.mgr, b.id, "survey")
    board = w.app.deals.board(w.d, w.tpl.id)
    columns = {c.state.code: c for c in board.columns}
    assert columns["lead"].figures.count == 1 and columns["survey"].figures.count == 1
    assert columns["lead"].figures.weighted == Decimal("12000")
    assert columns["survey"].figures.weighted == Decimal("20000")
    assert [d.id for d in columns["lead"].cards] == [a.id]
    assert board.client_names == {w.card.id: "Альфа"}
    forecast = w.app.deals.forecast(w.d, {"start": "2026-03-01", "months": 4})
    by_month = {m.month: m for m in forecast.months}
    assert by_month[date(2026, 4, 1)].weighted == Decimal("12000.00")
    assert by_month[date(2026, 5, 1)].weighted == Decimal("20000.00")
    assert forecast.totals.pipeline == Decimal("200000.00")
    # a manager sees their own figures; another's are refused
    assert w.app.deals.forecast(w.mgr, {"months": 2}).filters.manager_id == w.mgr
    with pytest.raises(Forbidden):
        w.app.deals.board(w.other, w.tpl.id, {"manager_id": w.mgr})


def test_rights_over_deals(w):
    deal = register(w)
    with pytest.raises(Forbidden):
        w.app.deals.move(w.other, deal.id, "lost", reason="x")
    with pytest.raises(Forbidden):
        w.app.deals.register(w.other, {"counterparty_id": w.card.id,
                                       "template_id": w.tpl.id, "name": "x"})
    # whoever sees the client sees its deals
    assert w.app.deals.get(w.other, deal.id).id == deal.id
    supply = next(t for t in w.app.deal_templates.templates(w.d)
                  if t.code == "equipment_supply")
    s = w.app.deals.register(w.mgr, {"counterparty_id": w.card.id, "template_id": supply.id,
                                     "name": "Коммутаторы", "amount": "50000",
                                     "attributes": {"equipment": "Коммутатор x2"}})
    s = w.app.deals.move(w.mgr, s.id, "quote")
    with pytest.raises(Forbidden):
        w.app.deals.approve(w.mgr, s.id, "discount")
    with pytest.raises(Forbidden):
        w.app.deals.approve(w.other, s.id, "discount")
    # the manager's department head supervises the deal: edits it, records approvals
    assert w.app.deals.card(w.head, s.id).may_approve
    w.app.deals.update(w.head, s.id, {"note": "Проверено руководителем"})
    with pytest.raises(ValidationFailed):
        w.app.deals.approve(w.head, s.id, "nonsense")
    s = w.app.deals.approve(w.head, s.id, "discount")
    assert s.approvals == ("discount",)
    # Sales management (granted by the Director) may too
    w.app.access.grant(w.d, w.other, Role.SALES_MANAGEMENT.value, w.app.org.company().ref)
    assert w.app.deals.card(w.other, s.id).may_approve


def test_templates_keep_states_in_use_and_refuse_unknown_fields(w):
    view = w.app.deal_templates.template(w.d, w.tpl.id)
    register(w)
    from ecrm_core.workflow.definition import dump_definition

    plan = dump_definition(view.state_set.states, view.state_set.transitions)
    without_lead = {"states": [s for s in plan["states"] if s["code"] != "lead"],
                    "transitions": [t for t in plan["transitions"]
                                    if "lead" not in (t["from_state"], t["to_state"])]}
    with pytest.raises(ValidationFailed) as err:
        w.app.deal_templates.update(w.d, w.tpl.id, without_lead)
    assert "states" in err.value.errors
    added = {"states": [*plan["states"], {"code": "pilot", "name": "Пилот", "order": 35,
                                          "probability": 60, "norm_days": 10}],
             "transitions": [*plan["transitions"],
                             {"from_state": "proposal", "to_state": "pilot", "name": "Пилот"},
                             {"from_state": "pilot", "to_state": "negotiation",
                              "name": "После пилота"}]}
    tpl = w.app.deal_templates.update(w.d, w.tpl.id, added)
    assert "pilot" in w.app.deal_templates.template(w.d, tpl.id).state_set.codes
    bad = {"states": [{**plan["states"][0], "required": ["nonexistent"]},
                      *plan["states"][1:]], "transitions": plan["transitions"]}
    with pytest.raises(ValidationFailed) as err:
        w.app.deal_templates.update(w.d, w.tpl.id, bad)
    assert err.value.errors == {"states[0].required[0]": "no such field or attribute of the deal"}
    with pytest.raises(Forbidden):
        w.app.deal_templates.update(w.mgr, w.tpl.id, {"name": "x"})
    created = w.app.deal_templates.create(w.d, {
        "code": "simple", "name": "Простая", "attributes": [
            {"code": "source", "label": "Источник", "type": "text"}],
        "states": [{"code": "open", "name": "Открыта", "initial": True, "probability": 30},
                   {"code": "won", "name": "Выиграна", "final": True, "outcome": "won"}],
        "transitions": [{"from_state": "open", "to_state": "won", "name": "Выиграть",
                         "guards": [{"type": "required_fields", "fields": ["source"]}]}]})
    assert created.code == "simple"


def test_the_calendar_counts_holidays_and_transfers():
    cal = WorkCalendar(days_off=frozenset({date(2026, 3, 9)}),
                       working_days=frozenset({date(2026, 3, 14)}))
    friday = datetime(2026, 3, 6, 7, 0, tzinfo=UTC)  # 10:00 Moscow
    # Friday 10:00 + 1 working day: Monday 9 March is a day off → Tuesday 10:00
    assert cal.add_working_days(friday, 1, "Europe/Moscow") == datetime(
        2026, 3, 10, 7, 0, tzinfo=UTC)
    saturday = datetime(2026, 3, 14, 7, 0, tzinfo=UTC)
    assert cal.working_time(saturday, saturday + timedelta(hours=5), "Europe/Moscow") \
        == timedelta(hours=5)
    # Friday 14 h, the weekend and Monday off, Tuesday 10 h
    assert cal.working_time(friday, friday + timedelta(days=4), "Europe/Moscow") \
        == timedelta(hours=14 + 10)


def test_invoices_and_documents_move_a_deal_by_themselves_when_a_transition_waits(w):
    """Automatic transitions on "invoice paid" and "document attached" (DEAL-2) are made
    when the invoice is paid or the document uploaded, not at the next edit."""
    tpl = w.app.deal_templates.create(w.d, {
        "code": "auto", "name": "Автоматическая",
        "states": [{"code": "open", "name": "Открыта", "initial": True, "probability": 20},
                   {"code": "signed", "name": "Подписана", "probability": 80},
                   {"code": "won", "name": "Выиграна", "final": True, "outcome": "won"}],
        "transitions": [
            {"from_state": "open", "to_state": "signed", "name": "Договор", "automatic": True,
             "guards": [{"type": "condition_holds", "condition": "document_attached"}]},
            {"from_state": "signed", "to_state": "won", "name": "Оплата", "automatic": True,
             "guards": [{"type": "condition_holds", "condition": "invoice_paid"}]}]})
    deal = w.app.deals.register(w.mgr, {"counterparty_id": w.card.id, "template_id": tpl.id,
                                        "name": "Авто", "amount": "1000"})
    assert deal.state == "open"
    w.app.documents.upload(w.mgr, "deal", deal.id, "contract.pdf", PDF)
    assert w.app.deals.get(w.mgr, deal.id).state == "signed"
    invoice = w.app.invoices.create(w.mgr, {
        "counterparty_id": w.card.id, "deal_id": deal.id,
        "lines": [{"name": "Услуга", "quantity": "1", "price": "1000"}]})
    w.app.invoices.move(w.mgr, invoice.id, "issued")
    assert w.app.deals.get(w.mgr, deal.id).state == "signed"
    w.app.invoices.register_payment(w.mgr, invoice.id, {"amount": "1000"})
    deal = w.app.deals.get(w.mgr, deal.id)
    assert (deal.state, deal.outcome) == ("won", "won")
    with pytest.raises(ValidationFailed) as err:
        w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id, "deal_id": deal.id,
                                      "lines": [{"name": "x", "quantity": "1", "price": "1"}]})
    assert err.value.errors == {"deal_id": "the deal is closed"}


def test_an_edit_of_the_states_alone_moves_the_templates_version(w):
    """Two administrators editing a template's states: the second, prepared against the
    first version, is refused instead of overwriting (DEAL-1)."""
    from ecrm_core.workflow.definition import dump_definition

    view = w.app.deal_templates.template(w.d, w.tpl.id)
    plan = dump_definition(view.state_set.states, view.state_set.transitions)
    renamed = {**plan, "states": [{**plan["states"][0], "name": "Лид"}, *plan["states"][1:]],
               "version": view.template.version}
    after = w.app.deal_templates.update(w.d, w.tpl.id, renamed)
    assert after.version == view.template.version + 1
    with pytest.raises(Conflict):
        w.app.deal_templates.update(w.d, w.tpl.id, {**renamed, "name": "Другое"})


def test_the_conditions_to_leave_a_state_do_not_hold_back_losing_the_deal(w):
    """«Коммерческое предложение» is left only with a document attached, «Счёт выставлен»
    only with the discount approved — yet either deal may be lost (with a reason)."""
    deal = register(w, attributes={"address": "Ленина, 1", "bandwidth": "100"})
    for state in ("survey", "proposal"):
        deal = w.app.deals.move(w.mgr, deal.id, state)
    with pytest.raises(ValidationFailed) as err:
        w.app.deals.move(w.mgr, deal.id, "negotiation")
    assert "document_attached" in err.value.errors
    deal = w.app.deals.move(w.mgr, deal.id, "lost", reason="Выбрали конкурента")
    assert deal.outcome == "lost"
    supply = next(t for t in w.app.deal_templates.templates(w.d)
                  if t.code == "equipment_supply")
    s = w.app.deals.register(w.mgr, {"counterparty_id": w.card.id, "template_id": supply.id,
                                     "name": "Коммутаторы", "amount": "50000",
                                     "attributes": {"equipment": "Коммутатор x2"}})
    s = w.app.deals.move(w.mgr, s.id, "quote")
    assert w.app.deals.move(w.mgr, s.id, "lost", reason="Нет бюджета").outcome == "lost"


def test_payments_are_planned_once_per_state_on_the_managers_local_day(w):
    """A deal that comes back to a state does not plan its payments again; a payment's due
    day is the manager's local day (Moscow), not the UTC date."""
    tpl = w.app.deal_templates.create(w.d, {
        "code": "loop", "name": "Петля",
        "states": [{"code": "a", "name": "А", "initial": True},
                   {"code": "b", "name": "Б", "probability": 50,
                    "on_enter": [{"type": "plan_payment", "amount_field": "amount",
                                  "percent": "50", "due_in_days": 4}]},
                   {"code": "won", "name": "Выиграна", "final": True, "outcome": "won"}],
        "transitions": [{"from_state": "a", "to_state": "b", "name": "Вперёд"},
                        {"from_state": "b", "to_state": "a", "name": "Назад"},
                        {"from_state": "b", "to_state": "won", "name": "Выиграть"}]})
    # 22:30 UTC on 25 April is 01:30 on 26 April in Moscow
    w.clock.current = datetime(2026, 4, 25, 22, 30, tzinfo=UTC)
    deal = w.app.deals.register(w.mgr, {"counterparty_id": w.card.id, "template_id": tpl.id,
                                        "name": "Петля", "amount": "1000"})
    for state in ("b", "a", "b", "a", "b"):
        deal = w.app.deals.move(w.mgr, deal.id, state)
    card = w.app.deals.card(w.mgr, deal.id)
    assert [(p.amount.amount, p.due_on) for p in card.payments] == [
        (Decimal("500.00"), date(2026, 4, 30))]
    assert deal.planned.amount == Decimal("500.00")


def test_a_templates_states_are_edited_with_the_template_only(w):
    """The state set editor refuses a template's set: the template's own checks and its
    version guard every edit of its states (DEAL-1)."""
    view = w.app.deal_templates.template(w.d, w.tpl.id)
    with pytest.raises(Conflict):
        w.app.state_sets.update(w.d, view.state_set.id, {"name": "Другое"})
    with pytest.raises(ValidationFailed) as err:
        w.app.state_sets.create(w.d, {"code": "deal:other", "name": "x", "states": [],
                                      "transitions": []})
    assert set(err.value.errors) == {"code"}


def test_an_approval_is_asked_again_when_the_amount_or_the_terms_change(w):
    supply = next(t for t in w.app.deal_templates.templates(w.d)
                  if t.code == "equipment_supply")
    s = w.app.deals.register(w.mgr, {"counterparty_id": w.card.id, "template_id": supply.id,
                                     "name": "Коммутаторы", "amount": "50000",
                                     "attributes": {"equipment": "Коммутатор x2",
                                                    "discount": "5"}})
    s = w.app.deals.move(w.mgr, s.id, "quote")
    s = w.app.deals.approve(w.head, s.id, "discount")
    assert w.app.deals.card(w.mgr, s.id).wanted_approvals == []
    s = w.app.deals.update(w.mgr, s.id, {"note": "без изменений условий"})
    assert s.approvals == ("discount",)
    s = w.app.deals.update(w.mgr, s.id, {"attributes": {"discount": "15"}})
    assert s.approvals == ()
    assert w.app.deals.card(w.mgr, s.id).wanted_approvals == ["discount"]
    with pytest.raises(ValidationFailed) as err:
        w.app.deals.forecast(w.d, {"months": "0"})
    assert err.value.errors == {"months": "a whole number from 1 to 36"}
