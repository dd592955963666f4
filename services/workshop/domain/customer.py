"""The customer channel's view of the workshop: the steps of the signed-in customer's cars."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.errors import NotFound

from ..models import QcResult, WorkOrder


def timeline(session: Session, caller: Caller, vehicle_id: str | None) -> list[dict]:
    """Work started, waiting for parts, QC passed and ready (completed) of the customer's work orders
    (one car with `vehicle_id`); two queries for any number of work orders."""
    query = select(WorkOrder).where(WorkOrder.customer_id == caller.require_customer())
    if vehicle_id:
        query = query.where(WorkOrder.vehicle_id == vehicle_id)
    found = list(session.scalars(query))
    passed: dict[str, datetime] = dict(session.execute(
        select(QcResult.work_order_id, QcResult.created_at).where(
            QcResult.work_order_id.in_([w.id for w in found]), QcResult.passed.is_(True))).tuples().all()) \
        if found else {}  # a Result has keys(): dict() would take it for a mapping
    steps = []
    for work_order in found:
        moments = {"work_started": work_order.started_at, "qc_passed": passed.get(work_order.id),
                   "ready": work_order.completed_at,
                   "waiting_parts": work_order.status_changed_at if work_order.waiting_parts else None}
        steps += [{"step": step, "at": at, "store_id": work_order.store_id, "document_type": "work_order",
                   "document_id": work_order.id, "vehicle_id": work_order.vehicle_id}
                  for step, at in moments.items() if at is not None]
    return steps


def own_work_order(session: Session, caller: Caller, work_order_id: str) -> WorkOrder:
    """One of the customer's work orders; anyone else's is unknown (NotFound)."""
    work_order = session.get(WorkOrder, work_order_id)
    if work_order is None or work_order.customer_id != caller.require_customer():
        raise NotFound(f"No work order {work_order_id}.")
    return work_order


def own_work_orders(session: Session, caller: Caller, vehicle_id: str | None) -> list[WorkOrder]:
    """The customer's work orders (one car with `vehicle_id`), the latest first (at most 50)."""
    query = select(WorkOrder).where(WorkOrder.customer_id == caller.require_customer())
    if vehicle_id:
        query = query.where(WorkOrder.vehicle_id == vehicle_id)
    return list(session.scalars(query.order_by(WorkOrder.opened_at.desc(), WorkOrder.id.desc()).limit(50)))


def acceptance(data: dict) -> dict:
    """The staff's delivery request as the owner's acceptance (验收) on the phone: signed with the
    customer's own name, no odometer reading, never an override of an open balance."""
    return {"accepted_by": data["accepted_by"], "satisfied": data["satisfied"], "comment": data.get("comment"),
            "mileage_out_km": None, "override_reason": None}
