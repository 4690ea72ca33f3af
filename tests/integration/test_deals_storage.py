"""Deals on the real databases (SQLite, and PostgreSQL when ECRM_TEST_DATABASE_URL is set):
DEAL-1…DEAL-4 and RPT-4's first part through the SQLAlchemy adapters.

- The unit tests of tests/unit/test_deals.py run again here on a bootstrapped system
  (their fixture ``w`` is rebuilt on the database): templates, deals, stays, planned
  payments, escalations, the board and the forecast round-trip through the services.
- The SQL ``DealFigures`` (ecrm_adapters/sqlalchemy/deals.py) gives exactly what the
  reference ``tests.fakes.FakeDealFigures`` gives, on randomly generated deals, payments
  and escalations, read from the same database (both take the SQL unit of work).
- ``uq_deal_escalations_once`` refuses a second notice of one stay and level, written
  straight through SQLAlchemy Core; ``DealService.escalate`` run twice, or from two
  threads at once, sends each level once (DEAL-4).
- Migration 0010 downgrades and upgrades again, and seeds a company founded before it.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.deals import SqlDealFigures
from ecrm_adapters.sqlalchemy.migrate import alembic_config, upgrade
from ecrm_core.deals.model import DealEscalation
from ecrm_core.deals.ports import Filters
from ecrm_core.kernel.errors import Conflict
from ecrm_core.messages.model import MessageKind
from ecrm_core.money import Money
from tests.conftest import make_system
from tests.fakes import FakeClock, FakeDealFigures
from tests.unit.test_deals import (  # noqa: F401 - collected here against the databases
    PASSWORD,
    register,
    test_a_lost_deal_needs_a_reason,
    test_a_move_names_every_unmet_condition_then_passes_when_they_are_met,
    test_an_invoice_issued_for_the_deal_opens_the_way_to_payment_which_plans_it,
    test_an_over_norm_deal_is_escalated_to_the_manager_then_the_head_once_each,
    test_registering_a_deal_plans_its_first_task_on_the_deal_and_its_client,
    test_rights_over_deals,
    test_templates_keep_states_in_use_and_refuse_unknown_fields,
    test_the_board_and_the_forecast,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def w(database_url, tmp_path):
    """The unit tests' world (tests/unit/test_deals.py ``w``) on a real database."""
    clock = FakeClock(NOW)
    system = make_system(database_url, tmp_path, clock=clock)
    app = system.app
    w = SimpleNamespace(app=app, clock=clock, system=system)
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
    w.catalog = catalog.id
    w.card = app.counterparties.register(w.d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
        "inn": "7707083893", "kpp": "773601001"})
    app.access.grant(w.d, w.mgr, "client_manager", w.card.ref)
    w.tpl = next(t for t in app.deal_templates.templates(w.d) if t.code == "b2b_connection")
    yield w
    system.close()


# -- round trip ---------------------------------------------------------------------------


