"""insurers' claims: a 报案号 once per insurer among the claims not voided (a voided claim's number can be
put on the insurer again, the claim re-recorded correctly)

Downgrade: the old key holds a number once per insurer whatever the claim's state, so of the claims sharing
a number the live one keeps it (none live: the oldest) and each other — all voided — gets `-V1`, `-V2`, …
appended (cut to the column's 40 characters), the suffix saying it is a voided one's. An upgrade does not
take the suffix off again: a voided claim's number is only read, never matched.

Revision ID: a3c5e7f9b1d2
Revises: b8e2f4a6c0d9
Create Date: 2026-12-07 19:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'a3c5e7f9b1d2'
down_revision = 'b8e2f4a6c0d9'
branch_labels = None
depends_on = None

NUMBER_LENGTH = 40


def upgrade() -> None:
    with op.batch_alter_table('insurance_claims', schema=None) as batch_op:
        batch_op.drop_constraint('uq_insurance_claims_number', type_='unique')
    op.create_index('uq_insurance_claims_live_number', 'insurance_claims', ['insurer_id', 'claim_number'],
                    unique=True, postgresql_where=sa.text('voided_at IS NULL'),
                    sqlite_where=sa.text('voided_at IS NULL'))


def _tag_voided_duplicates(bind) -> None:
    claims = sa.table('insurance_claims', sa.column('id'), sa.column('insurer_id'), sa.column('claim_number'),
                      sa.column('voided_at'), sa.column('created_at'))
    rows = bind.execute(sa.select(claims.c.id, claims.c.insurer_id, claims.c.claim_number, claims.c.voided_at)
                        .order_by(claims.c.insurer_id, claims.c.claim_number,
                                  claims.c.voided_at.is_not(None), claims.c.created_at, claims.c.id)).all()
    taken = {(row.insurer_id, row.claim_number) for row in rows}
    kept: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.insurer_id, row.claim_number)
        if key not in kept:  # the live one, else the oldest voided one
            kept.add(key)
            continue
        count = 0
        while (row.insurer_id, tagged := _tagged(row.claim_number, count := count + 1)) in taken:
            pass
        taken.add((row.insurer_id, tagged))
        bind.execute(claims.update().where(claims.c.id == row.id).values(claim_number=tagged))


def _tagged(number: str, count: int) -> str:
    tag = f"-V{count}"
    return number[:NUMBER_LENGTH - len(tag)] + tag


def downgrade() -> None:
    op.drop_index('uq_insurance_claims_live_number', table_name='insurance_claims')
    _tag_voided_duplicates(op.get_bind())
    with op.batch_alter_table('insurance_claims', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_insurance_claims_number', ['insurer_id', 'claim_number'])
