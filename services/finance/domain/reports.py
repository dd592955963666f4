"""Reports finance owns: the P&L per store and month (from the journal), and the KPIs whose data are
finance's (car count and ARO from invoices, revenue mix, parts gross profit, effective labour rate,
technician efficiency from the hours the workshop reported at completion). Figures owned by other
services are named in `owned_elsewhere` for the gateway to join."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Date, String, func, literal, select
from sqlalchemy.orm import Session

from services.common.money import round_fen
from services.common.periods import period_of, periods

from ..models import KpiDay, KpiDayCategory, KpiMonth, KpiMonthCategory
from . import ledger
from .commission import month_bounds
from .kpi_days import SUMS
from .ledger import (CASH_OVER_SHORT, CHART, COGS, DISCOUNTS, EXPENSE_ACCOUNTS, PRICE_VARIANCE, REFUNDS, REVENUE,
                     STOCK_GAINS_LOSSES)

OWNED_ELSEWHERE = {
    "technician_productivity": "workshop (clocked ÷ available hours: shifts)",
    "labour_gross_profit_pct": "workshop (technicians' hourly cost)",
    "comeback_rate": "workshop",
    "close_ratio": "sales (approved ÷ presented quotes)",
    "average_satisfaction": "crm (follow-ups)",
}


def pct(part: int | Decimal, whole: int | Decimal) -> str | None:
    if not whole:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01")))


def pnl(session: Session, stores: list[str] | None, month: str) -> dict:
    start, end = month_bounds(month)
    sums = ledger.balances(session, stores, as_of=end - timedelta(days=1), since=start)

    def credit_side(account):
        dr, cr = sums.get(account, (0, 0))
        return cr - dr

    def debit_side(account):
        dr, cr = sums.get(account, (0, 0))
        return dr - cr

    revenue = {"labour_fen": credit_side(REVENUE["labour"]), "parts_fen": credit_side(REVENUE["part"]),
               "fees_fen": credit_side(REVENUE["fee"])}
    gross_revenue = sum(revenue.values())
    discounts, refunds = debit_side(DISCOUNTS), debit_side(REFUNDS)
    net_revenue = gross_revenue - discounts - refunds
    cogs = debit_side(COGS) + debit_side(PRICE_VARIANCE)  # what suppliers billed above (below) goods received
    gross_profit = net_revenue - cogs
    expenses = {category: debit_side(account) for category, account in EXPENSE_ACCOUNTS.items()}
    expenses["cash_over_short"] = debit_side(CASH_OVER_SHORT)
    expenses["inventory_gains_losses"] = debit_side(STOCK_GAINS_LOSSES)  # shrinkage less stock found
    total_expenses = sum(expenses.values())
    return {"month": month, "store_ids": stores, "revenue": revenue, "gross_revenue_fen": gross_revenue,
            "discounts_fen": discounts, "refunds_fen": refunds, "net_revenue_fen": net_revenue,
            "cogs_fen": cogs, "gross_profit_fen": gross_profit, "gross_margin_pct": pct(gross_profit, net_revenue),
            "expenses": expenses, "expenses_total_fen": total_expenses,
            "net_profit_fen": gross_profit - total_expenses}


def kpis(session: Session, stores: list[str] | None, since: date, until: date, group: str = "store") -> dict:
    """Per store (and per day, ISO week or month when `group` says so; `chain`: one row for all the
    stores) over the store-local days [since, until], a trend's periods without sales included as
    zero rows; each row also breaks sales down by service category. Summed by the database from the
    KPI book: whole months from its month rows, the days around them from its day rows, so the work
    grows with stores x (days + months), not with invoices."""
    by_day, by_store = group in ("day", "week", "month"), group != "chain"
    spans = [(KpiDay, KpiDayCategory, since, until)] if by_day else book_spans(since, until)
    totals: dict[tuple[str | None, str | None], dict] = defaultdict(lambda: defaultdict(int))
    categories: dict[tuple[str | None, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def key(store: str | None, day: date | None) -> tuple[str | None, str | None]:
        return store, (period_of(day, group) if day else None)

    for book, category_book, first, last in spans:
        for store, day, *values in session.execute(_summed(
                book, [func.sum(getattr(book, name)) for name in SUMS], stores, first, last, by_day,
                by_store=by_store)):
            row = dict(zip(SUMS, values, strict=True))
            if not (row["car_count"] or row["parts_cost_fen"]):
                continue  # days whose only invoice was voided
            bucket = totals[key(store, day)]
            for name, value in row.items():
                bucket[name] += value
        for store, day, category, net in session.execute(_summed(
                category_book, [category_book.category, func.sum(category_book.net_fen)], stores, first, last,
                by_day, category_book.category, by_store=by_store)):
            categories[key(store, day)][category] += int(net)
    keys = set(totals)
    if group == "store":
        keys |= {(store, None) for store in stores or []}
    if by_day:  # a trend shows its empty days (weeks, months) as zero, not as a gap
        labels = [label for label, _, _ in periods(since, until, group)]
        keys |= {(store, label) for store in {*(stores or []), *(store for store, _ in totals)} for label in labels}
    if group == "chain":
        keys = {(None, None)}
    items = []
    for store_id, period in sorted(keys, key=lambda k: (k[0] or "", k[1] or "")):
        bucket = totals.get((store_id, period), {})
        cars, labour, parts, fees, parts_cost = (
            int(bucket.get(name, 0)) for name in ("car_count", "labour_fen", "parts_fen", "fees_fen", "parts_cost_fen"))
        billed, clocked = (Decimal(bucket.get(name, 0)) for name in ("billed_hours", "clocked_hours"))
        sales = labour + parts + fees
        items.append({
            "store_id": store_id, "period": period, "car_count": cars, "sales_fen": sales, "labour_fen": labour,
            "parts_fen": parts, "fees_fen": fees, "aro_fen": round_fen(Decimal(sales) / cars) if cars else None,
            "parts_cost_fen": parts_cost, "parts_gross_profit_fen": parts - parts_cost,
            "parts_gross_profit_pct": pct(parts - parts_cost, parts),
            "billed_hours": str(billed), "clocked_hours": str(clocked),
            "effective_labour_rate_fen": round_fen(Decimal(labour) / billed) if billed else None,
            "technician_efficiency_pct": pct(billed, clocked),
            "sales_by_category": {name: net for name, net in sorted(categories.get((store_id, period), {}).items())
                                  if net}})
    return {"from": since.isoformat(), "to": until.isoformat(), "group": group, "items": items,
            "owned_elsewhere": OWNED_ELSEWHERE}


def book_spans(since: date, until: date) -> list[tuple]:
    """[since, until] as (book, category book, first, last) spans: the whole months in it from the month
    book (rows keyed by a month's first day), the days before and after them from the day book."""
    first_full = since if since.day == 1 else _next_month(since)
    after_full = (until + timedelta(days=1)).replace(day=1)  # the first day after the last whole month
    if first_full >= after_full:
        return [(KpiDay, KpiDayCategory, since, until)]
    spans: list[tuple] = [(KpiMonth, KpiMonthCategory, first_full, after_full - timedelta(days=1))]
    if since < first_full:
        spans.append((KpiDay, KpiDayCategory, since, first_full - timedelta(days=1)))
    if after_full <= until:
        spans.append((KpiDay, KpiDayCategory, after_full, until))
    return spans


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _summed(table, columns: list, stores: list[str] | None, since: date, until: date, by_day: bool, *keys,
            by_store: bool = True):
    """SELECT store (NULL unless `by_store`), day (NULL unless `by_day`), *columns ... GROUP BY [store,]
    [day,] *keys over the days."""
    store = table.store_id if by_store else literal(None, String)
    day = table.business_date if by_day else literal(None, Date)
    groups = [*((table.store_id,) if by_store else ()), *((table.business_date,) if by_day else ()), *keys]
    query = select(store, day, *columns).where(table.business_date >= since, table.business_date <= until)
    query = query.group_by(*groups) if groups else query
    return query.where(table.store_id.in_(stores)) if stores is not None else query


def chart() -> list[dict]:
    return [{"code": code, "name": name, "type": kind} for code, (name, kind) in CHART.items()]
