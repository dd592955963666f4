"""Contract -> order: the approved lines frozen with the payment plan, promised time, terms
and the customer's signature; cancelling; and the order's status following the workshop's
and finance's facts (completed, delivered, closed when paid)."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Invalid, NotFound
from services.common.outbox import record_event
from services.common.schemas import page

from ..models import DeclinedWork, Order, OrderLine, Quote
from . import catalogue
from .quotes import (CONTRACTABLE, findings_note, get_quote, open_quote, reprice, require_approved_discount,
                     require_state)
from .reception import close_visit, scoped
from .settings import next_number, settings_of

log = logging.getLogger(__name__)

CANCELLABLE = ("confirmed", "in_progress")


def _order_of_quote(session: Session, quote_id: str) -> Order | None:
    return session.scalars(select(Order).where(Order.quote_id == quote_id)).first()


def contract(session: Session, caller: Caller, quote_id: str, data: dict) -> Order:
    """Sign the approved quote: one order per quote, however often this is called."""
    quote = get_quote(session, caller, quote_id)
    if quote.state == "contracted" and (signed := _order_of_quote(session, quote.id)) is not None:
        return signed  # a retry or double click: the same order
    require_state(quote, CONTRACTABLE, "contracting")
    settings = settings_of(session, quote.store_id)
    now = utcnow()
    if quote.valid_until < now:  # the expiry timer will mark it; nothing is signed after it
        raise Conflict(f"The quote expired at {quote.valid_until.isoformat()}; revise it and present it again.",
                       code="quote_expired")
    state_before = quote.state
    # The state check and the change are one conditional UPDATE: of two concurrent contracts
    # only one matches; the other undoes its repricing (a savepoint), finds the quote contracted
    # and returns the same order.
    with session.begin_nested() as attempt:
        reprice(session, quote, settings)
        require_approved_discount(quote, "contracted")
        if data.get("deposit_fen", 0) > quote.total_fen:
            raise Invalid("The deposit is more than the order's total.", fields={"deposit_fen": ["Above the total."]},
                          code="deposit_above_total")
        won = cast(CursorResult, session.execute(update(Quote).where(Quote.id == quote.id,
                                                                     Quote.state.in_(CONTRACTABLE))
                                                 .values(state="contracted", contracted_at=now))).rowcount
        if not won:
            attempt.rollback()
    if not won:
        existing = _order_of_quote(session, quote.id)
        if existing is None:
            raise Conflict("The quote changed while it was being contracted; try again.", code="quote_changed")
        return existing
    session.refresh(quote)
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    number = f"SO{today:%Y%m%d}-{next_number(session, quote.store_id, f'SO{today:%Y%m%d}'):04d}"
    approved = [line for line in quote.lines if line.decision == "approved"]
    order = Order(
        number=number, store_id=quote.store_id, quote_id=quote.id, visit_id=quote.visit_id,
        customer_id=quote.customer_id, vehicle_id=quote.vehicle_id, advisor_id=quote.advisor_id or caller.user_id,
        state="confirmed", subtotal_fen=quote.subtotal_fen, discount_fen=quote.discount_fen, tax_fen=quote.tax_fen,
        total_excl_tax_fen=quote.total_excl_tax_fen, total_fen=quote.total_fen, tax_rate=quote.tax_rate,
        tax_inclusive=quote.tax_inclusive, payment_method=data["payment_method"],
        deposit_fen=data.get("deposit_fen", 0), deposit_reference=data.get("deposit_reference"),
        promised_at=data.get("promised_at"), terms=data.get("terms"), signed_by=data["signed_by"],
        signed_at=data.get("signed_at") or now, confirmed_at=now)
    order.lines = [OrderLine(
        id=line.id, position=line.position, kind=line.kind, description=line.description, op_code=line.op_code,
        skill=line.skill, hours=line.hours, sku=line.sku, qty=line.qty, unit_price_fen=line.unit_price_fen,
        discount_fen=line.discount_fen, tax_fen=line.tax_fen, total_fen=line.total_fen) for line in approved]
    session.add(order)
    requoted = [line.declined_work_id for line in approved if line.declined_work_id]
    if requoted:
        session.execute(update(DeclinedWork).where(DeclinedWork.id.in_(requoted)).values(status="requoted"))
    session.flush()
    record_audit(session, caller, "quote_contracted", "quote", quote.id, store_id=quote.store_id, details={
        "order_id": order.id, "order_number": order.number, "total_fen": order.total_fen,
        "discount_fen": order.discount_fen, "deposit_fen": order.deposit_fen, "payment_method": order.payment_method,
        "before": {"state": state_before}, "after": {"state": quote.state}})
    categories = catalogue.categories_of(session, [line.op_code for line in order.lines if line.op_code])
    record_event(session, "order_confirmed", confirmed_payload(order, quote, categories), store_id=order.store_id)
    return order


def order_ids_of(session: Session, quote_ids: list[str]) -> dict[str, str]:
    """quote id -> order id, for the quotes that were contracted (one query)."""
    if not quote_ids:
        return {}
    return dict(session.execute(select(Order.quote_id, Order.id).where(Order.quote_id.in_(quote_ids))).tuples().all())


def confirmed_payload(order: Order, quote: Quote, categories: dict[str, str]) -> dict:
    """`categories`: the catalogue category of each labour line's operation code."""
    rate = str(order.tax_rate.normalize() if hasattr(order.tax_rate, "normalize") else order.tax_rate)
    return {
        "order_id": order.id, "order_number": order.number, "store_id": order.store_id, "visit_id": order.visit_id,
        "quote_id": order.quote_id, "customer_id": order.customer_id, "vehicle_id": order.vehicle_id,
        "advisor_id": order.advisor_id, "promised_at": order.promised_at.isoformat() if order.promised_at else None,
        "lines": [{
            "line_id": line.id, "kind": line.kind, "description": line.description, "op_code": line.op_code,
            "op_category": categories.get(line.op_code) if line.op_code else None, "skill": line.skill,
            "hours": line.hours, "sku": line.sku, "qty": line.qty,
            "unit_price_fen": line.unit_price_fen, "discount_fen": line.discount_fen, "tax_rate": rate,
            "tax_fen": line.tax_fen, "total_fen": line.total_fen} for line in order.lines],
        "totals": {"subtotal_fen": order.subtotal_fen, "discount_fen": order.discount_fen, "tax_fen": order.tax_fen,
                   "total_fen": order.total_fen, "currency": "CNY"},
        "deposit": ({"amount_fen": order.deposit_fen, "method": order.payment_method,
                     "reference": order.deposit_reference} if order.deposit_fen else None),
        "confirmed_at": order.confirmed_at.isoformat(),
    }


