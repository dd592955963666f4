"""payment reconciliations: the providers' daily statements matched with recorded payments and refunds

Revision ID: b3c5d7e9f1a2
Revises: a6c2d8e4f107
Create Date: 2026-12-07 06:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b3c5d7e9f1a2'
down_revision = 'a6c2d8e4f107'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_reconciliations',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False, comment='wechat | alipay'),
    sa.Column('merchant_id', sa.String(length=64), nullable=False, comment='WeChat Pay mchid / Alipay app_id'),
    sa.Column('bill_date', sa.Date(), nullable=False, comment="the provider's day (Beijing time)"),
    sa.Column('status', sa.String(length=12), nullable=False, comment='running | done | failed'),
    sa.Column('error_code', sa.String(length=64), nullable=True, comment='failed: what the provider answered'),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('payment_count', sa.Integer(), nullable=False),
    sa.Column('refund_count', sa.Integer(), nullable=False),
    sa.Column('collected_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('matched_count', sa.Integer(), nullable=False),
    sa.Column('store_totals', sa.JSON(), nullable=False,
              comment='{store_id: {payment_count, refund_count, collected_fen, refunded_fen, fee_fen}}'),
    sa.Column('provider_summary', sa.JSON(), nullable=False, comment="the statement's own totals section"),
    sa.Column('runs', sa.Integer(), nullable=False, comment='how many times it was downloaded and matched'),
    sa.Column('started_by', sa.String(length=64), nullable=True, comment='None: the daily job'),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_reconciliations')),
    sa.UniqueConstraint('provider', 'merchant_id', 'bill_date', name=op.f('uq_payment_reconciliations_provider'))
    )
    op.create_table('payment_recon_differences',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('run_id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=True,
              comment="the intent's store; None: a line naming no intent"),
    sa.Column('kind', sa.String(length=20), nullable=False, comment='missing_here | extra_here | amount_mismatch'),
    sa.Column('line_kind', sa.String(length=10), nullable=False, comment='payment | refund'),
    sa.Column('reference', sa.String(length=64), nullable=False,
              comment="the provider's transaction number, or our refund's"),
    sa.Column('out_trade_no', sa.String(length=64), nullable=True),
    sa.Column('intent_id', sa.String(length=26), nullable=True),
    sa.Column('provider_refund_id', sa.String(length=26), nullable=True),
    sa.Column('provider_amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('recorded_amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False, comment='what to do (a code the console words)'),
    sa.Column('status', sa.String(length=10), nullable=False, comment='open | resolved | cleared'),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['payment_reconciliations.id'],
                            name=op.f('fk_payment_recon_differences_run_id_payment_reconciliations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_recon_differences')),
    sa.UniqueConstraint('run_id', 'line_kind', 'reference',
                        name=op.f('uq_payment_recon_differences_run_id'))
    )
    op.create_index(op.f('ix_payment_recon_differences_run_id'),
                    'payment_recon_differences', ['run_id'], unique=False)
    op.create_index('ix_payment_recon_differences_store', 'payment_recon_differences',
                    ['store_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_payment_recon_differences_store', table_name='payment_recon_differences')
    op.drop_index(op.f('ix_payment_recon_differences_run_id'),
                  table_name='payment_recon_differences')
    op.drop_table('payment_recon_differences')
    op.drop_table('payment_reconciliations')
