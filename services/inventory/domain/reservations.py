"""Parts promised to sales orders: reserve on `sales.order_confirmed`, issue what was used and
release the rest on `workshop.work_order_completed`, release all on `sales.order_cancelled`."""
from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.money import to_qty
from services.common.outbox import record_event
from services.common.schemas import page

from . import ledger, postings
from ..models import ZERO, Movement, OrderState, Part, Reservation

log = logging.getLogger(__name__)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _sum_by_sku(lines, qty_key: str = "qty") -> "OrderedDict[str, Decimal]":
    wanted: OrderedDict[str, Decimal] = OrderedDict()
    for line in lines:
        sku = ledger.norm_sku(line.get("sku"))
        if not sku:
            continue
        wanted[sku] = wanted.get(sku, ZERO) + to_qty(line["qty"])
    return wanted


def _parts(session: Session, skus) -> dict[str, Part]:
    return {p.sku: p for p in session.scalars(select(Part).where(Part.sku.in_(list(skus))))} if skus else {}


def mark_order(session: Session, order_id: str, store_id: str, status: str) -> OrderState:
    """Record what we know of an order and hold its row for this transaction. A confirmation never
    overwrites a cancellation; two handlers of one order meet here and run one after the other."""
    try:
        with session.begin_nested():
            session.add(OrderState(order_id=order_id, store_id=store_id, status=status, updated_at=utcnow()))
    except IntegrityError:
        pass
    state = session.scalars(select(OrderState).where(OrderState.order_id == order_id)
                            .with_for_update().execution_options(populate_existing=True)).one()
    if status == "cancelled" and state.status != "cancelled":
        state.status = "cancelled"
    return state


def reserve_order(session: Session, payload: dict) -> str | None:
    """Reserve the part lines of a confirmed order at its store; what is missing waits (and the
    order is reported short). Returns the fact published, if any."""
    order_id, store_id = payload["order_id"], payload["store_id"]
    state = mark_order(session, order_id, store_id, "confirmed")
    if state.status == "cancelled":
        log.info("confirmation of an order already cancelled: nothing reserved", extra={"order_id": order_id})
        return None
    if session.scalar(select(Reservation.id).where(Reservation.order_id == order_id).limit(1)):
        log.info("order already reserved", extra={"order_id": order_id})
        return None
    wanted = _sum_by_sku([line for line in payload.get("lines", []) if line.get("kind") == "part"])
    wanted = OrderedDict((sku, qty) for sku, qty in wanted.items() if qty > 0)
    if not wanted:
        return None
    parts = _parts(session, wanted)
    unknown = [{"sku": sku, "qty_requested": qty, "qty_reserved": ZERO, "qty_short": qty}
               for sku, qty in wanted.items() if sku not in parts]
    if unknown:
        log.warning("order names SKUs not in the catalogue",
                    extra={"order_id": order_id, "skus": [line["sku"] for line in unknown]})
    levels = ledger.lock_levels(session, store_id, [p.id for p in parts.values()])
    promised_at = _parse_time(payload.get("promised_at"))
    now = utcnow()
    for sku, qty in wanted.items():
        part = parts.get(sku)
        if part is None:
            continue
        level = levels[part.id]
        take = max(min(level.available, qty), ZERO)
        level.reserved += take
        session.add(Reservation(store_id=store_id, part_id=part.id, sku=sku, order_id=order_id,
                                qty_requested=qty, qty_reserved=take, qty_issued=ZERO, promised_at=promised_at,
                                status="open", created_at=now))
    session.flush()
    record_audit(session, None, "stock_reserved", "order_parts", order_id, store_id=store_id, details={
        "lines": [{"sku": r.sku, "qty_requested": r.qty_requested, "qty_reserved": r.qty_reserved}
                  for r in ledger.order_lines(session, order_id)], "unknown_skus": [line["sku"] for line in unknown]})
    fact = ledger.publish_order_state(session, order_id, store_id, unknown)
    for level in levels.values():
        ledger.check_low(session, level)
    return fact


def release_order(session: Session, payload: dict) -> int:
    """The order was cancelled: everything it held goes back (to waiting orders first)."""
    order_id = payload["order_id"]
    mark_order(session, order_id, payload.get("store_id") or "", "cancelled")
    reservations = ledger.order_lines(session, order_id)
    if not reservations:
        return 0
    store_id = reservations[0].store_id
    levels = ledger.lock_levels(session, store_id, [r.part_id for r in reservations])
    now = utcnow()
    released = []
    for reservation in ledger.order_lines(session, order_id):
        levels[reservation.part_id].reserved -= reservation.qty_reserved
        released.append({"sku": reservation.sku, "qty": reservation.qty_reserved})
        reservation.status, reservation.closed_at = "released", now
    record_audit(session, None, "stock_released", "order_parts", order_id, store_id=store_id,
                 details={"reason": "order_cancelled", "lines": released})
    session.flush()
    ledger.after_stock_in(session, list(levels.values()))
    return len(reservations)


