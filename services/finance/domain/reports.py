"""Reports finance owns: the P&L per store and month (from the journal), and the KPIs whose data are
finance's (car count and ARO from invoices, revenue mix, parts gross profit, effective labour rate,
technician efficiency from the hours the workshop reported at completion). Figures owned by other
services are named in `owned_elsewhere` for the gateway to join."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.money import round_fen

from ..models import CostOfSale, Invoice, InvoiceLine
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


def line_category(kind: str, op_code: str | None) -> str:
    """Service category of an invoice line: labour by its operation code, parts and fees together."""
    if kind == "labour":
        return op_code or "labour"
    return "parts" if kind == "part" else "fees"


def kpis(session: Session, stores: list[str] | None, since: date, until: date, group: str = "store") -> dict:
    """Per store (and per day, ISO week or month when `group` says so) over the store-local days
    [since, until]; each row also breaks sales down by service category. Summed in the database per
    store and day (index on store and business date), so the work grows with stores x days, not invoices."""
    counted = [Invoice.business_date >= since, Invoice.business_date <= until, Invoice.status != "void"]
    costed = [CostOfSale.business_date >= since, CostOfSale.business_date <= until]
    if stores is not None:
        counted.append(Invoice.store_id.in_(stores))
        costed.append(CostOfSale.store_id.in_(stores))
    day = (Invoice.store_id, Invoice.business_date)
    totals: dict[tuple[str, str | None], dict] = defaultdict(lambda: defaultdict(int))
    for store, business_date, cars, labour, parts, fees, billed, clocked in session.execute(
            select(*day, func.count(), func.sum(Invoice.labour_fen), func.sum(Invoice.parts_fen),
                   func.sum(Invoice.fees_fen), func.sum(Invoice.billed_hours), func.sum(Invoice.clocked_hours))
            .where(*counted).group_by(*day)):
        bucket = totals[(store, period_of(business_date, group))]
        for name, value in (("cars", cars), ("labour", labour), ("parts", parts), ("fees", fees)):
            bucket[name] += int(value)
        bucket["billed"] += Decimal(billed)
        bucket["clocked"] += Decimal(clocked)
    categories: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for store, business_date, kind, op_code, net in session.execute(
            select(*day, InvoiceLine.kind, InvoiceLine.op_code, func.sum(InvoiceLine.total_fen - InvoiceLine.tax_fen))
            .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id).where(*counted)
            .group_by(*day, InvoiceLine.kind, InvoiceLine.op_code)):
        categories[(store, period_of(business_date, group))][line_category(kind, op_code)] += int(net)
    costs: dict[tuple[str, str | None], int] = defaultdict(int)
    for store, business_date, total in session.execute(
            select(CostOfSale.store_id, CostOfSale.business_date, func.sum(CostOfSale.cost_fen))
            .where(*costed).group_by(CostOfSale.store_id, CostOfSale.business_date)):
        costs[(store, period_of(business_date, group))] += int(total)
    keys = set(totals) | set(costs)
    if group == "store":
        keys |= {(store, None) for store in stores or []}
    items = []
    for store_id, period in sorted(keys, key=lambda k: (k[0], k[1] or "")):
        bucket = totals.get((store_id, period), {})
        cars, labour, parts, fees = (bucket.get(name, 0) for name in ("cars", "labour", "parts", "fees"))
        billed, clocked = bucket.get("billed", Decimal(0)), bucket.get("clocked", Decimal(0))
        sales = labour + parts + fees
        parts_cost = costs.get((store_id, period), 0)
        items.append({
            "store_id": store_id, "period": period, "car_count": cars, "sales_fen": sales, "labour_fen": labour,
            "parts_fen": parts, "fees_fen": fees, "aro_fen": round_fen(Decimal(sales) / cars) if cars else None,
            "parts_cost_fen": parts_cost, "parts_gross_profit_fen": parts - parts_cost,
            "parts_gross_profit_pct": pct(parts - parts_cost, parts),
            "billed_hours": str(billed), "clocked_hours": str(clocked),
            "effective_labour_rate_fen": round_fen(Decimal(labour) / billed) if billed else None,
            "technician_efficiency_pct": pct(billed, clocked),
            "sales_by_category": dict(sorted(categories.get((store_id, period), {}).items()))})
    return {"from": since.isoformat(), "to": until.isoformat(), "group": group, "items": items,
            "owned_elsewhere": OWNED_ELSEWHERE}


def chart() -> list[dict]:
    return [{"code": code, "name": name, "type": kind} for code, (name, kind) in CHART.items()]
