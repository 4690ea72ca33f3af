"""`ecrm demo`: a fresh database with the demo company, built through the core's use
cases; refuses to overwrite an initialised database unless --force (issue 2 point 7)."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from ecrm_adapters import demo
from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.engine import normalise_url
from ecrm_core.access.model import Role
from ecrm_core.kernel import refs
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.messages.model import MessageKind
from ecrm_core.org.model import ServiceState
from tests.cli.conftest import Ecrm
from tests.conftest import IN_CI


def _counts(ecrm: Ecrm) -> dict:
    system = ecrm.system()
    try:
        app = system.app
        [director] = app.access.directors()
        me = director.id
        employees = app.org.employees(me)
        departments = app.org.departments(me)
        services = [s for owner in [*(d.ref for d in departments),
                                    *(p.ref for p in app.org.projects(me)),
                                    *(e.ref for e in employees)]
                    for s in app.org.services_of(me, owner)]
        inbox = app.messages.inbox(me)
        with system.engine.connect() as conn:
            tasks = conn.execute(select(t.tasks)).mappings().all()
            conn_rows = {table.name: conn.execute(select(table.c.id)).all() for table in (
                t.contracts, t.requests, t.invoices, t.service_kinds)}
            # issue 6: the deals of the two default templates, by template and state
            deal_rows = Counter(
                (code, state) for code, state in conn.execute(
                    select(t.deal_templates.c.code, t.deals.c.state).join(
                        t.deals, t.deals.c.template_id == t.deal_templates.c.id)))
            # issue 6: customer orders by state, their billing hand-offs by state
            order_rows = Counter(state for (state,) in conn.execute(select(t.orders.c.state)))
            handoff_rows = Counter(
                getattr(state, "value", state)
                for (state,) in conn.execute(select(t.billing_handoffs.c.state)))
        return {
            "company": app.org.company().name,
            "director": director.login,
            "employees": len(employees),
            "active": sum(e.active for e in employees),
            "departments": len(departments),
            "nested": sum(d.parent_id is not None for d in departments),
            "headed": sum(d.head_id is not None for d in departments),
            "projects": len(app.org.projects(me)),
            "roles": sorted({a.role.value for a in app.access.assignments(me)}),
            # the organisation's roles (the client base's roles: test_demo_clients; the
            # invoice managers: test_the_demo_sales_documents)
            "assignments": len([a for a in app.access.assignments(me)
                                if a.scope_kind not in ("catalog", "counterparty",
                                                        "invoice")]),
            "service_types": len(app.org.service_types(me)),
            "services": len(services),
            "closed": sum(s.state is ServiceState.CLOSED for s in services),
            "unavailable": sum(not s.available for s in services),
            "owner_kinds": sorted({s.owner_kind for s in services}),
            "director_inbox": sorted(m.message_kind.value for m in inbox),
            "emails": all(e.email.endswith("@example.ru") for e in employees),
            "history": len(app.history.of(me, ObjectRef(refs.EMPLOYEE, me))),
            "phone": app.org.employee_by_login("e.kuznetsova").phone,
            # issue 4: tasks and escalation rules (the dates follow the day of the build)
            "tasks": len(tasks),
            "done": sum(r["state"] == "done" and bool(r["result"]) for r in tasks),
            "client_tasks": sum(r["counterparty_id"] is not None for r in tasks),
            "with_contact": sum(r["contact_id"] is not None for r in tasks) > 0,
            "set_by_others": sum(r["created_by"] != r["responsible_id"] for r in tasks),
            "with_direction": sum(r["project_id"] is not None for r in tasks),
            "responsibles": len({r["responsible_id"] for r in tasks}),
            "escalation_rules": sorted((r.name, r.target.value)
                                       for r in app.tasks.escalation_rules(me)),
            # issue 5: the nomenclature, prices and sales documents (ECRM_DEMO_CLIENTS=200:
            # 4 % of the full base's 300 contracts, 500 requests, 800 invoices)
            "items": app.products.items(me, include_inactive=True)[1],
            "item_groups": [g.name for _depth, g in app.products.groups(me)],
            "documents": {name: len(conn_rows[name]) for name in (
                "contracts", "requests", "invoices", "service_kinds")},
            "requisites": sorted(app.org.company().requisites),
            "deal_templates": sorted(tpl.code for tpl in app.deal_templates.templates(me)),
            "deals": sum(deal_rows.values()),
            "deal_states": sorted(deal_rows),
            "approval_routes": [(r.name, len(r.steps)) for r in app.orders.routes(me)],
            "orders": dict(order_rows),
            "handoffs": dict(handoff_rows),
        }
    finally:
        system.close()


EXPECTED = {
    "company": "ООО «СибТелеком Сервис»",
    "director": "director",
    "employees": 21,
    "active": 20,
    "departments": 5,
    "nested": 2,
    "headed": 5,
    "projects": 4,
    "roles": sorted(r.value for r in (Role.DIRECTOR, Role.ADMINISTRATOR, Role.MANAGEMENT,
                                      Role.SALES_MANAGEMENT, Role.CATALOG_CURATOR,
                                      Role.CLIENT_MANAGER, Role.CLIENT_REGISTRAR,
                                      Role.INVOICE_MANAGER)),
    "assignments": 11,
    "service_types": 6,
    "services": 21,
    "closed": 1,
    "unavailable": 2,  # the closed one and one switched off
    "owner_kinds": ["department", "employee", "project"],
    "director_inbox": sorted(k.value for k in MessageKind),
    "emails": True,
    "tasks": 61,
    "done": 15,
    "client_tasks": 49,
    "with_contact": True,
    "set_by_others": 2,
    "with_direction": 9,
    "responsibles": 20,
    "escalation_rules": [
        ("Задача просрочена на 3 рабочих дня → директору", "director"),
        ("Звонок просрочен на 1 рабочий день → руководителю", "head"),
    ],
    "items": len(demo.ITEMS),
    "item_groups": ["Интернет", "Оборудование", "Работы", "Телефония"],
    "documents": {"contracts": 12, "requests": 20, "invoices": 32, "service_kinds": 3},
    "requisites": sorted(("full_name", "inn", "kpp", "ogrn", "address", "phone", "bank",
                          "bik", "account", "corr_account", "director", "accountant")),
    # issue 6: the default templates and deals in every one of their states
    # (ECRM_DEMO_CLIENTS=200: the minimum of 40 deals)
    "deal_templates": ["b2b_connection", "equipment_supply"],
    "deals": demo.MIN_DEALS,
    "deal_states": sorted(
        [("b2b_connection", s) for s in ("lead", "survey", "proposal", "negotiation",
                                         "payment", "won", "lost")]
        + [("equipment_supply", s) for s in ("request", "quote", "prepaid", "shipped",
                                             "lost")]),
    # issue 6: a route of three steps and orders in every state (ORD-1…ORD-3): drafts (3
    # of them returned by a refusal), waiting at each step, approved, in connection (one
    # hand-off tried once, one refused by the billing system), connected, cancelled
    "approval_routes": [(demo.ORDER_ROUTE, 3)],
    "orders": {"draft": 8, "approval": 8, "approved": 4, "connection": 4, "connected": 6,
               "cancelled": 2},
    "handoffs": {"pending": 3, "failed": 1, "accepted": 6},
}


def test_demo_builds_the_demo_company(ecrm):
    result = ecrm("demo")
    assert "Login: director" in result.output
    assert f"Password: {demo.DEMO_PASSWORD}" in result.output
    assert "ecrm serve" in result.output and "http://127.0.0.1:8000/" in result.output
    counts = _counts(ecrm)
    assert {k: counts[k] for k in EXPECTED} == EXPECTED
    assert counts["history"] >= 1  # built through the services: history was written
    marker = json.loads((Path(ecrm.env["ECRM_DATA_DIR"]) / demo.MARKER).read_text())
    assert (marker["login"], marker["password"]) == ("director", demo.DEMO_PASSWORD)


def test_the_demo_password_signs_in(ecrm):
    ecrm("demo")
    system = ecrm.system()
    try:
        assert system.app.auth.login("director", demo.DEMO_PASSWORD)[0].login == "director"
        assert system.app.auth.login("e.kuznetsova", demo.DEMO_PASSWORD)[0].department_id
        assert demo.demo_credentials(system) == demo.DemoCredentials("director",
                                                                     demo.DEMO_PASSWORD)
    finally:
        system.close()


def test_the_demo_tasks_lie_around_today_and_some_are_escalated(ecrm):
    """Issue 4: overdue, today's and future planned tasks, done ones with results;
    the escalation rules have something to say (`ecrm tasks escalate --dry-run`), and
    the run sends it once."""
    ecrm("demo")
    system = ecrm.system()
    try:
        app = system.app
        me = app.access.directors()[0].id
        smirnova = app.org.employee_by_login("a.smirnova").id

        def count(**filters):
            return app.tasks.of_employee(me, smirnova, filters).total

        # the day the demo was built on: its "today" tasks are due then
        today = next(t.due_date for t in app.tasks.of_employee(
            me, smirnova, {"state": "planned"}).rows if t.what.startswith("Согласовать удобное"))
        assert count(state="overdue") >= 3
        assert count(state="planned", date_from=today.isoformat(),
                     date_to=today.isoformat()) == 2
        assert count(state="planned", date_from=(today + timedelta(days=1)).isoformat()) == 3
        assert count(state="done") == 2
        assert count(section="employee") == 2  # personal tasks
        [late_call] = [t for t in app.tasks.of_employee(me, smirnova, {"state": "overdue"},
                                                        ).rows
                       if t.what.startswith("Напомнить о продлении")]
    finally:
        system.close()

    dry = ecrm("tasks", "escalate", "--dry-run").stdout
    listed = [line for line in dry.splitlines()[1:-1] if line.strip()]
    assert any(line.startswith(f"{late_call.id} ") and "Кузнецова Елена Александровна" in line
               and "Звонок просрочен на 1 рабочий день → руководителю" in line
               for line in listed), dry
    assert f"Sent {len(listed)} escalation(s)" in ecrm("tasks", "escalate").stdout
    assert ecrm("tasks", "escalate", "--dry-run").stdout.strip() == "Nothing to escalate now."
    system = ecrm.system()
    try:
        me = system.app.access.directors()[0].id
        assert any(e.action == "TaskEscalated"
                   for e in system.app.history.of(me, late_call.ref))
    finally:
        system.close()


def check_demo_sales(system, invoice_states: set[str], request_states: set[str]) -> dict:
    """The demo's sales documents are what the services would have made (issue 5): every
    invoice's sums are its lines' (INV-1), priced from the list of its client's price type
    on its day (PRD-2, PRD-3), its payments add up to what it shows paid and agree with its
    state (INV-2); the settlements are the clients' (CP-13); the company's requisites pass
    the core's checks; the services work on the data and numbers go on from the demo's."""
    from ecrm_core.counterparties.requisites import account_error, inn_error, kpp_error
    from ecrm_core.money import Money
    from ecrm_core.products.services import price_for, price_type_for
    from ecrm_core.sales.invoices import resettle

    app = system.app
    me = app.access.directors()[0].id
    requisites = app.org.company().requisites
    assert inn_error(requisites["inn"], "legal_entity") is None
    assert kpp_error(requisites["kpp"]) is None
    assert account_error(requisites["account"], requisites["bik"]) is None
    assert account_error(requisites["corr_account"], requisites["bik"], True) is None
    with app.uow_factory(readonly=True) as uow:
        invoices = uow.invoices.list()
        requests = uow.requests.list()
        assert {i.state for i in invoices} == invoice_states
        assert {r.state for r in requests} == request_states
        assert {r.request_kind.value for r in requests} >= {"counterparty", "internal"}
        for invoice in invoices:
            assert 2 <= len(invoice.lines) <= 6
            assert invoice.total == invoice.totals().total
            client = uow.counterparties.get(invoice.counterparty_id)
            kind = price_type_for(uow, client.client_type_id)
            assert invoice.price_type_id == kind.id
            for line in invoice.lines:
                listed = price_for(uow, line.item_id, kind.id, invoice.issued_on)
                assert listed is not None and listed.amount == line.price, invoice.number
                assert line.vat_rate == ("22" if invoice.issued_on.year >= 2026 else "20")
            paid = Money.total(p.amount for p in uow.payments.list(invoice_id=invoice.id))
            assert paid == invoice.paid
            assert {"paid": paid == invoice.total,
                    "partly_paid": bool(paid) and paid < invoice.total}.get(
                invoice.state, not paid), (invoice.number, invoice.state)
            assert uow.roles.first(role=Role.INVOICE_MANAGER, scope_kind="invoice",
                                   scope_id=invoice.id).employee_id == invoice.author_id
        for card in {i.counterparty_id for i in invoices}:
            stored = uow.settlements.first(counterparty_id=card)
            counted = resettle(uow, card)
            assert stored is not None and (stored.invoiced, stored.paid) == (
                counted.invoiced, counted.paid)
        prices = uow.prices.list(order_by=("item_id", "price_type_id", "valid_from"))
        per_item = Counter((p.item_id, p.price_type_id) for p in prices)
        assert set(per_item.values()) == {3, 4}, "two or three changes of every price"
        assert {p.valid_from.year for p in prices} == {2025, 2026}
        typed = uow.counterparties.count(client_type_id__ne=None)
        acts = uow.acts.count()
    assert typed > 0 and acts > 0
    paid = next(i for i in invoices if i.state == "paid")
    assert app.invoices.printable(me, paid.id).state_name == "Оплачен"
    card = invoices[-1].counterparty_id
    made = app.invoices.create(me, {"counterparty_id": card, "lines": [
        {"item_id": invoices[-1].lines[0].item_id, "quantity": 1}]})
    assert int(made.number) == len(invoices) + 1, "the number sequence goes on"
    return {"invoices": len(invoices), "requests": len(requests), "acts": acts}


def test_the_demo_sales_documents(ecrm):
    """Issue 5: the company's requisites, the nomenclature with dated retail and
    wholesale prices, client types, contracts, requests and invoices in every state with
    payments and acts — made through the core's model, consistent with its rules."""
    ecrm("demo")
    system = ecrm.system()
    try:
        counts = check_demo_sales(
            system, {"draft", "issued", "partly_paid", "paid", "cancelled"},
            {"new", "in_work", "done", "cancelled"})
    finally:
        system.close()
    assert counts["invoices"] == demo.sales_counts(200)["invoices"]


