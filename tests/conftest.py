"""Shared fixtures.

- ``database_url``: a fresh, migrated database per test — SQLite always; PostgreSQL too
  when ``ECRM_TEST_DATABASE_URL`` is set (CI sets it). Tests that take it run on both.
- ``sqlite_url``: SQLite only (fast; the e2e tests use it).
- Under pytest-xdist (``PYTEST_XDIST_WORKER`` set: the suite runs with ``-n auto``) every
  worker has a PostgreSQL database of its own, ``<name>_<worker>`` next to the one
  ``ECRM_TEST_DATABASE_URL`` names (``test_gw0``, ``test_gw1``...): the session drops and
  re-creates its ``public`` schema, and each test truncates it. The database is created
  when missing (with or without xdist).
- ``system`` / ``app`` / ``director``: a bootstrapped ECRM on SQLite with a Company and
  its Director (login ``director``, password ``director-pass``).
"""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from ecrm_adapters.bootstrap import System, bootstrap
from ecrm_adapters.security import Argon2Hasher
from ecrm_adapters.settings import Settings
from ecrm_adapters.sqlalchemy.engine import normalise_url
from ecrm_adapters.sqlalchemy.migrate import upgrade
from ecrm_adapters.sqlalchemy.tables import metadata

# The machines are small and shared: no per-example deadline, no "too slow" failures.
settings.register_profile(
    "ecrm", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ecrm"))


def per_worker_url(url: str, worker: str | None) -> str:
    """``url`` with the xdist worker's name appended to its database (``test`` ->
    ``test_gw0``); ``url`` itself outside xdist or when it is empty."""
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(
        hide_password=False)


#: The PostgreSQL database of this process: ECRM_TEST_DATABASE_URL's own, or a database of
#: this xdist worker's (``ensure_pg_database`` creates it). Never share it across workers:
#: the session drops its schema.
PG_URL = per_worker_url(os.environ.get("ECRM_TEST_DATABASE_URL", ""),
                        os.environ.get("PYTEST_XDIST_WORKER"))
BROKER_URL = os.environ.get("ECRM_TEST_BROKER_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"

DIRECTOR_LOGIN = "director"
DIRECTOR_PASSWORD = "director-pass"

#: Real Argon2id, with a cheap cost so that tests that log in often stay fast.
FAST_HASHER = Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "ecrm.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(_sqlite_template, tmp_path) -> str:
    path = tmp_path / "ecrm.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


def ensure_pg_database(url: str) -> None:
    """CREATE DATABASE ``url``'s database when the server has none of that name, through
    the server's ``postgres`` database (the same user; it needs the CREATEDB right)."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect():
            return  # there already (no need for the `postgres` database then)
    except OperationalError:
        pass  # missing, most likely (libpq gives no SQLSTATE for it): look below
    finally:
        engine.dispose()
    parsed = make_url(normalise_url(url))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = {"name": parsed.database}
    try:
        with admin.connect() as conn:
            # Two sessions creating one name at once: the loser would fail on a unique
            # index, not with "already exists". A lock per name makes them take turns.
            conn.execute(text("SELECT pg_advisory_lock(hashtext(:name))"), name)
            try:
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                    name).scalar():
                    quoted = admin.dialect.identifier_preparer.quote(parsed.database)
                    conn.execute(text(f"CREATE DATABASE {quoted}"))
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(hashtext(:name))"), name)
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> str:
    """This process's PostgreSQL URL (its database created when missing), "" without one."""
    if PG_URL:
        ensure_pg_database(PG_URL)
    return PG_URL


@pytest.fixture(scope="session")
def _pg_migrated(pg_database):
    if not pg_database:
        return None
    engine = create_engine(normalise_url(pg_database))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(pg_database)
    return pg_database


def _truncate_pg(url: str) -> None:
    engine = create_engine(normalise_url(url))
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def pg_url(_pg_migrated) -> str:
    if not _pg_migrated:
        if IN_CI:
            pytest.fail("CI must set ECRM_TEST_DATABASE_URL")
        pytest.skip("PostgreSQL leg: set ECRM_TEST_DATABASE_URL to run it")
    _truncate_pg(_pg_migrated)
    return _pg_migrated


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


def make_system(url: str, tmp_path, **kw) -> System:
    """A bootstrapped system on ``url``. The periodic task and deal alerts jobs are off
    (a pass would be one more message on every started queue) unless ``settings`` turn
    them on (``task_alerts_minutes``, ``deal_alerts_minutes``;
    tests/integration/test_task_alerts.py, test_deal_alerts_redis.py)."""
    settings = Settings.from_env(
        {"ECRM_DATA_DIR": str(tmp_path / "data"), "ECRM_DATABASE_URL": url,
         "ECRM_SECRET_KEY": "test-secret"},
        **{"task_alerts_minutes": 0.0, "deal_alerts_minutes": 0.0,
           **kw.pop("settings", {})},
    )
    return bootstrap(settings, hasher=kw.pop("hasher", FAST_HASHER), **kw)


def found(system: System):
    return system.app.org.found_company(
        "ООО «Тестовая компания»",
        {"login": DIRECTOR_LOGIN, "password": DIRECTOR_PASSWORD,
         "full_name": "Петров Иван Сергеевич", "email": "director@example.com"},
    )


@pytest.fixture
def system(sqlite_url, tmp_path):
    s = make_system(sqlite_url, tmp_path)
    yield s
    s.close()


@pytest.fixture
def director(system):
    return found(system)


@pytest.fixture
def app(system, director):
    from ecrm_web.app import create_app

    flask_app = create_app(system, {"TESTING": True})
    return flask_app
