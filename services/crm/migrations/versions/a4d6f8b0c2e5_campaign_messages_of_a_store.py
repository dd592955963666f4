"""campaign messages remember the store they are of (the campaign's, a chain-wide one's: the customer's home
store at the time), indexed for a store's message log

Revision ID: a4d6f8b0c2e5
Revises: c7e3a9d1f524
Create Date: 2026-12-07 23:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'a4d6f8b0c2e5'
down_revision = 'c7e3a9d1f524'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_messages") as batch:
        batch.add_column(sa.Column("store_id", sa.String(26), nullable=True,
                                   comment="the campaign's store, a chain-wide one's: the customer's home store"))
    op.execute("UPDATE campaign_messages SET store_id = COALESCE("
               "(SELECT campaigns.store_id FROM campaigns WHERE campaigns.id = campaign_messages.campaign_id), "
               "(SELECT customers.home_store_id FROM customers WHERE customers.id = campaign_messages.customer_id))")
    op.create_index("ix_campaign_messages_store", "campaign_messages", ["store_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_campaign_messages_store", table_name="campaign_messages")
    with op.batch_alter_table("campaign_messages") as batch:
        batch.drop_column("store_id")
