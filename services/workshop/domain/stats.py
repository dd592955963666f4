"""The foreman's numbers over the work orders completed in a period (store-local days): comeback
rate, first-time QC pass rate, cycle time, per technician billed vs clocked hours, and the store's
labour cost (clocked hours × hourly cost) and productivity (clocked ÷ available shift hours)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.common.periods import period_of, periods

from ..models import Assignment, Finding, Inspection, Job, Technician, WorkOrder
from .bays import day_bounds

PLACES = Decimal("0.001")


def _ratio(part: Decimal | int, whole: Decimal | int, scale: int = 100) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * scale / Decimal(whole)).quantize(PLACES, rounding=ROUND_HALF_UP)


def billed_share(billed_hours: Decimal, split_pct: Decimal) -> Decimal:
    """A technician's share of a job's billed hours by their dispatch split."""
    return (billed_hours * split_pct / 100).quantize(PLACES, rounding=ROUND_HALF_UP)


def shift_hours(technician: Technician, first: date, last: date) -> Decimal:
    """Hours on shift over the days (an overnight shift counts for the day it starts), days off excluded."""
    days_off = set(technician.days_off)
    total = Decimal(0)
    day = first
    while day <= last:
        if day not in days_off:
            for shift in technician.shifts:
                if shift.weekday == day.weekday():
                    start, end = datetime.combine(day, shift.starts_at), datetime.combine(day, shift.ends_at)
                    if end <= start:
                        end += timedelta(days=1)
                    total += Decimal((end - start).total_seconds()) / 3600
        day += timedelta(days=1)
    return total.quantize(PLACES, rounding=ROUND_HALF_UP)


def workshop_stats(session: Session, store_id: str, first: date, last: date, time_zone: str) -> dict:
    return workshop_stats_by_period(session, store_id, first, last, time_zone)[0]


def workshop_stats_by_period(session: Session, store_id: str, first: date, last: date, time_zone: str,
                             group: str | None = None) -> list[dict]:
    """The figures per day, ISO week or month of the range (`group`; none: one row for the range): a
    work order counts in the period of its store-local completion day, shift hours in the period's days.
    The range is read once, whatever the number of periods."""
    start, _ = day_bounds(first, time_zone)
    _, end = day_bounds(last, time_zone)
    orders = session.execute(  # the columns the figures need, not whole orders (a month is hundreds)
        select(WorkOrder.id, WorkOrder.opened_at, WorkOrder.completed_at, WorkOrder.comeback, WorkOrder.rework_count)
        .where(WorkOrder.store_id == store_id, WorkOrder.completed_at >= start, WorkOrder.completed_at < end)).all()
    rows = session.execute(
        select(Assignment, Job.billed_hours, Job.work_order_id, Technician.name)
        .join(Job, Job.id == Assignment.job_id).join(Technician, Technician.id == Assignment.technician_id)
        .where(Job.work_order_id.in_([w.id for w in orders]))).all() if orders else []
    costs: dict[str, int | None] = dict(session.execute(
        select(Technician.id, Technician.hourly_cost_fen).where(Technician.store_id == store_id)).tuples().all())
    crew = list(session.scalars(select(Technician).where(Technician.store_id == store_id,
                                                         Technician.active.is_(True))))
    zone = ZoneInfo(time_zone)
    by_period: dict[str | None, list] = defaultdict(list)
    for order in orders:
        by_period[period_of(order.completed_at.astimezone(zone).date(), group)].append(order)
    return [{"store_id": store_id, "period": period, "from": since, "to": until, "time_zone": time_zone,
             **_figures(by_period[period], rows, costs, crew, since, until)}
            for period, since, until in periods(first, last, group)]


def _figures(orders: list, rows: Sequence, costs: dict[str, int | None], crew: list[Technician], first: date,
             last: date) -> dict:
    count = len(orders)
    cycle = [Decimal(str((w.completed_at - w.opened_at).total_seconds())) / 3600 for w in orders]
    ids = {w.id for w in orders}
    people: dict[str, dict] = {}
    for assignment, billed, work_order_id, name in rows:
        if work_order_id not in ids:
            continue
        person = people.setdefault(assignment.technician_id, {
            "technician_id": assignment.technician_id, "name": name, "jobs": 0,
            "billed_hours": Decimal(0), "clocked_hours": Decimal(0)})
        person["jobs"] += 1
        person["billed_hours"] += billed_share(billed, assignment.split_pct)
        person["clocked_hours"] += assignment.actual_hours or Decimal(0)
    for person in people.values():
        person["efficiency_pct"] = _ratio(person["billed_hours"], person["clocked_hours"])
    clocked = sum((p["clocked_hours"] for p in people.values()), Decimal(0))
    labour_cost = sum((p["clocked_hours"] * (costs.get(p["technician_id"]) or 0) for p in people.values()),
                      Decimal(0))
    available = sum((shift_hours(technician, first, last) for technician in crew), Decimal(0))
    return {
        "completed": count,
        "comebacks": sum(1 for w in orders if w.comeback),
        "comeback_rate_pct": _ratio(sum(1 for w in orders if w.comeback), count),
        "reworked": sum(1 for w in orders if w.rework_count),
        "first_time_qc_pass_pct": _ratio(sum(1 for w in orders if not w.rework_count), count),
        "average_cycle_hours": (sum(cycle, Decimal(0)) / count).quantize(PLACES, rounding=ROUND_HALF_UP)
        if count else None,
        "clocked_hours": clocked,
        "available_hours": available,
        "productivity_pct": _ratio(clocked, available),
        "labour_cost_fen": int(labour_cost.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        "technicians": sorted(people.values(), key=lambda p: (-p["billed_hours"], p["name"])),
    }


def technician_scorecards(session: Session, store_id: str, first: date, last: date, time_zone: str) -> dict:
    """Each technician's figures over the work orders completed in the store-local days (the people report):
    their jobs and work orders, billed (by split) and clocked hours, the reworked among them (failed QC
    first), and the comebacks completed in the days whose repeated operation was theirs on the earlier
    work order; with the quotes the days' inspection findings were turned into."""
    start, _ = day_bounds(first, time_zone)
    _, end = day_bounds(last, time_zone)
    orders = session.execute(
        select(WorkOrder.id, WorkOrder.comeback, WorkOrder.comeback_of_id, WorkOrder.rework_count)
        .where(WorkOrder.store_id == store_id, WorkOrder.completed_at >= start, WorkOrder.completed_at < end)).all()
    ids = [order.id for order in orders]
    work = session.execute(
        select(Assignment.technician_id, Assignment.split_pct, Assignment.actual_hours, Job.billed_hours,
               Job.work_order_id)
        .join(Job, Job.id == Assignment.job_id).where(Job.work_order_id.in_(ids))).all() if ids else []
    repeated = _repeated_work(session, {order.id: order.comeback_of_id for order in orders
                                        if order.comeback and order.comeback_of_id})
    people = {row.id: row for row in session.execute(
        select(Technician.id, Technician.user_id, Technician.name).where(
            or_(and_(Technician.store_id == store_id, Technician.active.is_(True)),
                Technician.id.in_(sorted({row.technician_id for row in work} | set(repeated))))))}
    cards: dict[str, dict[str, Any]] = {
        technician_id: {"technician_id": technician_id, "user_id": person.user_id, "name": person.name, "jobs": 0,
                        "billed_hours": Decimal(0), "clocked_hours": Decimal(0), "comebacks": 0, "work_orders": set()}
        for technician_id, person in people.items()}
    for row in work:
        card = cards[row.technician_id]
        card["jobs"] += 1
        card["billed_hours"] += billed_share(row.billed_hours, row.split_pct)
        card["clocked_hours"] += row.actual_hours or Decimal(0)
        card["work_orders"].add(row.work_order_id)
    for technician_id, comebacks in repeated.items():
        cards[technician_id]["comebacks"] = len(comebacks)
    reworked = {order.id for order in orders if order.rework_count}
    for card in cards.values():
        card["reworked"] = len(card["work_orders"] & reworked)
        card["work_orders"] = len(card["work_orders"])
    quotes = session.scalars(
        select(Finding.quote_id).join(Inspection, Inspection.id == Finding.inspection_id)
        .where(Inspection.store_id == store_id, Inspection.created_at >= start, Inspection.created_at < end,
               Finding.quote_id.is_not(None)).distinct())
    return {"technicians": sorted(cards.values(), key=lambda card: (card["name"], card["technician_id"])),
            "finding_quotes": sorted(quotes)}


def _repeated_work(session: Session, comebacks: dict[str, str]) -> dict[str, set[str]]:
    """technician id → the comeback work orders (of `comebacks`: comeback → the earlier work order) that repeat an
    operation the technician did on the earlier one."""
    if not comebacks:
        return {}
    repeated: dict[str, set[tuple[str | None, str]]] = defaultdict(set)  # earlier work order → (operation, comeback)
    for work_order_id, op_code in session.execute(select(Job.work_order_id, Job.op_code).where(
            Job.work_order_id.in_(list(comebacks)), Job.comeback.is_(True))):
        repeated[comebacks[work_order_id]].add((op_code, work_order_id))
    blamed: dict[str, set[str]] = defaultdict(set)
    for earlier_id, op_code, technician_id in session.execute(
            select(Job.work_order_id, Job.op_code, Assignment.technician_id)
            .join(Assignment, Assignment.job_id == Job.id).where(Job.work_order_id.in_(set(comebacks.values())))):
        blamed[technician_id] |= {comeback for op, comeback in repeated[earlier_id] if op == op_code}
    return {technician_id: found for technician_id, found in blamed.items() if found}
