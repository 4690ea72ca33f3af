"""Sales documents (issue 5): the state sets' reference book; goods, service kinds,
price types, client types and dated prices (PRD-1…3); contract types and contracts
(CON-1…4), requests (REQ-1…4), invoices, payments, acts and settlements (INV-1…4);
documents (DOC-1); the named number sequences (CON-2); the company's requisites and the
client type of a card.

Price ranges of one item and price type never overlap, and the database says so itself:
PostgreSQL by an exclusion constraint over ``daterange(valid_from, valid_to)``
(``btree_gist`` gives its integer columns a GiST operator class), SQLite by triggers that
abort an overlapping INSERT or UPDATE. (A later SQLite "batch" migration that recreates
``prices`` must create the triggers again.)

A database that already has a company gets the reference data a new company gets when
it is founded: the default state sets, price types, client types and contract types.

Revision ID: 0008_sales_documents
Revises: 0007
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from ecrm_core.attributes import dump_defs, parse_defs
from ecrm_core.products.services import DEFAULT_CLIENT_TYPES, DEFAULT_PRICE_TYPES
from ecrm_core.sales.contracts import DEFAULT_CONTRACT_TYPES
from ecrm_core.workflow.definition import dump_states, dump_transitions
from ecrm_core.workflow.services import DEFAULT_STATE_SETS

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

#: SQLite: an overlap of ``NEW`` with another range of its item and price type (ISO
#: dates compare as text; NULL ``valid_to`` is open-ended).
OVERLAP = (
    "EXISTS (SELECT 1 FROM prices p WHERE p.item_id = NEW.item_id"
    " AND p.price_type_id = NEW.price_type_id{other}"
    " AND (p.valid_to IS NULL OR NEW.valid_from < p.valid_to)"
    " AND (NEW.valid_to IS NULL OR p.valid_from < NEW.valid_to))"
)
ABORT = "SELECT RAISE(ABORT, 'prices_no_overlap: the price range overlaps another one')"


def upgrade() -> None:
    op.create_table('contract_types',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('number_pattern', sa.String(length=60), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_types')),
    sa.UniqueConstraint('code', name=op.f('uq_contract_types_code'))
    )
    op.create_table('item_groups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['item_groups.id'], name=op.f('fk_item_groups_parent_id_item_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_groups'))
    )
    with op.batch_alter_table('item_groups', schema=None) as batch_op:
        batch_op.create_index('ix_item_groups_parent_id', ['parent_id'], unique=False)

    op.create_table('number_sequences',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_number_sequences'))
    )
    op.create_table('price_types',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('vat_included', sa.Boolean(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_types')),
    sa.UniqueConstraint('code', name=op.f('uq_price_types_code'))
    )
    op.create_table('state_sets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('code', sa.String(length=81), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('states', sa.JSON(), nullable=False),
    sa.Column('transitions', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_state_sets')),
    sa.UniqueConstraint('code', name=op.f('uq_state_sets_code'))
    )
    op.create_table('client_types',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('price_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['price_type_id'], ['price_types.id'], name=op.f('fk_client_types_price_type_id_price_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_types')),
    sa.UniqueConstraint('code', name=op.f('uq_client_types_code'))
    )
    op.create_table('items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('item_kind', sa.String(length=32), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=20), server_default='шт', nullable=False),
    sa.Column('vat_rate', sa.String(length=10), server_default='22', nullable=False),
    sa.Column('article', sa.String(length=50), server_default='', nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['item_groups.id'], name=op.f('fk_items_group_id_item_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_active_name', ['active', 'name', 'id'], unique=False)
        batch_op.create_index('ix_items_group', ['group_id', 'active', 'name', 'id'], unique=False)

    op.create_table('prices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('price_type_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('valid_to IS NULL OR valid_to > valid_from', name=op.f('ck_prices_range')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_prices_item_id_items')),
    sa.ForeignKeyConstraint(['price_type_id'], ['price_types.id'], name=op.f('fk_prices_price_type_id_price_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prices'))
    )
    with op.batch_alter_table('prices', schema=None) as batch_op:
        batch_op.create_index('uq_prices_item_type_from', ['item_id', 'price_type_id', 'valid_from'], unique=True)

    op.create_table('service_kinds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('template', sa.JSON(), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('card', sa.JSON(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_service_kinds_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_kinds')),
    sa.UniqueConstraint('code', name=op.f('uq_service_kinds_code'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('owner_kind', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_documents_counterparty_id_counterparties')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['employees.id'], name=op.f('fk_documents_uploaded_by_employees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_key', ['key'], unique=False)
        batch_op.create_index('ix_documents_counterparty_id', ['counterparty_id'], unique=False)
        batch_op.create_index('ix_documents_owner', ['owner_kind', 'owner_id', 'id'], unique=False)

    op.create_table('settlements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('invoiced', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_settlements_counterparty_id_counterparties'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlements')),
    sa.UniqueConstraint('counterparty_id', name=op.f('uq_settlements_counterparty_id'))
    )
    op.create_table('contracts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('contract_type_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('subject', sa.String(length=500), server_default='', nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('draft', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contract_type_id'], ['contract_types.id'], name=op.f('fk_contracts_contract_type_id_contract_types')),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_contracts_counterparty_id_counterparties')),
    sa.ForeignKeyConstraint(['created_by'], ['employees.id'], name=op.f('fk_contracts_created_by_employees')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_contracts_document_id_documents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('number', name=op.f('uq_contracts_number'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index('ix_contracts_counterparty', ['counterparty_id', 'id'], unique=False)
        batch_op.create_index('ix_contracts_document_id', ['document_id'], unique=False)

    op.create_table('invoices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('price_type_id', sa.Integer(), nullable=True),
    sa.Column('vat_included', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('vat', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('state_entered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('requisites', sa.JSON(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('contact_name', sa.String(length=300), server_default='', nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['employees.id'], name=op.f('fk_invoices_author_id_employees')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_invoices_contact_id_contacts')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_invoices_contract_id_contracts')),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_invoices_counterparty_id_counterparties')),
    sa.ForeignKeyConstraint(['price_type_id'], ['price_types.id'], name=op.f('fk_invoices_price_type_id_price_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_contract', ['contract_id', 'id'], unique=False)
        batch_op.create_index('ix_invoices_counterparty', ['counterparty_id', 'id', 'state'], unique=False)
        batch_op.create_index('ix_invoices_state', ['state'], unique=False)
        batch_op.create_index('ix_invoices_contact_id', ['contact_id'], unique=False)

    op.create_table('acts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('act_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_acts_contract_id_contracts')),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_acts_counterparty_id_counterparties')),
    sa.ForeignKeyConstraint(['created_by'], ['employees.id'], name=op.f('fk_acts_created_by_employees')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_acts_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acts')),
    sa.UniqueConstraint('number', name=op.f('uq_acts_number'))
    )
    with op.batch_alter_table('acts', schema=None) as batch_op:
        batch_op.create_index('ix_acts_contract', ['contract_id', 'act_on', 'id'], unique=False)
        batch_op.create_index('ix_acts_counterparty', ['counterparty_id', 'act_on', 'id'], unique=False)
        batch_op.create_index('ix_acts_invoice_id', ['invoice_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('planned', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('reference', sa.String(length=100), server_default='', nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_payments_contract_id_contracts')),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_payments_counterparty_id_counterparties')),
    sa.ForeignKeyConstraint(['created_by'], ['employees.id'], name=op.f('fk_payments_created_by_employees')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_contract', ['contract_id', 'planned'], unique=False)
        batch_op.create_index('ix_payments_counterparty', ['counterparty_id', 'planned'], unique=False)
        batch_op.create_index('ix_payments_invoice', ['invoice_id', 'paid_on', 'id'], unique=False)

    op.create_table('requests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('request_kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('state_entered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('service_kind_id', sa.Integer(), nullable=True),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['employees.id'], name=op.f('fk_requests_assignee_id_employees')),
    sa.ForeignKeyConstraint(['author_id'], ['employees.id'], name=op.f('fk_requests_author_id_employees')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_requests_contract_id_contracts')),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_requests_counterparty_id_counterparties')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_requests_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['service_kind_id'], ['service_kinds.id'], name=op.f('fk_requests_service_kind_id_service_kinds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests'))
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_assignee', ['assignee_id', 'id', 'state'], unique=False)
        batch_op.create_index('ix_requests_contract', ['contract_id', 'id'], unique=False)
        batch_op.create_index('ix_requests_counterparty', ['counterparty_id', 'id'], unique=False)
        batch_op.create_index('ix_requests_invoice', ['invoice_id', 'id'], unique=False)
        batch_op.create_index('ix_requests_state', ['state'], unique=False)

    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requisites', sa.JSON(), server_default='{}',
                                      nullable=False))

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # ALTER TABLE in place: a rebuild of counterparties would lose its FTS triggers
        # and expression indexes
        op.execute("ALTER TABLE counterparties ADD COLUMN client_type_id INTEGER "
                   "CONSTRAINT fk_counterparties_client_type_id_client_types "
                   "REFERENCES client_types (id)")
        op.create_index('ix_counterparties_client_type_id', 'counterparties',
                        ['client_type_id'], unique=False)
        op.execute(f"CREATE TRIGGER prices_no_overlap_insert BEFORE INSERT ON prices "
                   f"WHEN {OVERLAP.format(other='')} BEGIN {ABORT}; END")
        op.execute(f"CREATE TRIGGER prices_no_overlap_update BEFORE UPDATE OF item_id, "
                   f"price_type_id, valid_from, valid_to ON prices "
                   f"WHEN {OVERLAP.format(other=' AND p.id <> NEW.id')} BEGIN {ABORT}; END")
    else:
        op.add_column('counterparties', sa.Column('client_type_id', sa.Integer(),
                                                  nullable=True))
        op.create_index('ix_counterparties_client_type_id', 'counterparties',
                        ['client_type_id'], unique=False)
        op.create_foreign_key('fk_counterparties_client_type_id_client_types',
                              'counterparties', 'client_types', ['client_type_id'], ['id'])
        if bind.dialect.name == "postgresql":
            op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
            op.execute("ALTER TABLE prices ADD CONSTRAINT ex_prices_no_overlap EXCLUDE USING "
                       "gist (item_id WITH =, price_type_id WITH =, "
                       "daterange(valid_from, valid_to) WITH &&)")

    if bind.execute(sa.text("SELECT count(*) FROM company")).scalar():
        _seed(bind)


def _seed(bind) -> None:
    """The reference data of a new company (its founding hooks), for a company that was
    founded before this revision."""
    state_sets = sa.table("state_sets", sa.column("code"), sa.column("name"),
                          sa.column("states", sa.JSON()),
                          sa.column("transitions", sa.JSON()))
    op.bulk_insert(state_sets, [
        {"code": d.code, "name": d.name, "states": dump_states(d.states),
         "transitions": dump_transitions(d.transitions)} for d in DEFAULT_STATE_SETS])
    price_types = sa.table("price_types", sa.column("code"), sa.column("name"),
                           sa.column("vat_included", sa.Boolean()))
    op.bulk_insert(price_types, [{"code": code, "name": name, "vat_included": included}
                                 for code, name, included in DEFAULT_PRICE_TYPES])
    ids = dict(bind.execute(sa.text("SELECT code, id FROM price_types")).all())
    client_types = sa.table("client_types", sa.column("code"), sa.column("name"),
                            sa.column("price_type_id"))
    op.bulk_insert(client_types, [{"code": code, "name": name, "price_type_id": ids[kind]}
                                  for code, name, kind in DEFAULT_CLIENT_TYPES])
    contract_types = sa.table("contract_types", sa.column("code"), sa.column("name"),
                              sa.column("attributes", sa.JSON()),
                              sa.column("number_pattern"))
    op.bulk_insert(contract_types, [
        {"code": e["code"], "name": e["name"], "number_pattern": e["number_pattern"],
         "attributes": dump_defs(parse_defs(e["attributes"]))}
        for e in DEFAULT_CONTRACT_TYPES])


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index('ix_counterparties_client_type_id', table_name='counterparties')
    if bind.dialect.name == "sqlite":
        # in place, as it was added (SQLite ≥ 3.35 drops a column whose own foreign key
        # is its only tie); a rebuild would lose the FTS triggers and expression indexes
        op.execute("ALTER TABLE counterparties DROP COLUMN client_type_id")
    else:
        op.drop_constraint('fk_counterparties_client_type_id_client_types', 'counterparties',
                           type_='foreignkey')
        op.drop_column('counterparties', 'client_type_id')

    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.drop_column('requisites')

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_state')
        batch_op.drop_index('ix_requests_invoice')
        batch_op.drop_index('ix_requests_counterparty')
        batch_op.drop_index('ix_requests_contract')
        batch_op.drop_index('ix_requests_assignee')

    op.drop_table('requests')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_invoice')
        batch_op.drop_index('ix_payments_counterparty')
        batch_op.drop_index('ix_payments_contract')

    op.drop_table('payments')
    with op.batch_alter_table('acts', schema=None) as batch_op:
        batch_op.drop_index('ix_acts_invoice_id')
        batch_op.drop_index('ix_acts_counterparty')
        batch_op.drop_index('ix_acts_contract')

    op.drop_table('acts')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_contact_id')
        batch_op.drop_index('ix_invoices_state')
        batch_op.drop_index('ix_invoices_counterparty')
        batch_op.drop_index('ix_invoices_contract')

    op.drop_table('invoices')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index('ix_contracts_document_id')
        batch_op.drop_index('ix_contracts_counterparty')

    op.drop_table('contracts')
    op.drop_table('settlements')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_owner')
        batch_op.drop_index('ix_documents_counterparty_id')
        batch_op.drop_index('ix_documents_key')

    op.drop_table('documents')
    op.drop_table('service_kinds')
    with op.batch_alter_table('prices', schema=None) as batch_op:
        batch_op.drop_index('uq_prices_item_type_from')

    op.drop_table('prices')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_group')
        batch_op.drop_index('ix_items_active_name')

    op.drop_table('items')
    op.drop_table('client_types')
    op.drop_table('state_sets')
    op.drop_table('price_types')
    op.drop_table('number_sequences')
    with op.batch_alter_table('item_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_item_groups_parent_id')

    op.drop_table('item_groups')
    op.drop_table('contract_types')