def check_demo_deals(system) -> Counter:
    """The demo's deals are what ``DealService`` would have made (issue 6, DEAL-2…DEAL-4):
    a stay for every state each went through, back to back, the last one its current
    state, the closed ones' working time by the calendar; the state's probability, norm
    (``due_in_state``) and outcome, a reason for the lost ones; the payments planned on
    entering a state, adding up to the deal's ``planned``; what the conditions of the
    states it left asked for (the attributes each state requires, a document past the
    proposal, an invoice of its client issued for it — paid for the won ones —, the
    discount approval past the quote). Returns the deals by (template, state)."""
    from ecrm_core.deals.services import calendar_of
    from ecrm_core.money import Money
    from ecrm_core.workflow.model import PlanPayment

    found: Counter = Counter()
    zone = demo.DEMO_TIMEZONE
    with system.app.uow_factory(readonly=True) as uow:
        calendar = calendar_of(uow)
        templates = {tpl.id: tpl for tpl in uow.deal_templates.list()}
        sets = {tpl.id: uow.state_sets.first(code=tpl.set_code) for tpl in templates.values()}
        invoices = {i.deal_id: i for i in uow.invoices.list(deal_id__ne=None)}
        documents = {d.owner_id for d in uow.documents.list(owner_kind="deal")}
        now = system.app.clock.now()
        for deal in uow.deals.list(order_by=("id",)):
            code = templates[deal.template_id].code
            found[code, deal.state] += 1
            state_set = sets[deal.template_id]
            state = state_set.state(deal.state)
            stays = uow.deal_stages.list(deal_id=deal.id, order_by=("entered_at", "id"))
            path = [stay.state for stay in stays]
            assert path[-1] == deal.state and stays[-1].left_at is None, deal.number
            assert stays[-1].entered_at == deal.state_entered_at
            assert stays[0].entered_at == deal.created_at <= deal.state_entered_at <= now
            for stay, following in zip(stays, stays[1:], strict=False):
                assert stay.left_at == following.entered_at > stay.entered_at
                assert state_set.between(stay.state, following.state) is not None, path
                assert stay.working_hours == round(calendar.working_time(
                    stay.entered_at, stay.left_at, zone).total_seconds() / 3600, 2)
            assert deal.probability == state.probability
            if state.final:
                assert deal.closed_at == deal.state_entered_at and deal.due_in_state is None
                assert deal.outcome == state.outcome.value
                assert bool(deal.close_reason) == (deal.outcome == "lost")
            else:
                assert deal.closed_at is None and deal.outcome is None
                assert deal.due_in_state == calendar.add_working_days(
                    deal.state_entered_at, state.norm_days, zone)
            payments = uow.deal_payments.list(deal_id=deal.id)
            planned = [(stay.state, action) for stay in stays
                       for action in state_set.state(stay.state).on_enter
                       if isinstance(action, PlanPayment)]
            assert sorted(p.state for p in payments) == sorted(s for s, _a in planned)
            assert deal.planned == Money.total(p.amount for p in payments)
            for reached in path:
                for name in state_set.state(reached).required:
                    assert deal.value(name) not in (None, ""), (deal.number, name)
            assert ("negotiation" in path) == (deal.id in documents), deal.number
            invoice = invoices.get(deal.id)
            needs = {"payment": {"issued", "partly_paid", "paid"}, "won": {"paid"},
                     "prepaid": {"issued", "partly_paid", "paid"}, "shipped": {"paid"}}
            wanted = next((needs[s] for s in reversed(path) if s in needs), None)
            if wanted is None:
                assert invoice is None, deal.number
            else:
                assert invoice is not None and invoice.state in wanted, deal.number
                assert invoice.counterparty_id == deal.counterparty_id
                assert deal.amount == invoice.total
            if code == "equipment_supply" and len(path) > 2 and "lost" not in path:
                assert deal.approvals == ("discount",)
    return found


