"""company accounts (挂账): accounts, their members, invoices charged to them, the companies' payments

Revision ID: d5e8a3c1b947
Revises: c7a4e9f2d618
Create Date: 2026-12-06 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd5e8a3c1b947'
down_revision = 'c7a4e9f2d618'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('company_accounts',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('tax_number', sa.String(length=18), nullable=False, comment='unified social credit code'),
    sa.Column('contact_name', sa.String(length=50), nullable=True),
    sa.Column('contact_phone', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('credit_limit_fen', sa.BigInteger(), nullable=False),
    sa.Column('payment_terms_days', sa.Integer(), nullable=False, comment="days after the statement month's end"),
    sa.Column('store_ids', sa.JSON(), nullable=False, comment='the stores that may charge to it'),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False, comment='what its charges leave unpaid'),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_accounts')),
    sa.UniqueConstraint('tax_number', name=op.f('uq_company_accounts_tax_number'))
    )
    op.create_table('company_account_members',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('account_id', sa.String(length=26), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('vehicle_id', sa.String(length=64), nullable=True),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('added_by', sa.String(length=64), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['company_accounts.id'],
                            name=op.f('fk_company_account_members_account_id_company_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_account_members')),
    sa.UniqueConstraint('account_id', 'customer_id', name='uq_account_members_customer'),
    sa.UniqueConstraint('account_id', 'vehicle_id', name='uq_account_members_vehicle')
    )
    with op.batch_alter_table('company_account_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_account_members_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_account_members_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_account_members_vehicle_id'), ['vehicle_id'], unique=False)
    op.create_table('account_charges',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('account_id', sa.String(length=26), nullable=False),
    sa.Column('invoice_id', sa.String(length=26), nullable=False),
    sa.Column('invoice_number', sa.String(length=40), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=True),
    sa.Column('plate', sa.String(length=16), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False, comment="the store's day it was charged"),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('over_limit_reason', sa.String(length=200), nullable=True, comment="a manager's override"),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('charged_by', sa.String(length=64), nullable=True),
    sa.Column('charged_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['company_accounts.id'],
                            name=op.f('fk_account_charges_account_id_company_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_charges')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_account_charges_idempotency_key'))
    )
    with op.batch_alter_table('account_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_charges_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_charges_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index('ix_account_charges_store_date', ['store_id', 'business_date'], unique=False)
    op.create_table('account_payments',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('account_id', sa.String(length=26), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False, comment='bank | cash'),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('allocations', sa.JSON(), nullable=False,
              comment='[{charge_id, invoice_number, store_id, amount_fen}]'),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('received_by', sa.String(length=64), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['company_accounts.id'],
                            name=op.f('fk_account_payments_account_id_company_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_payments')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_account_payments_idempotency_key'))
    )
    with op.batch_alter_table('account_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_payments_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_payments_account_id'))
    op.drop_table('account_payments')
    with op.batch_alter_table('account_charges', schema=None) as batch_op:
        batch_op.drop_index('ix_account_charges_store_date')
        batch_op.drop_index(batch_op.f('ix_account_charges_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_account_charges_account_id'))
    op.drop_table('account_charges')
    with op.batch_alter_table('company_account_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_account_members_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_company_account_members_customer_id'))
        batch_op.drop_index(batch_op.f('ix_company_account_members_account_id'))
    op.drop_table('company_account_members')
    op.drop_table('company_accounts')
