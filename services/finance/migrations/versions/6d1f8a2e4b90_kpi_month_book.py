"""KPI month book beside the day book (whole months of a report read a row per store); the whole book
filled from the invoices already issued

Revision ID: 6d1f8a2e4b90
Revises: 5b7e2c9d4f13
Create Date: 2026-11-26 22:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '6d1f8a2e4b90'
down_revision = '5b7e2c9d4f13'
branch_labels = None
depends_on = None
rebuilt_tables = ('kpi_days', 'kpi_day_categories', 'kpi_months', 'kpi_month_categories')
"""Tables this revision recomputes from others: their rows are replaced, not kept (tests/integration/test_migrations.py)."""


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
    _rebuild_book()


_SUMS = "car_count, labour_fen, parts_fen, fees_fen, billed_hours, clocked_hours, parts_cost_fen"
_CATEGORY = ("CASE WHEN l.kind = 'labour' THEN COALESCE(l.op_code, 'labour') "
             "WHEN l.kind = 'part' THEN 'parts' ELSE 'fees' END")


def _rebuild_book() -> None:
    """The whole book (days and months) recomputed from the invoices, their lines and the costs of sales:
    a frozen copy of `domain.kpi_days.rebuild` as it was at this revision, in SQL of this revision's
    tables (the application's copy follows the models and may change)."""
    bind = op.get_bind()
    for table in ("kpi_month_categories", "kpi_months", "kpi_day_categories", "kpi_days"):
        op.execute(f"DELETE FROM {table}")
    op.execute(
        f"INSERT INTO kpi_days (store_id, business_date, {_SUMS}) "
        "SELECT store_id, business_date, SUM(cars), SUM(labour), SUM(parts), SUM(fees), SUM(billed), SUM(clocked), "
        "SUM(cost) FROM ("
        " SELECT store_id, business_date, COUNT(*) AS cars, SUM(labour_fen) AS labour, SUM(parts_fen) AS parts,"
        " SUM(fees_fen) AS fees, SUM(billed_hours) AS billed, SUM(clocked_hours) AS clocked, 0 AS cost"
        " FROM invoices WHERE status <> 'void' GROUP BY store_id, business_date"
        " UNION ALL"
        " SELECT store_id, business_date, 0, 0, 0, 0, 0, 0, SUM(cost_fen) FROM costs_of_sales"
        " GROUP BY store_id, business_date) AS days GROUP BY store_id, business_date"
        " ORDER BY store_id, business_date")
    op.execute(
        "INSERT INTO kpi_day_categories (store_id, business_date, category, net_fen) "
        f"SELECT i.store_id, i.business_date, {_CATEGORY}, SUM(l.total_fen - l.tax_fen) "
        "FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id WHERE i.status <> 'void' "
        f"GROUP BY i.store_id, i.business_date, {_CATEGORY} ORDER BY i.store_id, i.business_date")
    month = ("CAST(date_trunc('month', business_date) AS DATE)" if bind.dialect.name == "postgresql"
             else "date(business_date, 'start of month')")
    summed = ", ".join(f"SUM({name})" for name in _SUMS.split(", "))
    op.execute(
        f"INSERT INTO kpi_months (store_id, business_date, {_SUMS}) SELECT store_id, {month}, {summed} "
        f"FROM kpi_days GROUP BY store_id, {month} ORDER BY store_id, {month}")
    op.execute(
        "INSERT INTO kpi_month_categories (store_id, business_date, category, net_fen) "
        f"SELECT store_id, {month}, category, SUM(net_fen) FROM kpi_day_categories "
        f"GROUP BY store_id, {month}, category ORDER BY store_id, {month}")


def downgrade() -> None:
    op.drop_index('ix_kpi_month_categories_date', table_name='kpi_month_categories')
    op.drop_table('kpi_month_categories')
    op.drop_index('ix_kpi_months_date', table_name='kpi_months')
    op.drop_table('kpi_months')
