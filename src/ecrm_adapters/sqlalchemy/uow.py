"""Repositories and the unit of work on a SQLAlchemy session."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

import cattrs
from sqlalchemy import column, event, func, insert, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import values as sa_values
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.engine import read_only
from ecrm_adapters.sqlalchemy.mapping import MAPPED, ROWS, start_mappers
from ecrm_core.history.model import history_row, jsonable
from ecrm_core.kernel.errors import Conflict, ValidationFailed
from ecrm_core.kernel.events import DomainEvent
from ecrm_core.kernel.fields import MAX_ID
from ecrm_core.kernel.uow import UnitOfWork

log = logging.getLogger(__name__)
_converter = cattrs.Converter()


def event_payload(event: DomainEvent) -> dict[str, Any]:
    """The outbox row's JSON: the event's own fields, in plain JSON values."""
    data = _converter.unstructure(event)
    data["subject"] = str(event.subject)
    data["changes"] = [
        {"field": c.field, "old": jsonable(c.old), "new": jsonable(c.new)} for c in event.changes
    ]
    return jsonable(data)


#: Constraints whose violation is the user's input clashing with stored data, named by
#: the field to blame: the databases' own guards of the price ranges (PRD-3; migration
#: 0008: PostgreSQL's exclusion constraint, SQLite's triggers, the unique start day).
FIELD_CLASHES: tuple[tuple[str, str, str], ...] = (
    ("prices_no_overlap", "valid_from", "overlaps another price of the item and price type"),
    ("uq_prices_item_type_from", "valid_from",
     "overlaps another price of the item and price type"),
    ("ck_prices_range", "valid_to", "must be after the start date"),
)
#: SQLite names a unique index's columns, not the index, when it is violated.
_SQLITE_CLASHES = {"prices.item_id, prices.price_type_id, prices.valid_from":
                   "uq_prices_item_type_from"}


def clash(exc: IntegrityError) -> Exception:
    """The domain error an integrity error stands for: ValidationFailed naming the field
    when the constraint guards user input (the price ranges), Conflict otherwise."""
    text_ = str(exc.orig)
    for columns, name in _SQLITE_CLASHES.items():
        if columns in text_:
            text_ = f"{text_} {name}"
    for name, field, message in FIELD_CLASHES:
        if name in text_:
            log.info("integrity error turned into a refusal of %s: %s", field, exc.orig)
            return ValidationFailed.single(field, message)
    log.info("integrity error turned into a conflict: %s", exc.orig)
    return Conflict("the change clashes with existing data")


def _busy(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower()


def insert_rows(session: Session, table, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` (dicts with the same keys) into ``table`` in this session's
    transaction: the bulk writes of new cards and of history rows.

    SQLite: multi-row ``INSERT … VALUES (…), (…)`` statements — one statement, not one a
    row, so the FTS5 triggers write one index segment a statement (engine.py) — whose
    parameters are converted by the columns' own bind processors (dates, JSON, enums),
    looked up once, not per row and column as SQLAlchemy's executemany does (about a
    tenth of an import's work at 1M cards; docs/performance.md). The pages of rows are
    the dialect's own insertmanyvalues limits. PostgreSQL: SQLAlchemy's executemany."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"rows for {table.name} must all have the same columns")
    converters = [(name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                  for name in names]
    per = max(1, min(dialect.insertmanyvalues_page_size,
                     dialect.insertmanyvalues_max_parameters // len(names)))
    quote = dialect.identifier_preparer
    head = (f"INSERT INTO {quote.format_table(table)} "
            f"({', '.join(quote.quote(name) for name in names)}) VALUES ")
    one = "(" + ", ".join("?" * len(names)) + ")"
    # a batch's rows mostly share their timestamps and authors: a converted value is
    # reused while the next row holds the very same object
    last: dict[str, tuple[Any, Any]] = {}
    nothing = (object(), None)
    for start in range(0, len(rows), per):
        page = rows[start:start + per]
        flat: list[Any] = []
        for row in page:
            for name, convert in converters:
                value = row[name]
                if convert is not None:
                    seen, done = last.get(name, nothing)
                    if value is not seen:
                        done = convert(value)
                        last[name] = (value, done)
                    value = done
                flat.append(value)
        connection.exec_driver_sql(head + ", ".join([one] * len(page)), tuple(flat))


class SqlRepository:
    def __init__(self, session: Session, cls: type, seen: list) -> None:
        self.session = session
        self.cls = cls
        # Strong references: the session's identity map is weak, and an aggregate that
        # nobody holds any more must still hand its events to the commit.
        self.seen = seen

    def _column(self, name: str):
        return getattr(self.cls, name)

    def _where(self, stmt, filters: dict[str, Any]):
        for key, value in filters.items():
            name, _, op = key.partition("__")
            column = self._column(name)
            if op == "":
                stmt = stmt.where(column.is_(None) if value is None else column == value)
            elif op == "gt":
                stmt = stmt.where(column > value)
            elif op == "lt":
                stmt = stmt.where(column < value)
            elif op == "gte":
                stmt = stmt.where(column >= value)
            elif op == "lte":
                stmt = stmt.where(column <= value)
            elif op == "ne":
                stmt = stmt.where(column.is_not(None) if value is None else column != value)
            elif op == "startswith":
                # a range, not LIKE 'x%': it uses the plain b-tree index on both databases
                prefix = str(value)
                if prefix:
                    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
                    stmt = stmt.where(column >= prefix, column < upper)
            elif op == "in":
                stmt = stmt.where(column.in_(list(value)))
            elif op == "ieq":
                stmt = stmt.where(func.lower(column) == str(value).lower())
            elif op == "icontains":
                stmt = stmt.where(func.lower(column).contains(str(value).lower(), autoescape=True))
            else:
                raise ValueError(f"unknown filter {key}")
        return stmt

    def add(self, obj):
        self.session.add(obj)
        self._flush()
        self.seen.append(obj)
        return obj

    def add_all(self, objs):
        """Store several new aggregates of this kind at once and give them ids (the
        import's bulk path; ``add`` flushes once per object). The ids are taken first —
        a block of the PostgreSQL sequence, or on SQLite the next ones after the largest,
        which is safe because a writing unit of work holds SQLite's write lock from its
        BEGIN IMMEDIATE — so that one flush sends the rows as an executemany instead of
        one ``INSERT … RETURNING`` per row."""
        objs = list(objs)
        if not objs:
            return objs
        if all(getattr(o, "id", None) is None for o in objs):
            for obj, ident in zip(objs, self._next_ids(len(objs)), strict=True):
                obj.id = ident
        self.session.add_all(objs)
        self._flush()
        self.seen.extend(objs)
        return objs

    def add_values(self, rows):
        """New aggregates given as rows of their values, written together
        (``insert_rows``) under ids taken as ``add_all`` takes them: no instrumented
        objects, no ORM flush (the import's new cards)."""
        rows = list(rows)
        if not rows:
            return []
        ids = self._next_ids(len(rows))
        table = sa_inspect(self.cls).local_table
        if None in ids:
            raise NotImplementedError("add_values takes ids from SQLite or PostgreSQL")
        with self._writing():
            insert_rows(self.session, table, [
                {**row, "id": ident} for row, ident in zip(rows, ids, strict=True)])
        return ids

    def _next_ids(self, count: int) -> list[int]:
        self._flush()  # rows this unit of work has not sent yet take their ids first
        table = sa_inspect(self.cls).local_table
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            rows = connection.execute(text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                "FROM generate_series(1, :count)"), {"table": table.name, "count": count})
            return sorted(r[0] for r in rows)
        if connection.dialect.name == "sqlite":
            last = connection.execute(select(func.max(table.c.id))).scalar() or 0
            return list(range(last + 1, last + 1 + count))
        return [None] * count

    @contextmanager
    def _writing(self):
        """A write's database errors as the core's: a clash with stored data (Conflict,
        or ValidationFailed naming the field), a value out of a column's range."""
        try:
            yield
        except IntegrityError as exc:
            self.session.rollback()
            raise clash(exc) from None
        except DataError:
            self.session.rollback()
            raise Conflict("a value is out of the range the database keeps") from None

    def _flush(self):
        with self._writing():
            self.session.flush()

    def get(self, ident):
        if not isinstance(ident, int) or isinstance(ident, bool) or not 0 < ident <= MAX_ID:
            return None
        obj = self.session.get(self.cls, ident)
        if obj is not None:
            self.seen.append(obj)
        return obj

    def list(self, *, order_by: Iterable[str] = ("id",), limit=None, offset=0, **filters):
        stmt = self._ordered(self._where(select(self.cls), filters), order_by)
        if offset:
            stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        found = list(self.session.scalars(stmt))
        self.seen.extend(found)
        return found

    def first(self, **filters):
        found = self.list(limit=1, **filters)
        return found[0] if found else None

    def first_per(self, key, values, *, order_by, **filters):
        """One statement: the values as a VALUES list, each with a correlated scalar
        subquery taking the first id by ``order_by`` (an index probe each on both
        databases — SQLite has no LATERAL), then those objects by id."""
        values = sorted(set(values))
        if not values:
            return {}
        wanted = sa_values(column("k", self._column(key).type), name="wanted").data(
            [(v,) for v in values]).cte()
        first = self._where(select(self._column("id")), filters).where(
            self._column(key) == wanted.c.k)
        first = self._ordered(first, order_by).limit(1).scalar_subquery()
        stmt = select(self.cls).where(self._column("id").in_(select(first).select_from(wanted)))
        found = list(self.session.scalars(stmt))
        self.seen.extend(found)
        return {getattr(o, key): o for o in found}

    def _ordered(self, stmt, order_by):
        for key in order_by:
            column = self._column(key.lstrip("-"))
            stmt = stmt.order_by(column.desc() if key.startswith("-") else column.asc())
        return stmt

    def count(self, *, limit=None, **filters):
        if limit is None:
            stmt = self._where(select(func.count()).select_from(self.cls), filters)
            return self.session.scalar(stmt)
        inner = self._where(select(sa_inspect(self.cls).primary_key[0]), filters).limit(limit)
        return self.session.scalar(select(func.count()).select_from(inner.subquery()))

    def delete(self, obj):
        # at once, as ``add`` does: the core deletes dependants before what they point
        # at, and that order must reach the database (the mappings have no relationships
        # for SQLAlchemy to order deletes by)
        self.session.delete(obj)
        self._flush()


class SqlHistoryRepository(SqlRepository):
    """History rows: ``UnitOfWork.commit`` adds one per event. They are kept as plain
    rows and written together (``insert_rows``) when the unit of work commits, instead
    of one ORM flush each — an import of 2,000 cards writes 2,000 history rows."""

    def __init__(self, session: Session, cls: type, seen: list, pending: list) -> None:
        super().__init__(session, cls, seen)
        self.pending = pending

    def add(self, obj):
        self.pending.append({
            "at": obj.at, "actor_id": obj.actor_id, "subject_kind": obj.subject_kind,
            "subject_id": obj.subject_id, "action": obj.action, "changes": obj.changes,
        })
        return obj

    def add_all(self, objs):
        return [self.add(o) for o in objs]

    def write(self) -> None:
        if self.pending:
            insert_rows(self.session, t.history, self.pending)
            self.pending.clear()


class SqlRowsRepository(SqlRepository):
    """Records kept as plain rows, not mapped by the ORM: bookkeeping the core writes in
    bulk and only adds, reads and deletes (the escalations sent). Building 100,000
    instrumented objects and flushing them one by one cost more than the escalation job's
    whole target (docs/performance.md); here ``add_all`` is one Core ``insert``
    (executemany) and reads build the plain attrs objects. The core never changes such a
    record in place (it deletes it and adds another)."""

    def __init__(self, session: Session, cls: type, table, seen: list) -> None:
        super().__init__(session, cls, seen)
        self.table = table
        self.columns = [c.name for c in table.columns if c.name != "id"]

    def _column(self, name: str):
        return self.table.c[name]

    def add(self, obj):
        return self.add_all([obj])[0]

    def add_all(self, objs):
        objs = list(objs)
        if not objs:
            return objs
        self._flush()
        with self._writing():
            self.session.execute(insert(self.table), [
                {name: getattr(o, name) for name in self.columns} for o in objs])
        self.seen.extend(objs)  # their events still reach history
        return objs

    def _build(self, row):
        return self.cls(**row._mapping)

    def get(self, ident):
        if not isinstance(ident, int) or isinstance(ident, bool) or not 0 < ident <= MAX_ID:
            return None
        row = self.session.execute(select(self.table).where(self.table.c.id == ident)).first()
        return self._build(row) if row is not None else None

    def list(self, *, order_by: Iterable[str] = ("id",), limit=None, offset=0, **filters):
        stmt = self._ordered(self._where(select(self.table), filters), order_by)
        if offset:
            stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [self._build(row) for row in self.session.execute(stmt)]

    def count(self, *, limit=None, **filters):
        inner = self._where(select(self.table.c.id), filters)
        if limit is not None:
            inner = inner.limit(limit)
        return self.session.scalar(select(func.count()).select_from(inner.subquery()))

    def delete(self, obj):
        self._flush()
        self.session.execute(self.table.delete().where(self.table.c.id == obj.id))

    def first_per(self, key, values, *, order_by, **filters):
        raise NotImplementedError("first_per reads mapped aggregates")

    def add_values(self, rows):
        raise NotImplementedError("add_values writes mapped aggregates")




NEXT_NUMBER = text(
    "INSERT INTO number_sequences (key, value) VALUES (:key, 1) "
    "ON CONFLICT (key) DO UPDATE SET value = number_sequences.value + 1 "
    "RETURNING value")


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, session_factory: Callable[[], Session], clock, after_commit=None,
                 readonly: bool = False) -> None:
        super().__init__(clock, after_commit)
        self.session_factory = session_factory
        self.readonly = readonly

    def __enter__(self):
        self.session = self.session_factory()
        if self.readonly:
            # nothing it loads is written back: no autoflush, and a flush or a write
            # statement is refused (_refuse_writes) — on PostgreSQL the connection is in
            # autocommit, where a write would not wait for a commit that never comes
            self.session.autoflush = False
            self.session.info["ecrm_readonly"] = True
            self.session.connection(
                execution_options=read_only(self.session.get_bind().dialect.name))
        self._strong: list = []
        for name, (cls, _table) in MAPPED.items():
            if name == "history":
                repository = SqlHistoryRepository(self.session, cls, self._strong, [])
            else:
                repository = SqlRepository(self.session, cls, self._strong)
            setattr(self, name, repository)
        for name, (cls, table) in ROWS.items():
            setattr(self, name, SqlRowsRepository(self.session, cls, table, self._strong))
        return self

    def __exit__(self, exc_type, exc, tb):
        # close() ends the transaction (rolling back whatever was not committed) and
        # detaches the loaded objects with their state intact, so use cases can return
        # them; rollback() would expire them first.
        self.session.close()
        if isinstance(exc, OperationalError) and _busy(exc):
            # SQLite: another writer held the lock past the busy timeout.
            raise Conflict("the database is busy; repeat your change") from None

    def _seen(self):
        return list({id(o): o for o in [*self._strong, *self.session.new]}.values())

    def _record_history(self, event, at):
        # a plain row, not a mapped HistoryEntry: building 100,000 instrumented objects
        # cost more than writing them
        self.history.pending.append(history_row(event, actor_id=self.actor_id, at=at))

    def _add_to_outbox(self, event, at):
        self.session.execute(
            insert(t.outbox).values(name=event.name, payload=event_payload(event), created_at=at)
        )

    def commit(self):
        if self.readonly:
            raise RuntimeError("a read-only unit of work does not commit")
        try:
            super().commit()
        except StaleDataError:
            self.session.rollback()
            raise Conflict() from None
        except IntegrityError as exc:
            self.session.rollback()
            raise clash(exc) from None
        except DataError:
            # A value the column cannot keep (a sum past NUMERIC(14, 2)): the core bounds
            # what it writes; this is the net, never a 500.
            self.session.rollback()
            raise Conflict("a value is out of the range the database keeps") from None
        except OperationalError as exc:
            self.session.rollback()
            if _busy(exc):
                raise Conflict("the database is busy; repeat your change") from None
            raise

    def next_number(self, key: str) -> int:
        """One atomic upsert in this unit of work's transaction (CON-2). PostgreSQL: the
        row stays locked until the commit, so a concurrent unit of work waits and then
        takes the next value; SQLite: a writing unit of work holds the write lock from its
        BEGIN IMMEDIATE. A value is never given twice: a rollback gives it back only
        together with everything that used it."""
        try:
            return self.session.execute(NEXT_NUMBER, {"key": key}).scalar_one()
        except OperationalError as exc:
            self.session.rollback()
            if _busy(exc):
                raise Conflict("the database is busy; repeat your change") from None
            raise

    def _commit(self):
        self.session.flush()
        self.history.write()
        self.session.commit()

    def rollback(self):
        self._recorded.clear()
        self.session.rollback()


def _refuse_writes(session: Session) -> None:
    """A read-only unit of work's session refuses a flush of changed objects (its
    statements are refused by the engine's guard, engine.read_only)."""

    @event.listens_for(session, "before_flush")
    def _flush(session_, _context, _instances):
        if session_.info.get("ecrm_readonly") and (
                session_.new or session_.dirty or session_.deleted):
            raise RuntimeError("a read-only unit of work does not write")


def uow_factory(engine, clock, after_commit=None) -> Callable[..., SqlUnitOfWork]:
    start_mappers()
    session_factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    _refuse_writes(session_factory)

    def make(readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(session_factory, clock, after_commit, readonly=readonly)

    return make
