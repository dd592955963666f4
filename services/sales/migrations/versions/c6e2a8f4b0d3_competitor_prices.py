"""competitors' prices a store's staff saw, for the items of the chain's price list

Revision ID: c6e2a8f4b0d3
Revises: a3d5f7b9c1e2
Create Date: 2026-12-07 13:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c6e2a8f4b0d3'
down_revision = 'a3d5f7b9c1e2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'competitor_prices',
        sa.Column('id', sa.String(length=26), primary_key=True),
        sa.Column('store_id', sa.String(length=26), nullable=False),
        sa.Column('competitor', sa.String(length=60), nullable=False,
                  comment="as staff call it, e.g. 途虎养车工场店（天河北）"),
        sa.Column('kind', sa.String(length=20), nullable=False, comment="labour_rate | part | package | fee"),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('price_fen', sa.Integer(), nullable=False),
        sa.Column('observed_on', sa.Date(), nullable=False, comment="store-local day it was seen"),
        sa.Column('note', sa.String(length=200), nullable=True, comment="where it was seen, what it includes"),
        sa.Column('created_by', sa.String(length=26), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_competitor_prices_store_item', 'competitor_prices',
                    ['store_id', 'kind', 'key', 'observed_on'])


def downgrade() -> None:
    op.drop_index('ix_competitor_prices_store_item', table_name='competitor_prices')
    op.drop_table('competitor_prices')
