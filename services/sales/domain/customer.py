"""The customer channel's view of sales: a car owner (caller role `customer`, the crm customer id as
the user) sees and decides only their own documents; anyone else's is unknown (NotFound), never
Forbidden, so an id reveals nothing. Decisions and bookings go through the same rules as the staff's,
with the caller scoped to the document's store."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common import attachments
from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, NotFound

from ..models import ACTIVE_APPOINTMENT_STATES, Appointment, Order, Quote, Visit
from . import appointments, quotes, signing
from .appointments import local_day
from .settings import settings_of

VISIBLE_STATES = ("presented", "approved", "partially_approved", "declined", "contracted", "expired")
"""A draft is still the advisor's: the customer sees a quote once it is presented."""


def own_quote(session: Session, caller: Caller, quote_id: str) -> Quote:
    quote = session.get(Quote, quote_id)
    if quote is None or quote.customer_id != caller.require_customer() or quote.state not in VISIBLE_STATES:
        raise NotFound(f"No quote {quote_id}.")
    return quote


def decide(session: Session, caller: Caller, quote_id: str, data: dict) -> Quote:
    """The customer's per-line decision: the staff's state machine, then an audit row naming the
    customer, the client's address and the signature (if drawn)."""
    quote = own_quote(session, caller, quote_id)
    scoped = caller.at_store(quote.store_id)
    decided = quotes.decide(session, scoped, quote_id, {"approved_line_ids": data["approved_line_ids"],
                                                        "declined_line_ids": data["declined_line_ids"]})
    signature = data.get("signature")
    if signature:
        signing.sign_decision(session, scoped, decided, signature)
    record_audit(session, scoped, "customer_decided", "quote", quote.id, store_id=quote.store_id, details={
        "state": decided.state, "approved_line_ids": sorted(data["approved_line_ids"]),
        "declined_line_ids": sorted(data["declined_line_ids"]), "client_ip": data.get("client_ip"),
        "signature_id": signature["id"] if signature else None, "channel": "customer"})
    return decided


def own_visit(session: Session, caller: Caller, visit_id: str) -> Visit:
    visit = session.get(Visit, visit_id)
    if visit is None or visit.customer_id != caller.require_customer():
        raise NotFound(f"No visit {visit_id}.")
    return visit


def visit_orders(session: Session, visit: Visit) -> list[Order]:
    """The contracts (orders) of one of the customer's visits, oldest first."""
    return list(session.scalars(select(Order).where(Order.visit_id == visit.id, Order.customer_id == visit.customer_id)
                                .order_by(Order.confirmed_at, Order.id)))


def own_attachment(session: Session, caller: Caller, attachment_id: str, quote_id: str | None = None) -> dict:
    """A walk-around photo of the customer's own visit, or their own signature (with `quote_id`: only that
    quote's decision signature); anyone else's is unknown."""
    row = attachments.attachment_row(session, attachment_id)
    if quote_id is not None and (row["owner_type"], row["owner_id"]) != (signing.DECISION, quote_id):
        raise NotFound(f"No attachment {attachment_id}.")
    model = {"visit": Visit, signing.DECISION: Quote, signing.CONTRACT: Order}.get(row["owner_type"])
    document = cast(Visit | Quote | Order | None, session.get(model, row["owner_id"]) if model is not None else None)
    if document is None or document.customer_id != caller.require_customer():
        raise NotFound(f"No attachment {attachment_id}.")
    return row


def book(session: Session, caller: Caller, data: dict) -> Appointment:
    """A booking by the car's owner: the staff's slot rules, never overbooking."""
    customer_id = caller.require_customer()
    return appointments.book(session, caller.at_store(data["store_id"]),
                             {**data, "customer_id": customer_id, "override_capacity": False})


def own_appointments(session: Session, caller: Caller) -> list[Appointment]:
    """The customer's bookings, the latest slot first (at most 50)."""
    return list(session.scalars(select(Appointment).where(Appointment.customer_id == caller.require_customer())
                                .order_by(Appointment.slot_start.desc(), Appointment.id).limit(50)))


