"""finance revision d8f2a4c6e1b3 (the chain's retention book) on SQLite and PostgreSQL holding invoices: the
upgrade counts each customer's first day with an invoice not void by month and by how soon a later day followed
(two invoices on one day are one visit; a void invoice is no visit); the downgrade drops the book and keeps the
invoices."""
from __future__ import annotations

from datetime import date

from sqlalchemy import text

from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from tests.support.made_up_rows import MadeUpRows

BEFORE, BOOK = "c7e9a1b3d5f6", "d8f2a4c6e1b3"
VISITS = [("a", date(2026, 1, 5), "issued"), ("a", date(2026, 2, 1), "issued"), ("b", date(2026, 1, 20), "issued"),
          ("b", date(2026, 9, 17), "paid"), ("c", date(2026, 1, 31), "void"), ("c", date(2026, 3, 1), "issued"),
          ("b", date(2026, 1, 20), "issued")]


def test_the_retention_book_is_filled_from_the_invoices_and_dropped_on_downgrade(scratch_url):
    upgrade("finance", scratch_url, BEFORE)
    engine = make_engine(scratch_url)
    rows = MadeUpRows(engine)
    for _ in VISITS:
        rows.fill()
    with engine.begin() as conn:
        ids = conn.execute(text("SELECT id FROM invoices ORDER BY id")).scalars().all()
        assert len(ids) == len(VISITS)
        for invoice_id, (customer, day, status) in zip(ids, VISITS, strict=True):
            conn.execute(text("UPDATE invoices SET customer_id = :customer, business_date = :day, status = :status "
                              "WHERE id = :id"), {"customer": f"cust-{customer}", "day": day, "status": status,
                                                  "id": invoice_id})
    upgrade("finance", scratch_url, BOOK)
    with engine.connect() as conn:
        book = [(date.fromisoformat(str(month)), within, customers) for month, within, customers in conn.execute(text(
            "SELECT first_month, returned_within, customers FROM retention_cohorts ORDER BY 1, 2"))]
    assert book == [(date(2026, 1, 1), 90, 1), (date(2026, 1, 1), 365, 1), (date(2026, 3, 1), 0, 1)]
    downgrade("finance", BEFORE, scratch_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM invoices")).scalar() == len(VISITS)
        assert "retention_cohorts" not in {name for (name,) in conn.execute(text(
            "SELECT table_name FROM information_schema.tables" if engine.dialect.name == "postgresql"
            else "SELECT name FROM sqlite_master WHERE type = 'table'"))}
    engine.dispose()
