"""Ageing of what is owed, one rule for payables and receivables: amounts by days past their due
date (not yet due, 1–30, 31–60, 61–90, more than 90), summed into as many rows as asked."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Invoice

BUCKETS = (("current_fen", None, 0), ("days_1_30_fen", 1, 30), ("days_31_60_fen", 31, 60),
           ("days_61_90_fen", 61, 90), ("over_90_fen", 91, None))


def bucket_of(days_overdue: int) -> str:
    return next(name for name, low, high in BUCKETS
                if (low is None or days_overdue >= low) and (high is None or days_overdue <= high))


def empty() -> dict:
    return {**{name: 0 for name, _low, _high in BUCKETS}, "total_fen": 0}


def add(rows, days_overdue: int, amount: int) -> None:
    """`amount`, `days_overdue` days late, added to each row (a store's, a supplier's, the chain's)."""
    bucket = bucket_of(days_overdue)
    for row in rows:
        row[bucket] += amount
        row["total_fen"] += amount


def receivables_ageing(session: Session, stores: list[str] | None, as_of: date) -> dict:
    """What issued customer invoices leave unpaid, by days since they were issued (an invoice of
    the till is due when issued): per store and for the caller's stores."""
    query = (select(Invoice.store_id, Invoice.business_date, Invoice.total_fen - Invoice.paid_fen)
             .where(Invoice.status.in_(("issued", "partially_paid")), Invoice.business_date <= as_of)
             .order_by(Invoice.store_id))
    if stores is not None:
        query = query.where(Invoice.store_id.in_(stores))
    by_store: dict[str, dict] = {}
    chain = empty()
    for store_id, issued_on, due in session.execute(query):
        store = by_store.setdefault(store_id, {"store_id": store_id, **empty()})
        add((store, chain), (as_of - issued_on).days, int(due))
    return {"as_of": as_of, "chain": chain, "stores": list(by_store.values())}
