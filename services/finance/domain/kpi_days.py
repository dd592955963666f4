"""The KPI day book: per store and store-local day, the sums the KPIs are made of (cars, sales by kind,
hours billed and clocked, parts cost; sales per service category), added to in the same transaction as
the invoice issued (+), the invoice voided (−) and the cost of sale recorded. Reports then read stores x
days rows however many invoices a month holds. `rebuild` recomputes the book from the invoices (bulk
loads, repairs)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import Invoice, KpiDay, KpiDayCategory

CATEGORY_SQL = ("CASE WHEN l.kind = 'labour' THEN COALESCE(l.op_code, 'labour') "
                       "WHEN l.kind = 'part' THEN 'parts' ELSE 'fees' END")


def line_category(kind: str, op_code: str | None) -> str:
    """Service category of an invoice line: labour by its operation code, parts and fees together."""
    if kind == "labour":
        return op_code or "labour"
    return "parts" if kind == "part" else "fees"


def _add(session: Session, table: Table, keys: dict, amounts: dict) -> None:
    """Insert the row or add `amounts` to it, atomically (one statement, the row locked to commit)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**keys, **amounts)
    session.execute(statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: table.c[name] + statement.excluded[name] for name in amounts}))


def count_invoice(session: Session, invoice: Invoice, sign: int = 1) -> None:
    """Add an issued invoice to its store's day (sign −1 takes a voided one out of it)."""
    day = {"store_id": invoice.store_id, "business_date": invoice.business_date}
    _add(session, KpiDay.__table__, day, {
        "car_count": sign, "labour_fen": sign * invoice.labour_fen, "parts_fen": sign * invoice.parts_fen,
        "fees_fen": sign * invoice.fees_fen, "billed_hours": sign * Decimal(invoice.billed_hours),
        "clocked_hours": sign * Decimal(invoice.clocked_hours), "parts_cost_fen": 0})
    by_category: dict[str, int] = defaultdict(int)
    for line in invoice.lines:
        by_category[line_category(line.kind, line.op_code)] += line.total_fen - line.tax_fen
    for category in sorted(by_category):  # one order of row locks for every writer
        _add(session, KpiDayCategory.__table__, {**day, "category": category},
             {"net_fen": sign * by_category[category]})


def count_cost(session: Session, store_id: str, business_date: date, cost_fen: int) -> None:
    _add(session, KpiDay.__table__, {"store_id": store_id, "business_date": business_date}, {
        "car_count": 0, "labour_fen": 0, "parts_fen": 0, "fees_fen": 0, "billed_hours": Decimal(0),
        "clocked_hours": Decimal(0), "parts_cost_fen": cost_fen})


def rebuild(connection: Connection) -> None:
    """Recompute the whole book from invoices, their lines and costs of sales (after a bulk load)."""
    connection.execute(text("DELETE FROM kpi_day_categories"))
    connection.execute(text("DELETE FROM kpi_days"))
    connection.execute(text(
        "INSERT INTO kpi_days (store_id, business_date, car_count, labour_fen, parts_fen, fees_fen, billed_hours, "
        "clocked_hours, parts_cost_fen) "
        "SELECT store_id, business_date, SUM(cars), SUM(labour), SUM(parts), SUM(fees), SUM(billed), SUM(clocked), "
        "SUM(cost) FROM ("
        " SELECT store_id, business_date, COUNT(*) AS cars, SUM(labour_fen) AS labour, SUM(parts_fen) AS parts,"
        " SUM(fees_fen) AS fees, SUM(billed_hours) AS billed, SUM(clocked_hours) AS clocked, 0 AS cost"
        " FROM invoices WHERE status <> 'void' GROUP BY store_id, business_date"
        " UNION ALL"
        " SELECT store_id, business_date, 0, 0, 0, 0, 0, 0, SUM(cost_fen) FROM costs_of_sales"
        " GROUP BY store_id, business_date) AS days GROUP BY store_id, business_date"
        " ORDER BY store_id, business_date"))  # a store's days on neighbouring pages
    connection.execute(text(
        "INSERT INTO kpi_day_categories (store_id, business_date, category, net_fen) "
        f"SELECT i.store_id, i.business_date, {CATEGORY_SQL}, SUM(l.total_fen - l.tax_fen) "
        "FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id WHERE i.status <> 'void' "
        f"GROUP BY i.store_id, i.business_date, {CATEGORY_SQL} ORDER BY i.store_id, i.business_date"))
