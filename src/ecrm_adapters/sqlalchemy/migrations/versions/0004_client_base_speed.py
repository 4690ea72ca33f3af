"""Client base at scale: the duplicate check's e-mail lookups use an index

The duplicate check (CP-3) finds cards by ``lower(email) = …`` and
``lower(mailing_email) = …``; plain indexes on the columns cannot serve that, so each
check read the whole table (about 0.3 s at 100,000 cards on SQLite, where ``lower`` is
the application's Unicode-aware function). The plain indexes give way to indexes on the
expressions (docs/performance.md).

On SQLite ``lower`` is the function every ECRM connection registers (engine.py): the
index is computed with it, so rows must be written through ECRM (or with ASCII
e-mails, where it agrees with SQLite's own ``lower``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_counterparties_email', table_name='counterparties')
    op.drop_index('ix_counterparties_mailing_email', table_name='counterparties')
    op.execute("CREATE INDEX ix_counterparties_email_lower ON counterparties (lower(email))")
    op.execute("CREATE INDEX ix_counterparties_mailing_email_lower "
               "ON counterparties (lower(mailing_email))")


def downgrade() -> None:
    op.drop_index('ix_counterparties_mailing_email_lower', table_name='counterparties')
    op.drop_index('ix_counterparties_email_lower', table_name='counterparties')
    op.create_index('ix_counterparties_email', 'counterparties', ['email'])
    op.create_index('ix_counterparties_mailing_email', 'counterparties', ['mailing_email'])
