"""a store's code in crm's store settings: it names the store's own message accounts' keys files (SMS sign,
WeChat official account: PROVIDER_KEYS_DIR/sms|wechat_mp/<store code>.json)

Revision ID: a2c4e6f8b013
Revises: b6d4e2a8c0f3
Create Date: 2026-12-07 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'a2c4e6f8b013'
down_revision = 'b6d4e2a8c0f3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("store_settings") as batch:
        batch.add_column(sa.Column("store_code", sa.String(40), nullable=True,
                                   comment="the gateway's code of the store: it names the store's own message "
                                           "accounts' keys files"))


def downgrade() -> None:
    with op.batch_alter_table("store_settings") as batch:
        batch.drop_column("store_code")
