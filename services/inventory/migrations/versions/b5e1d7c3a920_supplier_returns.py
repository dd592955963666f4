"""supplier returns: what was sent back of each purchase order line

Revision ID: b5e1d7c3a920
Revises: a4c9e2f7b318
Create Date: 2026-12-06 15:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b5e1d7c3a920'
down_revision = 'a4c9e2f7b318'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('purchase_order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qty_returned', sa.Numeric(precision=12, scale=3), server_default='0',
                                      nullable=False, comment='sent back to the supplier after receipt'))


def downgrade() -> None:
    with op.batch_alter_table('purchase_order_lines', schema=None) as batch_op:
        batch_op.drop_column('qty_returned')
