"""users.mobile: a staff member's mainland mobile, where their scheduled reports are texted

Revision ID: a3e5c7f9b214
Revises: f1c6a8d2e937
Create Date: 2026-12-07 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'a3e5c7f9b214'
down_revision = 'f1c6a8d2e937'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no table rebuild, so user_stores' rows are never touched on SQLite)
    op.add_column('users', sa.Column('mobile', sa.String(length=11), nullable=True,
                                     comment='personal data: never logged'))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch rebuild would cascade-delete memberships
    op.drop_column('users', 'mobile')
