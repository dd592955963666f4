"""Reports finance owns: the P&L per store and month (from the journal), and the KPIs whose data are
finance's (car count and ARO from invoices, revenue mix, parts gross profit, effective labour rate,
technician efficiency from the hours the workshop reported at completion). Figures owned by other
services are named in `owned_elsewhere` for the gateway to join."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.money import round_fen

from ..models import KpiDay, KpiDayCategory
from . import ledger
from .commission import month_bounds
from .ledger import CASH_OVER_SHORT, CHART, COGS, DISCOUNTS, EXPENSE_ACCOUNTS, REFUNDS, REVENUE

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
    cogs = debit_side(COGS)
    gross_profit = net_revenue - cogs
    expenses = {category: debit_side(account) for category, account in EXPENSE_ACCOUNTS.items()}
    expenses["cash_over_short"] = debit_side(CASH_OVER_SHORT)
    total_expenses = sum(expenses.values())
    return {"month": month, "store_ids": stores, "revenue": revenue, "gross_revenue_fen": gross_revenue,
            "discounts_fen": discounts, "refunds_fen": refunds, "net_revenue_fen": net_revenue,
            "cogs_fen": cogs, "gross_profit_fen": gross_profit, "gross_margin_pct": pct(gross_profit, net_revenue),
            "expenses": expenses, "expenses_total_fen": total_expenses,
            "net_profit_fen": gross_profit - total_expenses}


def period_of(day: date, group: str) -> str | None:
    """The trend bucket of a store-local day."""
    if group == "day":
        return day.isoformat()
    if group == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if group == "month":
        return f"{day:%Y-%m}"
    return None


def kpis(session: Session, stores: list[str] | None, since: date, until: date, group: str = "store") -> dict:
    """Per store (and per day, ISO week or month when `group` says so) over the store-local days
    [since, until]; each row also breaks sales down by service category. Read from the KPI day book
    (`kpi_days`), so the work grows with stores x days, not with invoices."""
    days = [KpiDay.business_date >= since, KpiDay.business_date <= until]
    category_days = [KpiDayCategory.business_date >= since, KpiDayCategory.business_date <= until]
    if stores is not None:
        days.append(KpiDay.store_id.in_(stores))
        category_days.append(KpiDayCategory.store_id.in_(stores))
    totals: dict[tuple[str, str | None], dict] = defaultdict(lambda: defaultdict(int))
    for row in session.execute(select(KpiDay).where(*days)).scalars():
        if not (row.car_count or row.parts_cost_fen):
            continue  # a day whose only invoice was voided
        bucket = totals[(row.store_id, period_of(row.business_date, group))]
        for name in ("car_count", "labour_fen", "parts_fen", "fees_fen", "parts_cost_fen"):
            bucket[name] += getattr(row, name)
        bucket["billed_hours"] += Decimal(row.billed_hours)
        bucket["clocked_hours"] += Decimal(row.clocked_hours)
    categories: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in session.execute(select(KpiDayCategory).where(*category_days)).scalars():
        categories[(row.store_id, period_of(row.business_date, group))][row.category] += row.net_fen
    keys = set(totals)
    if group == "store":
        keys |= {(store, None) for store in stores or []}
    items = []
    for store_id, period in sorted(keys, key=lambda k: (k[0], k[1] or "")):
        bucket = totals.get((store_id, period), {})
        cars, labour, parts, fees, parts_cost = (
            bucket.get(name, 0) for name in ("car_count", "labour_fen", "parts_fen", "fees_fen", "parts_cost_fen"))
        billed, clocked = bucket.get("billed_hours", Decimal(0)), bucket.get("clocked_hours", Decimal(0))
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


def chart() -> list[dict]:
    return [{"code": code, "name": name, "type": kind} for code, (name, kind) in CHART.items()]
