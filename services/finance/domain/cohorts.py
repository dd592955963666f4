"""Customer retention by cohort (issue 29): the customers whose first invoice (at the stores asked about) fell in
a month, and how many had a second one within 90, 180 and 365 days. A window not yet over for every customer of a
month is not counted (null), so a young cohort never looks like a lost one."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.contracts.rpc.finance.cohorts import WINDOWS

from ..models import Invoice
from .commission import month_bounds
from .targets import months_between


def cohorts(session: Session, store_ids: list[str] | None, first_month: str, last_month: str, today: date
            ) -> list[dict]:
    """A row per month from `first_month` to `last_month` (YYYY-MM): new customers, returns per window
    (`store_ids` None: the chain's)."""
    months = months_between(first_month, last_month)
    start, end = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    counted = [Invoice.status != "void"] + ([Invoice.store_id.in_(store_ids)] if store_ids is not None else [])
    firsts = (select(Invoice.customer_id, func.min(Invoice.business_date).label("first")).where(*counted)
              .group_by(Invoice.customer_id).subquery())
    new = dict(session.execute(select(firsts.c.customer_id, firsts.c.first)
                               .where(firsts.c.first >= start, firsts.c.first < end)).tuples().all())
    seconds = dict(session.execute(
        select(Invoice.customer_id, func.min(Invoice.business_date))
        .join(firsts, firsts.c.customer_id == Invoice.customer_id)
        .where(*counted, firsts.c.first >= start, firsts.c.first < end, Invoice.business_date > firsts.c.first)
        .group_by(Invoice.customer_id)).tuples().all())
    rows = []
    for month in months:
        members = [customer for customer, first in new.items() if f"{first:%Y-%m}" == month]
        row: dict = {"month": month, "new_customers": len(members)}
        for window in WINDOWS:
            over = month_bounds(month)[1] - timedelta(days=1) + timedelta(days=window) <= today
            back = sum(1 for customer in members if customer in seconds
                       and (seconds[customer] - new[customer]).days <= window) if over else None
            row[f"returned_{window}"] = back
            row[f"retention_{window}_pct"] = (Decimal(back * 100) / len(members)).quantize(Decimal("0.1")) \
                if back is not None and members else None
        rows.append(row)
    return rows



def customer_figures(session: Session, store_ids: list[str] | None, customer_ids: list[str], first: date,
                     last: date) -> list[dict]:
    """Per customer named and invoiced over [first, last] (business days) at `store_ids` (None: the chain's):
    how many invoices (void left out) and their totals, in one grouped read per 1,000 customers."""
    rows = []
    for i in range(0, len(customer_ids), 1000):
        query = (select(Invoice.customer_id, func.count(), func.sum(Invoice.total_fen))
                 .where(Invoice.status != "void", Invoice.customer_id.in_(customer_ids[i:i + 1000]),
                        Invoice.business_date >= first, Invoice.business_date <= last)
                 .group_by(Invoice.customer_id))
        if store_ids is not None:
            query = query.where(Invoice.store_id.in_(store_ids))
        rows += [{"customer_id": customer, "invoices": count, "revenue_fen": int(total or 0)}
                 for customer, count, total in session.execute(query)]
    return rows


def window_figures(session: Session, store_ids: list[str] | None, windows: list[dict]) -> list[dict]:
    """Per window named ({customer_id, from_, to}, business days) with an invoice in it at `store_ids` (None: the
    chain's): how many invoices (void left out) and their totals; one grouped read (customer, day) per 1,000
    customers, the windows summed from it."""
    if not windows:
        return []
    customers = sorted({window["customer_id"] for window in windows})
    first, last = min(window["from_"] for window in windows), max(window["to"] for window in windows)
    daily: dict[str, list[tuple[date, int, int]]] = {}
    for i in range(0, len(customers), 1000):
        query = (select(Invoice.customer_id, Invoice.business_date, func.count(), func.sum(Invoice.total_fen))
                 .where(Invoice.status != "void", Invoice.customer_id.in_(customers[i:i + 1000]),
                        Invoice.business_date >= first, Invoice.business_date <= last)
                 .group_by(Invoice.customer_id, Invoice.business_date))
        if store_ids is not None:
            query = query.where(Invoice.store_id.in_(store_ids))
        for customer, day, count, total in session.execute(query):
            daily.setdefault(customer, []).append((day, count, int(total or 0)))
    rows = []
    for window in windows:
        inside = [(count, total) for day, count, total in daily.get(window["customer_id"], [])
                  if window["from_"] <= day <= window["to"]]
        if inside:
            rows.append({"customer_id": window["customer_id"], "from_": window["from_"], "to": window["to"],
                         "invoices": sum(count for count, _ in inside), "revenue_fen": sum(t for _, t in inside)})
    return rows
