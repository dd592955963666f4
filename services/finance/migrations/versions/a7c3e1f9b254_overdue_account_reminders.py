"""overdue reminders of company accounts: at most one a day per account

Revision ID: a7c3e1f9b254
Revises: e4b7a1c9d2f6
Create Date: 2026-12-07 07:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c3e1f9b254'
down_revision = 'e4b7a1c9d2f6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_reminders',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('account_id', sa.String(length=26), nullable=False),
    sa.Column('day', sa.Date(), nullable=False, comment='the day it was sent for'),
    sa.Column('overdue_fen', sa.BigInteger(), nullable=False, comment='what was overdue that day'),
    sa.Column('days_overdue', sa.Integer(), nullable=False, comment='days past due of the oldest overdue charge'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['company_accounts.id'],
                            name=op.f('fk_account_reminders_account_id_company_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_reminders')),
    sa.UniqueConstraint('account_id', 'day', name='uq_account_reminders_account_day')
    )


def downgrade() -> None:
    op.drop_table('account_reminders')
