"""A store's monthly KPI targets, and the target of any range of days: an amount or a count (revenue, cars) is
each month's target in the share of its days the range covers, and none unless every month of the range has
one; a rate or a score is the months' targets weighted by the days of each in the range that has one. A KPI no
month of the range has a target for has none."""
from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.db import one_or_created, utcnow
from services.common.errors import Invalid
from services.common.money import round_fen

from ..models import KpiTarget

SUMMED = ("sales_fen", "car_count")
"""Targets of a whole month, shared out by days."""
AVERAGED = ("parts_gross_profit_pct", "labour_gross_profit_pct", "technician_efficiency_pct", "average_satisfaction")
"""Targets of a rate, the same on every day of the month."""
KPIS = SUMMED + AVERAGED


def set_targets(session: Session, store_id: str, month: str, data: dict, by: str | None) -> KpiTarget:
    """The month's targets as given (a KPI given as null has none); one row per store and month."""
    target = one_or_created(session, select(KpiTarget).filter_by(store_id=store_id, month=month),
                            lambda: KpiTarget(store_id=store_id, month=month))
    for name in KPIS:
        setattr(target, name, data.get(name))
    target.updated_by, target.updated_at = by, utcnow()
    session.flush()
    return target


def month_days(month: str) -> int:
    """How many days YYYY-MM has."""
    return calendar.monthrange(*map(int, month.split("-")))[1]


def months_of(first: date, last: date) -> dict[str, int]:
    """YYYY-MM → how many days of [first, last] fall in it."""
    days: dict[str, int] = defaultdict(int)
    day = first
    while day <= last:
        month_end = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        span_end = min(month_end, last)
        days[f"{day:%Y-%m}"] += (span_end - day).days + 1
        day = span_end + timedelta(days=1)
    return dict(days)


MAX_MONTHS = 24


def months_between(first: str, last: str) -> list[str]:
    """YYYY-MM from `first` to `last`, at most MAX_MONTHS of them (Invalid on `to` beyond, or before `from`)."""
    year, month = map(int, first.split("-"))
    end_year, end_month = map(int, last.split("-"))
    count = (end_year - year) * 12 + end_month - month + 1
    if not 0 < count <= MAX_MONTHS:
        raise Invalid(f"From `from` to `to` is 1 to {MAX_MONTHS} months.", fields={"to": ["Out of range."]},
                      code="month_range", params={"most": MAX_MONTHS})
    return [f"{year + (month - 1 + n) // 12}-{(month - 1 + n) % 12 + 1:02d}" for n in range(count)]


def listed(session: Session, store_ids: list[str], months: list[str]) -> list[KpiTarget]:
    if not store_ids or not months:
        return []
    return list(session.execute(select(KpiTarget).where(KpiTarget.store_id.in_(store_ids),
                                                        KpiTarget.month.in_(months))
                                .order_by(KpiTarget.store_id, KpiTarget.month)).scalars())


def for_range(session: Session, store_ids: list[str], first: date, last: date) -> dict[str, dict]:
    """store id → each KPI's target over [first, last] (None where no month of it has one); stores with no
    target at all are left out."""
    days = months_of(first, last)
    found: dict[str, list[KpiTarget]] = defaultdict(list)
    for target in listed(session, store_ids, sorted(days)):
        found[target.store_id].append(target)
    return {store_id: prorated(targets, days) for store_id, targets in found.items()}


def prorated(targets: list[KpiTarget], days: dict[str, int]) -> dict:
    """The targets of the months in `days` (month → days of the range in it) over the range."""
    out: dict = {}
    for name in SUMMED:  # only where every month of the range has one: a part would set the whole range's
        # figure against some days' target (30 days' revenue against 7 days' target: 达成 400 %)
        shares = [Decimal(getattr(t, name)) * days[t.month] / month_days(t.month)
                  for t in targets if getattr(t, name) is not None]
        out[name] = round_fen(sum(shares, Decimal(0))) if shares and len(shares) == len(days) else None
    for name in AVERAGED:
        weighted = [(Decimal(getattr(t, name)), days[t.month]) for t in targets if getattr(t, name) is not None]
        covered = sum(weight for _, weight in weighted)
        out[name] = (str((sum((value * weight for value, weight in weighted), Decimal(0)) / covered)
                         .quantize(Decimal("0.01"))) if covered else None)
    out["aro_fen"] = (round_fen(Decimal(out["sales_fen"]) / out["car_count"])
                      if out["sales_fen"] is not None and out["car_count"] else None)
    return out
