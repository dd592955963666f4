"""finance revision a3c5e7f9b1d2 on SQLite and PostgreSQL holding claims: after the upgrade a voided claim's
报案号 can be put on the insurer again while a live claim's still cannot; the downgrade restores the old key
(a number once per insurer) by giving every voided claim that shares its number a `-V1`, `-V2`, … suffix —
the live one keeps it — and loses no claim."""
from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from services.common.migrate import alembic_config

BEFORE, LIVE_ONLY = "b8e2f4a6c0d9", "a3c5e7f9b1d2"
CLAIM = ("INSERT INTO insurance_claims (id, insurer_id, claim_number, invoice_id, invoice_number, store_id, "
         "customer_id, amount_fen, paid_fen, written_off_fen, business_date, created_at, voided_at) VALUES "
         "(:id, 'ins-1', :number, 'inv-1', 'INV-1', 's1', 'c1', 100, 0, 0, '2026-12-07', CURRENT_TIMESTAMP, "
         ":voided_at)")
VOIDED = "2026-12-07 10:00:00+00:00"


def test_a_voided_claims_number_is_free_again_and_the_downgrade_tags_the_voided_duplicates(scratch_url):
    config = alembic_config("finance", scratch_url)
    command.upgrade(config, BEFORE)
    engine = create_engine(scratch_url)

    def insert(claim_id: str, number: str, voided_at: str | None = None) -> None:
        with engine.begin() as conn:
            conn.execute(text(CLAIM), {"id": claim_id, "number": number, "voided_at": voided_at})

    with engine.begin() as conn:
        conn.execute(text("INSERT INTO insurers (id, name, store_ids, status, balance_fen, created_at) VALUES "
                          "('ins-1', '人保', '[\"s1\"]', 'active', 0, CURRENT_TIMESTAMP)"))
    insert("c1", "RDAA1", VOIDED)
    with pytest.raises(IntegrityError):  # before: the voided claim holds its number
        insert("c2", "RDAA1")

    command.upgrade(config, LIVE_ONLY)
    insert("c2", "RDAA1", VOIDED)  # re-recorded, voided again
    insert("c3", "RDAA1")  # and re-recorded for good
    with pytest.raises(IntegrityError):  # a live claim's number stays taken
        insert("c4", "RDAA1")
    insert("c5", "RDAA2", VOIDED)  # numbers held by voided claims alone
    insert("c6", "RDAA2", VOIDED)
    insert("c7", "X" * 40, VOIDED)
    insert("c8", "X" * 40)

    command.downgrade(config, BEFORE)
    with engine.connect() as conn:
        numbers = dict(conn.execute(text("SELECT id, claim_number FROM insurance_claims")).tuples().all())
    assert numbers == {"c1": "RDAA1-V1", "c2": "RDAA1-V2", "c3": "RDAA1", "c5": "RDAA2", "c6": "RDAA2-V1",
                       "c7": "X" * 37 + "-V1", "c8": "X" * 40}
    with pytest.raises(IntegrityError):  # the old key is back
        insert("c9", "RDAA2", VOIDED)
    engine.dispose()
