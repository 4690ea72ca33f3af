"""Engines: SQLite in WAL mode with foreign keys, a busy timeout and writes in
immediate transactions; PostgreSQL through psycopg 3."""

from __future__ import annotations

import json
import time

import orjson
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError

#: SQLite waits this long for a competing writer before giving up.
BUSY_TIMEOUT_MS = 10_000
#: SQLite's page cache per connection, MiB (``ECRM_SQLITE_CACHE_MB``). SQLite's own 2 MB
#: holds a few thousand pages: a batch of new cards touches more than that across the
#: cards' indexes in a base of 1,000,000, and the pages are read again and again. The
#: cache grows only as pages are used (docs/performance.md).
SQLITE_CACHE_MB = 128


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _refused(value):
    raise TypeError(f"{type(value).__name__} is not JSON")


#: orjson hands dates and dataclasses to ``_refused``, as the json module refuses them
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _json(value) -> str:
    # orjson: Cyrillic as it is, not \uXXXX (history rows and extra attributes are mostly
    # Russian text: a third of the bytes), compact, and about five times faster than the
    # json module (the import writes a history row a card). What orjson refuses — a lone
    # surrogate, which UTF-8 cannot carry, an integer past 64 bits, a key that is not a
    # string, a date — goes through the json module as every value once did: with a
    # surrogate's escapes, and failing where it failed. (orjson writes NaN as null, where
    # json wrote an invalid NaN; the core keeps no floats in JSON columns.)
    try:
        return orjson.dumps(value, default=_refused, option=_ORJSON).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        text = json.dumps(value, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(value)
        return text


def make_engine(url: str, *, sqlite_cache_mb: int = SQLITE_CACHE_MB, **kwargs) -> Engine:
    url = normalise_url(url)
    kwargs.setdefault("json_serializer", _json)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )
        _tune_sqlite(engine, sqlite_cache_mb)
    else:
        engine = create_engine(url, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            ping_idle(engine)
    guard_reads(engine)
    return engine


#: A pooled PostgreSQL connection that has waited in the pool this long is checked with
#: a round trip before it is handed out (``ping_idle``).
PING_AFTER_IDLE_S = 10.0


def ping_idle(engine: Engine, after: float = PING_AFTER_IDLE_S) -> None:
    """Check a pooled connection before use only when it has been idle ``after`` seconds
    or more — one the server may have closed (a restart, an idle timeout, a network
    drop) — and replace it if the check fails; SQLAlchemy's ``pool_pre_ping`` checks at
    every checkout. A search takes two connections (its index query, then its unit of
    work): the two pings were ~8 % of a PostgreSQL search (docs/performance.md). A
    connection the server closes while it is in use fails that statement either way, and
    SQLAlchemy then empties the pool."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        record.info["ecrm_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        since = record.info.pop("ecrm_idle_since", None)
        if since is None or time.monotonic() - since < after:
            return
        try:
            # the dialect's own check (pool_pre_ping's): psycopg's runs in autocommit and
            # leaves no transaction open, which a read-only unit of work could not enter
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: the pool takes another connection
            raise DisconnectionError(f"a pooled connection failed its check: {exc}") from exc


def read_only(dialect_name: str) -> dict:
    """Execution options of a connection that only reads (``ecrm_readonly``): on SQLite it
    begins deferred, without the write lock; on PostgreSQL it runs in autocommit — each
    SELECT its own snapshot, and no BEGIN and ROLLBACK round trips around a use case's
    few reads (two of the six a simple call made; docs/performance.md). The unit of work
    refuses writes on such a connection (uow.py)."""
    if dialect_name == "postgresql":
        return {"ecrm_readonly": True, "isolation_level": "AUTOCOMMIT"}
    return {"ecrm_readonly": True}


#: what a read-only connection may send: reads, and SQLite's BEGIN and pragmas
_READING = ("SELECT", "WITH", "VALUES", "EXPLAIN", "SHOW", "BEGIN", "PRAGMA")


def guard_reads(engine: Engine) -> None:
    """A connection opened with ``read_only``'s options refuses any other statement —
    an INSERT, UPDATE, DELETE or upsert, however it was written (ORM, Core, text) —
    before it reaches the database: on PostgreSQL such a connection is in autocommit,
    where a write would be kept at once."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(connection, _cursor, statement, _parameters, _context, _many):
        if connection.get_execution_options().get("ecrm_readonly"):
            word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
            if word not in _READING or (word == "WITH" and _writes(statement)):
                raise RuntimeError("a read-only unit of work does not write")


def _writes(statement: str) -> bool:
    upper = statement.upper()
    return any(f"{verb} " in upper for verb in ("INSERT", "UPDATE", "DELETE"))


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def _tune_sqlite(engine: Engine, cache_mb: int = SQLITE_CACHE_MB) -> None:
    memory = engine.url.database in (None, "", ":memory:")
    # An executemany INSERT goes out as multi-row ``INSERT … VALUES (…), (…)`` pages
    # (SQLAlchemy's "insertmanyvalues", up to 1,000 rows a statement) instead of one
    # statement per row. Besides the per-statement overhead this spares the FTS5 search
    # indexes: a trigger writing an FTS5 table inside a statement makes SQLite open a
    # statement savepoint, and FTS5 (3.40) writes its pending terms out as a new index
    # segment at every savepoint: one segment per row, merged again and again (a 500-row
    # transaction into a 100,000-row FTS5 table: 209 µs a row with one statement per
    # row, 21 µs with one multi-row statement). docs/performance.md has the figures.
    engine.dialect.use_insertmanyvalues_wo_returning = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size={-1024 * int(cache_mb)}")  # negative: KiB
        cursor.close()
        # SQLite's own lower() folds ASCII only; the repositories' case-insensitive
        # filters (``__ieq``, ``__icontains``) must fold Cyrillic too, as on PostgreSQL.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Writers take the write lock at BEGIN, so two writers never deadlock on an
        # upgrade from a read lock; read-only units of work begin deferred.
        if connection.get_execution_options().get("ecrm_readonly"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
