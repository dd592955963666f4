"""fapiao: an insurer's for its claim's share of an invoice (the insurer the buyer)

Downgrade: an insurer's fapiao stays, as one of its invoice's (its lines still cover what it covered); only
which claim it was for is forgotten.

Revision ID: c7e9a1b3d5f6
Revises: a3c5e7f9b1d2
Create Date: 2026-12-07 19:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c7e9a1b3d5f6'
down_revision = 'a3c5e7f9b1d2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fapiaos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('insurance_claim_id', sa.String(length=26), nullable=True,
                                      comment="the insurer's fapiao for this claim's share; none: the customer's"))
        batch_op.create_index(batch_op.f('ix_fapiaos_insurance_claim_id'), ['insurance_claim_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_fapiaos_insurance_claim_id_insurance_claims'), 'insurance_claims',
                                    ['insurance_claim_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('fapiaos', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_fapiaos_insurance_claim_id_insurance_claims'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_fapiaos_insurance_claim_id'))
        batch_op.drop_column('insurance_claim_id')
