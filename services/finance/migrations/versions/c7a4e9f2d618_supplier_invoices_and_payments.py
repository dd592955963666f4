"""supplier invoices (three-way matched) and supplier payments: accounts payable

Revision ID: c7a4e9f2d618
Revises: 9c4e1f7a2d60
Create Date: 2026-12-06 15:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c7a4e9f2d618'
down_revision = '9c4e1f7a2d60'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supplier_invoices',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('supplier_id', sa.String(length=64), nullable=False),
    sa.Column('supplier_name', sa.String(length=120), nullable=False),
    sa.Column('purchase_order_id', sa.String(length=64), nullable=False),
    sa.Column('purchase_order_number', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False, comment="the supplier's invoice number"),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False, comment='[{sku, qty, unit_price_fen, amount_fen, ordered_unit_cost_fen, qty_matchable, received_value_fen, price_ok, qty_ok}]'),
    sa.Column('issues', sa.JSON(), nullable=False, comment='mismatches found by the match: [{sku, kind, ...}]'),
    sa.Column('total_fen', sa.BigInteger(), nullable=False, comment='tax included'),
    sa.Column('vat_fen', sa.BigInteger(), nullable=False, comment='input VAT on the invoice (part of the total)'),
    sa.Column('received_value_fen', sa.BigInteger(), nullable=False, comment='goods received not invoiced this clears'),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True, comment='the manager who approved or rejected a held one'),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=200), nullable=True),
    sa.Column('business_date', sa.Date(), nullable=True, comment='the day it was booked (open)'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_invoices')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_supplier_invoices_idempotency_key')),
    sa.UniqueConstraint('supplier_id', 'number', name='uq_supplier_invoices_supplier_number')
    )
    with op.batch_alter_table('supplier_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_invoices_purchase_order_id'), ['purchase_order_id'],
                              unique=False)
        batch_op.create_index('ix_supplier_invoices_store_status', ['store_id', 'status'], unique=False)
    op.create_table('supplier_payments',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('supplier_id', sa.String(length=64), nullable=False),
    sa.Column('supplier_name', sa.String(length=120), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False, comment='bank | cash'),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('allocations', sa.JSON(), nullable=False, comment='[{supplier_invoice_id, number, amount_fen}]'),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('paid_by', sa.String(length=64), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_payments')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_supplier_payments_idempotency_key'))
    )
    with op.batch_alter_table('supplier_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_payments_supplier_id'), ['supplier_id'], unique=False)
        batch_op.create_index('ix_supplier_payments_store_date', ['store_id', 'business_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('supplier_payments', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_payments_store_date')
        batch_op.drop_index(batch_op.f('ix_supplier_payments_supplier_id'))
    op.drop_table('supplier_payments')
    with op.batch_alter_table('supplier_invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_invoices_store_status')
        batch_op.drop_index(batch_op.f('ix_supplier_invoices_purchase_order_id'))
    op.drop_table('supplier_invoices')
