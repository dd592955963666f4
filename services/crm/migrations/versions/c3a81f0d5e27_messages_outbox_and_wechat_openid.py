"""crm's message outbox (step messages to car owners, sign-in links) and the customer's WeChat openid

Revision ID: c3a81f0d5e27
Revises: 9d1f3b5a7c20
Create Date: 2026-12-06 15:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c3a81f0d5e27'
down_revision = '9d1f3b5a7c20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("wechat_openid", sa.String(64), nullable=True,
                                   comment="the customer's openid at the chain's official account: messages go by WeChat"))
    op.create_table(
        "messages",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("customer_id", sa.String(26), sa.ForeignKey("customers.id", name="fk_messages_customer_id_customers"),
                  nullable=False),
        sa.Column("store_id", sa.String(26)),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("marketing", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False, comment="sms | wechat"),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True),
                  comment="queued: next try; sent: next receipt check; null: nothing left to do"),
        sa.Column("provider_id", sa.String(64), comment="Alibaba Cloud BizId or WeChat msgid"),
        sa.Column("failure_code", sa.String(40), comment="why it failed, or why it is retried"),
        sa.Column("failure_detail", sa.String(100), comment="the provider's own code"),
        sa.Column("dedupe_key", sa.String(80), nullable=False, comment="never twice for one cause"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("dedupe_key", name="uq_messages_dedupe_key"),
    )
    op.create_index("ix_messages_customer_id", "messages", ["customer_id"])
    op.create_index("ix_messages_due", "messages", ["next_attempt_at"])
    op.create_index("ix_messages_store", "messages", ["store_id", "id"])


def downgrade() -> None:
    op.drop_table("messages")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("wechat_openid")