def cancel(session: Session, caller: Caller, appointment_id: str) -> Appointment:
    """The customer cancels their own booking before its slot starts (the staff's cancel rules)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.customer_id != caller.require_customer():
        raise NotFound(f"No appointment {appointment_id}.")
    if appointment.slot_start <= utcnow():
        raise Conflict("The slot has started; call the store.", code="appointment_started")
    return appointments.cancel(session, caller.at_store(appointment.store_id), appointment_id, "车主取消")


def reschedule(session: Session, caller: Caller, appointment_id: str, slot_start: datetime) -> Appointment:
    """The customer moves their own booking to another slot of the same store: the same booking (its id,
    so the store's list and any link to it stay right) under the staff's slot rules; a full slot changes
    nothing."""
    appointment = session.get(Appointment, appointment_id, with_for_update=True, populate_existing=True)
    if appointment is None or appointment.customer_id != caller.require_customer():
        raise NotFound(f"No appointment {appointment_id}.")
    if appointment.slot_start <= utcnow():
        raise Conflict("The slot has started; call the store.", code="appointment_started")
    if appointment.state != "booked":
        raise Conflict(f"The appointment is {appointment.state}; only a booked one can be moved.",
                       code="appointment_state", params={"status": appointment.state})
    return appointments.move(session, caller.at_store(appointment.store_id), appointment, slot_start)


def free_slots(session: Session, store_id: str, day: date) -> list[dict]:
    """Each slot of the store's opening hours that day with the bays still free (slots already past
    are left out)."""
    settings = settings_of(session, store_id)
    zone = ZoneInfo(settings.timezone)
    start, end = local_day(session, store_id, day)
    counts = session.execute(select(Appointment.slot_start, func.count()).where(
        Appointment.store_id == store_id, Appointment.slot_start >= start, Appointment.slot_start < end,
        Appointment.state.in_(ACTIVE_APPOINTMENT_STATES)).group_by(Appointment.slot_start)).all()
    taken: dict[datetime, int] = {moment.astimezone(zone): count for moment, count in counts}
    size = settings.slot_minutes
    opens = settings.opens_at.hour * 60 + settings.opens_at.minute
    closes = settings.closes_at.hour * 60 + settings.closes_at.minute
    midnight, now = datetime.combine(day, time(0), tzinfo=zone), datetime.now(zone)
    slots = []
    for minute in range(-(-opens // size) * size, closes - size + 1, size):  # slots start every `size` minutes
        slot = midnight + timedelta(minutes=minute)
        if slot > now:
            slots.append({"slot_start": slot, "slot_minutes": size,
                          "free": max(0, settings.slot_capacity - taken.get(slot, 0))})
    return slots


def timeline(session: Session, caller: Caller, vehicle_id: str | None) -> list[dict]:
    """The sales steps of the customer's cars (one car with `vehicle_id`): check-in, quote presented and
    decided, order confirmed, cancelled, delivered."""
    customer_id = caller.require_customer()
    steps: list[dict] = []

    def mine(model):
        query = select(model).where(model.customer_id == customer_id)
        return query.where(model.vehicle_id == vehicle_id) if vehicle_id else query

    def add(step: str, at, row, document_type: str) -> None:
        if at is not None:
            steps.append({"step": step, "at": at, "store_id": row.store_id, "document_type": document_type,
                          "document_id": row.id, "vehicle_id": row.vehicle_id})

    for visit in session.scalars(mine(Visit)):
        add("checked_in", visit.checked_in_at, visit, "visit")
    for quote in session.scalars(mine(Quote).where(Quote.state.in_(VISIBLE_STATES))):
        add("quoted", quote.presented_at, quote, "quote")
        if quote.state in ("approved", "partially_approved", "declined") or quote.decided_at:
            add(_decision_step(quote), quote.decided_at, quote, "quote")
    for order in session.scalars(mine(Order)):
        add("order_confirmed", order.confirmed_at, order, "order")
        add("delivered", order.delivered_at, order, "order")
        add("cancelled", order.cancelled_at, order, "order")
    return steps


def _decision_step(quote: Quote) -> str:
    """approved / partially_approved / declined, also once the quote went on to a contract."""
    decisions = {line.decision for line in quote.lines}
    if decisions == {"approved"}:
        return "approved"
    return "declined" if "approved" not in decisions else "partially_approved"
