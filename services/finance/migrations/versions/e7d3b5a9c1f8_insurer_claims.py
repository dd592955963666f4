"""insurers' claims (事故车): insurers, the share of an invoice put on one under its claim number, remittances

Revision ID: e7d3b5a9c1f8
Revises: c4d6e8f0a2b3
Create Date: 2026-12-07 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'e7d3b5a9c1f8'
down_revision = 'c4d6e8f0a2b3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('insurers',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('tax_number', sa.String(length=18), nullable=True, comment='unified social credit code'),
    sa.Column('contact_name', sa.String(length=50), nullable=True),
    sa.Column('contact_phone', sa.String(length=20), nullable=True),
    sa.Column('store_ids', sa.JSON(), nullable=False, comment='the stores that may put claims on it'),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False, comment='what its claims leave open'),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurers')),
    sa.UniqueConstraint('name', name=op.f('uq_insurers_name'))
    )
    op.create_table('insurance_claims',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('insurer_id', sa.String(length=26), nullable=False),
    sa.Column('claim_number', sa.String(length=40), nullable=False, comment='报案号'),
    sa.Column('invoice_id', sa.String(length=26), nullable=False),
    sa.Column('invoice_number', sa.String(length=40), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=True),
    sa.Column('plate', sa.String(length=16), nullable=True),
    sa.Column('assessed_fen', sa.BigInteger(), nullable=True, comment='定损金额, as the insurer assessed it'),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('written_off_fen', sa.BigInteger(), nullable=False),
    sa.Column('write_off_reason', sa.String(length=200), nullable=True),
    sa.Column('business_date', sa.Date(), nullable=False, comment="the store's day it was put on the insurer"),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['insurer_id'], ['insurers.id'], name=op.f('fk_insurance_claims_insurer_id_insurers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_claims')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_insurance_claims_idempotency_key')),
    sa.UniqueConstraint('insurer_id', 'claim_number', name='uq_insurance_claims_number')
    )
    with op.batch_alter_table('insurance_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insurance_claims_insurer_id'), ['insurer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_insurance_claims_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index('ix_insurance_claims_store_date', ['store_id', 'business_date'], unique=False)
    op.create_table('claim_remittances',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('insurer_id', sa.String(length=26), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False, comment='bank | cash'),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('allocations', sa.JSON(), nullable=False,
              comment='[{claim_id, claim_number, invoice_number, store_id, amount_fen}]'),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('received_by', sa.String(length=64), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['insurer_id'], ['insurers.id'], name=op.f('fk_claim_remittances_insurer_id_insurers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_remittances')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_claim_remittances_idempotency_key'))
    )
    with op.batch_alter_table('claim_remittances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_remittances_insurer_id'), ['insurer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('claim_remittances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_remittances_insurer_id'))
    op.drop_table('claim_remittances')
    with op.batch_alter_table('insurance_claims', schema=None) as batch_op:
        batch_op.drop_index('ix_insurance_claims_store_date')
        batch_op.drop_index(batch_op.f('ix_insurance_claims_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_insurance_claims_insurer_id'))
    op.drop_table('insurance_claims')
    op.drop_table('insurers')
