"""supplier payments that apply the supplier's unapplied credit notes against the invoices they pay

Revision ID: f1a9c3e5b7d4
Revises: d2f4a6c8e0b1
Create Date: 2026-12-07 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'f1a9c3e5b7d4'
down_revision = 'd2f4a6c8e0b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('supplier_payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credited_fen', sa.BigInteger(), server_default='0', nullable=False,
                                      comment="the supplier's credit notes applied: settled = amount + credited"))
        batch_op.add_column(sa.Column('credits', sa.JSON(), server_default='[]', nullable=False,
                                      comment='[{supplier_credit_note_id, number, amount_fen}]'))


def downgrade() -> None:
    """The credit notes keep what they applied (applied_fen) and the invoices what was taken off them
    (credited_fen): the balances stand; only which payment applied which note is forgotten."""
    with op.batch_alter_table('supplier_payments', schema=None) as batch_op:
        batch_op.drop_column('credits')
        batch_op.drop_column('credited_fen')
