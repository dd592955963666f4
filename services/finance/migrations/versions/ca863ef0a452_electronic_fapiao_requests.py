"""electronic fapiao (数电票) requests and their state at the provider

Revision ID: ca863ef0a452
Revises: d5e8a3c1b947
Create Date: 2026-12-06 18:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'ca863ef0a452'
down_revision = 'd5e8a3c1b947'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fapiaos',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.String(length=26), nullable=False),
    sa.Column('invoice_number', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False, comment='blue | red'),
    sa.Column('original_id', sa.String(length=26), nullable=True, comment='red: the blue one reversed'),
    sa.Column('type', sa.String(length=10), nullable=False, comment='normal (普通) | special (专用)'),
    sa.Column('buyer_title', sa.String(length=100), nullable=False),
    sa.Column('buyer_tax_no', sa.String(length=20), nullable=True, comment='统一社会信用代码; none for a person'),
    sa.Column('buyer_email', sa.String(length=100), nullable=True),
    sa.Column('lines', sa.JSON(), nullable=False,
              comment='[{line_id, description, goods_code, qty, unit_price_fen, tax_rate, tax_fen, total_fen}] as sent'),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False, comment='tax included; negative for red'),
    sa.Column('tax_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False,
              comment='queued | confirming | issuing | issued | failed | reversed'),
    sa.Column('red_reason', sa.String(length=20), nullable=True, comment='red: void | refund | error'),
    sa.Column('confirm_bill_id', sa.String(length=64), nullable=True, comment='red: the 红字确认单 at the provider'),
    sa.Column('confirm_state', sa.String(length=8), nullable=True, comment="red: the provider's billStatus"),
    sa.Column('confirm_bill_no', sa.String(length=64), nullable=True, comment='red: the 确认单编号 once confirmed'),
    sa.Column('serial_no', sa.String(length=64), nullable=True, comment="the provider's 开票流水号"),
    sa.Column('number', sa.String(length=40), nullable=True, comment='数电票号码'),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pdf_url', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True, comment="the last attempt's failure (provider down)"),
    sa.Column('failure', sa.Text(), nullable=True, comment="failed: the provider's reason"),
    sa.Column('requested_by', sa.String(length=64), nullable=True),
    sa.Column('idempotency_key', sa.String(length=240), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_fapiaos_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['original_id'], ['fapiaos.id'], name=op.f('fk_fapiaos_original_id_fapiaos')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fapiaos')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_fapiaos_idempotency_key'))
    )
    with op.batch_alter_table('fapiaos', schema=None) as batch_op:
        batch_op.create_index('ix_fapiaos_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_fapiaos_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index('ix_fapiaos_store_status', ['store_id', 'status', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fapiaos', schema=None) as batch_op:
        batch_op.drop_index('ix_fapiaos_store_status')
        batch_op.drop_index(batch_op.f('ix_fapiaos_invoice_id'))
        batch_op.drop_index('ix_fapiaos_due')

    op.drop_table('fapiaos')
