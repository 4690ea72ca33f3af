"""Tasks at scale: the Tasks tabs' and the escalation job's indexes

Measured with 1,000,000 tasks of 1,000 employees (benchmarks/tasks.py,
docs/performance.md):

- The Tasks tabs count their rows for the pager and filter by section, state, period,
  typical task, counterparty and project. ``(responsible_id, due_at, id)`` served the
  order but not the filters: every count read the rows of all the employee's tasks
  (~0.3 s for an employee with 64,000 tasks on SQLite). The tab indexes now carry the
  filters' columns, so the count and the filters read the index alone.
- The overdue filter and the personal page's summary (planned tasks past or on a day) get
  ``(responsible_id, state, due_at, id)``: a range instead of every past task.
- The escalation job reads planned overdue tasks in batches in id order; from
  ``(state, due_at)`` every batch took all 100,000 overdue tasks and sorted them by id.
  ``(state, id, due_at)`` gives a batch as a range.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_responsible_due')
        batch_op.drop_index('ix_tasks_counterparty_due')
        batch_op.drop_index('ix_tasks_state_due')
        batch_op.create_index('ix_tasks_responsible_tab', [
            'responsible_id', 'due_at', 'id', 'counterparty_id', 'state', 'task_type_id',
            'due_date', 'project_id'], unique=False)
        batch_op.create_index('ix_tasks_responsible_state', [
            'responsible_id', 'state', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_tasks_counterparty_tab', [
            'counterparty_id', 'due_at', 'id', 'state', 'task_type_id', 'due_date',
            'project_id'], unique=False)
        batch_op.create_index('ix_tasks_state_id', ['state', 'id', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_state_id')
        batch_op.drop_index('ix_tasks_counterparty_tab')
        batch_op.drop_index('ix_tasks_responsible_state')
        batch_op.drop_index('ix_tasks_responsible_tab')
        batch_op.create_index('ix_tasks_state_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_tasks_counterparty_due', ['counterparty_id', 'due_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_tasks_responsible_due', ['responsible_id', 'due_at', 'id'],
                              unique=False)
