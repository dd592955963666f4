"""labour operations: the parts they need

Revision ID: 5b7e2c9d41a8
Revises: 5b7d2e9c1a04
Create Date: 2026-12-06 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '5b7e2c9d41a8'
down_revision = '5b7d2e9c1a04'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing operations name no parts: an empty list
    with op.batch_alter_table('labour_operations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parts', sa.JSON(), nullable=False, server_default=sa.text("'[]'"),
                                      comment="parts it needs: [{sku, qty}]"))


def downgrade() -> None:
    with op.batch_alter_table('labour_operations', schema=None) as batch_op:
        batch_op.drop_column('parts')
