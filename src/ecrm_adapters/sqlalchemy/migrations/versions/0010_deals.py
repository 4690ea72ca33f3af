"""Deals (issue 6: DEAL-1…DEAL-4, RPT-4 first part): deal templates, deals, their stays in
states, planned payments and escalation notices, the working-days calendar; tasks and
invoices about a deal.

Indexes, chosen for (docs/performance.md):

- the pipeline board of a template with 100,000 open deals: ``ix_deals_board`` —
  ``(template_id, state, state_entered_at, id)`` over open deals only (partial) gives a column's cards longest
  in the state first, and the filters' and totals' columns ride along, so the columns'
  GROUP BY state reads the index alone;
- the forecast over 1,000,000 deals: ``ix_deals_forecast`` — open deals by expected close
  date covering amount, planned (the sum of the deal's planned payments), probability
  and the filters: one index range, no join; ``ix_deal_payments_due`` for the planned
  payments by due date and ``ix_payments_actual`` for the payments received;
- the escalation job: ``ix_deals_open_due`` — open deals in id order (the job's
  batches) with the norm's end in the index; ``uq_deal_escalations_once`` (deal, stay,
  level) makes a notice once-only even with two workers, and answers the job's
  ``NOT EXISTS``;
- a client's deals ``(counterparty_id, id)``, a manager's ``(manager_id, id, …)``.

SQLite gets ``tasks.deal_id`` and ``invoices.deal_id`` by ``ALTER TABLE … ADD COLUMN`` in
place (as 0008 did ``counterparties.client_type_id``): a rebuild of ``tasks`` would copy
every task. A database that already has a company gets what a new company gets when it
is founded: the statutory holidays of this year and the next, and the default deal
templates (when their typical tasks exist).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from ecrm_core.attributes import dump_defs
from ecrm_core.deals.defaults import DEFAULT_TEMPLATES
from ecrm_core.deals.model import set_code
from ecrm_core.org.calendar import statutory_days
from ecrm_core.workflow.definition import dump_states, dump_transitions
from ecrm_core.workflow.model import PlanTask

#: the partial indexes of open deals (tables.OPEN_DEAL)
OPEN_DEAL = sa.text('closed_at IS NULL')

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=14, scale=2)


def _id():
    return sa.Column('id', sa.Integer(), autoincrement=True, nullable=False)


def _version():
    return sa.Column('version', sa.Integer(), server_default='1', nullable=False)


def _fk(table: str, column: str, target: str):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade() -> None:
    op.create_table(
        'deal_templates', _id(), _version(),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('description', sa.Text(), server_default='', nullable=False),
        sa.Column('attributes', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
        sa.Column('head_after_days', sa.Integer(), server_default='2', nullable=False),
        sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_templates')),
        sa.UniqueConstraint('code', name=op.f('uq_deal_templates_code')),
    )
    op.create_table(
        'calendar_days', _id(), _version(),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('working', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('note', sa.String(length=200), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_days')),
        sa.UniqueConstraint('day', name=op.f('uq_calendar_days_day')),
    )
    op.create_table(
        'deals', _id(), _version(),
        sa.Column('number', sa.String(length=60), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('counterparty_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('planned', MONEY, server_default='0', nullable=False),
        sa.Column('expected_close_on', sa.Date(), nullable=True),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('attributes', sa.JSON(), nullable=False),
        sa.Column('approvals', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=40), nullable=False),
        sa.Column('state_entered_at', TS, nullable=True),
        sa.Column('due_in_state', TS, nullable=True),
        sa.Column('probability', sa.Integer(), server_default='0', nullable=False),
        sa.Column('outcome', sa.String(length=10), nullable=True),
        sa.Column('close_reason', sa.Text(), server_default='', nullable=False),
        sa.Column('closed_at', TS, nullable=True),
        sa.Column('created_at', TS, nullable=True),
        sa.Column('note', sa.Text(), server_default='', nullable=False),
        _fk('deals', 'template_id', 'deal_templates'),
        _fk('deals', 'counterparty_id', 'counterparties'),
        _fk('deals', 'manager_id', 'employees'),
        _fk('deals', 'author_id', 'employees'),
        _fk('deals', 'project_id', 'projects'),
        _fk('deals', 'contact_id', 'contacts'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deals')),
        sa.UniqueConstraint('number', name=op.f('uq_deals_number')),
    )
    # partial: open deals only (the index's order then serves ORDER BY on PostgreSQL too)
    op.create_index('ix_deals_board', 'deals', [
        'template_id', 'state', 'state_entered_at', 'id', 'manager_id',
        'project_id', 'expected_close_on', 'amount', 'probability', 'due_in_state',
        'closed_at'], sqlite_where=OPEN_DEAL, postgresql_where=OPEN_DEAL)
    op.create_index('ix_deals_forecast', 'deals', [
        'expected_close_on', 'amount', 'planned', 'probability', 'template_id',
        'manager_id', 'project_id', 'closed_at'],
        sqlite_where=OPEN_DEAL, postgresql_where=OPEN_DEAL)
    op.create_index('ix_deals_open_due', 'deals', [
        'id', 'due_in_state', 'state_entered_at', 'probability', 'template_id',
        'manager_id', 'project_id', 'expected_close_on', 'closed_at'],
        sqlite_where=OPEN_DEAL, postgresql_where=OPEN_DEAL)
    op.create_index('ix_deals_manager', 'deals', [
        'manager_id', 'id', 'template_id', 'state', 'project_id', 'expected_close_on',
        'closed_at', 'amount', 'planned', 'probability'])
    op.create_index('ix_deals_counterparty', 'deals', ['counterparty_id', 'id'])
    op.create_index('ix_deals_state', 'deals', ['state', 'template_id'])
    op.create_index('ix_deals_contact_id', 'deals', ['contact_id'])
    op.create_index('ix_deals_project_id', 'deals', ['project_id'])

    op.create_table(
        'deal_stages', _id(), _version(),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=40), nullable=False),
        sa.Column('entered_at', TS, nullable=False),
        sa.Column('left_at', TS, nullable=True),
        sa.Column('working_hours', sa.Float(), nullable=True),
        _fk('deal_stages', 'deal_id', 'deals'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_stages')),
    )
    op.create_index('ix_deal_stages_deal', 'deal_stages', ['deal_id', 'entered_at', 'id'])

    op.create_table(
        'deal_payments', _id(), _version(),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('counterparty_id', sa.Integer(), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=40), server_default='', nullable=False),
        sa.Column('created_at', TS, nullable=True),
        _fk('deal_payments', 'deal_id', 'deals'),
        _fk('deal_payments', 'counterparty_id', 'counterparties'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_payments')),
    )
    op.create_index('ix_deal_payments_deal', 'deal_payments',
                    ['deal_id', 'due_on', 'id', 'amount'])
    op.create_index('ix_deal_payments_due', 'deal_payments', ['due_on', 'deal_id', 'amount'])
    op.create_index('ix_deal_payments_counterparty_id', 'deal_payments', ['counterparty_id'])

    op.create_table(
        'deal_escalations', _id(), _version(),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('entered_at', TS, nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=True),
        sa.Column('sent_at', TS, nullable=False),
        sa.Column('state', sa.String(length=40), server_default='', nullable=False),
        _fk('deal_escalations', 'deal_id', 'deals'),
        _fk('deal_escalations', 'recipient_id', 'employees'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_escalations')),
        sa.UniqueConstraint('deal_id', 'entered_at', 'level', name='uq_deal_escalations_once'),
    )
    op.create_index('ix_deal_escalations_recipient_id', 'deal_escalations',
                    ['recipient_id'])

    op.create_index('ix_payments_actual', 'payments',
                    ['planned', 'paid_on', 'amount', 'invoice_id'])

    bind = op.get_bind()
    for table in ('tasks', 'invoices'):
        fk = f'fk_{table}_deal_id_deals'
        if bind.dialect.name == "sqlite":
            # in place: a rebuild would copy every task (and lose nothing else, but costs)
            op.execute(f"ALTER TABLE {table} ADD COLUMN deal_id INTEGER "
                       f"CONSTRAINT {fk} REFERENCES deals (id)")
        else:
            op.add_column(table, sa.Column('deal_id', sa.Integer(), nullable=True))
            op.create_foreign_key(fk, table, 'deals', ['deal_id'], ['id'])
        op.create_index(f'ix_{table}_deal_id', table, ['deal_id'])

    if bind.execute(sa.text("SELECT count(*) FROM company")).scalar():
        _seed(bind)


def _seed(bind) -> None:
    """What the founding hooks give a new company (``CalendarService`` and
    ``DealTemplateService.install_defaults``), for a company founded before this
    revision."""
    year = datetime.now(UTC).year
    days = sa.table("calendar_days", sa.column("day", sa.Date()), sa.column("working"),
                    sa.column("note"))
    op.bulk_insert(days, [{"day": d.day, "working": d.working, "note": d.note}
                          for d in statutory_days((year, year + 1))])
    kinds = set(bind.execute(sa.text("SELECT code FROM task_types")).scalars())
    sets = set(bind.execute(sa.text("SELECT code FROM state_sets")).scalars())
    templates = sa.table("deal_templates", sa.column("code"), sa.column("name"),
                         sa.column("description"), sa.column("attributes", sa.JSON()))
    state_sets = sa.table("state_sets", sa.column("code"), sa.column("name"),
                          sa.column("states", sa.JSON()),
                          sa.column("transitions", sa.JSON()))
    for d in DEFAULT_TEMPLATES:
        if not all(a.task_type in kinds for s in d.states for a in s.on_enter
                   if isinstance(a, PlanTask)):
            continue
        op.bulk_insert(templates, [{"code": d.code, "name": d.name,
                                    "description": d.description,
                                    "attributes": dump_defs(d.attributes)}])
        if set_code(d.code) not in sets:
            op.bulk_insert(state_sets, [{"code": set_code(d.code), "name": d.name,
                                         "states": dump_states(d.states),
                                         "transitions": dump_transitions(d.transitions)}])


def downgrade() -> None:
    bind = op.get_bind()
    for table in ('invoices', 'tasks'):
        op.drop_index(f'ix_{table}_deal_id', table_name=table)
        if bind.dialect.name == "sqlite":
            # in place, as it was added (SQLite ≥ 3.35 drops a column whose own foreign
            # key is its only tie)
            op.execute(f"ALTER TABLE {table} DROP COLUMN deal_id")
        else:
            op.drop_constraint(f'fk_{table}_deal_id_deals', table, type_='foreignkey')
            op.drop_column(table, 'deal_id')
    op.drop_index('ix_payments_actual', table_name='payments')
    op.drop_index('ix_deal_escalations_recipient_id', table_name='deal_escalations')
    op.drop_table('deal_escalations')
    for name in ('ix_deal_payments_counterparty_id', 'ix_deal_payments_due',
                 'ix_deal_payments_deal'):
        op.drop_index(name, table_name='deal_payments')
    op.drop_table('deal_payments')
    op.drop_index('ix_deal_stages_deal', table_name='deal_stages')
    op.drop_table('deal_stages')
    for name in ('ix_deals_project_id', 'ix_deals_contact_id', 'ix_deals_state',
                 'ix_deals_counterparty', 'ix_deals_manager', 'ix_deals_open_due',
                 'ix_deals_forecast', 'ix_deals_board'):
        op.drop_index(name, table_name='deals')
    op.drop_table('deals')
    op.drop_table('calendar_days')
    # the default templates' state sets go with the templates
    op.execute("DELETE FROM state_sets WHERE code LIKE 'deal:%'")
    op.drop_table('deal_templates')
