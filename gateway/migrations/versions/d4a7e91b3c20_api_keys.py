"""api_keys, api_key_usage and rate_buckets: machine clients' keys (hashed, scoped, per store, expiring,
revocable, rotated with overlap), their use per operation, and the token buckets of the rate limits

Revision ID: d4a7e91b3c20
Revises: c21a0d3e5f10
Create Date: 2026-12-06 15:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'd4a7e91b3c20'
down_revision = 'c21a0d3e5f10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False,
              comment="the secret's first characters, to recognise it"),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('store_ids', sa.JSON(), nullable=False),
    sa.Column('rate_per_minute', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=26), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=26), nullable=True),
    sa.Column('rotated_from', sa.String(length=26), nullable=True, comment='the key this one replaced'),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_api_keys_secret_hash'))
    )
    op.create_table('api_key_usage',
    sa.Column('key_id', sa.String(length=26), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('route', sa.String(length=200), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], name=op.f('fk_api_key_usage_key_id_api_keys'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key_id', 'method', 'route', name=op.f('pk_api_key_usage'))
    )
    op.create_table('rate_buckets',
    sa.Column('name', sa.String(length=40), nullable=False, comment='key:<id> or user:<id>'),
    sa.Column('tokens', sa.Float(), nullable=False),
    sa.Column('stamp', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_rate_buckets'))
    )


def downgrade() -> None:
    op.drop_table('rate_buckets')
    op.drop_table('api_key_usage')
    op.drop_table('api_keys')
