"""The chain's retention book: each month's new customers (first invoice not void, at any store) counted by how
soon their second invoice came; filled from the invoices already issued

Revision ID: d8f2a4c6e1b3
Revises: c7e9a1b3d5f6
Create Date: 2026-12-07 22:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = 'd8f2a4c6e1b3'
down_revision = 'c7e9a1b3d5f6'
branch_labels = None
depends_on = None
rebuilt_tables = ('retention_cohorts',)
"""Tables this revision recomputes from others: their rows are replaced, not kept (tests/integration/test_migrations.py)."""

_WINDOWS = (90, 180, 365)


def upgrade() -> None:
    op.create_table(
        'retention_cohorts',
        sa.Column('first_month', sa.Date(), nullable=False, comment="first day of the first visit's month"),
        sa.Column('returned_within', sa.Integer(), nullable=False, comment='days: 90, 180, 365; 0 none within 365'),
        sa.Column('customers', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('first_month', 'returned_within', name=op.f('pk_retention_cohorts')))
    _fill()


def _fill() -> None:
    """Each customer's first two days with an invoice not void, counted by the first's month and the gap: frozen
    SQL of this revision (the application's `domain.cohorts.rebuild` follows the models and may change)."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    month = "CAST(date_trunc('month', v.first_day) AS DATE)" if postgresql else "date(v.first_day, 'start of month')"
    gap = ("(v.second_day - v.first_day)" if postgresql
           else "CAST(julianday(v.second_day) - julianday(v.first_day) AS INTEGER)")
    bucket = ("CASE WHEN v.second_day IS NULL THEN 0 "
              + " ".join(f"WHEN {gap} <= {days} THEN {days}" for days in _WINDOWS) + " ELSE 0 END")
    op.execute(
        "INSERT INTO retention_cohorts (first_month, returned_within, customers) "
        f"SELECT {month}, {bucket}, COUNT(*) FROM ("
        " SELECT r.customer_id, MIN(r.business_date) AS first_day,"
        "  MIN(CASE WHEN r.n = 2 THEN r.business_date END) AS second_day FROM ("
        "  SELECT d.customer_id, d.business_date,"
        "   ROW_NUMBER() OVER (PARTITION BY d.customer_id ORDER BY d.business_date) AS n FROM ("
        "    SELECT DISTINCT customer_id, business_date FROM invoices WHERE status <> 'void') AS d) AS r"
        " WHERE r.n <= 2 GROUP BY r.customer_id) AS v"
        f" GROUP BY {month}, {bucket}")


def downgrade() -> None:
    op.drop_table('retention_cohorts')
