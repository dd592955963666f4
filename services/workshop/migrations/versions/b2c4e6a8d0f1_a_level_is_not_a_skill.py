"""a level is not a skill: jobs that asked for one can go to anyone

Revision ID: b2c4e6a8d0f1
Revises: b3e7c1d9f5a2
Create Date: 2026-12-06 09:20:00.000000

Jobs opened from operations that asked for a level (`senior`) could be dispatched to nobody: no
technician holds a level as a skill. They ask for `general` (anyone) from now on, like sales'
operations of the same revision there. The old value is not kept: downgrade leaves it.
"""
from alembic import op
import sqlalchemy as sa


revision = 'b2c4e6a8d0f1'
down_revision = 'b3e7c1d9f5a2'
branch_labels = None
depends_on = None

LEVELS = ('apprentice', 'junior', 'intermediate', 'senior', 'master')  # as of this revision


def upgrade() -> None:
    jobs = sa.table('jobs', sa.column('skill', sa.String))
    op.execute(jobs.update().where(jobs.c.skill.in_(LEVELS)).values(skill='general'))


def downgrade() -> None:
    pass  # which jobs asked for a level is not recorded; `general` is valid before this revision too
