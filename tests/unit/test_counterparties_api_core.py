"""Core additions the JSON API and the importer need: ``CounterpartyService.row`` (one
card with its CP-13 list-row fields) and ``import_rows`` recognising a row without an INN
on a second import (same catalog, same normalised name, the row's phone and e-mail)."""

from __future__ import annotations

import pytest

from ecrm_core.kernel.errors import NotFound
from tests.fakes import fake_app


@pytest.fixture
def world():
    app, _storage = fake_app()
    director = app.org.found_company("ООО «Альфа»", {
        "login": "director", "password": "director-pass", "full_name": "Директор Д. Д."})
    top = app.catalogs.create(director.id, {"name": "Клиенты"})
    other = app.catalogs.create(director.id, {"name": "Другие"})
    return app, director, top, other


def test_row_shows_the_catalog_name_and_the_last_modifier(world):
    app, director, top, _other = world
    card = app.counterparties.register(director.id, {
        "catalog_id": top.id, "type": "legal_entity", "name": "Ромашка"})
    row = app.counterparties.row(director.id, card.id)
    assert row.counterparty.id == card.id
    assert row.catalog_name == "Клиенты"
    assert row.last_modifier == director.id
    assert row.managers == () and row.main_manager is None
    with pytest.raises(NotFound):
        app.counterparties.row(director.id, 999)


def test_rows_without_inn_are_found_again_on_a_second_import(world):
    app, director, top, other = world
    rows = [
        {"type": "individual", "name": "Иванов Иван Иванович", "phone": "8 913 100-20-30"},
        {"type": "individual", "name": "Иванов Иван Иванович", "phone": "8 913 999-88-77"},
        {"type": "individual", "name": "Петров Пётр", "email": "petrov@example.ru"},
        {"type": "individual", "name": "Сидоров"},
    ]
    first = app.counterparties.import_rows(director.id, top.id, rows)
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
    again = app.counterparties.import_rows(director.id, top.id, rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    # another catalog is another list: the same rows are new there
    elsewhere = app.counterparties.import_rows(director.id, other.id, rows[:1])
    assert elsewhere.created == 1