def test_the_demo_deals(ecrm):
    """Issue 6: the two default templates and deals in every state of both — some over
    their norm, some won, some lost with a reason — consistent with the core's rules; the
    services work on them (a move, a new deal numbered on, the board and the forecast,
    the escalation of the over-norm ones, once)."""
    ecrm("demo")
    system = ecrm.system()
    try:
        states = check_demo_deals(system)
        assert sum(states.values()) == demo.deal_counts(200)
        app = system.app
        me = app.access.directors()[0].id
        now = app.clock.now()
        with app.uow_factory(readonly=True) as uow:
            deals = uow.deals.list(order_by=("id",))
        assert sum(d.overdue(now) for d in deals) > 0
        assert sum(not d.overdue(now) and d.is_open for d in deals) > 0
        assert {d.outcome for d in deals} == {None, "won", "lost"}
        for template in app.deal_templates.templates(me):
            board = app.deals.board(me, template.id)
            assert sum(c.figures.count for c in board.columns) == sum(
                d.template_id == template.id and d.is_open for d in deals)
        forecast = app.deals.forecast(me, {"months": 6})
        assert forecast.totals.pipeline > 0 and forecast.totals.planned > 0
        lead = next(d for d in deals if d.state == "lead")
        moved = app.deals.move(me, lead.id, "lost", reason="Клиент не отвечает",
                               version=lead.version)
        assert moved.outcome == "lost"
        card = app.deals.card(me, lead.id)
        assert [s.state for s in card.stages][-2:] == ["lead", "lost"]
        made = app.deals.register(me, {"counterparty_id": lead.counterparty_id,
                                       "template_id": lead.template_id, "name": "Ещё одна"})
        assert int(made.number) == len(deals) + 1, "the number sequence goes on"
        assert app.deals.escalate() > 0
        assert app.deals.escalate() == 0
    finally:
        system.close()