def get_order(session: Session, caller: Caller, order_id: str, lock: bool = False) -> Order:
    order = session.get(Order, order_id, with_for_update=lock, populate_existing=lock)
    if order is None:
        raise NotFound(f"No order {order_id}.")
    caller.require_store(order.store_id)
    return order


def list_orders(session: Session, caller: Caller, filters: dict) -> dict:
    query = scoped(select(Order), Order, caller, filters)
    for column in ("state", "customer_id", "vehicle_id"):
        if filters.get(column):
            query = query.where(getattr(Order, column) == filters[column])
    if filters.get("cursor"):
        query = query.where(Order.id < filters["cursor"])
    rows = session.scalars(query.order_by(Order.id.desc()).limit(filters["limit"] + 1)).all()
    return page(list(rows), filters["limit"], key=lambda row: row.id)


def cancel(session: Session, caller: Caller, order_id: str, reason: str) -> Order:
    order = get_order(session, caller, order_id, lock=True)
    if order.state not in CANCELLABLE:
        raise Conflict(f"The order is {order.state}; only a confirmed or in-progress order can be cancelled.",
                       fields={"state": [order.state]}, code="order_state", params={"status": order.state})
    order.state, order.cancelled_at, order.cancel_reason = "cancelled", utcnow(), reason
    session.flush()
    record_event(session, "order_cancelled", {
        "order_id": order.id, "store_id": order.store_id, "reason": reason,
        "cancelled_at": order.cancelled_at.isoformat()}, store_id=order.store_id)
    return order


