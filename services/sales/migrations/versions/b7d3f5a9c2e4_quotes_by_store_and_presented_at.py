"""a store's quotes by when they were presented, with the advisor, group and state (the people report's advisor
scorecards read a store's days of presented quotes from the index alone, not every quote of the store)

Revision ID: b7d3f5a9c2e4
Revises: c6e2a8f4b0d3
Create Date: 2026-12-07 23:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d3f5a9c2e4'
down_revision = 'c6e2a8f4b0d3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_quotes_store_presented', 'quotes', ['store_id', 'presented_at'], unique=False,
                    postgresql_where=sa.text("presented_at IS NOT NULL"),
                    sqlite_where=sa.text("presented_at IS NOT NULL"),
                    postgresql_include=['advisor_id', 'group_id', 'state'])


def downgrade() -> None:
    op.drop_index('ix_quotes_store_presented', table_name='quotes')
