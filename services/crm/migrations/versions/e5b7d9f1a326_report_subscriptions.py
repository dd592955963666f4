"""report subscriptions: a manager's daily or weekly summary of a store (or the chain) texted to their mobile;
an outbox message is to a customer or to a subscription

Revision ID: e5b7d9f1a326
Revises: d9f1b3c5e702
Create Date: 2026-12-07 19:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'e5b7d9f1a326'
down_revision = 'd9f1b3c5e702'
branch_labels = None
depends_on = None
# A summary to a staff subscription has no customer: the older outbox cannot hold it, so a downgrade drops it
# (tests/integration/test_report_subscriptions_migration.py checks that customers' messages stay).
dropped_by_downgrade = ('messages',)


def upgrade() -> None:
    op.create_table(
        "report_subscriptions",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("user_id", sa.String(26), nullable=False, index=True),
        sa.Column("store_id", sa.String(26), nullable=True, comment="null: the chain (HQ)"),
        sa.Column("scope_name", sa.String(100), nullable=False),
        sa.Column("period", sa.String(10), nullable=False, comment="daily | weekly"),
        sa.Column("mobile", sa.String(11), nullable=False, comment="personal data: never logged"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("messages") as batch:
        batch.alter_column("customer_id", existing_type=sa.String(26), nullable=True)
        batch.add_column(sa.Column("subscription_id", sa.String(26), nullable=True,
                                   comment="a scheduled report to staff (no customer)"))


def downgrade() -> None:
    op.execute("DELETE FROM messages WHERE customer_id IS NULL")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("subscription_id")
        batch.alter_column("customer_id", existing_type=sa.String(26), nullable=False)
    op.drop_table("report_subscriptions")
