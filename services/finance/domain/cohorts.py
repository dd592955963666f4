"""Customer retention by cohort (issue 29): the customers whose first invoice (at the stores asked about) fell in
a month, and how many had a second one within 90, 180 and 365 days. A window not yet over for every customer of a
month is not counted (null), so a young cohort never looks like a lost one. The chain's cohorts (every store) are
read from the retention book (`RetentionCohort`), kept here with every invoice issued or voided: 4 rows a month
whatever the chain's size; a store's (or a few stores') from their invoices."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from services.common.db import dialect_insert

from services.contracts.rpc.finance.cohorts import WINDOWS

from ..models import Invoice, RetentionCohort
from .commission import month_bounds
from .targets import months_between


def cohorts(session: Session, store_ids: list[str] | None, first_month: str, last_month: str, today: date
            ) -> list[dict]:
    """A row per month from `first_month` to `last_month` (YYYY-MM): new customers, returns per window
    (`store_ids` None: the chain's)."""
    months = months_between(first_month, last_month)
    start, end = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    if store_ids is None:
        return _from_book(session, months, start, end, today)
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
    by_month: dict[str, dict[int, int]] = {month: {} for month in months}
    for customer, first in new.items():
        within = returned_within((seconds[customer] - first).days if customer in seconds else None)
        counts = by_month[f"{first:%Y-%m}"]
        counts[within] = counts.get(within, 0) + 1
    return _rows(by_month, today)


def returned_within(gap_days: int | None) -> int:
    """The shortest window a second visit `gap_days` after the first falls in; 0 for none (or no second)."""
    return next((window for window in WINDOWS if gap_days is not None and gap_days <= window), 0)


def _rows(by_month: dict[str, dict[int, int]], today: date) -> list[dict]:
    """The report's rows from each month's new customers counted by `returned_within`."""
    rows = []
    for month, counts in by_month.items():
        members = sum(counts.values())
        row: dict = {"month": month, "new_customers": members}
        for window in WINDOWS:
            over = month_bounds(month)[1] - timedelta(days=1) + timedelta(days=window) <= today
            back = sum(n for within, n in counts.items() if 0 < within <= window) if over else None
            row[f"returned_{window}"] = back
            row[f"retention_{window}_pct"] = (Decimal(back * 100) / members).quantize(Decimal("0.1")) \
                if back is not None and members else None
        rows.append(row)
    return rows


def _from_book(session: Session, months: list[str], start: date, end: date, today: date) -> list[dict]:
    by_month: dict[str, dict[int, int]] = {month: {} for month in months}
    for first, within, customers in session.execute(
            select(RetentionCohort.first_month, RetentionCohort.returned_within, RetentionCohort.customers)
            .where(RetentionCohort.first_month >= start, RetentionCohort.first_month < end)):
        if customers:
            by_month[f"{first:%Y-%m}"][within] = customers
    return _rows(by_month, today)


def _first_two_visits(session: Session, customer_id: str, without: str | None) -> tuple[date, int] | None:
    """(the customer's first day with an invoice not void, its `returned_within`), leaving out invoice `without`."""
    query = (select(Invoice.business_date).distinct().where(Invoice.customer_id == customer_id,
                                                             Invoice.status != "void")
             .order_by(Invoice.business_date).limit(2))
    if without is not None:
        query = query.where(Invoice.id != without)
    days = list(session.execute(query).scalars())
    if not days:
        return None
    return days[0].replace(day=1), returned_within((days[1] - days[0]).days if len(days) > 1 else None)


def count_visit(session: Session, invoice: Invoice, sign: int = 1) -> None:
    """Move the invoice's customer in the retention book: after an invoice is issued (flushed, +1) or before it
    is voided (still counted, −1). The customer's first two days before and after decide; on PostgreSQL a
    transaction lock on the customer keeps two invoices of theirs from counting them twice."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                        {"key": f"retention:{invoice.customer_id}"})
    with_it = _first_two_visits(session, invoice.customer_id, None)
    without_it = _first_two_visits(session, invoice.customer_id, invoice.id)
    before, after = (without_it, with_it) if sign > 0 else (with_it, without_it)
    if before == after:
        return
    table = RetentionCohort.__table__
    for key, change in sorted(((before, -1), (after, 1)), key=lambda pair: pair[0] or (date.min, 0)):
        if key is not None:  # one order of row locks for every writer
            statement = dialect_insert(session)(table).values(first_month=key[0], returned_within=key[1],
                                                              customers=change)
            session.execute(statement.on_conflict_do_update(
                index_elements=["first_month", "returned_within"],
                set_={"customers": table.c.customers + statement.excluded.customers}))


def rebuild(connection: Connection) -> None:
    """Recompute the retention book from the invoices (after a bulk load, repairs). Migrations never call it."""
    postgresql = connection.dialect.name == "postgresql"
    month = "CAST(date_trunc('month', first_day) AS DATE)" if postgresql else "date(first_day, 'start of month')"
    gap = "(second_day - first_day)" if postgresql else "(julianday(second_day) - julianday(first_day))"
    within = " ".join(f"WHEN {gap} <= {window} THEN {window}" for window in WINDOWS)
    connection.execute(text("DELETE FROM retention_cohorts"))
    connection.execute(text(
        "INSERT INTO retention_cohorts (first_month, returned_within, customers) "
        f"SELECT {month}, CASE WHEN second_day IS NULL THEN 0 {within} ELSE 0 END, COUNT(*) FROM ("
        " SELECT customer_id, MIN(business_date) AS first_day,"
        "  MIN(CASE WHEN n = 2 THEN business_date END) AS second_day"
        " FROM (SELECT customer_id, business_date,"
        "  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY business_date) AS n"
        "  FROM (SELECT DISTINCT customer_id, business_date FROM invoices WHERE status <> 'void') AS days) AS ranked"
        " WHERE n <= 2 GROUP BY customer_id) AS visits"
        f" GROUP BY {month}, CASE WHEN second_day IS NULL THEN 0 {within} ELSE 0 END"))


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
