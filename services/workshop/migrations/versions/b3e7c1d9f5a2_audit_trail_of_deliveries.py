"""audit trail of deliveries (a car released with an open balance on a manager's override)

Revision ID: b3e7c1d9f5a2
Revises: 9e4a1c3b5d27
Create Date: 2026-12-06 09:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b3e7c1d9f5a2'
down_revision = '9e4a1c3b5d27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_trail',
    sa.Column('id', sa.String(length=26), nullable=False, comment='time-ordered: newest first by id'),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=True, comment='where it happened'),
    sa.Column('document_type', sa.String(length=30), nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False, comment='past tense: payment_taken, transfer_shipped'),
    sa.Column('user_id', sa.String(length=64), nullable=True, comment='none: the system'),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('event_id', sa.String(length=36), nullable=True, comment='the event whose handler made the change'),
    sa.Column('details', sa.JSON(), nullable=False, comment='amounts, quantities, status before/after; no PII'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_trail'))
    )
    op.create_index('ix_audit_trail_document', 'audit_trail', ['document_type', 'document_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_trail_document', table_name='audit_trail')
    op.drop_table('audit_trail')
