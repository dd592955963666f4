"""attachment ids name their service, thumbnails made off the request path, deletions queued

Revision ID: 7e3a1c9f5d42
Revises: f3a9c1e7d524
Create Date: 2026-12-06 15:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7e3a1c9f5d42'
down_revision = 'f3a9c1e7d524'
branch_labels = None
depends_on = None
rebuilt_tables = ('attachments',)
"""Its rows' ids are rewritten (prefixed with the service's letter), not kept as they were."""


def upgrade() -> None:
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.alter_column('id', existing_type=sa.String(length=26), type_=sa.String(length=32),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('thumbnail_claimed_until', sa.DateTime(timezone=True), nullable=True,
                                      comment='a worker is making the thumbnail until then'))
        batch_op.alter_column('owner_type', existing_type=sa.String(length=30), existing_nullable=False,
                              comment='finding, visit, work_order, complaint, receipt …', existing_comment='finding, visit …')
        batch_op.alter_column('parent_id', existing_type=sa.String(length=64), existing_nullable=True,
                              comment="the owner's document (a finding's work order), else the owner", existing_comment="the owner's document (a finding's work order)")
        batch_op.alter_column('thumbnail_key', existing_type=sa.String(length=200), existing_nullable=True,
                              comment='set once the thumbnail is made (off the request path)', existing_comment=None)
        batch_op.create_index('ix_attachments_parent', ['parent_id'], unique=False)
        batch_op.create_index('ix_attachments_uploaded_at', ['uploaded_at'], unique=False)
    op.create_table('attachment_deletions',
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False, comment='retention, erasure'),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('storage_key', name=op.f('pk_attachment_deletions')),
    comment='bytes whose row is gone, to delete from the object store'
    )
    # An id names its service now; the bytes keep their keys (the rows say where they are).
    op.execute("UPDATE attachments SET id = 'w-' || id WHERE id NOT LIKE 'w-%'")
    op.execute("UPDATE attachments SET parent_id = owner_id WHERE parent_id IS NULL")


def downgrade() -> None:
    op.drop_table('attachment_deletions')
    op.execute("UPDATE attachments SET id = substr(id, 3) WHERE id LIKE 'w-%'")
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.drop_index('ix_attachments_uploaded_at')
        batch_op.drop_index('ix_attachments_parent')
        batch_op.drop_column('thumbnail_claimed_until')
        batch_op.alter_column('owner_type', existing_type=sa.String(length=30), existing_nullable=False,
                              comment='finding, visit …', existing_comment='finding, visit, work_order, complaint, receipt …')
        batch_op.alter_column('parent_id', existing_type=sa.String(length=64), existing_nullable=True,
                              comment="the owner's document (a finding's work order)", existing_comment="the owner's document (a finding's work order), else the owner")
        batch_op.alter_column('thumbnail_key', existing_type=sa.String(length=200), existing_nullable=True,
                              comment=None, existing_comment='set once the thumbnail is made (off the request path)')
        batch_op.alter_column('id', existing_type=sa.String(length=32), type_=sa.String(length=26),
                              existing_nullable=False)
