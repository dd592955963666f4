"""insurers' claims: a manager's void (who, when, why, the store's day) and the day of a write-off

Revision ID: b8e2f4a6c0d9
Revises: d5e7f9a1b3c6
Create Date: 2026-12-07 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'b8e2f4a6c0d9'
down_revision = 'd5e7f9a1b3c6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('insurance_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('written_off_on', sa.Date(), nullable=True,
                                      comment="the store's day of the write-off"))
        batch_op.add_column(sa.Column('voided_on', sa.Date(), nullable=True,
                                      comment="the store's day it was voided"))
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.String(length=200), nullable=True))
    # a write-off made before this revision: its day is its journal entry's
    op.execute("UPDATE insurance_claims SET written_off_on = (SELECT MIN(journal_entries.business_date) "
               "FROM journal_entries WHERE journal_entries.source_type = 'claim_write_off' "
               "AND journal_entries.source_id = insurance_claims.id) WHERE written_off_fen > 0")


def downgrade() -> None:
    with op.batch_alter_table('insurance_claims', schema=None) as batch_op:
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('voided_on')
        batch_op.drop_column('written_off_on')
