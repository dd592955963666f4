"""unapplied payment intents refunded through the provider: the intent's refund claim, a provider refund of
no payment, and the money of intents already unapplied booked (Dr clearing · Cr 2241 provider receipts to refund)

Revision ID: c4d6e8f0a2b3
Revises: b8d4f0a2c6e1
Create Date: 2026-12-07 13:00:00
"""
import os
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = 'c4d6e8f0a2b3'
down_revision = 'b8d4f0a2c6e1'
branch_labels = None
depends_on = None

CLEARING = {"wechat": "1012", "alipay": "1013"}
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid(offset: int) -> str:
    value = ((int(time.time() * 1000) + offset) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def upgrade() -> None:
    with op.batch_alter_table("payment_intents") as batch:
        batch.add_column(sa.Column("refund_id", sa.String(26), nullable=True,
                                   comment="unapplied: the provider refund asked for the whole amount (its "
                                           "out_refund_no); set by a conditional update, so it is asked once"))
        batch.create_unique_constraint("uq_payment_intents_refund_id", ["refund_id"])
        batch.alter_column("status", existing_type=sa.String(12), existing_nullable=False,
                           comment="pending | paid | closed | unapplied | refunded",
                           existing_comment="pending | paid | closed | unapplied")
    with op.batch_alter_table("provider_refunds") as batch:
        batch.alter_column("payment_id", existing_type=sa.String(26), nullable=True)
    # intents found unapplied before: their money is booked now (today, Beijing), as it is from now on when found
    bind = op.get_bind()
    day = (datetime.now(timezone.utc) + timedelta(hours=8)).date()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    entries = sa.table("journal_entries", sa.column("id"), sa.column("store_id"), sa.column("business_date"),
                       sa.column("source_type"), sa.column("source_id"), sa.column("memo"), sa.column("currency"),
                       sa.column("posted_at"))
    lines = sa.table("journal_lines", sa.column("entry_id"), sa.column("store_id"), sa.column("business_date"),
                     sa.column("account"), sa.column("debit_fen"), sa.column("credit_fen"))
    found = bind.execute(sa.text("SELECT id, store_id, provider, amount_fen, currency FROM payment_intents "
                                 "WHERE status = 'unapplied' ORDER BY id")).all()
    for offset, (intent_id, store_id, provider, amount, currency) in enumerate(found):
        entry_id = _ulid(offset)
        bind.execute(entries.insert().values(id=entry_id, store_id=store_id, business_date=day,
                                             source_type="payment_intent", source_id=intent_id,
                                             memo=f"{provider} paid when nothing was due: to refund",
                                             currency=currency or "CNY", posted_at=now))
        bind.execute(lines.insert(), [
            {"entry_id": entry_id, "store_id": store_id, "business_date": day, "account": CLEARING[provider],
             "debit_fen": amount, "credit_fen": 0},
            {"entry_id": entry_id, "store_id": store_id, "business_date": day, "account": "2241",
             "debit_fen": 0, "credit_fen": amount}])


def downgrade() -> None:
    """The entries on 2241 go (each balanced: the books stay balanced; the code before knows no 2241). The
    refunds of unapplied intents stay, so `provider_refunds.payment_id` stays nullable; a `refunded` intent stays
    so (the code before lists only `unapplied` ones to refund)."""
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM journal_lines WHERE entry_id IN (SELECT id FROM journal_entries "
                         "WHERE source_type IN ('payment_intent', 'intent_refund'))"))
    bind.execute(sa.text("DELETE FROM journal_entries WHERE source_type IN ('payment_intent', 'intent_refund')"))
    with op.batch_alter_table("payment_intents") as batch:
        batch.alter_column("status", existing_type=sa.String(12), existing_nullable=False,
                           comment="pending | paid | closed | unapplied",
                           existing_comment="pending | paid | closed | unapplied | refunded")
        batch.drop_constraint("uq_payment_intents_refund_id", type_="unique")
        batch.drop_column("refund_id")
