"""supplier credit notes (红字发票): what they took off supplier invoices, and the notes themselves

Revision ID: b8d4f2a0c365
Revises: a7c3e1f9b254
Create Date: 2026-12-07 07:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b8d4f2a0c365'
down_revision = 'a7c3e1f9b254'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('supplier_invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credited_fen', sa.BigInteger(), server_default='0', nullable=False,
                                      comment="what the supplier's credit notes took off it"))
    op.create_table('supplier_credit_notes',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('supplier_id', sa.String(length=64), nullable=False),
    sa.Column('supplier_name', sa.String(length=120), nullable=False),
    sa.Column('supplier_invoice_id', sa.String(length=26), nullable=True),
    sa.Column('supplier_invoice_number', sa.String(length=60), nullable=True),
    sa.Column('purchase_order_id', sa.String(length=64), nullable=True),
    sa.Column('return_id', sa.String(length=64), nullable=True, comment="inventory's return to supplier it credits"),
    sa.Column('number', sa.String(length=60), nullable=False, comment="the supplier's credit note number"),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False, comment='tax included'),
    sa.Column('vat_fen', sa.BigInteger(), nullable=False, comment='input VAT it takes back (part of the total)'),
    sa.Column('returned_value_fen', sa.BigInteger(), nullable=False,
              comment='goods sent back at their received value: what it clears on 2209'),
    sa.Column('applied_fen', sa.BigInteger(), nullable=False, comment='taken off the invoice it names'),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False, comment='the day it was booked'),
    sa.ForeignKeyConstraint(['supplier_invoice_id'], ['supplier_invoices.id'],
                            name=op.f('fk_supplier_credit_notes_supplier_invoice_id_supplier_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_credit_notes')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_supplier_credit_notes_idempotency_key')),
    sa.UniqueConstraint('supplier_id', 'number', name='uq_supplier_credit_notes_supplier_number')
    )
    with op.batch_alter_table('supplier_credit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_credit_notes_supplier_id'), ['supplier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_credit_notes_supplier_invoice_id'), ['supplier_invoice_id'],
                              unique=False)
        batch_op.create_index('ix_supplier_credit_notes_store_date', ['store_id', 'business_date'], unique=False)


def downgrade() -> None:
    """Before credit notes an invoice owed its total less what was paid: what credit notes took off an
    invoice is kept as paid, so the invoice still owes what 2202 says (a credit note's unapplied rest,
    a debit on 2202, has no document to stand for it any more)."""
    op.execute("UPDATE supplier_invoices SET paid_fen = paid_fen + credited_fen WHERE credited_fen <> 0")
    op.drop_table('supplier_credit_notes')
    with op.batch_alter_table('supplier_invoices', schema=None) as batch_op:
        batch_op.drop_column('credited_fen')
