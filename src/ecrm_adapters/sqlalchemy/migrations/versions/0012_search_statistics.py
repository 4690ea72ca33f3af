"""PostgreSQL keeps finer statistics of the searched texts: ``search_text`` of
``counterparty_search`` and ``surname_key`` of ``contacts`` are sampled with a target of
1,000 instead of 100 (CP-9).

The planner estimates how many cards a ``LIKE '%фрагмент%'`` matches by trying the
pattern on the column's sampled values. With 100 of them it missed by up to four times
at 1,000,000 cards (e.g. «ско»: 39,569 estimated, 9,219 found) and chose a scan that read
a hundred thousand rows to find a thousand, or a bitmap that gathered half a million
index entries: 45–80 ms searches in the 30 ms budget. With 1,000 the estimates come
within a fifth and each fragment gets its right plan, for ~1 ms more planning
(docs/performance.md). SQLite's FTS5 index has no such choice to make: nothing changes
there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SEARCHED = (("counterparty_search", "search_text"), ("contacts", "surname_key"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in SEARCHED:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS 1000")
        op.execute(f"ANALYZE {table} ({column})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in SEARCHED:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS -1")
        op.execute(f"ANALYZE {table} ({column})")
