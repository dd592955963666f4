"""a manager rejects a discount with a reason; what waits for approval as codes and params

Revision ID: d7a1c3e5b902
Revises: c4e8a2d6f917
Create Date: 2026-12-06 12:10:00.000000

The approval queue words what waits (a discount above the role's limit, a line below cost) from
`approval_needs`; a rejected discount keeps who, when and why until the advisor changes it. Quotes
from before this revision have no needs recorded: they are filled when the quote is next repriced.
"""
from alembic import op
import sqlalchemy as sa


revision = 'd7a1c3e5b902'
down_revision = 'c4e8a2d6f917'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quotes') as batch:
        batch.add_column(sa.Column('approval_needs', sa.JSON(), nullable=True,
                                   comment='what waits, as codes and params (words: clients)'))
        batch.add_column(sa.Column('rejected_by', sa.String(length=26), nullable=True))
        batch.add_column(sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('rejection_reason', sa.String(length=200), nullable=True))


def downgrade() -> None:
    quotes = sa.table('quotes', sa.column('approval_status', sa.String))
    op.execute(quotes.update().where(quotes.c.approval_status == 'rejected').values(approval_status='pending'))
    with op.batch_alter_table('quotes') as batch:
        for column in ('rejection_reason', 'rejected_at', 'rejected_by', 'approval_needs'):
            batch.drop_column(column)
