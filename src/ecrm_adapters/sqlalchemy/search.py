"""The counterparty search port on trigram indexes (CP-9): SQLite FTS5 with the trigram
tokenizer, PostgreSQL pg_trgm GIN. Both index the folded ``search_text`` of the cards
and ``surname_key`` of the contacts. On SQLite the FTS5 tables are kept in step by
triggers; on PostgreSQL the cards' text lives again in the narrow ``counterparty_search``
table, kept by triggers (migration 0006), and the contacts' surnames are indexed in
place. The LIMIT applies inside the index query (performance-notes.md)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ecrm_adapters.sqlalchemy.engine import read_only
from ecrm_core.counterparties.ports import SearchCandidate


def _phrase(folded: str) -> str:
    """An FTS5 phrase query for a substring: the text in double quotes."""
    return '"' + folded.replace('"', '""') + '"'


def _like(folded: str) -> str:
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlCounterpartySearch:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"

    def _run(self, sql: str, params: dict) -> list[SearchCandidate]:
        with self.engine.connect() as conn:
            conn.execution_options(**read_only(self.engine.dialect.name))
            if self.sqlite:
                rows = conn.execute(text(sql), params).all()
            else:
                # Planned for its own pattern each time, never as a prepared statement:
                # psycopg prepares a statement run five times on a connection, and
                # PostgreSQL may then keep one plan for every pattern — a bitmap over
                # the trigram index, which for the commonest fragments («ест», «ран»)
                # gathers hundreds of thousands of entries where a scan stops after a
                # thousand rows: 45–80 ms instead of 1–10 (docs/performance.md).
                driver = conn.connection.dbapi_connection
                kept = driver.prepare_threshold
                driver.prepare_threshold = None
                try:
                    rows = conn.execute(text(sql), params).all()
                finally:
                    driver.prepare_threshold = kept
        return [SearchCandidate(int(r[0]), r[1]) for r in rows]

    def names(self, folded: str, limit: int, include_deleted: bool = False):
        alive = "" if include_deleted else " AND c.deleted = false"
        if self.sqlite:
            # The LIMIT sits inside the FTS subquery; deleted cards are dropped after it
            # (a page of live matches may come out a little shorter than the limit).
            sql = (
                "SELECT c.id, c.search_text FROM counterparties c WHERE c.id IN ("
                " SELECT rowid FROM counterparty_fts WHERE counterparty_fts MATCH :q"
                " LIMIT :limit)" + alive.replace("false", "0") + " ORDER BY c.id"
            )
            return self._run(sql, {"q": _phrase(folded), "limit": limit})
        # The narrow search table (migration 0006): a candidate costs a ~170-byte row
        # instead of the card's ~600 bytes.
        sql = (
            "SELECT c.id, c.search_text FROM counterparty_search c"
            " WHERE c.search_text LIKE :q ESCAPE '\\'" + alive + " LIMIT :limit"
        )
        return self._run(sql, {"q": _like(folded), "limit": limit})

    def contact_surnames(self, folded: str, limit: int, include_deleted: bool = False):
        alive = "" if include_deleted else " AND c.deleted = false"
        if self.sqlite:
            sql = (
                "SELECT DISTINCT c.id, c.search_text FROM contacts k"
                " JOIN counterparties c ON c.id = k.counterparty_id WHERE k.id IN ("
                " SELECT rowid FROM contact_fts WHERE contact_fts MATCH :q LIMIT :limit)"
                + alive.replace("false", "0")
            )
            return self._run(sql, {"q": _phrase(folded), "limit": limit})
        # The LIMIT sits inside, on the contacts the index finds: DISTINCT over the join
        # of every matching contact (a common surname part matches most of 2,000,000
        # contacts) would read them all before the LIMIT (docs/performance.md).
        sql = (
            "SELECT DISTINCT c.id, c.search_text FROM counterparties c JOIN ("
            " SELECT counterparty_id FROM contacts WHERE surname_key LIKE :q ESCAPE '\\'"
            " LIMIT :limit) k ON c.id = k.counterparty_id WHERE true" + alive
        )
        return self._run(sql, {"q": _like(folded), "limit": limit})


class SqlDueTasks:
    """The escalation job's bulk read (TASK-7): planned overdue tasks as plain rows, the
    ones a rule already escalated for their deadline left out in SQL (``NOT EXISTS`` on
    the unique index of ``task_escalations``) — a pass reads what it has to send, not
    every overdue task again (docs/performance.md)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def unescalated(self, rule_id, task_type_id, due_before, after_id, limit):
        from sqlalchemy import and_, exists, select

        from ecrm_adapters.sqlalchemy import tables as t
        from ecrm_core.tasks.model import TaskState
        from ecrm_core.tasks.ports import DueTask

        k, e = t.tasks, t.task_escalations
        sent = exists().where(and_(e.c.task_id == k.c.id, e.c.rule_id == rule_id,
                                   e.c.due_at == k.c.due_at))
        stmt = (select(k.c.id, k.c.responsible_id, k.c.task_type_id, k.c.due_date,
                       k.c.due_time, k.c.due_at, k.c.what)
                .where(k.c.state == TaskState.PLANNED, k.c.due_at <= due_before,
                       k.c.id > after_id, ~sent)
                .order_by(k.c.id).limit(limit))
        if task_type_id is not None:
            stmt = stmt.where(k.c.task_type_id == task_type_id)
        with self.engine.connect() as conn:
            conn.execution_options(**read_only(self.engine.dialect.name))
            return [DueTask(*row) for row in conn.execute(stmt)]
