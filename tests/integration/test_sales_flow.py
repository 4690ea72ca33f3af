"""The flows of tests/unit/test_sales.py once more, on SQLite through the real adapters
(the SQLAlchemy unit of work and the filesystem document store) instead of the
in-memory fakes: goods and dated prices (PRD-1…3), contracts and their numbers
(CON-1…4), requests through the workflow engine (REQ-1…4), invoices, payments,
settlements and acts (INV-1…4), documents (DOC-1).

The unit tests' functions are imported as they are (pytest collects them here too); only
their fixture ``w`` is built on a real system. What they read from the fakes' storage
(``w.storage.stores[name]``) is read from the database."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from tests.conftest import make_system
from tests.fakes import FakeClock
from tests.unit.test_sales import (  # noqa: F401 - collected here against SQLite
    PASSWORD,
    test_a_bad_invoice_names_every_bad_field_and_saves_nothing,
    test_a_price_change_closes_the_previous_price_and_overlaps_are_refused,
    test_a_request_runs_through_its_states_and_tells_the_assignee,
    test_acts_documents_and_the_client_history,
    test_an_internal_request_is_seen_only_by_its_people,
    test_an_invoice_is_priced_from_the_list_and_paid_in_parts,
    test_contract_numbers_follow_the_pattern_and_are_never_reused,
    test_the_invoice_manager_works_only_their_invoice,
)


class _Row:
    """A stored aggregate as the unit tests compare the fakes' copies: equal when it is
    the same row in the same version."""

    def __init__(self, obj) -> None:
        self._obj = obj

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Row) and (type(self._obj), self._obj.id,
                                            self._obj.version) == (
            type(other._obj), other._obj.id, other._obj.version)

    __hash__ = None  # type: ignore[assignment]


class _Stores:
    def __init__(self, system) -> None:
        self.system = system

    def __getitem__(self, name: str) -> dict[int, _Row]:
        with self.system.app.uow_factory(readonly=True) as uow:
            return {o.id: _Row(o) for o in getattr(uow, name).list()}


@pytest.fixture
def w(sqlite_url, tmp_path):
    """The unit tests' world (tests/unit/test_sales.py ``w``) on SQLite."""
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    system = make_system(sqlite_url, tmp_path, clock=clock)
    app = system.app
    w = SimpleNamespace(app=app, storage=SimpleNamespace(stores=_Stores(system)),
                        clock=clock, system=system)
    w.d = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": PASSWORD,
                          "full_name": "Петров И."}).id
    w.mgr = app.org.add_employee(w.d, {"login": "mgr", "password": PASSWORD,
                                       "full_name": "Менеджеров"}).id
    w.other = app.org.add_employee(w.d, {"login": "oth", "password": PASSWORD,
                                         "full_name": "Посторонний"}).id
    w.fin = app.org.add_employee(w.d, {"login": "fin", "password": PASSWORD,
                                       "full_name": "Финансов"}).id
    catalog = app.catalogs.create(w.d, {"name": "Клиенты"})
    w.card = app.counterparties.register(w.d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
        "inn": "7707083893", "kpp": "773601001", "email": "buh@alfa.example"})
    app.access.grant(w.d, w.mgr, "client_manager", w.card.ref)
    w.contact = app.counterparties.add_contact(w.d, w.card.id, {"full_name": "Иванов Иван"})
    w.retail = next(t for t in app.products.price_types(w.d) if t.code == "retail")
    w.router = app.products.save_item(w.d, {"name": "Маршрутизатор", "unit": "шт",
                                            "vat_rate": "22"})
    w.setup = app.products.save_item(w.d, {"name": "Настройка", "item_kind": "work",
                                           "unit": "ч", "vat_rate": "22"})
    app.products.set_price(w.d, {"item_id": w.router.id, "price_type_id": w.retail.id,
                                 "valid_from": "2026-01-01", "amount": "4 990,00"})
    app.products.set_price(w.d, {"item_id": w.router.id, "price_type_id": w.retail.id,
                                 "valid_from": "2026-03-01", "amount": "5490"})
    app.products.set_price(w.d, {"item_id": w.setup.id, "price_type_id": w.retail.id,
                                 "valid_from": "2026-01-01", "amount": "1 500"})
    yield w
    system.close()


def test_a_new_company_on_sqlite_has_the_reference_data(w):
    app = w.app
    assert {"request", "invoice", "order"} <= {s.code for s in app.state_sets.state_sets(w.d)}
    assert {t.code for t in app.products.price_types(w.d)} == {"retail", "wholesale"}
    assert {t.code for t in app.products.client_types(w.d)} == {"corporate", "partner"}
    assert {t.code for t in app.contracts.types(w.d)} == {"services", "individual"}


def test_documents_land_in_the_store_once_per_content(w):
    """Two documents of the same content share one stored file; the clean-up removes it
    once neither uses it (DOC-1 on the filesystem store)."""
    from datetime import UTC, datetime

    from tests.unit.test_sales import PDF

    invoice = w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id})
    first = w.app.documents.upload(w.mgr, "invoice", invoice.id, "a.pdf", PDF)
    second = w.app.documents.upload(w.mgr, "counterparty", w.card.id, "b.pdf", PDF)
    assert first.key == second.key
    root = w.system.settings.documents_dir
    stored = root / first.key[:2] / first.key[2:4] / first.key
    assert stored.read_bytes() == PDF
    w.app.documents.remove(w.mgr, first.id)
    assert stored.exists()
    assert w.app.documents.download(w.mgr, second.id).data == PDF
    w.app.documents.remove(w.mgr, second.id)
    assert stored.exists()  # until the clean-up: an upload of it may be under way
    w.clock.current = datetime.now(UTC)  # the files' times are the real ones
    assert w.app.documents.collect_garbage() == 0  # put less than a day ago
    w.clock.advance(days=2)
    assert w.app.documents.collect_garbage() == 1
    assert not stored.exists()
