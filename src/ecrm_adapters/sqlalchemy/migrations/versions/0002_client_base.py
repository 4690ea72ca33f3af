"""Client base: catalogs, counterparties, contacts, curator assignments, search indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalogs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('curator_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['curator_id'], ['employees.id'], name=op.f('fk_catalogs_curator_id_employees')),
    sa.ForeignKeyConstraint(['parent_id'], ['catalogs.id'], name=op.f('fk_catalogs_parent_id_catalogs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogs'))
    )
    with op.batch_alter_table('catalogs', schema=None) as batch_op:
        batch_op.create_index('ix_catalogs_parent_id', ['parent_id'], unique=False)

    op.create_table('counterparties',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('catalog_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('full_name', sa.String(length=500), server_default='', nullable=False),
    sa.Column('inn', sa.String(length=12), server_default='', nullable=False),
    sa.Column('kpp', sa.String(length=9), server_default='', nullable=False),
    sa.Column('ogrn', sa.String(length=15), server_default='', nullable=False),
    sa.Column('legal_address', sa.String(length=500), server_default='', nullable=False),
    sa.Column('postal_address', sa.String(length=500), server_default='', nullable=False),
    sa.Column('phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('sms_phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('mailing_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('okved', sa.String(length=255), server_default='', nullable=False),
    sa.Column('head', sa.String(length=255), server_default='', nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('export_1c', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('search_text', sa.String(length=800), server_default='', nullable=False),
    sa.Column('name_key', sa.String(length=255), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['catalog_id'], ['catalogs.id'], name=op.f('fk_counterparties_catalog_id_catalogs')),
    sa.ForeignKeyConstraint(['created_by'], ['employees.id'], name=op.f('fk_counterparties_created_by_employees')),
    sa.ForeignKeyConstraint(['parent_id'], ['counterparties.id'], name=op.f('fk_counterparties_parent_id_counterparties')),
    sa.ForeignKeyConstraint(['updated_by'], ['employees.id'], name=op.f('fk_counterparties_updated_by_employees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counterparties'))
    )
    with op.batch_alter_table('counterparties', schema=None) as batch_op:
        batch_op.create_index('ix_counterparties_catalog_name', ['catalog_id', 'name', 'id'], unique=False)
        batch_op.create_index('ix_counterparties_email', ['email'], unique=False)
        batch_op.create_index('ix_counterparties_inn', ['inn'], unique=False)
        batch_op.create_index('ix_counterparties_mailing_email', ['mailing_email'], unique=False)
        batch_op.create_index('ix_counterparties_name', ['name', 'id'], unique=False)
        batch_op.create_index('ix_counterparties_name_key', ['name_key'], unique=False)
        batch_op.create_index('ix_counterparties_parent_id', ['parent_id'], unique=False)
        batch_op.create_index('ix_counterparties_phone', ['phone'], unique=False)
        batch_op.create_index('ix_counterparties_sms_phone', ['sms_phone'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=255), nullable=False),
    sa.Column('position', sa.String(length=255), server_default='', nullable=False),
    sa.Column('birthday', sa.Date(), nullable=True),
    sa.Column('phones', sa.JSON(), nullable=False),
    sa.Column('emails', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('photo', sa.String(length=255), server_default='', nullable=False),
    sa.Column('surname_key', sa.String(length=255), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_contacts_counterparty_id_counterparties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_counterparty_id', ['counterparty_id'], unique=False)

    op.create_table('curator_assignments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('head_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('employee_confirmed', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('head_confirmed', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_curator_assignments_counterparty_id_counterparties')),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_curator_assignments_employee_id_employees')),
    sa.ForeignKeyConstraint(['head_id'], ['employees.id'], name=op.f('fk_curator_assignments_head_id_employees')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_curator_assignments_project_id_projects')),
    sa.ForeignKeyConstraint(['requested_by'], ['employees.id'], name=op.f('fk_curator_assignments_requested_by_employees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_curator_assignments'))
    )
    with op.batch_alter_table('curator_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_curator_assignments_counterparty_id', ['counterparty_id'], unique=False)

    # Substring search over names and contacts' surnames (CP-9), kept in step with
    # every change: SQLite FTS5 trigram tables maintained by triggers; PostgreSQL
    # pg_trgm GIN indexes on the columns themselves.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table, column, fts in (("counterparties", "search_text", "counterparty_fts"),
                                   ("contacts", "surname_key", "contact_fts")):
            op.execute(
                f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', "
                f"content_rowid='id', tokenize='trigram')"
            )
            op.execute(
                f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
                f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END"
            )
            op.execute(
                f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, {column}) "
                f"VALUES ('delete', old.id, old.{column}); END"
            )
            op.execute(
                f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, {column}) "
                f"VALUES ('delete', old.id, old.{column}); "
                f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END"
            )
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The operator class by the extension's schema: the database may have pg_trgm in
        # "public" while ECRM's tables live in a schema of their own (search_path).
        home = bind.execute(sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).scalar_one()
        ops = f'"{home}".gin_trgm_ops'
        op.execute(
            "CREATE INDEX ix_counterparties_search_trgm ON counterparties "
            f"USING gin (search_text {ops})"
        )
        op.execute(
            f"CREATE INDEX ix_contacts_surname_trgm ON contacts USING gin (surname_key {ops})"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for fts in ("counterparty_fts", "contact_fts"):
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_counterparties_search_trgm")
        op.execute("DROP INDEX IF EXISTS ix_contacts_surname_trgm")
    with op.batch_alter_table('curator_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_curator_assignments_counterparty_id')

    op.drop_table('curator_assignments')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_counterparty_id')

    op.drop_table('contacts')
    with op.batch_alter_table('counterparties', schema=None) as batch_op:
        batch_op.drop_index('ix_counterparties_sms_phone')
        batch_op.drop_index('ix_counterparties_phone')
        batch_op.drop_index('ix_counterparties_parent_id')
        batch_op.drop_index('ix_counterparties_name_key')
        batch_op.drop_index('ix_counterparties_name')
        batch_op.drop_index('ix_counterparties_mailing_email')
        batch_op.drop_index('ix_counterparties_inn')
        batch_op.drop_index('ix_counterparties_email')
        batch_op.drop_index('ix_counterparties_catalog_name')

    op.drop_table('counterparties')
    with op.batch_alter_table('catalogs', schema=None) as batch_op:
        batch_op.drop_index('ix_catalogs_parent_id')

    op.drop_table('catalogs')
