"""merchant accounts per store: the account a payment intent was opened on, the store's code naming its keys

Revision ID: a7c3e9f1b2d4
Revises: f6b2d8a4c0e3
Create Date: 2026-12-07 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'a7c3e9f1b2d4'
down_revision = 'f6b2d8a4c0e3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_intents") as batch:
        batch.add_column(sa.Column("merchant_id", sa.String(64), nullable=True,
                                   comment="the merchant account the order was opened on (WeChat Pay sub_mchid or "
                                           "mchid, Alipay auth_app_id or app_id); null: before accounts were "
                                           "recorded, the chain's"))
    with op.batch_alter_table("store_settings") as batch:
        batch.add_column(sa.Column("store_code", sa.String(20), nullable=True,
                                   comment="the store's code (the gateway's): names its keys files under "
                                           "PROVIDER_KEYS_DIR"))


def downgrade() -> None:
    with op.batch_alter_table("store_settings") as batch:
        batch.drop_column("store_code")
    with op.batch_alter_table("payment_intents") as batch:
        batch.drop_column("merchant_id")
