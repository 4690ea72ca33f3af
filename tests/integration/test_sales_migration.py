"""Migration 0008 (issue 5) on SQLite and PostgreSQL: a database with a company and
clients, made before it, is upgraded — the new tables, the company's requisites, the
cards' client type, the default state sets, price, client and contract types the
founding hooks give a new company (REQ-4, INV-2, PRD-2, CON-1) — and downgraded back to
exactly the schema it had (the SQLite FTS triggers and expression indexes on
``counterparties`` included), with its data intact; then upgraded again."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, insert, inspect, select, text

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.engine import normalise_url
from ecrm_adapters.sqlalchemy.migrate import alembic_config, current_revision, upgrade
from ecrm_adapters.sqlalchemy.uow import uow_factory
from ecrm_core.workflow.services import DEFAULT_STATE_SETS
from tests.fakes import FakeClock

#: SQLite's reflection cannot read the expression indexes; sqlite_master still holds them
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index")

BEFORE = "0007"
NEW_TABLES = {"state_sets", "item_groups", "items", "service_kinds", "price_types",
              "client_types", "prices", "contract_types", "contracts", "requests",
              "invoices", "payments", "acts", "settlements", "documents",
              "number_sequences"}


def schema(engine) -> dict:
    """Tables, columns, indexes and foreign keys — and on SQLite every object's SQL, on
    PostgreSQL the triggers and indexes by name."""
    found = inspect(engine)
    shape: dict = {}
    for name in sorted(found.get_table_names()):
        if name == "alembic_version":
            continue
        shape[name] = (
            [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(name)],
            sorted((i["name"], tuple(i["column_names"])) for i in found.get_indexes(name)),
            sorted((tuple(f["constrained_columns"]), f["referred_table"])
                   for f in found.get_foreign_keys(name)),
        )
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            shape["sqlite_master"] = sorted(conn.execute(text(
                "SELECT type, name, sql FROM sqlite_master WHERE name <> 'alembic_version'"
            )).all())
        else:
            shape["triggers"] = sorted(conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
            shape["indexes"] = sorted(conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            )).all())
    return shape


@pytest.fixture
def old_database(database_url):
    """The database as revision 0007 left it, with a company, a client and a contact;
    brought back to the newest revision afterwards whatever happens."""
    command.downgrade(alembic_config(database_url), BEFORE)
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.begin() as conn:
            conn.execute(insert(t.company).values(name="ООО «Старая»"))
            catalog = conn.execute(insert(t.catalogs).values(name="Клиенты")
                                   .returning(t.catalogs.c.id)).scalar_one()
            card = conn.execute(insert(t.counterparties).values(
                catalog_id=catalog, type="legal_entity", name="Альфа", status="active",
                extra={}, search_text="альфа").returning(t.counterparties.c.id)).scalar_one()
            conn.execute(insert(t.contacts).values(counterparty_id=card, full_name="Иванов",
                                                   phones=[], emails=[]))
        yield database_url, engine
    finally:
        upgrade(database_url)
        engine.dispose()


def test_an_old_database_is_upgraded_seeded_and_downgraded_back(old_database):
    url, engine = old_database
    before = schema(engine)
    assert not NEW_TABLES & set(before)

    upgrade(url)
    assert current_revision(engine) != BEFORE
    assert set(inspect(engine).get_table_names()) >= NEW_TABLES
    with engine.connect() as conn:
        assert conn.execute(select(t.company.c.requisites)).scalar_one() == {}
        assert conn.execute(select(t.counterparties.c.client_type_id)).scalar_one() is None
    # the reference data of a founded company, readable by the real unit of work
    with uow_factory(engine, FakeClock())(readonly=True) as uow:
        for default in DEFAULT_STATE_SETS:
            stored = uow.state_sets.first(code=default.code)
            assert (stored.name, stored.states, stored.transitions) == (
                default.name, default.states, default.transitions)
        prices = {p.code: p for p in uow.price_types.list()}
        assert set(prices) == {"retail", "wholesale"}
        assert {c.code: c.price_type_id for c in uow.client_types.list()} == {
            "corporate": prices["retail"].id, "partner": prices["wholesale"].id}
        kinds = {k.code: k for k in uow.contract_types.list()}
        assert set(kinds) == {"services", "individual"}
        assert kinds["individual"].attributes[0].type.value == "passport"
        assert kinds["individual"].number_pattern == "Ф-{year}-{seq:04d}"
        assert uow.counterparties.first().name == "Альфа"

    command.downgrade(alembic_config(url), BEFORE)
    assert schema(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(t.contacts.c.full_name)).scalar_one() == "Иванов"
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            assert conn.execute(text(
                "SELECT rowid FROM counterparty_fts WHERE counterparty_fts MATCH 'альфа'"
            )).scalars().all() == [1]

    upgrade(url)
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT code FROM state_sets")).scalars().all()
    # seeded once: the defaults (and, by later revisions, the deal templates' sets)
    assert {d.code for d in DEFAULT_STATE_SETS} <= set(codes)
    assert len(codes) == len(set(codes))


def test_a_database_without_a_company_gets_no_reference_data(database_url):
    """An empty database is left empty: the founding hooks fill it when the company is
    founded."""
    with create_engine(normalise_url(database_url)).connect() as conn:
        for table in ("state_sets", "price_types", "client_types", "contract_types"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