def test_the_demo_orders(ecrm):
    """Issue 6 (ORD-1…ORD-3): the demo's orders are what the services make — lines priced
    from the list of the client's price type on the order's day, totals their estimate's;
    each waiting round asks the approvers of its step; refusals carry their reason to the
    author; hand-offs accepted, waiting, refused with their errors — and the services work
    on them (the waiting step's approver answers, a postponed hand-off is delivered once,
    an accepted one never again)."""
    from ecrm_core.orders.model import HandoffState, RoundStatus
    from ecrm_core.orders.services import OrderService, approvers, latest_round
    from ecrm_core.products.services import price_for, price_type_for
    from tests.fakes import FakeBilling

    ecrm("demo")
    system = ecrm.system()
    try:
        app = system.app
        me = app.access.directors()[0].id
        with app.uow_factory(readonly=True) as uow:
            orders = uow.orders.list(order_by=("id",))
            assert len(orders) == demo.order_count()
            for order in orders:
                assert order.one_time_total == order.estimate().one_time.total
                assert order.monthly_total == order.estimate().monthly.total
                kind = price_type_for(uow, uow.counterparties.get(
                    order.counterparty_id).client_type_id)
                assert order.price_type_id == kind.id
                for line in order.lines:
                    listed = price_for(uow, line.item_id, kind.id, order.ordered_on)
                    assert listed is not None and listed.amount == line.price, order.number
                current = latest_round(uow, order.id)
                if order.state == "approval":
                    assert current.status is RoundStatus.PENDING
                    assert current.step == len(current.decisions)
                    asked = approvers(uow, current.current, [])
                    for employee_id in asked:
                        assert any(m.subject == order.ref for m in uow.messages.list(
                            recipient_id=employee_id, action=f"order_approval:{current.id}:"
                                                             f"{current.step}"))
                if current is not None and current.status is RoundStatus.REFUSED:
                    assert order.state == "draft" and current.decisions[-1].reason
            handoffs = uow.billing_handoffs.list()
            for handoff in handoffs:
                if handoff.state is HandoffState.ACCEPTED:
                    assert handoff.accepted_at and handoff.attempts == 1
                    assert uow.orders.get(handoff.order_id).state == "connected"
                elif handoff.state is HandoffState.FAILED:
                    assert "лицевой счёт" in handoff.last_error
        refused = next(o for o in orders if o.state == "draft"
                       and app.orders.rounds(me, o.id))
        reason = app.orders.rounds(me, refused.id)[0].decisions[-1].reason
        assert any(reason in m.text for m in app.messages.inbox(refused.author_id,
                                                                  per_page=200))
        # the services go on from the demo's data
        waiting = next(o for o in orders if o.state == "approval"
                       and app.orders.rounds(me, o.id)[0].step == 0)
        volkov = app.org.employee_by_login("s.volkov").id
        assert app.orders.current_approvers(me, waiting.id) == {volkov}
        assert app.orders.decide(volkov, waiting.id, True, "").step == 1
        billing = FakeBilling()
        delivery = OrderService(app.uow_factory, app.clock, billing)
        later = app.clock.now() + timedelta(hours=1)
        report = delivery.redeliver_due(later)
        assert (report.accepted, report.failed, report.waiting) == (3, 0, 0)
        assert delivery.redeliver_due(later) == type(report)()
        assert len(billing.sent) == 3, "an accepted hand-off is never sent again"
    finally:
        system.close()


