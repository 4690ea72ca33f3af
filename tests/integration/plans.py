"""Query plans in tests: capture the statements a call sends, and EXPLAIN one on the
database it ran on (SQLite's ``EXPLAIN QUERY PLAN``; PostgreSQL's ``EXPLAIN`` with
sequential and bitmap scans off, as the tests' tables hold a handful of rows)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def captured(engine, wanted: Callable[[str], bool]) -> Iterator[list[tuple[str, object]]]:
    """The (statement, parameters) the engine sends while the block runs, those
    ``wanted`` accepts."""
    seen: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if wanted(statement):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def plan_of(system, statement: str, parameters) -> str:
    """The plan of one captured statement, its lines joined by " / "."""
    with system.engine.connect() as conn:
        cursor = conn.connection.cursor()
        try:
            if system.settings.is_sqlite:
                cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                return " / ".join(str(row[-1]) for row in cursor.fetchall())
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {statement}", parameters)
            return " / ".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.close()