def issue_for_work_order(session: Session, payload: dict) -> dict | None:
    """The work is done: issue what was used (from the order's reservation first, then from free
    stock) at moving average cost, and release what was reserved but not used."""
    order_id, store_id = payload["order_id"], payload["store_id"]
    work_order_id = payload.get("work_order_id") or order_id
    if session.scalar(select(Movement.id).where(Movement.reference_type == "work_order",
                                                Movement.reference_id == work_order_id).limit(1)):
        log.info("work order already issued", extra={"work_order_id": work_order_id})
        return None
    used = _sum_by_sku(payload.get("parts_used", []))
    parts = _parts(session, used)
    for sku in used:
        if sku not in parts:
            log.warning("work order used a SKU not in the catalogue", extra={"sku": sku, "order_id": order_id})
    reserved_parts = [r.part_id for r in ledger.order_lines(session, order_id) if r.store_id == store_id]
    levels = ledger.lock_levels(session, store_id, [p.id for p in parts.values()] + reserved_parts)
    reservations = {r.part_id: r for r in ledger.order_lines(session, order_id) if r.store_id == store_id}
    now = utcnow()
    lines, total = [], 0
    for sku, qty in used.items():
        part = parts.get(sku)
        if part is None or qty <= 0:
            continue
        level = levels[part.id]
        reservation = reservations.pop(part.id, None)
        held = reservation.qty_reserved if reservation else ZERO
        if reservation:
            level.reserved -= held
        take = min(qty, max(level.available, ZERO))  # its own reservation is free again now
        if reservation:
            reservation.qty_issued = take
            reservation.status, reservation.closed_at = "issued", now
        if take < qty:
            log.warning("work order used more than the store holds",
                        extra={"sku": sku, "used": str(qty), "issued": str(take), "order_id": order_id})
        if take <= 0:
            continue
        movements = ledger.stock_out(session, level, "issue", take, reference_type="work_order",
                                     reference_id=work_order_id, user_id=None, note=f"order {order_id}")
        cost = -sum(m.value_fen for m in movements)
        total += cost
        line = {"sku": sku, "qty": take, "unit_cost_fen": ledger.fen(Decimal(cost) / take), "cost_fen": cost}
        if take < qty:
            line["qty_unissued"] = qty - take
        lines.append(line)
    for reservation in reservations.values():  # reserved, not used: released
        levels[reservation.part_id].reserved -= reservation.qty_reserved
        reservation.status, reservation.closed_at = "released", now
    if lines or reservations:
        record_audit(session, None, "stock_issued", "order_parts", order_id, store_id=store_id, details={
            "work_order_id": work_order_id, "lines": lines, "cost_fen": total,
            "released": [{"sku": r.sku, "qty": r.qty_reserved} for r in reservations.values()]})
    postings.take(session)  # announced by `stock_issued` below: finance books them as the cost of sale
    session.flush()
    ledger.after_stock_in(session, list(levels.values()))
    if not lines:
        return None
    payload_out = {"order_id": order_id, "work_order_id": payload.get("work_order_id"), "store_id": store_id,
                   "lines": lines, "cost_fen": total}
    record_event(session, "stock_issued", payload_out, store_id=store_id)
    return payload_out


def release_reservation(session: Session, caller: Caller, reservation_id: str) -> Reservation:
    """A store keeper frees one line by hand (an order that will never come back, a part fitted
    from elsewhere); the stock goes to waiting orders first."""
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound(f"No reservation {reservation_id}.")
    level = ledger.lock_level(session, reservation.store_id, reservation.part_id)
    session.refresh(reservation, with_for_update=True)
    if reservation.status != "open":
        raise Conflict(f"This reservation is already {reservation.status}.",
                       code="reservation_state", params={"status": reservation.status})
    level.reserved -= reservation.qty_reserved
    reservation.status, reservation.closed_at = "released", utcnow()
    record_audit(session, caller, "reservation_released", "order_parts", reservation.order_id,
                 store_id=reservation.store_id, details={"reservation_id": reservation.id, "sku": reservation.sku,
                                                         "qty": reservation.qty_reserved})
    session.flush()
    ledger.after_stock_in(session, [level])
    return reservation


def get_reservation(session: Session, reservation_id: str) -> Reservation:
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound(f"No reservation {reservation_id}.")
    return reservation


def list_reservations(session: Session, filters: dict) -> dict:
    query = select(Reservation).where(Reservation.store_id == filters["store_id"])
    if filters.get("order_id"):
        query = query.where(Reservation.order_id == filters["order_id"])
    if filters.get("sku"):
        query = query.where(Reservation.sku == ledger.norm_sku(filters["sku"]))
    if filters.get("status"):
        query = query.where(Reservation.status == filters["status"])
    if filters.get("waiting"):
        query = query.where(Reservation.status == "open", Reservation.qty_reserved < Reservation.qty_requested)
    if filters.get("cursor"):
        query = query.where(Reservation.id < filters["cursor"])
    rows = session.scalars(query.order_by(Reservation.id.desc()).limit(filters["limit"] + 1)).all()
    return page(list(rows), filters["limit"], key=lambda r: r.id)
