"""The SQLAlchemy adapter on SQLite and PostgreSQL: migrations, the unit of work
(history + outbox in the same transaction), optimistic locking, repository filters."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, insert, select, text

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.migrate import current_revision, head_revision, include_name
from ecrm_core.kernel.errors import Conflict, ValidationFailed
from tests.conftest import found, make_system

PASSWORD = "correct-horse"


@pytest.fixture
def system_on(database_url, tmp_path):
    system = make_system(database_url, tmp_path)
    yield system
    system.close()


def counts(system) -> dict[str, int]:
    with system.engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
        }


def test_migrations_build_exactly_the_declared_schema(system_on):
    with system_on.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, t.metadata)
    assert diff == []
    assert current_revision(system_on.engine) == head_revision(str(system_on.engine.url))


def test_a_change_its_history_and_its_outbox_row_commit_together(system_on):
    app = system_on.app
    director = found(system_on)
    anna = app.org.add_employee(director.id, {"login": "anna", "password": PASSWORD,
                                              "full_name": "Анна", "email": "a@example.ru"})
    before = counts(system_on)
    app.messages.send(director.id, {"recipient_id": anna.id, "text": "Привет"})
    after = counts(system_on)
    assert after["messages"] - before["messages"] == 1
    assert after["history"] - before["history"] == 1
    assert after["outbox"] - before["outbox"] == 1
    with system_on.engine.connect() as conn:
        row = conn.execute(select(t.outbox.c.name, t.outbox.c.payload)).first()
    assert row.name == "MessageCreated"
    assert row.payload["recipient_id"] == anna.id


def test_a_refused_change_leaves_nothing_behind(system_on):
    app = system_on.app
    director = found(system_on)
    before = counts(system_on)
    with pytest.raises(ValidationFailed):
        app.org.add_employee(director.id, {"login": "director", "password": PASSWORD,
                                           "full_name": "Двойник"})
    with pytest.raises(ValidationFailed):
        app.org.add_employee(director.id, {"login": "ok-login", "password": "x",
                                           "full_name": "Короткий пароль"})
    assert counts(system_on) == before


def test_concurrent_edits_of_one_employee_never_overwrite(system_on):
    """Two units of work load the same employee; the later commit loses with Conflict.

    PostgreSQL: the version column makes the second UPDATE match no row. SQLite: writers
    are serialised, so the second one's snapshot is stale and its write is refused —
    both surface as Conflict. (Units of work that write begin IMMEDIATE on SQLite, so
    two of them cannot even interleave in one thread; these two begin as readers, whose
    refusal to write the test lifts.)"""
    app = system_on.app
    director = found(system_on)
    readers = system_on.settings.is_sqlite
    first = app.uow_factory(readonly=readers)
    second = app.uow_factory(readonly=readers)
    with first, second:
        for uow in (first, second):  # begun deferred as readers, then let to write
            uow.readonly = False
            uow.session.info["ecrm_readonly"] = False
            uow.session.connection().execution_options(ecrm_readonly=False)
        a = first.employees.get(director.id)
        b = second.employees.get(director.id)
        a.apply_changes({"position": "Генеральный директор"})
        b.apply_changes({"position": "Исполнительный директор"})
        first.commit()
        with pytest.raises(Conflict):
            second.commit()
    assert app.org.employee(director.id, director.id).position == "Генеральный директор"
    history = app.history.of(director.id, director.ref)
    assert [h.changes for h in history if h.action == "ObjectChanged"] == [
        [{"field": "position", "old": "", "new": "Генеральный директор"}]]


def test_stale_version_from_a_form_is_refused(system_on):
    app = system_on.app
    director = found(system_on)
    seen = app.org.employee(director.id, director.id).version
    app.org.update_employee(director.id, director.id, {"phone": "+79130000001", "version": seen})
    with pytest.raises(Conflict):
        app.org.update_employee(director.id, director.id, {"phone": "+79130000002",
                                                           "version": seen})
    assert app.org.employee(director.id, director.id).phone == "+79130000001"


def test_repository_filters_order_and_paging(system_on):
    app = system_on.app
    director = found(system_on)
    for i in range(7):
        app.org.add_employee(director.id, {"login": f"user{i}", "password": PASSWORD,
                                           "full_name": f"Сотрудник {i}", "active": True})
    with app.uow_factory() as uow:
        repo = uow.employees
        assert repo.count() == 8
        assert [e.login for e in repo.list(order_by=("-login",), limit=2, offset=1)] == [
            "user5", "user4"]
        assert repo.first(login__ieq="USER3").login == "user3"
        assert {e.login for e in repo.list(id__in=[2, 3])} == {"user0", "user1"}
        assert repo.count(id__gt=5) == 3
        assert repo.count(full_name__icontains="ник 1") == 1
        assert repo.count(email=None) == 7
        assert repo.get("2") is None and repo.get(10**30) is None


def test_datetimes_come_back_aware_in_utc(system_on):
    app = system_on.app
    director = found(system_on)
    employee = app.org.employee(director.id, director.id)
    assert employee.created_at.tzinfo is not None
    assert employee.created_at.utcoffset().total_seconds() == 0
    assert abs(employee.created_at - datetime.now(UTC)).total_seconds() < 60


def test_parallel_writers_all_succeed(system_on):
    """SQLite: writers begin IMMEDIATE and wait on the busy timeout instead of failing."""
    app = system_on.app
    director = found(system_on)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                app.org.create_project(director.id, {"name": f"Проект {n}-{i}"})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(app.org.projects(director.id)) == 20


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url, tmp_path):
    system = make_system(sqlite_url, tmp_path)
    with system.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    system.close()


def test_a_busy_database_gives_a_conflict_not_a_crash(sqlite_url, tmp_path, monkeypatch):
    """SQLite: while another connection holds the write lock past the busy timeout, a
    use case answers Conflict ("the database is busy") instead of a raw database error."""
    from ecrm_adapters.sqlalchemy import engine as engine_module

    system = make_system(sqlite_url, tmp_path)
    director = found(system)
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 100)
    impatient = make_system(sqlite_url, tmp_path)
    blocker = system.engine.connect()
    blocker.exec_driver_sql("SELECT 1")  # the engine begins IMMEDIATE: the write lock
    try:
        with pytest.raises(Conflict):
            impatient.app.org.create_project(director.id, {"name": "Ждёт блокировку"})
    finally:
        blocker.rollback()
        blocker.close()
        impatient.close()
        system.close()


def test_a_read_only_unit_of_work_refuses_to_write(system_on):
    """Read-only units of work (on PostgreSQL in autocommit, without BEGIN and ROLLBACK
    round trips) refuse a flush of changed objects, a write statement and a commit, and
    nothing reaches the database."""
    app = system_on.app
    director = found(system_on)
    with app.uow_factory(readonly=True) as uow:
        employee = uow.employees.get(director.id)
        employee.apply_changes({"position": "Никто"})
        with pytest.raises(RuntimeError, match="read-only"):
            uow.session.flush()
        with pytest.raises(RuntimeError, match="read-only"):
            uow.session.execute(insert(t.history), [{
                "at": employee.created_at or datetime.now(UTC), "actor_id": director.id,
                "subject_kind": "employee", "subject_id": director.id, "action": "x",
                "changes": []}])
        with pytest.raises(RuntimeError, match="read-only"):
            uow.commit()
        with pytest.raises(RuntimeError, match="read-only"):
            uow.next_number("invoice:2026")  # an upsert written as text
        with pytest.raises(RuntimeError, match="read-only"):
            uow.session.execute(text(
                "WITH x AS (SELECT 1) UPDATE employees SET position = 'Никто'"))
        assert uow.employees.first(id=director.id) is not None, "reads still work"
    assert app.org.employee(director.id, director.id).position == ""
    with system_on.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.number_sequences)
                            ).scalar_one() == 0


def test_json_is_written_with_cyrillic_as_it_is_and_a_lone_surrogate_escaped(system_on):
    """JSON columns keep Russian text as it is; a lone surrogate (valid in JSON input,
    not storable as UTF-8) keeps its escape instead of failing the write."""
    app = system_on.app
    director = found(system_on)
    catalog = app.catalogs.create(director.id, {"name": "Клиенты"})
    card = app.counterparties.register(director.id, {
        "catalog_id": catalog.id, "type": "individual", "name": "Иванов",
        "extra": {"заметка": "ёж", "odd": "\ud800"}})
    with system_on.engine.connect() as conn:
        raw = conn.execute(text("SELECT CAST(extra AS TEXT) FROM counterparties WHERE id = :i"),
                           {"i": card.id}).scalar_one()
    assert "\\ud800" in raw
    assert app.counterparties.get(director.id, card.id).extra == {
        "заметка": "ёж", "odd": "\ud800"}
    with system_on.engine.connect() as conn:
        changes = conn.execute(text(
            "SELECT CAST(changes AS TEXT) FROM history WHERE subject_kind = 'employee' "
            "ORDER BY id LIMIT 1")).scalar_one()
    assert "\\u04" not in changes, "Cyrillic is not escaped"


def test_a_pooled_postgresql_connection_idle_too_long_is_checked_and_replaced(pg_url):
    """``ping_idle``: a pooled connection that waited ``after`` seconds or more is checked
    with a round trip before use and replaced when the server has closed it (here its
    backend is terminated); a connection back from use a moment ago is handed out
    unchecked — a search takes two, and the two checks were ~8 % of it."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    from ecrm_adapters.sqlalchemy.engine import normalise_url, ping_idle, read_only

    def backend(engine) -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()

    def terminate(pid: int) -> None:
        admin = create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        admin.dispose()

    checked = create_engine(normalise_url(pg_url), pool_size=1)
    ping_idle(checked, after=0.0)  # every connection back in the pool counts as idle
    first = backend(checked)
    assert backend(checked) == first, "checked and kept"
    with checked.connect() as conn:  # the check left no transaction open behind it
        conn.execution_options(**read_only("postgresql"))
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    terminate(first)
    assert backend(checked) != first, "the dead connection was replaced before use"
    checked.dispose()

    trusted = create_engine(normalise_url(pg_url), pool_size=1)
    ping_idle(trusted, after=3600.0)
    first = backend(trusted)
    assert backend(trusted) == first, "a connection used a moment ago is not checked"
    terminate(first)
    with pytest.raises(OperationalError):
        backend(trusted)  # unchecked: the statement meets the closed connection
    assert backend(trusted) != first, "SQLAlchemy then replaces it"
    trusted.dispose()
