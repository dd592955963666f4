"""a campaign's messages sent (or skipped) over some days found by an index (campaign results by store)

Revision ID: e5b2d8f4a619
Revises: e5b7d9f1a326
Create Date: 2026-12-07 19:55:00
"""
from alembic import op

revision = 'e5b2d8f4a619'
down_revision = 'e5b7d9f1a326'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_campaign_messages_campaign_status", "campaign_messages",
                    ["campaign_id", "status", "sent_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_campaign_messages_campaign_status", table_name="campaign_messages")
