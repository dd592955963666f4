"""attachments: walk-around stage (check_in | delivery) and signatures (signer, hash of the document signed)

Revision ID: e5b2d8f4a613
Revises: d7a1c3e5b902
Create Date: 2026-12-06 15:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'e5b2d8f4a613'
down_revision = 'd7a1c3e5b902'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=True,
                                      comment='walk-around: check_in | delivery'))
        batch_op.add_column(sa.Column('signer', sa.String(length=120), nullable=True,
                                      comment="a signature's signer, as written beside it"))
        batch_op.add_column(sa.Column('document_sha256', sa.String(length=64), nullable=True,
                                      comment='a signature: sha256 of the canonical document signed'))
    # walk-around photos taken before stages existed were all taken at check-in
    op.execute("UPDATE attachments SET stage = 'check_in' WHERE owner_type = 'visit'")


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('document_sha256')
        batch_op.drop_column('signer')
        batch_op.drop_column('stage')
