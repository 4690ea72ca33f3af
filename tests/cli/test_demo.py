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
