"""messages sent by a store in the last minute, found by an index (the store's marketing throttle)

Revision ID: f4c2a8e1b907
Revises: c3a81f0d5e27
Create Date: 2026-12-07 07:40:00
"""
from alembic import op

revision = 'f4c2a8e1b907'
down_revision = 'c3a81f0d5e27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_store_sent", "messages", ["store_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_store_sent", table_name="messages")
