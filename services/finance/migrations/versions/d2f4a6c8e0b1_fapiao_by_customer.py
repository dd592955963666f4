"""a customer's fapiao found by an index (the titles the till offers again)

Revision ID: d2f4a6c8e0b1
Revises: c9e1f3a5b7d2
Create Date: 2026-12-07 08:00:00
"""
from alembic import op

revision = 'd2f4a6c8e0b1'
down_revision = 'c9e1f3a5b7d2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_fapiaos_customer", "fapiaos", ["customer_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_fapiaos_customer", table_name="fapiaos")
