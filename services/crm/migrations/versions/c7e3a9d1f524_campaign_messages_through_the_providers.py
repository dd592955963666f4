"""campaign messages through the providers: the provider's id, the delivery receipt and when to ask for it

Revision ID: c7e3a9d1f524
Revises: e5b2d8f4a619
Create Date: 2026-12-07 22:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c7e3a9d1f524'
down_revision = 'e5b2d8f4a619'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_messages") as batch:
        batch.add_column(sa.Column("provider_id", sa.String(64), nullable=True,
                                   comment="Alibaba Cloud BizId or WeChat msgid"))
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("receipt_at", sa.DateTime(timezone=True), nullable=True,
                                   comment="sent text: when its receipt is asked for next"))
    op.create_index("ix_campaign_messages_receipt", "campaign_messages", ["receipt_at"])


def downgrade() -> None:
    op.drop_index("ix_campaign_messages_receipt", table_name="campaign_messages")
    with op.batch_alter_table("campaign_messages") as batch:
        batch.drop_column("receipt_at")
        batch.drop_column("delivered_at")
        batch.drop_column("provider_id")