def test_a_deal_its_stays_payments_and_template_come_back_as_they_went_in(w):
    """DEAL-1…DEAL-3: every stored field of the deal's records reads back equal, and the
    sum of its planned payments (``Deal.planned``, the forecast's figure) follows them."""
    app = w.app
    deal = register(w, attributes={"address": "Ленина, 1", "bandwidth": "100",
                                   "decision_maker": "Сидоров"}, amount="120 000,55")
    assert deal.planned == Money.zero()
    for state in ("survey", "proposal"):
        w.clock.advance(hours=5)
        deal = app.deals.move(w.mgr, deal.id, state)
    app.documents.upload(w.mgr, "deal", deal.id, "kp.pdf", b"%PDF-1.4\n%%EOF\n")
    deal = app.deals.move(w.mgr, deal.id, "negotiation")
    invoice = app.invoices.create(w.mgr, {
        "counterparty_id": w.card.id, "deal_id": deal.id,
        "lines": [{"name": "Подключение", "quantity": "1", "price": "120000.55"}]})
    app.invoices.move(w.mgr, invoice.id, "issued")
    deal = app.deals.move(w.mgr, deal.id, "payment")

    again = app.deals.get(w.d, deal.id)
    assert (again.amount, again.planned, again.expected_close_on, again.state,
            again.probability, again.attributes, again.approvals, again.outcome) == (
        Money(Decimal("120000.55")), Money(Decimal("120000.55")), date(2026, 4, 15),
        "payment", 90, {"address": "Ленина, 1", "bandwidth": "100",
                        "decision_maker": "Сидоров"}, (), None)
    assert again.state_entered_at == w.clock.now() and again.state_entered_at.tzinfo
    assert again.due_in_state > again.state_entered_at
    card = app.deals.card(w.mgr, deal.id)
    assert [p.amount for p in card.payments] == [Money(Decimal("120000.55"))]
    assert [s.state for s in card.stages] == ["lead", "survey", "proposal", "negotiation",
                                              "payment"]
    assert [s.working_hours for s in card.stages] == [5.0, 5.0, 0.0, 0.0, None]
    assert app.invoices.get(w.mgr, invoice.id).deal_id == deal.id
    assert {t.deal_id for t in card.tasks} == {deal.id}
    with app.uow_factory(readonly=True) as uow:
        assert [i.id for i in uow.invoices.list(deal_id=deal.id)] == [invoice.id]
        assert uow.deals.first(counterparty_id=w.card.id).id == deal.id
    page = app.deals.of_counterparty(w.d, w.card.id)
    assert [d.id for d in page.rows] == [deal.id] and page.total == 1

    tpl = app.deal_templates.update(w.d, w.tpl.id, {
        "head_after_days": 4, "attributes": [
            {"code": "address", "label": "Адрес", "type": "text"},
            {"code": "bandwidth", "label": "Скорость", "type": "number"},
            {"code": "decision_maker", "label": "ЛПР", "type": "text"},
            {"code": "competitor", "label": "Провайдер", "type": "text"}],
        "version": w.tpl.version})
    view = app.deal_templates.template(w.d, tpl.id)
    assert view.template.head_after_days == 4
    assert [a.label for a in view.template.attributes][:2] == ["Адрес", "Скорость"]
    assert view.in_use == {"payment"}  # the states deals are in now

    deal = app.deals.update(w.mgr, deal.id, {"amount": "50 000"})
    assert app.deals.get(w.d, deal.id).planned == Money(Decimal("120000.55"))
    app.calendar.mark(w.d, {"day": "2026-03-14", "working": True, "note": "Перенос"})
    app.calendar.mark(w.d, {"day": "2026-03-09", "working": False, "note": "Перенос"})
    assert [(d.day, d.working) for d in app.calendar.days(w.d, 2026)
            if d.day.month == 3] == [(date(2026, 3, 9), False), (date(2026, 3, 14), True)]


def test_approvals_and_the_outcome_round_trip(w):
    app = w.app
    supply = next(t for t in app.deal_templates.templates(w.d) if t.code == "equipment_supply")
    s = app.deals.register(w.mgr, {"counterparty_id": w.card.id, "template_id": supply.id,
                                   "name": "Коммутаторы", "amount": "50000",
                                   "attributes": {"equipment": "Коммутатор x2"}})
    s = app.deals.move(w.mgr, s.id, "quote")
    assert app.deals.get(w.d, s.id).planned == Money(Decimal("25000.00"))
    app.deals.approve(w.d, s.id, "discount")
    assert app.deals.get(w.d, s.id).approvals == ("discount",)
    s = app.deals.move(w.mgr, s.id, "lost", reason="Дорого")
    again = app.deals.get(w.d, s.id)
    assert (again.outcome, again.close_reason, again.closed_at, again.due_in_state) == (
        "lost", "Дорого", w.clock.now(), None)


# -- the SQL figures against the reference ------------------------------------------------


