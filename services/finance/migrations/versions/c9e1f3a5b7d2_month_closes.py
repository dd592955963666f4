"""month closes (月结): a store's month takes no more postings

Revision ID: c9e1f3a5b7d2
Revises: b3c5d7e9f1a2
Create Date: 2026-12-07 07:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c9e1f3a5b7d2'
down_revision = 'b3c5d7e9f1a2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "month_closes",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False, comment="YYYY-MM"),
        sa.Column("closed_by", sa.String(64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_closes")),
        sa.UniqueConstraint("store_id", "month", name=op.f("uq_month_closes_store_id")),
    )


def downgrade() -> None:
    op.drop_table("month_closes")
