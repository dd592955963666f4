"""KPI month book beside the day book (whole months of a report read a row per store); the whole book
filled from the invoices already issued

Revision ID: 6d1f8a2e4b90
Revises: 5b7e2c9d4f13
Create Date: 2026-11-26 22:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from services.finance.domain.kpi_days import rebuild

revision = '6d1f8a2e4b90'
down_revision = '5b7e2c9d4f13'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kpi_months',
        sa.Column('store_id', sa.String(length=64), nullable=False),
        sa.Column('business_date', sa.Date(), nullable=False),
        sa.Column('car_count', sa.Integer(), nullable=False, comment='invoices not void'),
        sa.Column('labour_fen', sa.BigInteger(), nullable=False),
        sa.Column('parts_fen', sa.BigInteger(), nullable=False),
        sa.Column('fees_fen', sa.BigInteger(), nullable=False),
        sa.Column('billed_hours', sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column('clocked_hours', sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column('parts_cost_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('store_id', 'business_date', name=op.f('pk_kpi_months')))
    op.create_index('ix_kpi_months_date', 'kpi_months', ['business_date'], unique=False)
    op.create_table(
        'kpi_month_categories',
        sa.Column('store_id', sa.String(length=64), nullable=False),
        sa.Column('business_date', sa.Date(), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('net_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('store_id', 'business_date', 'category', name=op.f('pk_kpi_month_categories')))
    op.create_index('ix_kpi_month_categories_date', 'kpi_month_categories', ['business_date'], unique=False)
    # the book as of this revision; a later change of its tables brings its own rebuild and this call goes
    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_kpi_month_categories_date', table_name='kpi_month_categories')
    op.drop_table('kpi_month_categories')
    op.drop_index('ix_kpi_months_date', table_name='kpi_months')
    op.drop_table('kpi_months')
