"""Lists of cards ordered by the name without its legal form (``name_key``, CAT-3):
the catalog page's index becomes ``(catalog_id, name_key, id)`` and the index on the raw
name goes.

Lists across catalogs (the advanced search, related clients) read
``ix_counterparties_name_key``, which the duplicate check (CP-3) keeps anyway. Measured
at 1,000,000 cards on SQLite (docs/performance.md), the ``(name, id)`` index cost a new
card about as much as every other index together. A long random key has to be found and
written on each insert.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_counterparties_name", table_name="counterparties")
    op.drop_index("ix_counterparties_catalog_name", table_name="counterparties")
    op.create_index("ix_counterparties_catalog_key", "counterparties",
                    ["catalog_id", "name_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_counterparties_catalog_key", table_name="counterparties")
    op.create_index("ix_counterparties_catalog_name", "counterparties",
                    ["catalog_id", "name", "id"])
    op.create_index("ix_counterparties_name", "counterparties", ["name", "id"])
