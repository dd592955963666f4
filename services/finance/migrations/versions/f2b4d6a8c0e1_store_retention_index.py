"""A store's retention read from an index: its invoices not void by customer and day

Revision ID: f2b4d6a8c0e1
Revises: e9a3b5c7d2f4
Create Date: 2026-12-07 22:45:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = 'f2b4d6a8c0e1'
down_revision = 'e9a3b5c7d2f4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_invoices_store_customer_date', 'invoices', ['store_id', 'customer_id', 'business_date'],
                    unique=False, postgresql_where=sa.text("status <> 'void'"),
                    sqlite_where=sa.text("status <> 'void'"))


def downgrade() -> None:
    op.drop_index('ix_invoices_store_customer_date', table_name='invoices')