def _world(system, seed: int, deals: int = 240) -> dict:
    """Random deals (some huge, with kopecks), planned payments, escalations, invoices
    and payments received, written straight to the tables. ``planned`` is kept as the
    service keeps it: the sum of the deal's planned payments."""
    rnd = random.Random(seed)
    with system.engine.begin() as conn:
        conn.execute(insert(t.company).values(name="ООО «Случай»"))
        managers = [conn.execute(insert(t.employees).values(
            login=f"m{i}", full_name=f"Менеджер {i}", password_hash="x")
            .returning(t.employees.c.id)).scalar_one() for i in range(3)]
        projects = [conn.execute(insert(t.projects).values(name=f"Направление {i}")
                                 .returning(t.projects.c.id)).scalar_one() for i in range(2)]
        catalog = conn.execute(insert(t.catalogs).values(name="Клиенты")
                               .returning(t.catalogs.c.id)).scalar_one()
        clients = [conn.execute(insert(t.counterparties).values(
            catalog_id=catalog, type="legal_entity", name=f"Клиент {i}", status="active",
            extra={}, search_text=f"клиент {i}").returning(t.counterparties.c.id))
            .scalar_one() for i in range(4)]
        templates = [conn.execute(insert(t.deal_templates).values(
            code=f"t{i}", name=f"Шаблон {i}", attributes=[])
            .returning(t.deal_templates.c.id)).scalar_one() for i in range(2)]

        def amount() -> Money:
            kind = rnd.random()
            if kind < 0.05:
                return Money(Decimal(rnd.randint(0, 99999999999999)).scaleb(-2))
            if kind < 0.15:
                return Money.zero()
            return Money(Decimal(rnd.randint(1, 5_000_000_00)).scaleb(-2))

        def moment(days: int) -> datetime:
            return NOW + timedelta(minutes=rnd.randint(-days * 1440, days * 1440))

        deal_ids = []
        for n in range(deals):
            closed = rnd.random() < 0.3
            entered = moment(60)
            payments = [amount() for _ in range(rnd.choice((0, 0, 1, 2, 3)))]
            planned = min(sum((p.amount for p in payments), Decimal(0)),
                          Decimal("999999999999.99"))
            deal = conn.execute(insert(t.deals).values(
                number=str(n + 1), template_id=rnd.choice(templates),
                counterparty_id=rnd.choice(clients), name=f"Сделка {n}",
                manager_id=rnd.choice(managers), author_id=managers[0], amount=amount(),
                planned=Money(planned),
                expected_close_on=None if rnd.random() < 0.1 else
                NOW.date() + timedelta(days=rnd.randint(-120, 500)),
                project_id=rnd.choice([None, *projects]), attributes={}, approvals=(),
                state=rnd.choice(("a", "b", "c", "d")), state_entered_at=entered,
                due_in_state=None if rnd.random() < 0.2 else entered + timedelta(
                    hours=rnd.randint(1, 24 * 20)),
                probability=rnd.randint(0, 100),
                outcome="won" if closed else None,
                closed_at=moment(30) if closed else None, created_at=entered,
            ).returning(t.deals.c.id)).scalar_one()
            deal_ids.append((deal, entered))
            for p in payments:
                conn.execute(insert(t.deal_payments).values(
                    deal_id=deal, counterparty_id=clients[0], amount=p,
                    due_on=NOW.date() + timedelta(days=rnd.randint(-60, 400))))
            for level in (1, 2):
                if rnd.random() < 0.25:
                    conn.execute(insert(t.deal_escalations).values(
                        deal_id=deal, level=level, sent_at=NOW, recipient_id=managers[0],
                        # the current stay, or an earlier one (which does not count)
                        entered_at=entered if rnd.random() < 0.7
                        else entered - timedelta(days=3)))
        for n in range(60):
            deal = rnd.choice([None, *(d for d, _ in deal_ids)])
            invoice = conn.execute(insert(t.invoices).values(
                number=f"С-{n}", issued_on=NOW.date(), counterparty_id=clients[0],
                author_id=managers[0], lines=(), total=Money.zero(), vat=Money.zero(),
                paid=Money.zero(), state="issued", requisites={}, deal_id=deal,
            ).returning(t.invoices.c.id)).scalar_one()
            for _ in range(rnd.randint(0, 3)):
                conn.execute(insert(t.payments).values(
                    invoice_id=invoice, counterparty_id=clients[0], amount=amount(),
                    paid_on=NOW.date() + timedelta(days=rnd.randint(-200, 200)),
                    planned=rnd.random() < 0.2))
    return {"managers": managers, "projects": projects,
            "templates": templates, "rnd": rnd}


