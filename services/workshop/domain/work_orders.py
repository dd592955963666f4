"""The work order and its state machine (binding names, ../shared/API.md):

    open → dispatched → in_progress → qc → (in_progress on QC fail) → completed → delivered
    open | dispatched | in_progress | qc → cancelled

Any other transition is a Conflict (409) naming the current state. Work orders are opened from
`sales.order_confirmed` (one per order, one job per labour line, the part lines as the parts
list) and cancelled by `sales.order_cancelled`; inventory's reservation results set or clear
`waiting_parts`. A comeback (返修) is the car back for the same fault: a new work order of the vehicle
that repeats a repair operation (`COMEBACK_CATEGORIES`) within the warranty window of an earlier one's
completion; a routine service done again (a second oil change) is not one.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.money import to_qty
from services.common.policy import in_visible_stores
from services.common.schemas import page

from ..models import Job, PendingOrderFact, StatusChange, WorkOrder, WorkOrderPart

log = logging.getLogger(__name__)

OPEN, DISPATCHED, IN_PROGRESS, QC = "open", "dispatched", "in_progress", "qc"
COMPLETED, DELIVERED, CANCELLED = "completed", "delivered", "cancelled"
STATES = (OPEN, DISPATCHED, IN_PROGRESS, QC, COMPLETED, DELIVERED, CANCELLED)
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

COMEBACK_WINDOW = timedelta(days=30)
"""The workmanship warranty: the same repair within it is rework, after it a new repair."""
COMEBACK_CATEGORIES = frozenset({"repair", "electrical", "bodywork", "paint"})
"""Catalogue categories of work that fixes a fault. Maintenance, inspection, diagnosis, tyres and car care
recur by design; a line without a category (no operation, or an order from before categories were sent)
is not counted either."""


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
    work_order.status = target
    work_order.status_changed_at = now
    touch(work_order)


def touch(work_order: WorkOrder) -> None:
    """Every change bumps the version clients may send back as `expected_version`."""
    work_order.version = (work_order.version or 0) + 1


def check_version(work_order: WorkOrder, expected: int | None) -> None:
    if expected is not None and expected != work_order.version:
        raise Conflict(f"The work order changed meanwhile (version {work_order.version}, you saw {expected}); "
                       "reload it and try again.", fields={"expected_version": [str(work_order.version)]},
                       code="work_order_changed")


# -- reading -----------------------------------------------------------------------------------

def get_work_order(session: Session, work_order_id: str, caller: Caller | None = None, *,
                   lock: bool = False) -> WorkOrder:
    """The work order, row-locked for the rest of the transaction when `lock` (PostgreSQL), after
    checking the caller may see its store."""
    query = select(WorkOrder).where(WorkOrder.id == work_order_id)
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
    query = in_visible_stores(select(WorkOrder), WorkOrder.store_id, caller, filters.get("store_id"))
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


# -- opening from an order ------------------------------------------------------------------------

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
    pending = session.get(PendingOrderFact, payload["order_id"])
    if pending is not None:
        if pending.parts_lines is not None:
            apply_parts_status(work_order, pending.waiting_parts, pending.parts_lines)
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
    from .clock import close_open_entries  # the clock module depends on this one
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
