"""A work order as other services' facts shape it: opened from `sales.order_confirmed` (one per
order, one job per labour line, the part lines as the parts list), cancelled by
`sales.order_cancelled` (clocking out whoever is on it), and `waiting_parts` set or cleared by
inventory's reservation results. A fact may arrive before the order it is about: it is parked
(`PendingOrderFact`) and applied when the work order opens.

A comeback (返修) is the car back for the same fault: a new work order of the vehicle that repeats a
repair operation (`COMEBACK_CATEGORIES`) within the warranty window of an earlier one's completion; a
routine service done again (a second oil change) is not one.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.db import utcnow
from services.common.money import to_qty

from ..models import Job, PendingOrderFact, StatusChange, WorkOrder, WorkOrderPart
from .clock import close_open_entries
from .work_orders import CANCELLED, COMPLETED, DELIVERED, OPEN, can_transition, status_changed, touch, transition

log = logging.getLogger(__name__)

COMEBACK_WINDOW = timedelta(days=30)
"""The workmanship warranty: the same repair within it is rework, after it a new repair."""
COMEBACK_CATEGORIES = frozenset({"repair", "electrical", "bodywork", "paint"})
"""Catalogue categories of work that fixes a fault. Maintenance, inspection, diagnosis, tyres and car care
recur by design; a line without a category (no operation, or an order from before categories were sent)
is not counted either."""


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else None


def jobs_and_parts(lines: list[dict]) -> tuple[list[dict], list[dict]]:
    """One job per labour line, one part per part line; fees are not workshop work."""
    jobs, parts = [], []
    for line in lines:
        if line["kind"] == "labour":
            jobs.append({"line_id": line["line_id"], "op_code": line.get("op_code"), "skill": line.get("skill"),
                         "description": line["description"],
                         "billed_hours": to_qty(line.get("hours") if line.get("hours") is not None
                                                else line.get("qty") or 0)})
        elif line["kind"] == "part":
            parts.append({"line_id": line["line_id"], "sku": line.get("sku"), "description": line["description"],
                          "qty": to_qty(line["qty"])})
    return jobs, parts


def repair_codes(lines: list[dict]) -> set[str]:
    """The operation codes of an order's labour lines whose repetition would be a comeback."""
    return {line["op_code"] for line in lines
            if line["kind"] == "labour" and line.get("op_code") and line.get("op_category") in COMEBACK_CATEGORIES}


def find_comeback(session: Session, vehicle_id: str | None, op_codes: set[str],
                  now: datetime) -> tuple[str, set[str]] | None:
    """The latest earlier work order of the vehicle completed within the window with one of the
    (repair) operations, and which operations repeat."""
    if not vehicle_id or not op_codes:
        return None
    rows = session.execute(
        select(WorkOrder.id, Job.op_code)
        .join(Job, Job.work_order_id == WorkOrder.id)
        .where(WorkOrder.vehicle_id == vehicle_id, WorkOrder.status.in_((COMPLETED, DELIVERED)),
               WorkOrder.completed_at >= now - COMEBACK_WINDOW, Job.op_code.in_(sorted(op_codes)))
        .order_by(WorkOrder.completed_at.desc())).all()
    if not rows:
        return None
    return rows[0][0], {op for _wo, op in rows}