def status_line(order: Order) -> str:
    """One line for the advisor: where the car and the money are."""
    if order.state == "cancelled":
        return f"Cancelled: {order.cancel_reason}"
    if order.state == "closed":
        return "Closed: delivered and paid in full."
    if order.state == "delivered":
        return "Delivered; waiting for payment in full."
    if order.state == "completed":
        return "Work completed; " + ("paid, ready for delivery." if order.paid_at
                                     else "invoice to be paid, car to be delivered.")
    if order.state == "in_progress":
        return "In the workshop."
    return "Confirmed; waiting for the workshop to start."


# -- following the workshop and finance -------------------------------------------------------

def _order_for_event(session: Session, payload: dict, event: str) -> Order | None:
    order = session.get(Order, payload["order_id"], with_for_update=True, populate_existing=True)
    if order is None:
        log.warning("event for an unknown order ignored", extra={"event": event, "order_id": payload["order_id"]})
    return order


def _when(text: str | None) -> datetime:
    return datetime.fromisoformat(text) if text else utcnow()


def on_work_started(session: Session, payload: dict) -> None:
    order = _order_for_event(session, payload, "workshop.work_started")
    if order is not None and order.state == "confirmed":
        order.work_order_id = payload.get("work_order_id")
        order.state = "in_progress"


def on_work_order_completed(session: Session, payload: dict) -> None:
    order = _order_for_event(session, payload, "workshop.work_order_completed")
    if order is None:
        return
    order.work_order_id = payload.get("work_order_id")
    order.completed_at = _when(payload.get("completed_at"))
    if order.state in ("confirmed", "in_progress"):
        order.state = "completed"
    else:
        log.info("work order completed for an order that is already past it",
                 extra={"order_id": order.id, "state": order.state})


def on_vehicle_delivered(session: Session, payload: dict) -> None:
    order = _order_for_event(session, payload, "workshop.vehicle_delivered")
    if order is None:
        return
    order.delivered_at = _when(payload.get("delivered_at"))
    close_visit(session, order.visit_id, order.delivered_at)
    if order.state in ("confirmed", "in_progress", "completed"):
        order.state = "closed" if order.paid_at else "delivered"
        if order.state == "closed":
            order.closed_at = order.delivered_at


def on_invoice_paid(session: Session, payload: dict) -> None:
    """The order is paid: when it first was is kept. finance announces an invoice paid again, under a new event id,
    when it is settled again after a reopening (an insurer's claim voided, the share paid at the till); the order
    was paid already — nothing changes (its paid_at stays before its closed_at)."""
    order = _order_for_event(session, payload, "finance.invoice_paid")
    if order is None or order.paid_at is not None:
        return
    order.invoice_id = payload.get("invoice_id")
    order.paid_at = _when(payload.get("paid_at"))
    if order.state == "delivered":
        order.state, order.closed_at = "closed", order.paid_at


def open_quote_for_findings(session: Session, caller: Caller, order_id: str, findings: list[dict]) -> Quote:
    """Inspection findings of an order's work become a new draft quote for the same visit; the
    findings are its notes and those with a recommended operation become its lines: the labour
    and the parts the operation needs (`quotes.finding_lines`, added and priced like any other line)."""
    order = get_order(session, caller, order_id)
    if not order.visit_id:
        raise Invalid("This order has no visit to quote the findings for.", fields={"order_id": ["No visit."]},
                      code="order_without_visit")
    if not findings:
        raise Invalid("No findings to quote.", fields={"findings": ["At least one finding."]}, code="no_findings")
    return open_quote(session, caller, {"visit_id": order.visit_id, "notes": findings_note(findings)})


def order_advisors(session: Session, caller: Caller, store_id: str, order_ids: list[str]) -> dict[str, str | None]:
    """order id → its advisor, for the store's orders among `order_ids` (others are left out)."""
    caller.require_store(store_id)
    if not order_ids:
        return {}
    return dict(session.execute(select(Order.id, Order.advisor_id).where(
        Order.store_id == store_id, Order.id.in_(order_ids))).tuples().all())
