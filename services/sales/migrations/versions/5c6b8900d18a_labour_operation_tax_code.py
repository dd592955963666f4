"""tax classification code (税收分类编码) for fapiao lines

Revision ID: 5c6b8900d18a
Revises: 8f4b2d0a6e53
Create Date: 2026-12-06 18:42:29
"""
from alembic import op
import sqlalchemy as sa


revision = '5c6b8900d18a'
down_revision = '8f4b2d0a6e53'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('labour_operations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_code', sa.String(length=19), nullable=True,
                                      comment='税收分类编码 on its fapiao lines'))

def downgrade() -> None:
    with op.batch_alter_table('labour_operations', schema=None) as batch_op:
        batch_op.drop_column('tax_code')