def test_the_demo_without_a_client_base_has_personal_tasks_only(ecrm):
    ecrm("demo", "--clients", "0")
    counts = _counts(ecrm)
    assert counts["client_tasks"] == 0
    assert counts["tasks"] == len([s for s in demo.TASKS if s.client is None])


def test_demo_refuses_an_initialised_database_without_force(initialised):
    result = initialised("demo", code=1)
    assert "--force" in result.output
    assert _company(initialised) == "ООО «Ромашка»"


def test_demo_force_wipes_and_rebuilds_the_same_data(ecrm):
    ecrm("demo")
    first = _counts(ecrm)
    ecrm("demo", code=1)
    result = ecrm("demo", "--force")
    assert "Wiped" in result.output
    second = _counts(ecrm)
    assert second == first  # deterministic, and nothing doubled


def test_demo_keep_leaves_an_initialised_database_alone(initialised, ecrm):
    result = initialised("demo", "--keep")
    assert "kept" in result.output
    assert _company(initialised) == "ООО «Ромашка»"
    assert "contradict" in initialised("demo", "--keep", "--force", code=2).output


def test_demo_keep_builds_when_the_database_is_empty_and_repeats_the_login(ecrm):
    ecrm("demo", "--keep")
    assert _company(ecrm) == demo.COMPANY
    again = ecrm("demo", "--keep")
    assert "kept" in again.output and f"Password: {demo.DEMO_PASSWORD}" in again.output


