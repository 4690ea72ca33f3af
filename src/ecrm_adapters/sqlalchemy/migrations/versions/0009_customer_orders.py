"""Customer orders (issue 6, ORD-1…ORD-3): orders with their package, equipment and works
lines; the reference book of approval routes; the approval rounds of an order's estimate;
the billing hand-offs (one row per revision of an order's billing document, the
idempotency key unique, unique per order and revision).

A database that already has a company gets the "order" state set a new company gets
when it is founded (unless it has one already: revision 0008 seeds every default set of
the code it runs with).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

from ecrm_core.workflow.definition import dump_states, dump_transitions
from ecrm_core.workflow.services import DEFAULT_STATE_SETS, ORDER

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('approval_routes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_routes'))
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('ordered_on', sa.Date(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('price_type_id', sa.Integer(), nullable=True),
    sa.Column('vat_included', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('one_time_total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('monthly_total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('state_entered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['employees.id'], name=op.f('fk_orders_author_id_employees')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_orders_contract_id_contracts')),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_orders_counterparty_id_counterparties')),
    sa.ForeignKeyConstraint(['price_type_id'], ['price_types.id'], name=op.f('fk_orders_price_type_id_price_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_orders_number'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_author_id', ['author_id'], unique=False)
        batch_op.create_index('ix_orders_contract', ['contract_id', 'id'], unique=False)
        batch_op.create_index('ix_orders_counterparty', ['counterparty_id', 'id', 'state'], unique=False)
        batch_op.create_index('ix_orders_state', ['state'], unique=False)

    op.create_table('approval_rounds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=True),
    sa.Column('route_name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('estimate', sa.JSON(), nullable=False),
    sa.Column('order_version', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), server_default='0', nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_approval_rounds_order_id_orders')),
    sa.ForeignKeyConstraint(['route_id'], ['approval_routes.id'], name=op.f('fk_approval_rounds_route_id_approval_routes')),
    sa.ForeignKeyConstraint(['submitted_by'], ['employees.id'], name=op.f('fk_approval_rounds_submitted_by_employees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_rounds'))
    )
    with op.batch_alter_table('approval_rounds', schema=None) as batch_op:
        batch_op.create_index('ix_approval_rounds_order', ['order_id', 'id'], unique=False)
        batch_op.create_index('ix_approval_rounds_route_id', ['route_id'], unique=False)
        batch_op.create_index('ix_approval_rounds_submitted_by', ['submitted_by'], unique=False)

    op.create_table('billing_handoffs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), server_default='', nullable=False),
    sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sending_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_billing_handoffs_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_handoffs')),
    sa.UniqueConstraint('key', name=op.f('uq_billing_handoffs_key')),
    sa.UniqueConstraint('order_id', 'revision', name=op.f('uq_billing_handoffs_order_id'))
    )
    with op.batch_alter_table('billing_handoffs', schema=None) as batch_op:
        batch_op.create_index('ix_billing_handoffs_due', ['state', 'next_try_at'], unique=False)

    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM company")).scalar() and not bind.execute(
            sa.text("SELECT count(*) FROM state_sets WHERE code = :code"),
            {"code": ORDER}).scalar():
        _seed()


def _seed() -> None:
    """The "order" state set of a new company, for a company founded before this
    revision."""
    found = next(d for d in DEFAULT_STATE_SETS if d.code == ORDER)
    state_sets = sa.table("state_sets", sa.column("code"), sa.column("name"),
                          sa.column("states", sa.JSON()),
                          sa.column("transitions", sa.JSON()))
    op.bulk_insert(state_sets, [{"code": found.code, "name": found.name,
                                 "states": dump_states(found.states),
                                 "transitions": dump_transitions(found.transitions)}])


def downgrade() -> None:
    with op.batch_alter_table('billing_handoffs', schema=None) as batch_op:
        batch_op.drop_index('ix_billing_handoffs_due')

    op.drop_table('billing_handoffs')
    with op.batch_alter_table('approval_rounds', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_rounds_submitted_by')
        batch_op.drop_index('ix_approval_rounds_route_id')
        batch_op.drop_index('ix_approval_rounds_order')

    op.drop_table('approval_rounds')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_state')
        batch_op.drop_index('ix_orders_counterparty')
        batch_op.drop_index('ix_orders_contract')
        batch_op.drop_index('ix_orders_author_id')

    op.drop_table('orders')
    op.drop_table('approval_routes')
    op.execute(sa.text("DELETE FROM state_sets WHERE code = 'order'"))
