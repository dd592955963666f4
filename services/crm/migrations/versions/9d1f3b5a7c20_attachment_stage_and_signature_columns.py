"""attachments: the shared table's walk-around stage and signature columns (unused here; kept alike in every owner)

Revision ID: 9d1f3b5a7c20
Revises: 5c1e9a7d3b20
Create Date: 2026-12-06 16:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '9d1f3b5a7c20'
down_revision = '5c1e9a7d3b20'
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


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('document_sha256')
        batch_op.drop_column('signer')
        batch_op.drop_column('stage')
