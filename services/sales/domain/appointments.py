"""Appointments: a slot at a store for a customer's car, within the store's capacity per slot
(bays); a full slot is refused unless a manager overbooks it on purpose."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.schemas import encode_cursor

from ..models import Appointment
from .reception import scoped
from .settings import lock_settings, settings_of

ACTIVE = ("booked", "arrived")
MANAGERS = frozenset({"store_manager", "hq_admin"})


def book(session: Session, caller: Caller, data: dict) -> Appointment:
    settings = lock_settings(session, data["store_id"])  # one booking of a store at a time
    zone = ZoneInfo(settings.timezone)
    start = data["slot_start"].astimezone(zone)
    minutes = start.hour * 60 + start.minute
    if start.second or start.microsecond or minutes % settings.slot_minutes:
        raise Invalid(f"Slots start every {settings.slot_minutes} minutes from midnight (store time).",
                      fields={"slot_start": ["Not the start of a slot."]})
    if data["slot_start"] < utcnow() - timedelta(minutes=settings.slot_minutes):
        raise Invalid("This slot is in the past.", fields={"slot_start": ["In the past."]})
    taken = session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.store_id == data["store_id"], Appointment.slot_start == data["slot_start"],
        Appointment.state.in_(ACTIVE)))
    overbook = data.pop("override_capacity", False)
    if taken >= settings.slot_capacity:
        if not overbook:
            raise Conflict(f"This slot is full ({taken} of {settings.slot_capacity} bays booked); "
                           "choose another or ask a manager to overbook.", fields={"slot_start": ["Full."]})
        if caller.role not in MANAGERS:
            raise Forbidden("Only a store manager may overbook a slot.")
    appointment = Appointment(slot_minutes=settings.slot_minutes, created_by=caller.user_id,
                              overbooked=taken >= settings.slot_capacity, **data)
    session.add(appointment)
    session.flush()
    return appointment


def get(session: Session, caller: Caller, appointment_id: str, lock: bool = False) -> Appointment:
    appointment = session.get(Appointment, appointment_id, with_for_update=lock, populate_existing=lock)
    if appointment is None:
        raise NotFound(f"No appointment {appointment_id}.")
    caller.require_store(appointment.store_id)
    return appointment


def cancel(session: Session, caller: Caller, appointment_id: str, reason: str | None) -> Appointment:
    appointment = get(session, caller, appointment_id, lock=True)
    if appointment.state != "booked":
        raise Conflict(f"The appointment is {appointment.state}; only a booked one can be cancelled.")
    appointment.state = "cancelled"
    if reason:
        appointment.notes = f"{appointment.notes}\n取消: {reason}" if appointment.notes else f"取消: {reason}"
    return appointment


def no_show(session: Session, caller: Caller, appointment_id: str) -> Appointment:
    appointment = get(session, caller, appointment_id, lock=True)
    if appointment.state != "booked":
        raise Conflict(f"The appointment is {appointment.state}; only a booked one can be a no-show.")
    if appointment.slot_start > utcnow():
        raise Conflict("The slot has not started yet.")
    appointment.state = "no_show"
    return appointment


def local_day(session: Session, store_id: str, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings_of(session, store_id).timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


def _cursor_key(appointment: Appointment) -> str:
    return f"{appointment.slot_start.isoformat()}|{appointment.id}"


def list_appointments(session: Session, caller: Caller, filters: dict) -> dict:
    """In slot order (then id); `date` is the store's local day and needs `store_id`."""
    query = scoped(select(Appointment), Appointment, caller, filters)
    if filters.get("date"):
        if not filters.get("store_id"):
            raise Invalid("A day is a store's local day: give store_id too.", fields={"store_id": ["Required."]})
        start, end = local_day(session, filters["store_id"], filters["date"])
        query = query.where(Appointment.slot_start >= start, Appointment.slot_start < end)
    for column in ("customer_id", "state"):
        if filters.get(column):
            query = query.where(getattr(Appointment, column) == filters[column])
    if filters.get("cursor"):
        slot, _, last_id = filters["cursor"].partition("|")
        try:
            after = datetime.fromisoformat(slot)
        except ValueError as exc:
            raise Invalid("Not a cursor returned by this API.", fields={"cursor": ["Unknown."]}) from exc
        query = query.where((Appointment.slot_start > after)
                            | ((Appointment.slot_start == after) & (Appointment.id > last_id)))
    limit = filters["limit"]
    rows = list(session.scalars(query.order_by(Appointment.slot_start, Appointment.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(_cursor_key(rows[-1])) if more and rows else None}
