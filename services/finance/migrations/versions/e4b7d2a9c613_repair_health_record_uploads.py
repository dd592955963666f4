"""repair health-record uploads (汽车维修电子健康档案) and each store's 许可证号 / registered name

Revision ID: e4b7d2a9c613
Revises: ca863ef0a452
Create Date: 2026-12-07 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'e4b7d2a9c613'
down_revision = 'ca863ef0a452'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repair_licence_no', sa.String(length=40), nullable=True,
                                      comment="维修企业许可证号 or 备案号: the shop's companycode at the provincial "
                                              "health-record system"))
        batch_op.add_column(sa.Column('repair_company_name', sa.String(length=100), nullable=True,
                                      comment="the shop's registered name"))
    op.create_table('health_record_uploads',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.String(length=26), nullable=False),
    sa.Column('settlement_no', sa.String(length=40), nullable=False,
              comment="the invoice's number: the record's costlistcode, once"),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False, comment='queued | uploaded | failed'),
    sa.Column('plate', sa.String(length=10), nullable=True, comment='as last sent or checked'),
    sa.Column('record', sa.JSON(), nullable=True, comment='the record as last built (basicInfo and lists)'),
    sa.Column('failure_code', sa.String(length=40), nullable=True, comment='failed: a stable reason code'),
    sa.Column('failure', sa.Text(), nullable=True, comment="failed: the system's words, or the fields at fault"),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True,
              comment="the last attempt's failure (system down)"),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'],
                            name=op.f('fk_health_record_uploads_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_record_uploads')),
    sa.UniqueConstraint('settlement_no', name=op.f('uq_health_record_uploads_settlement_no'))
    )
    with op.batch_alter_table('health_record_uploads', schema=None) as batch_op:
        batch_op.create_index('ix_health_record_uploads_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_health_record_uploads_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index('ix_health_record_uploads_store_status', ['store_id', 'status', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('health_record_uploads', schema=None) as batch_op:
        batch_op.drop_index('ix_health_record_uploads_store_status')
        batch_op.drop_index(batch_op.f('ix_health_record_uploads_invoice_id'))
        batch_op.drop_index('ix_health_record_uploads_due')
    op.drop_table('health_record_uploads')
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.drop_column('repair_company_name')
        batch_op.drop_column('repair_licence_no')
