"""Lists of cards go by the name without its legal form (Counterparty.LIST_ORDER, CAT-3,
CP-10, CP-11; migration 0011), on SQLite and PostgreSQL:

- a catalog's page, the advanced search across catalogs and a parent's related clients
  list «АО "Яблоко"», «ООО "Альфа"», «Бета ИП», «ООО «Ёжик»» as Альфа, Бета, Ёжик, Яблоко;
- the catalog page reads ``ix_counterparties_catalog_key`` in order, without sorting the
  matches; the list across catalogs reads ``ix_counterparties_name_key`` (SQLite without a
  sort — the row id ends the index; PostgreSQL may sort equal keys by id, incrementally);
- migration 0011 goes down to the raw-name indexes and up again, the cards untouched."""

from __future__ import annotations

import warnings

import pytest
from alembic import command
from sqlalchemy import inspect, select

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.migrate import alembic_config, upgrade
from tests.conftest import found, make_system
from tests.e2e.clients_support import legal_inn
from tests.integration.plans import captured, plan_of

NAMES = ["АО \"Яблоко\"", "ООО \"Альфа\"", "Бета ИП", "ООО «Ёжик»"]
ORDERED = ["ООО \"Альфа\"", "Бета ИП", "ООО «Ёжик»", "АО \"Яблоко\""]


@pytest.fixture
def world(database_url, tmp_path):
    system = make_system(database_url, tmp_path)
    director = found(system)
    app = system.app
    top = app.catalogs.create(director.id, {"name": "Клиенты"})
    one = app.catalogs.create(director.id, {"name": "Москва", "parent_id": top.id})
    two = app.catalogs.create(director.id, {"name": "Омск", "parent_id": top.id})
    parent = app.counterparties.register(director.id, {
        "catalog_id": top.id, "type": "legal_entity", "name": "Холдинг",
        "inn": legal_inn("770700900")})
    for k, name in enumerate(NAMES):
        app.counterparties.register(director.id, {
            "catalog_id": (one, two)[k % 2].id, "type": "legal_entity", "name": name,
            "inn": legal_inn(f"77070090{k + 1}"), "parent_id": parent.id})
    yield system, director, (top, one, two), parent
    system.close()


def names(page) -> list[str]:
    return [row.counterparty.name for row in page.rows]


def test_lists_go_by_the_name_without_its_legal_form(world):
    system, director, (top, one, _two), parent = world
    service = system.app.counterparties
    everyone = [*ORDERED[:3], "Холдинг", ORDERED[3]]
    assert names(service.advanced_search(director.id, {"catalog_id": top.id})) == everyone
    assert names(service.advanced_search(director.id, {"status": "active"})) == everyone
    assert names(service.related(director.id, parent.id)) == ORDERED
    assert names(service.catalog_page(director.id, one.id)) == ["Бета ИП", "АО \"Яблоко\""]
    digits = service.search(director.id, parent.inn)  # the parent, then its related clients
    assert names(digits) == ["Холдинг", *ORDERED]


def plans(system, call) -> list[str]:
    """The query plans of the ordered SELECTs of counterparties ``call`` runs."""
    with captured(system.engine, lambda s: s.lstrip().startswith("SELECT")
                  and "FROM counterparties" in s and "ORDER BY" in s) as seen:
        call()
    assert seen
    return [plan_of(system, statement, parameters) for statement, parameters in seen]


def test_the_lists_read_their_index_in_order(world):
    system, director, (_top, one, _two), _parent = world
    service = system.app.counterparties
    [page] = plans(system, lambda: service.catalog_page(director.id, one.id))
    across = plans(system, lambda: service.advanced_search(director.id, {"status": "active"}))
    if system.settings.is_sqlite:
        assert "ix_counterparties_catalog_key" in page and "TEMP B-TREE" not in page, page
        assert any("ix_counterparties_name_key" in p and "TEMP B-TREE" not in p
                   for p in across), across
    else:
        assert "ix_counterparties_catalog_key" in page, page
        assert " Sort " not in f" {page} ".replace("Incremental Sort", ""), page
        assert any("ix_counterparties_name_key" in p for p in across), across


def test_migration_0011_goes_down_and_up_again(world):
    system, director, (_top, one, _two), _parent = world
    url = system.settings.database_url
    engine = system.engine

    def indexes() -> set[str]:
        with warnings.catch_warnings():  # the two expression indexes are not reflected
            warnings.simplefilter("ignore")
            return {i["name"] for i in inspect(engine).get_indexes("counterparties")}

    with engine.connect() as conn:
        before = conn.execute(select(t.counterparties).order_by(t.counterparties.c.id)).all()
    assert {"ix_counterparties_catalog_key", "ix_counterparties_name_key"} <= indexes()
    assert not {"ix_counterparties_name", "ix_counterparties_catalog_name"} & indexes()
    engine.dispose()
    command.downgrade(alembic_config(url), "0010")
    engine.dispose()
    assert {"ix_counterparties_name", "ix_counterparties_catalog_name"} <= indexes()
    assert "ix_counterparties_catalog_key" not in indexes()
    upgrade(url)
    engine.dispose()
    assert "ix_counterparties_catalog_key" in indexes()
    assert not {"ix_counterparties_name", "ix_counterparties_catalog_name"} & indexes()
    with engine.connect() as conn:
        assert conn.execute(select(t.counterparties).order_by(t.counterparties.c.id)
                            ).all() == before
    assert names(system.app.counterparties.catalog_page(director.id, one.id)) == [
        "Бета ИП", "АО \"Яблоко\""]
