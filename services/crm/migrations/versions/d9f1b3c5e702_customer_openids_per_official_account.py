"""the customer's openid per official account (网页授权 snsapi_base), for WeChat Pay JSAPI payments

Revision ID: d9f1b3c5e702
Revises: a2c4e6f8b013
Create Date: 2026-12-07 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'd9f1b3c5e702'
down_revision = 'a2c4e6f8b013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_wechat_openids",
        sa.Column("customer_id", sa.String(26), sa.ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("appid", sa.String(32), primary_key=True, comment="the official account"),
        sa.Column("openid", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    op.drop_table("customer_wechat_openids")
