"""KPI day book: per store and business date, the sums KPIs are made of, and sales per category
(filled from the invoices already issued by the month book's revision, 6d1f8a2e4b90, which rebuilds the book)

Revision ID: 5b7e2c9d4f13
Revises: 1a19c3fc0250
Create Date: 2026-11-26 20:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '5b7e2c9d4f13'
down_revision = '1a19c3fc0250'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kpi_days',
        sa.Column('store_id', sa.String(length=64), nullable=False),
        sa.Column('business_date', sa.Date(), nullable=False),
        sa.Column('car_count', sa.Integer(), nullable=False, comment='invoices not void'),
        sa.Column('labour_fen', sa.BigInteger(), nullable=False),
        sa.Column('parts_fen', sa.BigInteger(), nullable=False),
        sa.Column('fees_fen', sa.BigInteger(), nullable=False),
        sa.Column('billed_hours', sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column('clocked_hours', sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column('parts_cost_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('store_id', 'business_date', name=op.f('pk_kpi_days')))
    op.create_index('ix_kpi_days_date', 'kpi_days', ['business_date'], unique=False)
    op.create_table(
        'kpi_day_categories',
        sa.Column('store_id', sa.String(length=64), nullable=False),
        sa.Column('business_date', sa.Date(), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('net_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('store_id', 'business_date', 'category', name=op.f('pk_kpi_day_categories')))
    op.create_index('ix_kpi_day_categories_date', 'kpi_day_categories', ['business_date'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_kpi_day_categories_date', table_name='kpi_day_categories')
    op.drop_table('kpi_day_categories')
    op.drop_index('ix_kpi_days_date', table_name='kpi_days')
    op.drop_table('kpi_days')
