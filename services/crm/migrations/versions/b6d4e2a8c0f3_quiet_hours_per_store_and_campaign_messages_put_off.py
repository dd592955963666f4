"""a store's quiet hours in its crm settings (21:00–08:00 unless changed; equal ends: none), and a campaign
message put off to the end of them (`not_before`)

Revision ID: b6d4e2a8c0f3
Revises: f4c2a8e1b907
Create Date: 2026-12-07 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'b6d4e2a8c0f3'
down_revision = 'f4c2a8e1b907'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaign_messages", sa.Column("not_before", sa.DateTime(timezone=True), nullable=True,
                                                 comment="put off to the end of quiet hours"))
    with op.batch_alter_table("store_settings") as batch:
        batch.add_column(sa.Column("quiet_from", sa.Time(), nullable=False, server_default=sa.text("'21:00:00'"),
                                   comment="store time: marketing waits from here …"))
        batch.add_column(sa.Column("quiet_until", sa.Time(), nullable=False, server_default=sa.text("'08:00:00'"),
                                   comment="… until here (equal: no quiet hours)"))


def downgrade() -> None:
    with op.batch_alter_table("campaign_messages") as batch:
        batch.drop_column("not_before")
    with op.batch_alter_table("store_settings") as batch:
        batch.drop_column("quiet_until")
        batch.drop_column("quiet_from")
