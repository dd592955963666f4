"""attachments: metadata of photos, videos and PDFs whose bytes are in the object store

Revision ID: a7c3e9f1b205
Revises: b2c4e6a8d0f1
Create Date: 2026-12-06 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c3e9f1b205'
down_revision = 'b2c4e6a8d0f1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('owner_type', sa.String(length=30), nullable=False, comment='finding, visit …'),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.String(length=64), nullable=True, comment="the owner's document (a finding's work order)"),
    sa.Column('position', sa.String(length=20), nullable=True, comment='walk-around position'),
    sa.Column('damage', sa.JSON(), nullable=True, comment='damage marks: [{kind, note}]'),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=200), nullable=True),
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


def downgrade() -> None:
    op.drop_index('ix_attachments_owner', table_name='attachments')
    op.drop_table('attachments')
