"""PostgreSQL: counterparty search on a narrow table of its own (CP-9 at scale)

The trigram search read the matching cards' rows from ``counterparties`` itself: ~600
bytes a row, so the 1,001 candidates of a common fragment cost ~1,000 heap pages, most
of them outside ``shared_buffers`` at a million cards (docs/performance.md). The
candidates now come from ``counterparty_search`` (id, search_text, deleted: ~170 bytes a
row), kept in step by triggers on ``counterparties`` — the same shape as SQLite's FTS5
table, which this migration leaves as it is. The GIN index moves with the text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SYNC = """
CREATE FUNCTION ecrm_counterparty_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO counterparty_search (id, search_text, deleted)
    VALUES (NEW.id, NEW.search_text, NEW.deleted)
    ON CONFLICT (id) DO UPDATE
        SET search_text = EXCLUDED.search_text, deleted = EXCLUDED.deleted;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    home = bind.execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
        "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).scalar_one()
    op.execute(
        "CREATE TABLE counterparty_search ("
        " id integer PRIMARY KEY REFERENCES counterparties (id) ON DELETE CASCADE,"
        " search_text varchar(800) NOT NULL DEFAULT '',"
        " deleted boolean NOT NULL DEFAULT false)")
    op.execute("INSERT INTO counterparty_search (id, search_text, deleted) "
               "SELECT id, search_text, deleted FROM counterparties")
    op.execute("CREATE INDEX ix_counterparty_search_trgm ON counterparty_search "
               f'USING gin (search_text "{home}".gin_trgm_ops)')
    op.execute("DROP INDEX IF EXISTS ix_counterparties_search_trgm")
    op.execute(SYNC)
    op.execute("CREATE TRIGGER counterparty_search_ai AFTER INSERT ON counterparties "
               "FOR EACH ROW EXECUTE FUNCTION ecrm_counterparty_search_sync()")
    op.execute("CREATE TRIGGER counterparty_search_au AFTER UPDATE OF search_text, deleted "
               "ON counterparties FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM "
               "NEW.search_text OR OLD.deleted IS DISTINCT FROM NEW.deleted) "
               "EXECUTE FUNCTION ecrm_counterparty_search_sync()")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    home = bind.execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
        "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).scalar_one()
    op.execute("DROP TRIGGER IF EXISTS counterparty_search_au ON counterparties")
    op.execute("DROP TRIGGER IF EXISTS counterparty_search_ai ON counterparties")
    op.execute("DROP FUNCTION IF EXISTS ecrm_counterparty_search_sync()")
    op.execute("DROP TABLE IF EXISTS counterparty_search")
    op.execute("CREATE INDEX ix_counterparties_search_trgm ON counterparties "
               f'USING gin (search_text "{home}".gin_trgm_ops)')
