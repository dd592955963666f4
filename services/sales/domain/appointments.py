"""Appointments: a slot at a store for a customer's car, within the store's opening hours and
its capacity per slot (bays); a full slot is refused unless a manager overbooks it on purpose.
A car takes one bay: it holds at most one active appointment at a time (a customer without a
named car likewise)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.policy import MANAGERS
from services.common.schemas import encode_cursor

from ..models import ACTIVE_APPOINTMENT_STATES as ACTIVE, Appointment, StoreSettings
from .reception import scoped
from .settings import lock_settings, settings_of



def book(session: Session, caller: Caller, data: dict) -> Appointment:
    settings = lock_settings(session, data["store_id"])  # one booking of a store at a time
    overbooked = _admit(session, caller, settings, data, data.pop("override_capacity", False))
    appointment = Appointment(slot_minutes=settings.slot_minutes, created_by=caller.user_id, overbooked=overbooked,
                              **data)
    _flush_taken(session, data, settings, lambda: session.add(appointment))
    return appointment


def move(session: Session, caller: Caller, appointment: Appointment, slot_start: datetime) -> Appointment:
    """The same booking (its id, services and notes) moved to another slot of its store under the rules a
    new booking meets, never overbooking; a refused move changes nothing."""
    settings = lock_settings(session, appointment.store_id)
    data = {"store_id": appointment.store_id, "customer_id": appointment.customer_id,
            "vehicle_id": appointment.vehicle_id, "slot_start": slot_start}
    overbooked = _admit(session, caller, settings, data, False, moving=appointment.id)

    def moved() -> None:
        appointment.slot_start, appointment.slot_minutes = slot_start, settings.slot_minutes
        appointment.overbooked = overbooked
    _flush_taken(session, data, settings, moved, appointment.id)
    return appointment


def _admit(session: Session, caller: Caller, settings: StoreSettings, data: dict, overbook: bool,
           moving: str | None = None) -> bool:
    """The slot rules a booking meets (a slot's start, not past, opening hours, the car free, a bay free
    unless a manager overbooks): whether it overbooks. `moving`: the booking being moved, not counted."""
    zone = ZoneInfo(settings.timezone)
    start = data["slot_start"].astimezone(zone)
    minutes = start.hour * 60 + start.minute
    if start.second or start.microsecond or minutes % settings.slot_minutes:
        raise Invalid(f"Slots start every {settings.slot_minutes} minutes from midnight (store time).",
                      fields={"slot_start": ["Not the start of a slot."]},
                      code="slot_start_invalid", params={"minutes": str(settings.slot_minutes)})
    if data["slot_start"] < utcnow() - timedelta(minutes=settings.slot_minutes):
        raise Invalid("This slot is in the past.", fields={"slot_start": ["In the past."]}, code="slot_in_past")
    require_opening_hours(settings, start)
    _require_free(session, data, settings.slot_minutes, moving)
    taken = session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.store_id == data["store_id"], Appointment.slot_start == data["slot_start"],
        Appointment.state.in_(ACTIVE), Appointment.id != (moving or ""))) or 0
    if taken >= settings.slot_capacity:
        if not overbook:
            raise Conflict(f"This slot is full ({taken} of {settings.slot_capacity} bays booked); "
                           "choose another or ask a manager to overbook.", fields={"slot_start": ["Full."]},
                           code="slot_full", params={"taken": str(taken), "capacity": str(settings.slot_capacity)})
        if caller.role not in MANAGERS:
            raise Forbidden("Only a store manager may overbook a slot.", code="needs_manager")
    return taken >= settings.slot_capacity


def _flush_taken(session: Session, data: dict, settings: StoreSettings, change: Callable[[], None],
                 moving: str | None = None) -> None:
    """Apply and flush a booking's change; the same car booked into the slot at the same moment is a 409."""
    try:
        with session.begin_nested():
            change()
            session.flush()
    except IntegrityError as exc:
        _require_free(session, data, settings.slot_minutes, moving)
        raise Conflict("This car was just booked into this slot; look at its appointments.",
                       code="already_booked") from exc