def _filters(world) -> list[Filters]:
    t1, t2 = world["templates"]
    m1, m2, _m3 = world["managers"]
    p1, _p2 = world["projects"]
    return [
        Filters(), Filters(template_id=t1), Filters(template_id=t2, manager_id=m2),
        Filters(manager_id=m1), Filters(project_id=p1),
        Filters(close_from=date(2026, 5, 1), close_to=date(2026, 12, 31)),
        Filters(template_id=t1, project_id=p1, close_from=date(2026, 1, 1)),
        Filters(manager_id=999_999),
    ]


@pytest.fixture
def figures_system(database_url, tmp_path):
    system = make_system(database_url, tmp_path)
    yield system
    system.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sql_figures_equal_the_reference_on_random_deals(figures_system, seed):
    """RPT-4, DEAL-3, DEAL-4: the board's columns, the forecast and the escalation job's
    candidates computed in SQL equal ``FakeDealFigures`` (the reference semantics)
    reading the same rows deal by deal — to the kopeck, huge sums included."""
    system = figures_system
    world = _world(system, seed)
    sql, fake = SqlDealFigures(), FakeDealFigures()
    rnd = world["rnd"]
    with system.app.uow_factory(readonly=True) as uow:
        assert uow.deals.count() == 240
        for filters in _filters(world):
            for now in (NOW, NOW + timedelta(days=rnd.randint(-20, 40))):
                expected = fake.columns(uow, filters, now)
                assert dict(sql.columns(uow, filters, now)) == expected, filters
            for first, last in ((date(2026, 3, 1), date(2027, 2, 1)),
                                (date(2025, 11, 1), date(2028, 10, 1)),
                                (date(2026, 6, 1), date(2026, 6, 1))):
                expected = fake.forecast(uow, filters, first, last)
                got = sql.forecast(uow, filters, first, last)
                assert got == expected, (filters, first)
                assert [m.month for m in got] == [m.month for m in expected]
        assert any(m.weighted for m in sql.forecast(uow, Filters(), date(2026, 3, 1),
                                                     date(2027, 2, 1)))
        for level in (1, 2):
            for due_before in (NOW, NOW + timedelta(days=10), NOW - timedelta(days=30)):
                for after_id, limit in ((0, 1000), (0, 7), (50, 20), (239, 5)):
                    assert sql.overdue(uow, due_before, level, after_id, limit) == \
                        fake.overdue(uow, due_before, level, after_id, limit)
        assert sql.overdue(uow, NOW + timedelta(days=80), 1, 0, 1000)


