"""customer_codes and customer_links: the customer channel's one-time sign-in codes (hashed, short-lived,
single use) and the signed links a store sends (one purpose, one document, expiring, revocable)

Revision ID: c21a0d3e5f10
Revises: b7d41e0c9a52
Create Date: 2026-12-06 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c21a0d3e5f10'
down_revision = 'b7d41e0c9a52'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer_codes',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('mobile', sa.String(length=11), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_ip', sa.String(length=45), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False, comment='wrong guesses against this code'),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_codes'))
    )
    op.create_index('ix_customer_codes_mobile_at', 'customer_codes', ['mobile', 'created_at'], unique=False)
    op.create_index('ix_customer_codes_ip_at', 'customer_codes', ['client_ip', 'created_at'], unique=False)
    op.create_table('customer_links',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False, comment='quote_decision'),
    sa.Column('document_type', sa.String(length=30), nullable=False),
    sa.Column('document_id', sa.String(length=26), nullable=False),
    sa.Column('customer_id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=26), nullable=False),
    sa.Column('created_by', sa.String(length=26), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=26), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_customer_links_token_hash'))
    )
    op.create_index('ix_customer_links_document', 'customer_links', ['document_type', 'document_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_customer_links_document', table_name='customer_links')
    op.drop_table('customer_links')
    op.drop_index('ix_customer_codes_ip_at', table_name='customer_codes')
    op.drop_index('ix_customer_codes_mobile_at', table_name='customer_codes')
    op.drop_table('customer_codes')
