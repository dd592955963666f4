"""users.token_version: raised on a password, role, store or active change; tokens carry it (`ver`)

Revision ID: b7d41e0c9a52
Revises: 68f3bda3e161
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d41e0c9a52'
down_revision = '68f3bda3e161'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no table rebuild, so user_stores' rows are never touched on SQLite)
    op.add_column('users', sa.Column('token_version', sa.Integer(), server_default='0', nullable=False,
                                     comment='raised when earlier tokens must end (auth.py)'))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch rebuild would cascade-delete memberships
    op.drop_column('users', 'token_version')
