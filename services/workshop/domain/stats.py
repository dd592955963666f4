"""The foreman's numbers over the work orders completed in a period (store-local days): comeback
rate, first-time QC pass rate, cycle time, and per technician billed vs clocked hours."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Assignment, Job, Technician, WorkOrder
from .bays import day_bounds

PLACES = Decimal("0.001")


def _ratio(part: Decimal | int, whole: Decimal | int, scale: int = 100) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * scale / Decimal(whole)).quantize(PLACES, rounding=ROUND_HALF_UP)


def workshop_stats(session: Session, store_id: str, first: date, last: date, time_zone: str) -> dict:
    start, _ = day_bounds(first, time_zone)
    _, end = day_bounds(last, time_zone)
    orders = list(session.scalars(select(WorkOrder).where(
        WorkOrder.store_id == store_id, WorkOrder.completed_at >= start, WorkOrder.completed_at < end)))
    count = len(orders)
    cycle = [Decimal(str((w.completed_at - w.opened_at).total_seconds())) / 3600 for w in orders]
    rows = session.execute(
        select(Assignment, Job.billed_hours, Technician.name)
        .join(Job, Job.id == Assignment.job_id).join(Technician, Technician.id == Assignment.technician_id)
        .where(Job.work_order_id.in_([w.id for w in orders]))).all() if orders else []
    people: dict[str, dict] = {}
    for assignment, billed, name in rows:
        person = people.setdefault(assignment.technician_id, {
            "technician_id": assignment.technician_id, "name": name, "jobs": 0,
            "billed_hours": Decimal(0), "clocked_hours": Decimal(0)})
        person["jobs"] += 1
        person["billed_hours"] += (billed * assignment.split_pct / 100).quantize(PLACES, rounding=ROUND_HALF_UP)
        person["clocked_hours"] += assignment.actual_hours or Decimal(0)
    for person in people.values():
        person["efficiency_pct"] = _ratio(person["billed_hours"], person["clocked_hours"])
    return {
        "store_id": store_id, "from": first, "to": last, "time_zone": time_zone,
        "completed": count,
        "comebacks": sum(1 for w in orders if w.comeback),
        "comeback_rate_pct": _ratio(sum(1 for w in orders if w.comeback), count),
        "reworked": sum(1 for w in orders if w.rework_count),
        "first_time_qc_pass_pct": _ratio(sum(1 for w in orders if not w.rework_count), count),
        "average_cycle_hours": (sum(cycle, Decimal(0)) / count).quantize(PLACES, rounding=ROUND_HALF_UP)
        if count else None,
        "technicians": sorted(people.values(), key=lambda p: (-p["billed_hours"], p["name"])),
    }
