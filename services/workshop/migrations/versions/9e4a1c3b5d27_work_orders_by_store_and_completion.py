"""work orders by store and completion time, covering what a store's period of workshop figures reads

Revision ID: 9e4a1c3b5d27
Revises: 8d2f4b7c1e90
Create Date: 2026-11-26 21:30:00.000000
"""
from alembic import op


revision = '9e4a1c3b5d27'
down_revision = '8d2f4b7c1e90'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_work_orders_store_completed', ['store_id', 'completed_at'], unique=False,
                              postgresql_include=['id', 'opened_at', 'comeback', 'rework_count'])


def downgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_work_orders_store_completed')
