"""a level is not a skill: operations and quote lines that asked for one ask for anyone

Revision ID: 8a3d5e7f9c12
Revises: 5b7e2c9d41a8
Create Date: 2026-12-06 09:20:00.000000

Skills are one vocabulary (services/common/skills.py) and a technician's level is never one, so no
technician could be dispatched to a job asking for `senior` (the demo's brake pads and spark plugs).
Such operations and the lines quoted from them ask for `general` (anyone) from now on; a manager
names the right skill when editing the operation. The old value is not kept: downgrade leaves it.
"""
from alembic import op
import sqlalchemy as sa


revision = '8a3d5e7f9c12'
down_revision = '5b7e2c9d41a8'
branch_labels = None
depends_on = None

LEVELS = ('apprentice', 'junior', 'intermediate', 'senior', 'master')  # as of this revision


def upgrade() -> None:
    for table in ('labour_operations', 'quote_lines'):
        rows = sa.table(table, sa.column('skill', sa.String))
        op.execute(rows.update().where(rows.c.skill.in_(LEVELS)).values(skill='general'))


def downgrade() -> None:
    pass  # which operations asked for a level is not recorded; `general` is valid before this revision too
