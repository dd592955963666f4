"""each store's repair-shop category (维修企业类别: which stores upload health records) and the notice on an
upload whose invoice was refunded after it reached the provincial system

Revision ID: f6b2d8a4c0e3
Revises: f1a9c3e5b7d4
Create Date: 2026-12-07 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'f6b2d8a4c0e3'
down_revision = 'f1a9c3e5b7d4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repair_category', sa.String(length=8), nullable=True,
                                      comment="维修企业类别: class_1 | class_2 | class_3 (upload health records) | "
                                              "none; unset: not declared (no uploads)"))
    with op.batch_alter_table('health_record_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice', sa.String(length=40), nullable=True,
                                      comment="refunded_after_upload: the record stands at the system (no "
                                              "correction interface); the manager is told"))
        batch_op.add_column(sa.Column('notice_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('health_record_uploads', schema=None) as batch_op:
        batch_op.drop_column('notice_at')
        batch_op.drop_column('notice')
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.drop_column('repair_category')
