"""Commission (提成) per store rule: technicians earn a percent of labour revenue (tax excluded) and/or
an amount per billed hour on each job, shared by the workshop's dispatch split, plus a percent of the
invoice's parts gross profit (parts revenue − cost issued) shared by their weight on the invoice;
the advisor earns a percent of the invoice's revenue (tax excluded). Results per employee per month
(the month an invoice was issued; void invoices earn nothing), with the month's target and
achievement %."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.db import one_or_created
from services.common.money import round_fen

from ..models import CommissionRule, CommissionTarget, CostOfSale, Invoice
from .targets import month_days, months_of

HUNDRED = Decimal(100)


def percent_of(amount_fen: int, pct: Decimal) -> int:
    return round_fen(Decimal(amount_fen) * Decimal(pct) / HUNDRED)


def split_by_pct(amount_fen: int, shares: list[tuple[str, Decimal]]) -> dict[str, int]:
    """Share an amount by percentages (largest remainder: the parts add up to the whole)."""
    total_pct = sum((Decimal(p) for _, p in shares), Decimal(0))
    if not shares or total_pct <= 0:
        return {}
    exact = [(who, Decimal(amount_fen) * Decimal(p) / total_pct) for who, p in shares]
    floors = {who: 0 for who, _ in shares}
    for who, value in exact:
        floors[who] += int(value // 1)
    remainder = amount_fen - sum(floors.values())
    for who, _value in sorted(exact, key=lambda e: e[1] - (e[1] // 1), reverse=True)[:remainder]:
        floors[who] += 1
    return floors


def job_commission(rule: dict, labour_net_fen: int, billed_hours: Decimal) -> int:
    return percent_of(labour_net_fen, rule["labour_pct"]) + round_fen(
        Decimal(rule["labour_per_hour_fen"]) * Decimal(billed_hours))


def invoice_commissions(rule: dict, invoice: dict, parts_cost_fen: int) -> dict[tuple[str, str], dict]:
    """(employee, role) → {labour_fen, parts_fen, sales_fen, revenue_fen} for one invoice (a plain dict:
    labour lines by line_id with net, jobs with billed hours and technicians, parts and revenue)."""
    out: dict[tuple[str, str], dict] = defaultdict(lambda: {"labour_fen": 0, "parts_fen": 0, "sales_fen": 0,
                                                            "revenue_fen": 0})
    jobs = invoice["jobs"]
    labour_by_line = invoice["labour_by_line"]
    unmatched = sum(net for line_id, net in labour_by_line.items()
                    if line_id not in {job["line_id"] for job in jobs})
    total_hours = sum((Decimal(job["billed_hours"]) for job in jobs), Decimal(0))
    weights: dict[str, Decimal] = defaultdict(Decimal)
    for job in jobs:
        base = labour_by_line.get(job["line_id"], 0)
        if unmatched and total_hours:
            base += round_fen(Decimal(unmatched) * Decimal(job["billed_hours"]) / total_hours)
        shares = [(_who(t), Decimal(t["split_pct"])) for t in job["technicians"]]
        for who, amount in split_by_pct(job_commission(rule, base, Decimal(job["billed_hours"])), shares).items():
            out[(who, "technician")]["labour_fen"] += amount
        for who, amount in split_by_pct(base, shares).items():
            out[(who, "technician")]["revenue_fen"] += amount
        for who, pct in shares:
            weights[who] += Decimal(job["billed_hours"] or 1) * pct
    parts_gp = invoice["parts_fen"] - parts_cost_fen
    if parts_gp > 0 and weights:
        for who, amount in split_by_pct(percent_of(parts_gp, rule["parts_gp_pct"]), list(weights.items())).items():
            out[(who, "technician")]["parts_fen"] += amount
    if invoice.get("advisor_id"):
        advisor = out[(invoice["advisor_id"], "advisor")]
        advisor["sales_fen"] += percent_of(invoice["revenue_fen"], rule["sales_pct"])
        advisor["revenue_fen"] += invoice["revenue_fen"]
    return dict(out)


def _who(technician: dict) -> str:
    return technician.get("user_id") or technician["technician_id"]


def rule_of(session: Session, store_id: str) -> dict:
    rule = session.get(CommissionRule, store_id)
    if rule is None:
        return {"store_id": store_id, "labour_pct": Decimal(0), "labour_per_hour_fen": 0,
                "parts_gp_pct": Decimal(0), "sales_pct": Decimal(0)}
    return {"store_id": store_id, "labour_pct": rule.labour_pct, "labour_per_hour_fen": rule.labour_per_hour_fen,
            "parts_gp_pct": rule.parts_gp_pct, "sales_pct": rule.sales_pct}


def set_rule(session: Session, store_id: str, data: dict) -> dict:
    rule = session.get(CommissionRule, store_id)
    if rule is None:
        rule = CommissionRule(store_id=store_id)
        session.add(rule)
    for key, value in data.items():
        setattr(rule, key, value)
    session.flush()
    return rule_of(session, store_id)


def set_target(session: Session, store_id: str, data: dict) -> CommissionTarget:
    keys = {"store_id": store_id, "employee_id": data["employee_id"], "month": data["month"]}
    target = one_or_created(session, select(CommissionTarget).filter_by(**keys),
                            lambda: CommissionTarget(**keys, target_fen=data["target_fen"]))
    target.target_fen = data["target_fen"]
    session.flush()
    return target


def month_bounds(month: str) -> tuple[date, date]:
    year, mon = (int(x) for x in month.split("-"))
    start = date(year, mon, 1)
    end = date(year + (mon == 12), mon % 12 + 1, 1)
    return start, end


def earned(session: Session, store_id: str, start: date, end: date) -> dict[tuple[str, str], dict]:
    """(employee, role) → what they earned on the store's invoices issued on business days [start, end) (void
    ones earn nothing): labour, parts and sales commission, the revenue credited to them and the invoices."""
    rule = rule_of(session, store_id)
    invoices = session.execute(select(Invoice).where(
        Invoice.store_id == store_id, Invoice.business_date >= start, Invoice.business_date < end,
        Invoice.status != "void")).scalars().all()
    costs: dict[str, int] = dict(session.execute(select(CostOfSale.order_id, func.sum(CostOfSale.cost_fen)).where(
        CostOfSale.order_id.in_([i.order_id for i in invoices])).group_by(CostOfSale.order_id)).tuples().all()) \
        if invoices else {}
    totals: dict[tuple[str, str], dict] = defaultdict(lambda: {"labour_fen": 0, "parts_fen": 0, "sales_fen": 0,
                                                               "revenue_fen": 0, "invoices": 0})
    for invoice in invoices:
        plain = {"jobs": [{"line_id": j.line_id, "billed_hours": j.billed_hours, "technicians": j.technicians}
                          for j in invoice.jobs],
                 "labour_by_line": {line.line_id: line.net_fen for line in invoice.lines if line.kind == "labour"},
                 "parts_fen": invoice.parts_fen, "advisor_id": invoice.advisor_id,
                 "revenue_fen": invoice.labour_fen + invoice.parts_fen + invoice.fees_fen}
        for key, amounts in invoice_commissions(rule, plain, int(costs.get(invoice.order_id, 0))).items():
            for field, value in amounts.items():
                totals[key][field] += value
            totals[key]["invoices"] += 1
    return dict(totals)


def monthly_results(session: Session, store_id: str, month: str) -> dict:
    start, end = month_bounds(month)
    rule = rule_of(session, store_id)
    totals = earned(session, store_id, start, end)
    targets = {t.employee_id: t.target_fen for t in session.execute(select(CommissionTarget).where(
        CommissionTarget.store_id == store_id, CommissionTarget.month == month)).scalars()}
    earning = {who for who, _role in totals}
    for who in targets.keys() - earning:  # a target set, nothing earned yet: shown at 0 % all the same
        totals[(who, "")] = {"labour_fen": 0, "parts_fen": 0, "sales_fen": 0, "revenue_fen": 0, "invoices": 0}
    items = []
    for (who, role), amounts in sorted(totals.items()):
        target = targets.get(who)
        items.append({"employee_id": who, "role": role or None, **amounts,
                      "total_fen": amounts["labour_fen"] + amounts["parts_fen"] + amounts["sales_fen"],
                      "target_fen": target,
                      "achievement_pct": (str((Decimal(amounts["revenue_fen"]) * HUNDRED / target)
                                              .quantize(Decimal("0.1"))) if target else None)})
    return {"store_id": store_id, "month": month, "rule": {k: str(v) for k, v in rule.items()}, "items": items,
            "total_fen": sum(i["total_fen"] for i in items)}


def targets_between(session: Session, store_id: str, first: date, last: date) -> dict[str, int]:
    """employee → their revenue target over the days [first, last]: each month's in the share of its days the range
    covers; none unless every month of the range has one (30 days' revenue against 7 days' target says nothing)."""
    days = months_of(first, last)
    found: dict[str, list[CommissionTarget]] = defaultdict(list)
    for target in session.scalars(select(CommissionTarget).where(
            CommissionTarget.store_id == store_id, CommissionTarget.month.in_(sorted(days)))):
        found[target.employee_id].append(target)
    return {who: round_fen(sum((Decimal(t.target_fen) * days[t.month] / month_days(t.month) for t in rows),
                               Decimal(0)))
            for who, rows in found.items() if len(rows) == len(days)}


def people_figures(session: Session, store_id: str, first: date, last: date) -> list[dict]:
    """The people report's finance figures of a store over business days [first, last]: per employee and role the
    revenue credited to them, their commission and their target over the days (a target set for someone who
    earned nothing is a row with no role)."""
    totals = earned(session, store_id, first, last + timedelta(days=1))
    targets = targets_between(session, store_id, first, last)
    rows = [{"employee_id": who, "role": role, "revenue_fen": amounts["revenue_fen"],
             "commission_fen": amounts["labour_fen"] + amounts["parts_fen"] + amounts["sales_fen"],
             "target_fen": targets.get(who)} for (who, role), amounts in sorted(totals.items())]
    earning = {who for who, _role in totals}
    rows += [{"employee_id": who, "role": None, "revenue_fen": 0, "commission_fen": 0, "target_fen": target}
             for who, target in sorted(targets.items()) if who not in earning]
    return rows
