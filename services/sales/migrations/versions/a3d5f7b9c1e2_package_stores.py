"""the stores that offer a package (none: every store)

Revision ID: a3d5f7b9c1e2
Revises: 5c6b8900d18a
Create Date: 2026-12-07 10:55:00

Packages from before this revision have no rows: every store offers them, as before.
"""
from alembic import op
import sqlalchemy as sa


revision = 'a3d5f7b9c1e2'
down_revision = '5c6b8900d18a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'package_stores',
        sa.Column('package_id', sa.String(length=26), sa.ForeignKey('packages.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('store_id', sa.String(length=26), primary_key=True),
    )
    op.create_index('ix_package_stores_store_id', 'package_stores', ['store_id'])


def downgrade() -> None:
    op.drop_index('ix_package_stores_store_id', table_name='package_stores')
    op.drop_table('package_stores')
