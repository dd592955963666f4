"""refund requests: a refund above the store's limit waits for a manager's approval

Revision ID: a6c2d8e4f107
Revises: b8d4f2a0c365
Create Date: 2026-12-07 06:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a6c2d8e4f107'
down_revision = 'b8d4f2a0c365'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refund_requests',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('payment_id', sa.String(length=26), nullable=False),
    sa.Column('invoice_id', sa.String(length=26), nullable=True),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False, comment="the payment's method"),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False, comment='pending | approved | refunded | declined | failed'),
    sa.Column('requested_by', sa.String(length=64), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('refund_id', sa.String(length=26), nullable=True),
    sa.Column('provider_refund_id', sa.String(length=26), nullable=True),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_refund_requests_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refund_requests_payment_id_payments')),
    sa.ForeignKeyConstraint(['provider_refund_id'], ['provider_refunds.id'],
                            name=op.f('fk_refund_requests_provider_refund_id_provider_refunds')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_refund_requests_refund_id_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_requests')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_refund_requests_idempotency_key')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_refund_requests_refund_id'))
    )
    with op.batch_alter_table('refund_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_requests_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index('ix_refund_requests_store_status', ['store_id', 'status', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('refund_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_refund_requests_store_status')
        batch_op.drop_index(batch_op.f('ix_refund_requests_payment_id'))
    op.drop_table('refund_requests')