def require_opening_hours(settings: StoreSettings, start: datetime) -> None:
    """The whole slot lies within the store's opening hours (store time)."""
    first = settings.opens_at.hour * 60 + settings.opens_at.minute
    last = settings.closes_at.hour * 60 + settings.closes_at.minute
    minutes = start.hour * 60 + start.minute
    if minutes < first or minutes + settings.slot_minutes > last:
        hours = {"opens_at": f"{settings.opens_at:%H:%M}", "closes_at": f"{settings.closes_at:%H:%M}"}
        raise Invalid(f"The store is open {hours['opens_at']}–{hours['closes_at']}; this slot is outside.",
                      fields={"slot_start": ["Outside the store's opening hours."]},
                      code="slot_outside_opening_hours", params=hours)


def _require_free(session: Session, data: dict, slot_minutes: int, moving: str | None = None) -> None:
    """The car (or, without one, the customer) has no other active appointment overlapping this slot."""
    start = data["slot_start"]
    end = start + timedelta(minutes=slot_minutes)
    query = select(Appointment).where(Appointment.state.in_(ACTIVE), Appointment.slot_start < end,
                                      Appointment.slot_start > start - timedelta(days=1))
    if data.get("vehicle_id"):
        query = query.where(Appointment.vehicle_id == data["vehicle_id"])
    else:
        query = query.where(Appointment.customer_id == data["customer_id"], Appointment.vehicle_id.is_(None))
    for held in session.scalars(query.execution_options(populate_existing=True)):
        if held.id != moving and held.slot_start + timedelta(minutes=held.slot_minutes) > start:
            raise Conflict("This car already has an appointment at this time (one car takes one bay).",
                           fields={"vehicle_id" if data.get("vehicle_id") else "customer_id": ["Already booked."]},
                           code="already_booked", params={"appointment_id": held.id, "store_id": held.store_id,
                                                          "slot_start": held.slot_start.isoformat()})


def get(session: Session, caller: Caller, appointment_id: str, lock: bool = False) -> Appointment:
    appointment = session.get(Appointment, appointment_id, with_for_update=lock, populate_existing=lock)
    if appointment is None:
        raise NotFound(f"No appointment {appointment_id}.")
    caller.require_store(appointment.store_id)
    return appointment


def cancel(session: Session, caller: Caller, appointment_id: str, reason: str | None) -> Appointment:
    appointment = get(session, caller, appointment_id, lock=True)
    if appointment.state != "booked":
        raise Conflict(f"The appointment is {appointment.state}; only a booked one can be cancelled.",
                       code="appointment_state", params={"status": appointment.state})
    appointment.state = "cancelled"
    if reason:
        appointment.notes = f"{appointment.notes}\n取消: {reason}" if appointment.notes else f"取消: {reason}"
    return appointment


def no_show(session: Session, caller: Caller, appointment_id: str) -> Appointment:
    appointment = get(session, caller, appointment_id, lock=True)
    if appointment.state != "booked":
        raise Conflict(f"The appointment is {appointment.state}; only a booked one can be a no-show.",
                       code="appointment_state", params={"status": appointment.state})
    if appointment.slot_start > utcnow():
        raise Conflict("The slot has not started yet.", code="slot_not_started")
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
            raise Invalid("A day is a store's local day: give store_id too.", fields={"store_id": ["Required."]},
                          code="store_required")
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
            raise Invalid("Not a cursor returned by this API.", fields={"cursor": ["Unknown."]},
                          code="bad_cursor") from exc
        query = query.where((Appointment.slot_start > after)
                            | ((Appointment.slot_start == after) & (Appointment.id > last_id)))
    limit = filters["limit"]
    rows = list(session.scalars(query.order_by(Appointment.slot_start, Appointment.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(_cursor_key(rows[-1])) if more and rows else None}
