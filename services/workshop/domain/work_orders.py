"""The work order and its state machine (binding names, ../shared/API.md):

    open → dispatched → in_progress → qc → (in_progress on QC fail) → completed → delivered
    open | dispatched | in_progress | qc → cancelled

Any other transition is a Conflict (409) naming the current state. How other services' facts open,
cancel and hold a work order is `order_facts`, which builds on this module (as `clock` does).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.outbox import record_event
from services.common.policy import in_visible_stores
from services.common.schemas import page
from services.contracts.rpc.workshop.work_orders import (CANCELLED, COMPLETED, DELIVERED, DISPATCHED, IN_PROGRESS,
                                                         OPEN, QC)

from ..models import Assignment, Job, StatusChange, WorkOrder

ACTIVE = (OPEN, DISPATCHED, IN_PROGRESS, QC)
"""States in which the workshop still works on the car."""

TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({DISPATCHED, CANCELLED}),
    DISPATCHED: frozenset({IN_PROGRESS, CANCELLED}),
    IN_PROGRESS: frozenset({QC, CANCELLED}),
    QC: frozenset({IN_PROGRESS, COMPLETED, CANCELLED}),
    COMPLETED: frozenset({DELIVERED}),
    DELIVERED: frozenset(),
    CANCELLED: frozenset(),
}

def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str, action: str | None = None) -> None:
    """Raise Conflict naming the current state unless `current → target` is in the state machine."""
    if not can_transition(current, target):
        what = action or f"move it to {target}"
        raise Conflict(f"The work order is {current}; cannot {what}.",
                       fields={"status": [current]}, code="work_order_state", params={"status": current})


def require_state(work_order: WorkOrder, allowed: tuple[str, ...], action: str) -> None:
    """For actions that are not transitions (dispatching again, inspecting): Conflict outside `allowed`."""
    if work_order.status not in allowed:
        raise Conflict(f"The work order is {work_order.status}; cannot {action}.",
                       fields={"status": [work_order.status]}, code="work_order_state",
                       params={"status": work_order.status})


def transition(session: Session, work_order: WorkOrder, target: str, *, by: str | None = None,
               reason: str | None = None, action: str | None = None, at: datetime | None = None) -> None:
    check_transition(work_order.status, target, action)
    now = at or utcnow()
    work_order.history.append(StatusChange(from_status=work_order.status, to_status=target, at=now,
                                           by_user_id=by, reason=reason))
    before = work_order.status
    work_order.status = target
    work_order.status_changed_at = now
    touch(work_order)
    status_changed(session, work_order, before)


def status_changed(session: Session, work_order: WorkOrder, before: str | None) -> None:
    """`workshop.work_order_status_changed`: the store's board moves the card (the live stream)."""
    record_event(session, "work_order_status_changed", {
        "work_order_id": work_order.id, "order_id": work_order.order_id, "store_id": work_order.store_id,
        "customer_id": work_order.customer_id, "vehicle_id": work_order.vehicle_id, "from_status": before,
        "to_status": work_order.status, "changed_at": work_order.status_changed_at.isoformat()},
        store_id=work_order.store_id)


def touch(work_order: WorkOrder) -> None:
    """Every change bumps the version clients may send back as `expected_version`."""
    work_order.version = (work_order.version or 0) + 1


def check_version(work_order: WorkOrder, expected: int | None) -> None:
    if expected is not None and expected != work_order.version:
        raise Conflict(f"The work order changed meanwhile (version {work_order.version}, you saw {expected}); "
                       "reload it and try again.", fields={"expected_version": [str(work_order.version)]},
                       code="work_order_changed")


# -- reading -----------------------------------------------------------------------------------

TECHNICIANS_BY_NAME = (selectinload(WorkOrder.jobs).selectinload(Job.assignments).joinedload(Assignment.technician)
                       .lazyload("*"))
"""A work order's technicians as its view shows them, by name: their skills, shifts, certifications, trainings and
days off (five statements) loaded only where they are used."""


def get_work_order(session: Session, work_order_id: str, caller: Caller | None = None, *,
                   lock: bool = False) -> WorkOrder:
    """The work order, row-locked for the rest of the transaction when `lock` (PostgreSQL), after
    checking the caller may see its store."""
    query = select(WorkOrder).where(WorkOrder.id == work_order_id).options(TECHNICIANS_BY_NAME)
    if lock:
        query = query.with_for_update()
    work_order = session.scalars(query).first()
    if work_order is None:
        raise NotFound(f"No work order {work_order_id}.")
    if caller is not None:
        caller.require_store(work_order.store_id)
    return work_order


def attachment_owner(session: Session, caller: Caller, work_order_id: str) -> dict:
    """A work order as the owner of general photos and files (the car's papers, a part's box): its store's
    scope; files are kept whatever its state (a photo of the delivered car is still evidence)."""
    work_order = get_work_order(session, work_order_id, caller)
    return {"store_id": work_order.store_id, "owner_type": "work_order", "owner_id": work_order.id,
            "parent_id": work_order.id}


def get_job(work_order: WorkOrder, job_id: str) -> Job:
    for job in work_order.jobs:
        if job.id == job_id:
            return job
    raise NotFound(f"No job {job_id} on work order {work_order.id}.")


def list_work_orders(session: Session, caller: Caller, filters: dict) -> dict:
    query = in_visible_stores(select(WorkOrder).options(TECHNICIANS_BY_NAME), WorkOrder.store_id, caller,
                              filters.get("store_id"))
    for name in ("status", "vehicle_id", "order_id", "customer_id", "bay_id"):
        if filters.get(name):
            query = query.where(getattr(WorkOrder, name) == filters[name])
    for name in ("waiting_parts", "comeback"):
        if filters.get(name) is not None:
            query = query.where(getattr(WorkOrder, name).is_(filters[name]))
    if filters.get("cursor"):
        query = query.where(WorkOrder.id < filters["cursor"])
    rows = session.scalars(query.order_by(WorkOrder.id.desc()).limit(filters["limit"] + 1)).all()
    return page(list(rows), filters["limit"], key=lambda wo: wo.id)
