"""work orders by store, newest first (a store's list without a status filter)

Revision ID: 8d2f4b7c1e90
Revises: 47b80c15438d
Create Date: 2026-11-26 18:15:00.000000
"""
from alembic import op


revision = '8d2f4b7c1e90'
down_revision = '47b80c15438d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_work_orders_store', ['store_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_work_orders_store')
