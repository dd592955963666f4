"""Completing (actual labour hours per technician, the parts actually used) and delivering (mileage
out, the customer's acceptance) a work order, each announced with its event."""
from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid
from services.common.money import to_qty
from services.common.outbox import record_event
from services.common.policy import MANAGERS

from ..models import WorkOrder, WorkOrderPart
from .clock import clocked_hours, entries_of
from .work_orders import COMPLETED, DELIVERED, QC, check_transition, get_work_order, transition


def actual_hours(assignments: Collection[tuple[str, str]], clocked: dict[tuple[str, str], Decimal],
                 corrections: list[dict]) -> dict[tuple[str, str], Decimal]:
    """(job, technician) → hours: what was clocked, unless the foreman corrected it (a forgotten
    clock-out); a correction must name someone dispatched to that job."""
    hours = {key: clocked.get(key, Decimal(0)) for key in assignments}
    for correction in corrections:
        key = (correction["job_id"], correction["technician_id"])
        if key not in assignments:
            raise Invalid("Hours can only be recorded for a technician dispatched to that job.",
                          fields={"labour": [f"{key[1]} is not on job {key[0]}."]},
                          code="hours_for_technician_not_on_job")
        hours[key] = to_qty(correction["hours"])
    return hours


def parts_used(work_order: WorkOrder, reported: list[dict] | None) -> list[dict]:
    """What was fitted: as reported (may differ from what was ordered and reserved), else the
    order's parts list. Records `qty_used` per part line; parts not on the order are added."""
    if reported is None:
        reported = [{"sku": p.sku, "qty": p.qty, "line_id": p.line_id} for p in work_order.parts if p.sku]
    used = []
    remaining = {p.id: p for p in work_order.parts}
    for part in work_order.parts:
        part.qty_used = Decimal(0)
    for item in reported:
        qty = to_qty(item["qty"])
        match = next((p for p in remaining.values() if item.get("line_id") and p.line_id == item["line_id"]), None) \
            or next((p for p in remaining.values() if p.sku == item["sku"]), None) \
            or next((p for p in work_order.parts if p.sku == item["sku"]), None)  # the same SKU reported twice
        if match is None:
            match = WorkOrderPart(position=len(work_order.parts), line_id=None, sku=item["sku"],
                                  description=item.get("description") or item["sku"], qty=Decimal(0),
                                  qty_used=Decimal(0))
            work_order.parts.append(match)
        else:
            remaining.pop(match.id, None)
        match.qty_used = (match.qty_used or Decimal(0)) + qty
        used.append({"sku": item["sku"], "qty": qty, "line_id": match.line_id})
    return used


def complete(session: Session, caller: Caller, work_order_id: str, data: dict) -> WorkOrder:
    work_order = get_work_order(session, work_order_id, caller, lock=True)
    check_transition(work_order.status, COMPLETED, "complete it")
    if work_order.status == QC and not work_order.qc_passed:
        raise Conflict("QC has not passed yet; record a passing QC first.", fields={"status": [QC]},
                       code="qc_not_passed")
    assignments = {(job.id, a.technician_id): a for job in work_order.jobs for a in job.assignments}
    hours = actual_hours(assignments, clocked_hours(entries_of(session, work_order.id)), data.get("labour") or [])
    for key, assignment in assignments.items():
        assignment.actual_hours = hours[key]
    used = parts_used(work_order, data.get("parts_used"))
    now = utcnow()
    transition(session, work_order, COMPLETED, by=caller.user_id, reason=data.get("notes"), action="complete it",
               at=now)
    work_order.completed_at = now
    session.flush()
    payload = {
        "work_order_id": work_order.id, "order_id": work_order.order_id, "store_id": work_order.store_id,
        "customer_id": work_order.customer_id, "vehicle_id": work_order.vehicle_id,
        "jobs": [{"job_id": job.id, "line_id": job.line_id, "op_code": job.op_code, "billed_hours": job.billed_hours,
                  "technicians": [{"technician_id": a.technician_id, "user_id": a.technician.user_id,
                                   "hours": a.actual_hours, "split_pct": a.split_pct} for a in job.assignments]}
                 for job in work_order.jobs],
        "parts_used": used, "comeback": work_order.comeback, "completed_at": now.isoformat()}
    record_event(session, "work_order_completed", payload, store_id=work_order.store_id)
    return work_order


def release_override(balance: dict, caller: Caller, reason: str | None) -> dict | None:
    """A car leaves paid for. With an open balance (or before its invoice is issued: nothing can
    have been paid) it leaves only on a store manager's or HQ's override with a reason; returns
    that override (to audit), None when the invoice is settled. `balance`: finance's
    `get_order_balance`."""
    if balance.get("invoice_id") and balance["due_fen"] <= 0:
        return None
    if not reason:
        owed = "its invoice is not issued yet" if not balance.get("invoice_id") else \
            f"{balance['due_fen']} fen are still due on its invoice"
        raise Conflict(f"The car cannot be delivered: {owed}. Take payment first, or a store manager "
                       "delivers it with a reason (override_reason).", code="delivery_balance_open")
    if caller.role not in MANAGERS:
        raise Forbidden("Only a store manager or HQ may deliver a car with an open balance.",
                        code="delivery_override_needs_manager")
    return {"invoice_id": balance.get("invoice_id"), "due_fen": balance.get("due_fen"), "reason": reason}


def deliver(session: Session, caller: Caller, work_order_id: str, data: dict, balance: dict) -> WorkOrder:
    """`balance`: the invoice's, asked of finance before this transaction began."""
    work_order = get_work_order(session, work_order_id, caller, lock=True)
    now = utcnow()
    check_transition(work_order.status, DELIVERED, "deliver it")  # a state error before a payment one
    override = release_override(balance, caller, data.get("override_reason"))
    transition(session, work_order, DELIVERED, by=caller.user_id, reason=data.get("comment"),
               action="deliver it", at=now)
    if override:
        record_audit(session, caller, "delivered_with_open_balance", "work_order", work_order.id,
                     store_id=work_order.store_id, details={"order_id": work_order.order_id, **override})
    work_order.delivered_at = now
    work_order.mileage_out_km = data.get("mileage_out_km")
    work_order.accepted_by = data["accepted_by"]
    work_order.accepted_at = data.get("accepted_at") or now
    work_order.satisfied = data.get("satisfied")
    work_order.customer_comment = data.get("comment")
    session.flush()
    record_event(session, "vehicle_delivered", {
        "work_order_id": work_order.id, "order_id": work_order.order_id, "store_id": work_order.store_id,
        "customer_id": work_order.customer_id, "vehicle_id": work_order.vehicle_id,
        "mileage_out_km": work_order.mileage_out_km, "satisfied": work_order.satisfied,
        "delivered_at": now.isoformat()}, store_id=work_order.store_id)
    return work_order
