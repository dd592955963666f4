"""KPI indexes: invoices by business date (the chain), costs of sales by store and date and by date

Revision ID: 3c9e0d1a7b52
Revises: 6af25b41e119
Create Date: 2026-11-26 18:05:00.000000
"""
from alembic import op


revision = '3c9e0d1a7b52'
down_revision = '6af25b41e119'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_date', ['business_date'], unique=False)
    with op.batch_alter_table('costs_of_sales', schema=None) as batch_op:
        batch_op.create_index('ix_costs_of_sales_store_date', ['store_id', 'business_date'], unique=False)
        batch_op.create_index('ix_costs_of_sales_date', ['business_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('costs_of_sales', schema=None) as batch_op:
        batch_op.drop_index('ix_costs_of_sales_date')
        batch_op.drop_index('ix_costs_of_sales_store_date')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_date')
