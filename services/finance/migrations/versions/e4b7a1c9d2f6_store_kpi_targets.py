"""store KPI targets per month (revenue, cars, gross profit rates, efficiency, satisfaction)

Revision ID: e4b7a1c9d2f6
Revises: e4b7d2a9c613
Create Date: 2026-12-07 03:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'e4b7a1c9d2f6'
down_revision = 'e4b7d2a9c613'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpi_targets',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False, comment='YYYY-MM'),
    sa.Column('sales_fen', sa.BigInteger(), nullable=True, comment='revenue, tax excluded'),
    sa.Column('car_count', sa.Integer(), nullable=True),
    sa.Column('parts_gross_profit_pct', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('labour_gross_profit_pct', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('technician_efficiency_pct', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('average_satisfaction', sa.Numeric(precision=3, scale=2), nullable=True, comment='1–5'),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_targets')),
    sa.UniqueConstraint('store_id', 'month', name=op.f('uq_kpi_targets_store_id'))
    )


def downgrade() -> None:
    op.drop_table('kpi_targets')
