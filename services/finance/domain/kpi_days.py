"""The KPI book: per store and store-local day, and per store and month, the sums the KPIs are made of
(cars, sales by kind, hours billed and clocked, parts cost; sales per service category), added to in the
same transaction as the invoice issued (+), the invoice voided (−) and the cost of sale recorded. Reports
then read a row per store and day or month however many invoices a month holds. `rebuild` recomputes the
book from the invoices (bulk loads, repairs)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, FromClause, text
from sqlalchemy.orm import Session

from services.common.db import dialect_insert

from ..models import Invoice, KpiDay, KpiDayCategory, KpiMonth, KpiMonthCategory

CATEGORY_SQL = ("CASE WHEN l.kind = 'labour' THEN COALESCE(l.op_code, 'labour') "
                "WHEN l.kind = 'part' THEN 'parts' ELSE 'fees' END")
BOOKS = ((KpiDay, KpiDayCategory, lambda day: day), (KpiMonth, KpiMonthCategory, lambda day: day.replace(day=1)))
"""(sums, categories, the key of a day's row in them): every writer adds to days before months."""
SUMS = tuple(column.name for column in KpiDay.__table__.columns if not column.primary_key)
"""The summed columns of a row of the book: car_count, labour_fen, ..., parts_cost_fen."""


def line_category(line) -> str:
    """Service category of an invoice line: labour by its operation code, parts and fees together."""
    if line.kind == "labour":
        return line.op_code or "labour"
    return "parts" if line.kind == "part" else "fees"


def _add(session: Session, table: FromClause, keys: dict, amounts: dict) -> None:
    """Insert the row or add `amounts` to it, atomically (one statement, the row locked to commit)."""
    statement = dialect_insert(session)(table).values(**keys, **amounts)
    session.execute(statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: table.c[name] + statement.excluded[name] for name in amounts}))


def _add_sums(session: Session, store_id: str, day: date, amounts: dict) -> None:
    """Add `amounts` (the others 0) to the store's day and month."""
    amounts = {name: amounts.get(name, 0) for name in SUMS}
    for sums, _categories, key in BOOKS:
        _add(session, sums.__table__, {"store_id": store_id, "business_date": key(day)}, amounts)


def count_invoice(session: Session, invoice: Invoice, sign: int = 1) -> None:
    """Add an issued invoice to its store's day and month (sign −1 takes a voided one out of them)."""
    _add_sums(session, invoice.store_id, invoice.business_date, {
        "car_count": sign, "labour_fen": sign * invoice.labour_fen, "parts_fen": sign * invoice.parts_fen,
        "fees_fen": sign * invoice.fees_fen, "billed_hours": sign * Decimal(invoice.billed_hours),
        "clocked_hours": sign * Decimal(invoice.clocked_hours)})
    by_category: dict[str, int] = defaultdict(int)
    for line in invoice.lines:
        by_category[line_category(line)] += line.net_fen
    for _sums, categories, key in BOOKS:
        for category in sorted(by_category):  # one order of row locks for every writer
            _add(session, categories.__table__,
                 {"store_id": invoice.store_id, "business_date": key(invoice.business_date), "category": category},
                 {"net_fen": sign * by_category[category]})


def count_cost(session: Session, store_id: str, business_date: date, cost_fen: int) -> None:
    _add_sums(session, store_id, business_date, {"parts_cost_fen": cost_fen})


def rebuild(connection: Connection) -> None:
    """Recompute the whole book from invoices, their lines and costs of sales (after a bulk load); a
    store's days and months are written together, on neighbouring pages. Migrations never call it (it
    follows the models): a revision that changes the book's tables refills them with its own frozen SQL."""
    sums = ", ".join(SUMS)
    for table in ("kpi_month_categories", "kpi_months", "kpi_day_categories", "kpi_days"):
        connection.execute(text(f"DELETE FROM {table}"))
    connection.execute(text(
        f"INSERT INTO kpi_days (store_id, business_date, {sums}) "
        "SELECT store_id, business_date, SUM(cars), SUM(labour), SUM(parts), SUM(fees), SUM(billed), SUM(clocked), "
        "SUM(cost) FROM ("
        " SELECT store_id, business_date, COUNT(*) AS cars, SUM(labour_fen) AS labour, SUM(parts_fen) AS parts,"
        " SUM(fees_fen) AS fees, SUM(billed_hours) AS billed, SUM(clocked_hours) AS clocked, 0 AS cost"
        " FROM invoices WHERE status <> 'void' GROUP BY store_id, business_date"
        " UNION ALL"
        " SELECT store_id, business_date, 0, 0, 0, 0, 0, 0, SUM(cost_fen) FROM costs_of_sales"
        " GROUP BY store_id, business_date) AS days GROUP BY store_id, business_date"
        " ORDER BY store_id, business_date"))
    connection.execute(text(
        "INSERT INTO kpi_day_categories (store_id, business_date, category, net_fen) "
        f"SELECT i.store_id, i.business_date, {CATEGORY_SQL}, SUM(l.total_fen - l.tax_fen) "
        "FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id WHERE i.status <> 'void' "
        f"GROUP BY i.store_id, i.business_date, {CATEGORY_SQL} ORDER BY i.store_id, i.business_date"))
    month = ("CAST(date_trunc('month', business_date) AS DATE)" if connection.dialect.name == "postgresql"
             else "date(business_date, 'start of month')")
    summed = ", ".join(f"SUM({name})" for name in SUMS)
    connection.execute(text(
        f"INSERT INTO kpi_months (store_id, business_date, {sums}) SELECT store_id, {month}, {summed} "
        f"FROM kpi_days GROUP BY store_id, {month} ORDER BY store_id, {month}"))
    connection.execute(text(
        f"INSERT INTO kpi_month_categories (store_id, business_date, category, net_fen) "
        f"SELECT store_id, {month}, category, SUM(net_fen) FROM kpi_day_categories "
        f"GROUP BY store_id, {month}, category ORDER BY store_id, {month}"))
