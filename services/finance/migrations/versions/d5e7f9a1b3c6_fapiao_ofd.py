"""each fapiao's OFD 版式文件 (GB/T 33190) beside its PDF, as the provider answers it

Revision ID: d5e7f9a1b3c6
Revises: e7d3b5a9c1f8
Create Date: 2026-12-07 16:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'd5e7f9a1b3c6'
down_revision = 'e7d3b5a9c1f8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fapiaos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ofd_url', sa.Text(), nullable=True,
                                      comment="the OFD 版式文件; none: issued before it was kept"))


def downgrade() -> None:
    with op.batch_alter_table('fapiaos', schema=None) as batch_op:
        batch_op.drop_column('ofd_url')
