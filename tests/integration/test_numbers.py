"""Numbers of contracts, invoices and acts (CON-2) on the real databases: the named
sequences behind ``UnitOfWork.next_number`` advance atomically inside the unit of work,
so concurrent registrations never share a number."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import found, make_system

CONCURRENT = 20


@pytest.fixture
def system_on(database_url, tmp_path):
    system = make_system(database_url, tmp_path)
    yield system
    system.close()


def test_each_key_counts_from_one_and_only_a_commit_keeps_a_value(system_on):
    app = system_on.app
    with app.uow_factory() as uow:
        assert [uow.next_number("contract|a"), uow.next_number("contract|a"),
                uow.next_number("invoice|b")] == [1, 2, 1]
        uow.commit()
    with app.uow_factory() as uow:
        assert uow.next_number("contract|a") == 3
        # rolled back: nothing used the value, so the next unit of work gets it again
    with app.uow_factory() as uow:
        assert uow.next_number("contract|a") == 3
        assert uow.next_number("x" * 200) == 1
        uow.commit()


def test_concurrent_registrations_get_distinct_numbers(system_on):
    """20 threads, each its own unit of work, register a contract of one type at once:
    20 distinct numbers, 1…20 (PostgreSQL: the sequence row is locked until each commit;
    SQLite: writers are serialised from BEGIN IMMEDIATE)."""
    app = system_on.app
    director = found(system_on).id
    catalog = app.catalogs.create(director, {"name": "Клиенты"})
    card = app.counterparties.register(director, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа"})
    kind = next(t for t in app.contracts.types(director) if t.code == "services")
    start = threading.Barrier(CONCURRENT)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def register() -> None:
        try:
            start.wait()
            numbers.append(app.contracts.register(director, card.id,
                                                  {"contract_type_id": kind.id}).number)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(numbers)) == CONCURRENT
    year = numbers[0].split("-")[0]
    assert sorted(numbers) == [f"{year}-{n:05d}" for n in range(1, CONCURRENT + 1)]
    stored = app.contracts.of_counterparty(director, card.id)
    assert sorted(c.number for c in stored) == sorted(numbers)


def test_concurrent_units_of_work_never_share_a_value(system_on):
    """The sequence on its own (without the number check contracts make after it): 20
    units of work take a value of one key at once and commit; every value is different."""
    app = system_on.app
    start = threading.Barrier(CONCURRENT)
    values: list[int] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            start.wait()
            with app.uow_factory() as uow:
                value = uow.next_number("act|{seq}")
                uow.commit()
            values.append(value)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(values) == list(range(1, CONCURRENT + 1))
