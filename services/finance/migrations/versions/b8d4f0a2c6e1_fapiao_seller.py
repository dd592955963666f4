"""the seller (销方) each fapiao was sent under: a red fapiao is filed by the blue one's seller, whatever the
store's settings are when it is sent (and the red reasons' comment as the code has them)

Revision ID: b8d4f0a2c6e1
Revises: a7c3e9f1b2d4
Create Date: 2026-12-07 13:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'b8d4f0a2c6e1'
down_revision = 'a7c3e9f1b2d4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fapiaos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seller_tax_num', sa.String(length=20), nullable=True,
                                      comment="销方税号 it was sent under; none: sent before this was kept"))
        batch_op.add_column(sa.Column('seller_name', sa.String(length=100), nullable=True))
        batch_op.alter_column('red_reason', existing_type=sa.String(length=20), existing_nullable=True,
                              comment="red: error | refund | cancelled", existing_comment="red: void | refund | error")


def downgrade() -> None:
    with op.batch_alter_table('fapiaos', schema=None) as batch_op:
        batch_op.alter_column('red_reason', existing_type=sa.String(length=20), existing_nullable=True,
                              comment="red: void | refund | error", existing_comment="red: error | refund | cancelled")
        batch_op.drop_column('seller_name')
        batch_op.drop_column('seller_tax_num')
