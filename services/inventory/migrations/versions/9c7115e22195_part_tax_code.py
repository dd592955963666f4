"""tax classification code (税收分类编码) for fapiao lines

Revision ID: 9c7115e22195
Revises: ad2e4c6b8d31
Create Date: 2026-12-06 18:42:15
"""
from alembic import op
import sqlalchemy as sa


revision = '9c7115e22195'
down_revision = 'ad2e4c6b8d31'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('parts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_code', sa.String(length=19), nullable=True,
                                      comment='税收分类编码 on its fapiao lines'))

def downgrade() -> None:
    with op.batch_alter_table('parts', schema=None) as batch_op:
        batch_op.drop_column('tax_code')
