"""attachments on receipts, deletions queued for the object store

Revision ID: 6d2f0b8e4c31
Revises: b5e1d7c3a920
Create Date: 2026-12-06 15:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '6d2f0b8e4c31'
down_revision = 'b5e1d7c3a920'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('owner_type', sa.String(length=30), nullable=False, comment='finding, visit, work_order, complaint, receipt …'),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.String(length=64), nullable=True, comment="the owner's document (a finding's work order), else the owner"),
    sa.Column('position', sa.String(length=20), nullable=True, comment='walk-around position'),
    sa.Column('damage', sa.JSON(), nullable=True, comment='damage marks: [{kind, note}]'),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=200), nullable=True, comment='set once the thumbnail is made (off the request path)'),
    sa.Column('thumbnail_claimed_until', sa.DateTime(timezone=True), nullable=True, comment='a worker is making the thumbnail until then'),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False, comment='image, video, pdf'),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('uploaded_by', sa.String(length=64), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    op.create_index('ix_attachments_owner', 'attachments', ['owner_type', 'owner_id', 'id'], unique=False)
    op.create_index('ix_attachments_parent', 'attachments', ['parent_id'], unique=False)
    op.create_index('ix_attachments_uploaded_at', 'attachments', ['uploaded_at'], unique=False)
    op.create_table('attachment_deletions',
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False, comment='retention, erasure'),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('storage_key', name=op.f('pk_attachment_deletions')),
    comment='bytes whose row is gone, to delete from the object store'
    )


def downgrade() -> None:
    op.drop_table('attachment_deletions')
    op.drop_index('ix_attachments_uploaded_at', table_name='attachments')
    op.drop_index('ix_attachments_parent', table_name='attachments')
    op.drop_index('ix_attachments_owner', table_name='attachments')
    op.drop_table('attachments')
