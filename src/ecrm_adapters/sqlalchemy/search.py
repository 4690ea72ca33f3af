"""The counterparty search port on trigram indexes (CP-9): SQLite FTS5 with the trigram
tokenizer, PostgreSQL pg_trgm GIN. Both index the folded ``search_text`` of the cards
and ``surname_key`` of the contacts. On SQLite the FTS5 tables are kept in step by
triggers; on PostgreSQL the cards' text lives again in the narrow ``counterparty_search``
table, kept by triggers (migration 0006), and the contacts' surnames are indexed in
place. The LIMIT applies inside the index query (performance-notes.md)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

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
            conn.execution_options(ecrm_readonly=True)
            rows = conn.execute(text(sql), params).all()
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