def test_sqlite_reads_the_figures_from_the_covering_indexes(sqlite_url, tmp_path):
    """The plans measured at 1,000,000 deals (docs in migration 0010): the board's
    totals and the forecast's deals read their index alone (``COVERING INDEX``); the
    planned payments walk the open deals in id order and probe their payments' index;
    the payments received for a filter find the invoices from the deals; the escalation
    job's batch is a range of ``ix_deals_open_due``."""
    from sqlalchemy import event

    system = make_system(sqlite_url, tmp_path)
    try:
        captured: list[str] = []

        def capture(conn, cursor, statement, *_args):
            if statement.lstrip().startswith("SELECT") and "deal" in statement:
                captured.append(statement)

        event.listen(system.engine, "before_cursor_execute", capture)
        sql = SqlDealFigures()
        with system.app.uow_factory(readonly=True) as uow:
            sql.columns(uow, Filters(template_id=1, manager_id=2), NOW)
            sql.forecast(uow, Filters(manager_id=2), date(2026, 3, 1), date(2027, 2, 1))
            sql.overdue(uow, NOW, 1, 0, 100)
            sql.forecast(uow, Filters(), date(2026, 3, 1), date(2027, 2, 1))
        event.remove(system.engine, "before_cursor_execute", capture)
        plans = []
        with system.engine.connect() as conn:
            for statement in captured:
                params = [None] * statement.count("?")
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                            tuple(params)).all()
                plans.append(" | ".join(r[-1] for r in rows))
        columns, forecast, planned, actual, overdue, everyone, everyone_planned = plans[:7]
        # the partial indexes of open deals (WHERE closed_at IS NULL), read alone
        assert "COVERING INDEX ix_deals_board (template_id=?)" in columns
        # one manager's deals: their own index (a twentieth of the deals), or the open
        # deals' covering one — never a scan of the table
        for plan in (forecast, planned):
            assert "ix_deals_manager (manager_id=?)" in plan or \
                "COVERING INDEX ix_deals_forecast" in plan or \
                "COVERING INDEX ix_deals_open_due" in plan, plan
        assert "COVERING INDEX ix_deal_payments_deal (deal_id=?" in planned
        assert "COVERING INDEX ix_payments_actual" in actual
        assert "COVERING INDEX ix_invoices_deal_id" in actual
        assert "SEARCH deals USING INDEX ix_deals_open_due (id>?)" in overdue
        # (SQLite names the unique constraint's index sqlite_autoindex_…)
        assert "SEARCH deal_escalations USING INDEX" in overdue
        # everyone's forecast: the open deals by close date, and in id order for the
        # planned payments — both indexes alone
        assert "COVERING INDEX ix_deals_forecast" in everyone
        assert "COVERING INDEX ix_deals_open_due" in everyone_planned or \
            "COVERING INDEX ix_deal_payments_due" in everyone_planned, everyone_planned
        assert not any(p.startswith("SCAN deals ") or "| SCAN deals " in p for p in plans)
        assert "TEMP B-TREE" not in columns + overdue
        assert "INTEGER PRIMARY KEY" not in columns + everyone + actual
    finally:
        system.close()


# -- escalation once per level (DEAL-4) ---------------------------------------------------


def test_the_database_refuses_a_second_notice_of_one_stay_and_level(w):
    deal = register(w)
    row = {"deal_id": deal.id, "entered_at": deal.state_entered_at, "level": 1,
           "recipient_id": w.mgr, "sent_at": NOW}
    with w.system.engine.begin() as conn:
        conn.execute(insert(t.deal_escalations).values(**row))
    with pytest.raises(IntegrityError), w.system.engine.begin() as conn:
        conn.execute(insert(t.deal_escalations).values(**row))
    # another level, or another stay, is another notice
    with w.system.engine.begin() as conn:
        conn.execute(insert(t.deal_escalations).values(**{**row, "level": 2}))
        conn.execute(insert(t.deal_escalations).values(
            **{**row, "entered_at": NOW - timedelta(days=1)}))
    # through the repository: a Conflict, nothing half-saved
    with pytest.raises(Conflict), w.app.uow_factory() as uow:
        uow.deal_escalations.add(DealEscalation(
            deal_id=deal.id, entered_at=deal.state_entered_at, level=1, recipient_id=None,
            sent_at=NOW))
        uow.commit()
    with w.system.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.deal_escalations)
                            ).scalar_one() == 3


def _notices(w) -> dict[int, int]:
    """How many over-norm notices each employee got."""
    with w.system.engine.connect() as conn:
        rows = conn.execute(select(t.messages.c.recipient_id, func.count())
                            .where(t.messages.c.message_kind == MessageKind.NOTIFICATION,
                                   t.messages.c.subject_kind == "deal")
                            .group_by(t.messages.c.recipient_id)).all()
    return dict(rows)


