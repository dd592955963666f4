"""payment intents: money asked for through WeChat Pay

Revision ID: 84adb2aa03b1
Revises: 6d1f8a2e4b90
Create Date: 2026-12-06 12:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '84adb2aa03b1'
down_revision = '6d1f8a2e4b90'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_intents',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('invoice_id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False, comment='wechat'),
    sa.Column('channel', sa.String(length=10), nullable=False, comment='qr | h5'),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False, comment='pending | paid | closed | unapplied'),
    sa.Column('pay_url', sa.String(length=500), nullable=False, comment='qr: the code_url the QR encodes; h5: the h5_url'),
    sa.Column('transaction_id', sa.String(length=64), nullable=True, comment="the provider's"),
    sa.Column('payment_id', sa.String(length=26), nullable=True),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True, comment='paid, closed or found unapplied'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payment_intents_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_intents_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_intents')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payment_intents_idempotency_key')),
    sa.UniqueConstraint('transaction_id', name=op.f('uq_payment_intents_transaction_id'))
    )
    with op.batch_alter_table('payment_intents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_intents_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index('ix_payment_intents_status', ['status', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payment_intents', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_intents_status')
        batch_op.drop_index(batch_op.f('ix_payment_intents_invoice_id'))
    op.drop_table('payment_intents')
