"""provider refunds (WeChat Pay, Alipay) and room for Alipay's signed links

Revision ID: 9c4e1f7a2d60
Revises: 84adb2aa03b1
Create Date: 2026-12-06 15:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '9c4e1f7a2d60'
down_revision = '84adb2aa03b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payment_intents', schema=None) as batch_op:
        batch_op.alter_column('pay_url', existing_type=sa.String(length=500), type_=sa.Text(),
                              existing_nullable=False,
                              comment="qr: what the QR code encodes; h5: the link (Alipay's is signed: long)")
        batch_op.alter_column('provider', existing_type=sa.String(length=20), existing_nullable=False,
                              comment='wechat | alipay')
    op.create_table('provider_refunds',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('payment_id', sa.String(length=26), nullable=False),
    sa.Column('intent_id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False, comment='wechat | alipay'),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False, comment='pending | succeeded | failed'),
    sa.Column('provider_refund_id', sa.String(length=64), nullable=True, comment="the provider's refund number"),
    sa.Column('refund_id', sa.String(length=26), nullable=True),
    sa.Column('requested_by', sa.String(length=64), nullable=True),
    sa.Column('requested_role', sa.String(length=20), nullable=True),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['intent_id'], ['payment_intents.id'],
                            name=op.f('fk_provider_refunds_intent_id_payment_intents')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_provider_refunds_payment_id_payments')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_provider_refunds_refund_id_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_provider_refunds_idempotency_key')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_provider_refunds_refund_id'))
    )
    with op.batch_alter_table('provider_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_refunds_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index('ix_provider_refunds_status', ['status', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('provider_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_refunds_status')
        batch_op.drop_index(batch_op.f('ix_provider_refunds_payment_id'))
    op.drop_table('provider_refunds')
    # a signed Alipay link is longer than the old column: cut (the link of a settled intent is not used again)
    op.execute(sa.text("UPDATE payment_intents SET pay_url = substr(pay_url, 1, 500) WHERE length(pay_url) > 500"))
    with op.batch_alter_table('payment_intents', schema=None) as batch_op:
        batch_op.alter_column('provider', existing_type=sa.String(length=20), existing_nullable=False,
                              comment='wechat')
        batch_op.alter_column('pay_url', existing_type=sa.Text(), type_=sa.String(length=500),
                              existing_nullable=False,
                              comment='qr: the code_url the QR encodes; h5: the h5_url')