def serialize_order_facts(session: Session, order_id: str) -> None:
    """Facts about one order (confirmed, cancelled, parts reserved/short) arrive on different queues
    and may be handled at the same moment by different workers. On PostgreSQL they take turns per
    order (a transaction-scoped advisory lock), so a fact that arrives before the work order is
    opened is either seen by the opening or parked where the opening finds it — never lost in between.
    SQLite serialises writers anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                        {"key": f"workshop-order:{order_id}"})


def open_from_order(session: Session, payload: dict) -> WorkOrder | None:
    """`sales.order_confirmed` → a work order. An order already opened is left alone (a republished
    event with a new id must not open a second one either)."""
    serialize_order_facts(session, payload["order_id"])
    existing = session.scalars(select(WorkOrder).where(WorkOrder.order_id == payload["order_id"])).first()
    if existing is not None:
        log.info("work order already open for order", extra={"order_id": payload["order_id"]})
        return existing
    now = utcnow()
    jobs, parts = jobs_and_parts(payload["lines"])
    work_order = WorkOrder(
        store_id=payload["store_id"], order_id=payload["order_id"], order_number=payload["order_number"],
        visit_id=payload.get("visit_id"), quote_id=payload.get("quote_id"), customer_id=payload["customer_id"],
        vehicle_id=payload.get("vehicle_id"), advisor_id=payload.get("advisor_id"),
        promised_at=_parse_time(payload.get("promised_at")), status=OPEN, status_changed_at=now, opened_at=now,
        version=1, waiting_parts=False, comeback=False, rework_count=0, qc_passed=False)
    work_order.jobs = [Job(position=i, **job) for i, job in enumerate(jobs)]
    work_order.parts = [WorkOrderPart(position=i, **part) for i, part in enumerate(parts)]
    comeback = find_comeback(session, work_order.vehicle_id, repair_codes(payload["lines"]), now)
    if comeback:
        work_order.comeback, work_order.comeback_of_id = True, comeback[0]
        for job in work_order.jobs:
            job.comeback = job.op_code in comeback[1]
    work_order.history = [StatusChange(from_status=None, to_status=OPEN, at=now,
                                       reason=f"order {payload['order_number']} confirmed")]
    try:
        with session.begin_nested():  # a failed insert is rolled back (and expunged) alone
            session.add(work_order)
            session.flush()
    except IntegrityError:  # the same order opened concurrently by another worker
        existing = session.scalars(select(WorkOrder).where(WorkOrder.order_id == payload["order_id"])).first()
        if existing is None:
            raise
        return existing
    status_changed(session, work_order, None)
    pending = session.get(PendingOrderFact, payload["order_id"])
    if pending is not None:
        if pending.parts_lines is not None:
            apply_parts_status(work_order, bool(pending.waiting_parts), pending.parts_lines)
        if pending.cancelled_reason is not None:
            transition(session, work_order, CANCELLED, reason=pending.cancelled_reason, at=now)
            work_order.cancel_reason, work_order.cancelled_at = pending.cancelled_reason, now
        session.delete(pending)
    return work_order


def _pending(session: Session, order_id: str) -> PendingOrderFact:
    pending = session.get(PendingOrderFact, order_id)
    if pending is None:
        pending = PendingOrderFact(order_id=order_id)
        session.add(pending)
    return pending


def _by_order(session: Session, order_id: str, lock: bool = True) -> WorkOrder | None:
    query = select(WorkOrder).where(WorkOrder.order_id == order_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def cancel_for_order(session: Session, payload: dict) -> WorkOrder | None:
    """`sales.order_cancelled`: cancel the work order; one already completed or delivered stays as
    it is (the car was serviced; sales settles the rest). Anyone clocked in is clocked out."""
    serialize_order_facts(session, payload["order_id"])
    work_order = _by_order(session, payload["order_id"])
    reason = payload.get("reason") or "order cancelled"
    if work_order is None:
        _pending(session, payload["order_id"]).cancelled_reason = reason
        return None
    if not can_transition(work_order.status, CANCELLED):
        log.warning("order cancelled after its work order finished; left as is",
                    extra={"order_id": payload["order_id"], "status": work_order.status})
        return work_order
    now = utcnow()
    close_open_entries(session, work_order, now, note="order cancelled")
    transition(session, work_order, CANCELLED, reason=reason, at=now)
    work_order.cancel_reason, work_order.cancelled_at = reason, now
    return work_order


def apply_parts_status(work_order: WorkOrder, waiting: bool, lines: list[dict]) -> None:
    by_sku: dict[str, dict] = {}
    for line in lines:
        by_sku.setdefault(line["sku"], {"reserved": Decimal(0), "short": Decimal(0)})
        by_sku[line["sku"]]["reserved"] += to_qty(line["qty_reserved"])
        by_sku[line["sku"]]["short"] += to_qty(line["qty_short"])
    for part in work_order.parts:
        if part.sku in by_sku:
            part.qty_reserved = by_sku[part.sku]["reserved"]
            part.qty_short = by_sku[part.sku]["short"]
            by_sku[part.sku] = {"reserved": Decimal(0), "short": Decimal(0)}  # counted once per SKU
    if work_order.waiting_parts != waiting:
        work_order.waiting_parts = waiting
        touch(work_order)


def parts_status(session: Session, payload: dict, waiting: bool) -> WorkOrder | None:
    """`inventory.stock_shortage` (waiting) / `inventory.stock_reserved` (not waiting)."""
    serialize_order_facts(session, payload["order_id"])
    work_order = _by_order(session, payload["order_id"])
    lines = [{"sku": line["sku"], "qty_reserved": str(line["qty_reserved"]), "qty_short": str(line["qty_short"])}
             for line in payload["lines"]]
    if work_order is None:
        pending = _pending(session, payload["order_id"])
        pending.waiting_parts, pending.parts_lines = waiting, lines
        return None
    if work_order.status in (CANCELLED, DELIVERED):
        return work_order
    apply_parts_status(work_order, waiting, lines)
    return work_order