def test_demo_force_replaces_a_company_made_by_init(initialised):
    initialised("demo", "--force")
    assert _company(initialised) == demo.COMPANY


def _company(ecrm: Ecrm) -> str:
    system = ecrm.system()
    try:
        return system.app.org.company().name
    finally:
        system.close()


def test_the_marker_belongs_to_its_database(ecrm, tmp_path):
    ecrm("demo")
    other = Ecrm({**ecrm.env, "ECRM_DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"})
    other("db", "upgrade")
    system = other.system()
    try:
        assert demo.demo_credentials(system) is None
    finally:
        system.close()


@pytest.fixture
def pg_schema_url(pg_database):
    """A PostgreSQL URL whose tables live in a schema of their own, so wiping it leaves
    the other tests' ``public`` schema alone (in this xdist worker's database)."""
    if not pg_database:
        if IN_CI:
            pytest.fail("CI must set ECRM_TEST_DATABASE_URL")
        pytest.skip("PostgreSQL leg: set ECRM_TEST_DATABASE_URL to run it")
    schema = f"ecrm_cli_demo_{os.getpid()}"
    admin = create_engine(normalise_url(pg_database))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_database else "?"
    yield f"{pg_database}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.mark.postgres
def test_demo_on_postgresql_with_force(ecrm, pg_schema_url):
    pg = Ecrm({**ecrm.env, "ECRM_DATABASE_URL": pg_schema_url})
    pg("demo")
    first = _counts(pg)
    assert {k: first[k] for k in EXPECTED} == EXPECTED
    pg("demo", code=1)
    pg("demo", "--force")
    assert _counts(pg) == first