def _escalations(w) -> list[tuple[int, int]]:
    with w.system.engine.connect() as conn:
        return sorted(conn.execute(select(t.deal_escalations.c.deal_id,
                                          t.deal_escalations.c.level)).all())


@pytest.fixture
def overdue_deals(w):
    deals = [register(w, name=f"Сделка {i}") for i in range(5)]
    # Monday 9 March 12:00 Moscow: the lead's norm (3 working days) ended on Thursday,
    # and the head's 2 working days after it on Monday
    w.clock.current = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    return deals


def test_escalate_run_twice_sends_each_level_once(w, overdue_deals):
    assert w.app.deals.escalate(batch=2) == 10
    assert w.app.deals.escalate(batch=2) == 0
    assert _escalations(w) == sorted((d.id, level) for d in overdue_deals for level in (1, 2))
    assert _notices(w) == {w.mgr: 5, w.head: 5}


def test_escalate_from_two_threads_at_once_sends_each_level_once(w, overdue_deals):
    """Two copies of the job at once: on SQLite the writers take turns; on PostgreSQL
    the copy that loses the race fails on ``uq_deal_escalations_once`` and its batch
    sends nothing. Either way each deal's manager and head are told once."""
    barrier = threading.Barrier(2)
    outcomes: list = []

    def escalate():
        barrier.wait()
        try:
            outcomes.append(w.app.deals.escalate(batch=2))
        except Conflict as exc:  # the copy that lost the race
            outcomes.append(exc)

    threads = [threading.Thread(target=escalate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 2
    assert _escalations(w) == sorted((d.id, level) for d in overdue_deals for level in (1, 2))
    assert _notices(w) == {w.mgr: 5, w.head: 5}
    assert sum(o for o in outcomes if isinstance(o, int)) == 10
    assert w.app.deals.escalate() == 0


# -- migration 0010 -----------------------------------------------------------------------


def test_migration_0010_goes_down_and_up_again_and_seeds_a_founded_company(w):
    """Down to 0009 the deals' tables and columns go (tasks and invoices keep their
    rows); up again, a company founded before 0010 gets the default templates and the
    statutory holidays its founding hooks give a new company (DEAL-1, DEAL-4)."""
    url = w.system.settings.database_url
    engine = w.system.engine
    task = w.app.tasks.create(w.d, {"task_type_id": w.app.tasks.task_types(w.d)[0].id,
                                    "due_date": "2026-03-03"})
    register(w)
    before = {name: sorted(c["name"] for c in inspect(engine).get_columns(name))
              for name in ("tasks", "invoices")}
    engine.dispose()
    command.downgrade(alembic_config(url), "0009")
    engine.dispose()
    names = set(inspect(engine).get_table_names())
    assert not names & {"deals", "deal_templates", "deal_stages", "deal_payments",
                        "deal_escalations", "calendar_days"}
    assert "deal_id" not in {c["name"] for c in inspect(engine).get_columns("tasks")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM state_sets WHERE code LIKE 'deal:%'"
                                 )).scalar_one() == 0
        # the task and the one the deal planned stay, unlinked
        assert conn.execute(select(t.tasks.c.id)).scalars().all() == [task.id, task.id + 1]
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    upgrade(url)
    engine.dispose()
    assert {name: sorted(c["name"] for c in inspect(engine).get_columns(name))
            for name in ("tasks", "invoices")} == before
    codes = {x.code for x in w.app.deal_templates.templates(w.d)}
    assert codes == {"b2b_connection", "equipment_supply"}
    tpl = next(x for x in w.app.deal_templates.templates(w.d) if x.code == "b2b_connection")
    view = w.app.deal_templates.template(w.d, tpl.id)
    assert view.state_set.initial.code == "lead"
    year = datetime.now(UTC).year
    assert date(year, 11, 4) in {d.day for d in w.app.calendar.days(w.d, year)} or \
        date(year, 11, 4).weekday() >= 5
    w.tpl = tpl
    deal = register(w)
    assert deal.state == "lead" and w.app.deals.get(w.d, deal.id).planned == Money.zero()
