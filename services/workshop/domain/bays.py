"""Bays (工位) of a store. A work order in progress (or in QC) occupies its bay: no second one can
start in it. The day's bay plan lists, per bay, the work orders planned, running or finished there
that local day, plus the active work orders that still have no bay."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.errors import Conflict, Invalid

from ..models import Bay, WorkOrder

OCCUPYING = ("in_progress", "qc")
ACTIVE = ("open", "dispatched", "in_progress", "qc")


def create_bay(session: Session, data: dict) -> Bay:
    bay = Bay(**data)
    session.add(bay)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        message = "This store already has a bay with this code."
        raise Conflict(message, fields={"code": [message]},
                       code="bay_code_taken", params={"code": data["code"]}) from exc
    return bay


def list_bays(session: Session, stores: list[str] | None, active: bool | None = None) -> list[Bay]:
    query = select(Bay)
    if stores is not None:
        query = query.where(Bay.store_id.in_(stores))
    if active is not None:
        query = query.where(Bay.active.is_(active))
    return list(session.scalars(query.order_by(Bay.store_id, Bay.code)))


def occupant(session: Session, bay_id: str, other_than: str) -> WorkOrder | None:
    return session.scalars(select(WorkOrder).where(
        WorkOrder.bay_id == bay_id, WorkOrder.status.in_(OCCUPYING), WorkOrder.id != other_than)).first()


def ensure_free(session: Session, work_order: WorkOrder) -> None:
    """Before the work order starts (or while it runs) in its bay: nobody else is in it. The bay row
    is locked so two starts in one bay are serialised."""
    if not work_order.bay_id:
        return
    session.scalars(select(Bay).where(Bay.id == work_order.bay_id).with_for_update()).first()
    other = occupant(session, work_order.bay_id, work_order.id)
    if other is not None:
        raise Conflict(f"Bay is occupied by work order {other.order_number} ({other.status}).",
                       fields={"bay_id": [f"occupied by {other.id}"]},
                       code="bay_occupied", params={"order": other.order_number, "status": other.status})


def assign_bay(session: Session, work_order: WorkOrder, bay_id: str | None) -> None:
    if bay_id is None:
        work_order.bay_id = None
        return
    bay = session.get(Bay, bay_id)
    if bay is None or bay.store_id != work_order.store_id:
        raise Invalid("No such bay in this store.", fields={"bay_id": [f"No bay {bay_id} in this store."]},
                      code="unknown_bay")
    if not bay.active:
        raise Invalid("This bay is out of service.", fields={"bay_id": ["Out of service."]},
                      code="bay_out_of_service", params={"bay": bay.code})
    work_order.bay_id = bay.id
    if work_order.status in OCCUPYING:
        ensure_free(session, work_order)


def day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    """The store-local day as a UTC-aware half-open interval."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def bay_plan(session: Session, store_id: str, day: date, time_zone: str) -> dict:
    start, end = day_bounds(day, time_zone)

    def within(column):
        return and_(column >= start, column < end)

    bays = list_bays(session, [store_id])
    orders = session.scalars(select(WorkOrder).where(
        WorkOrder.store_id == store_id,
        or_(WorkOrder.status.in_(ACTIVE), within(WorkOrder.started_at), within(WorkOrder.completed_at),
            within(WorkOrder.scheduled_start)))
        .order_by(WorkOrder.scheduled_start.is_(None), WorkOrder.scheduled_start, WorkOrder.id)).all()
    by_bay: dict[str | None, list[WorkOrder]] = {}
    for work_order in orders:
        by_bay.setdefault(work_order.bay_id, []).append(work_order)
    plan = []
    for bay in bays:
        assigned = by_bay.get(bay.id, [])
        current = next((w for w in assigned if w.status in OCCUPYING), None)
        plan.append({"bay": bay, "occupied_by": current.id if current else None, "work_orders": assigned})
    unassigned = [w for w in by_bay.get(None, []) if w.status in ACTIVE]
    return {"store_id": store_id, "date": day, "time_zone": time_zone, "bays": plan, "unassigned": unassigned}
