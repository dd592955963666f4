"""Reception: checking a car in (a visit), test drives, and the declined work a visit shows
again. Customer and vehicle arrive already checked against crm by the service.

A car has one open visit per store: from check-in until it is delivered, or, when no order is
under way, until the end of the store's day. Checking it in again meanwhile gives that visit."""
from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Invalid, NotFound
from services.common.outbox import record_event
from services.common.policy import in_visible_stores
from services.common.schemas import page

from ..models import Appointment, DeclinedWork, Order, TestDrive, Visit
from . import catalogue
from .settings import settings_of

LIVE_ORDER_STATES = ("confirmed", "in_progress", "completed")


def _keyset(query, model, filters: dict):
    if filters.get("cursor"):
        query = query.where(model.id < filters["cursor"])
    return query.order_by(model.id.desc()).limit(filters["limit"] + 1)


def scoped(query, model, caller: Caller, filters: dict):
    """Store documents: the store_id filter, and non-HQ users only ever see their stores."""
    return in_visible_stores(query, model.store_id, caller, filters.get("store_id"))


def check_in(session: Session, caller: Caller, data: dict, customer: dict, vehicle: dict | None) -> Visit:
    if vehicle is not None and vehicle.get("customer_id") != customer["id"]:
        raise Invalid("This vehicle belongs to another customer.",
                      fields={"vehicle_id": ["Belongs to another customer."]},
                      code="vehicle_of_other_customer", params={"plate": vehicle.get("plate") or ""})
    appointment = None
    if data.get("appointment_id"):
        appointment = session.get(Appointment, data["appointment_id"], with_for_update=True, populate_existing=True)
        if appointment is None or appointment.store_id != data["store_id"]:
            raise Invalid("No such appointment at this store.", fields={"appointment_id": ["Unknown."]},
                          code="unknown_appointment")
        if appointment.customer_id != customer["id"]:
            raise Invalid("The appointment is another customer's.", fields={"appointment_id": ["Other customer."]},
                          code="appointment_of_other_customer")
        if appointment.state != "booked":
            raise Conflict(f"The appointment is {appointment.state}; only a booked one can arrive.",
                           code="appointment_state", params={"status": appointment.state})
    if vehicle is not None:
        existing = open_visit(session, data["store_id"], vehicle["id"])
        if existing is not None:
            return _checked_in_already(existing, customer, appointment)
    vehicle_class = data.get("vehicle_class") or catalogue.classify(
        session, (vehicle or {}).get("make"), (vehicle or {}).get("model"))
    visit = Visit(
        store_id=data["store_id"], customer_id=customer["id"], vehicle_id=(vehicle or {}).get("id"),
        appointment_id=data.get("appointment_id"), customer_name=customer.get("name"),
        plate=(vehicle or {}).get("plate"), make=(vehicle or {}).get("make"), model=(vehicle or {}).get("model"),
        vehicle_class=vehicle_class, mileage_km=data.get("mileage_km"), needs=data["needs"],
        budget_fen=data.get("budget_fen"), expectations=data.get("expectations"), notes=data.get("notes"),
        promised_at=data.get("promised_at"), advisor_id=caller.user_id, checked_in_at=utcnow())
    try:
        with session.begin_nested():
            session.add(visit)
            session.flush()
    except IntegrityError as exc:  # the same car checked in at the same moment: theirs is the visit
        existing = open_visit(session, data["store_id"], vehicle["id"]) if vehicle is not None else None
        if existing is None:
            raise Conflict("This car was just checked in; reload its visits.", code="visit_already_open") from exc
        return _checked_in_already(existing, customer, appointment)
    if appointment is not None:
        appointment.state = "arrived"
        appointment.visit_id = visit.id
    record_event(session, "visit_checked_in", {
        "visit_id": visit.id, "store_id": visit.store_id, "customer_id": visit.customer_id,
        "vehicle_id": visit.vehicle_id, "mileage_km": visit.mileage_km, "needs": list(visit.needs),
        "checked_in_at": visit.checked_in_at.isoformat()}, store_id=visit.store_id)
    return visit


def open_visit(session: Session, store_id: str, vehicle_id: str) -> Visit | None:
    """The car's open visit at the store, after closing those of earlier days without an
    order under way (the car left without work)."""
    zone = ZoneInfo(settings_of(session, store_id).timezone)
    today = datetime.combine(utcnow().astimezone(zone).date(), time(0), tzinfo=zone)
    live = select(Order.visit_id).where(Order.state.in_(LIVE_ORDER_STATES), Order.visit_id.is_not(None))
    session.execute(update(Visit).where(
        Visit.store_id == store_id, Visit.vehicle_id == vehicle_id, Visit.closed_at.is_(None),
        Visit.checked_in_at < today, Visit.id.not_in(live)).values(closed_at=utcnow())
        .execution_options(synchronize_session=False))
    return session.scalars(select(Visit).where(Visit.store_id == store_id, Visit.vehicle_id == vehicle_id,
                                               Visit.closed_at.is_(None))
                           .execution_options(populate_existing=True)).first()


def _checked_in_already(visit: Visit, customer: dict, appointment: Appointment | None) -> Visit:
    """A second check-in of a car that is here: its open visit (taking the appointment it
    names if the visit has none); a car here for another customer is a conflict."""
    if visit.customer_id != customer["id"]:
        raise Conflict("This car is checked in already, for another customer.", code="visit_already_open",
                       fields={"vehicle_id": ["Checked in already."]}, params={"visit_id": visit.id})
    if appointment is not None and visit.appointment_id is None:
        visit.appointment_id = appointment.id
        appointment.state, appointment.visit_id = "arrived", visit.id
    return visit


def close_visit(session: Session, visit_id: str | None, when: datetime) -> None:
    """The car left (delivered): its next check-in is a new visit."""
    if visit_id:
        session.execute(update(Visit).where(Visit.id == visit_id, Visit.closed_at.is_(None))
                        .values(closed_at=when).execution_options(synchronize_session=False))


def visits_for_orders(session: Session, order_ids: list[str]) -> list[dict]:
    """Each order's reception (送修日期, 送修里程, the customer's words), for finance's repair health records."""
    ids = sorted({order_id for order_id in order_ids if order_id})[:200]
    if not ids:
        return []
    rows = session.execute(select(Order.id, Visit.id.label("visit_id"), Visit.checked_in_at, Visit.mileage_km,
                                  Visit.needs, Visit.notes)
                           .select_from(Order).outerjoin(Visit, Visit.id == Order.visit_id).where(Order.id.in_(ids)))
    return [{"order_id": row.id, "visit_id": row.visit_id, "mileage_km": row.mileage_km,
             "checked_in_at": row.checked_in_at.isoformat() if row.checked_in_at else None,
             "needs": list(row.needs or []), "notes": row.notes} for row in rows]


def get_visit(session: Session, caller: Caller, visit_id: str) -> Visit:
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFound(f"No visit {visit_id}.")
    caller.require_store(visit.store_id)
    return visit


def visit_owner(session: Session, caller: Caller, visit_id: str) -> dict:
    """A visit as the owner of its walk-around photos (check-in, and again at delivery): its store's scope."""
    visit = get_visit(session, caller, visit_id)
    return {"store_id": visit.store_id, "owner_type": "visit", "owner_id": visit.id, "parent_id": None}


def require_stage_open(session: Session, visit_id: str, stage: str | None) -> None:
    """Delivery photos are of the car as it is handed back: refused (409 visit_not_completed) until the
    visit's work is completed (sales heard `work_order_completed` for one of its orders)."""
    if stage != "delivery":
        return
    completed = session.scalar(select(Order.id).where(Order.visit_id == visit_id, Order.completed_at.is_not(None))
                               .limit(1))
    if completed is None:
        raise Conflict("The car's work is not completed yet; delivery photos are taken when it is handed back.",
                       code="visit_not_completed")


def list_visits(session: Session, caller: Caller, filters: dict) -> dict:
    query = scoped(select(Visit), Visit, caller, filters)
    for column in ("customer_id", "vehicle_id"):
        if filters.get(column):
            query = query.where(getattr(Visit, column) == filters[column])
    rows = session.scalars(_keyset(query, Visit, filters)).all()
    return page(list(rows), filters["limit"], key=lambda row: row.id)


def open_declined_work(session: Session, visit: Visit) -> list[DeclinedWork]:
    """What this customer declined on earlier visits of the same vehicle (or, without a
    vehicle, of the customer), still open: shown again at reception."""
    query = select(DeclinedWork).where(DeclinedWork.status == "open", DeclinedWork.visit_id != visit.id)
    if visit.vehicle_id:
        query = query.where(DeclinedWork.vehicle_id == visit.vehicle_id)
    else:
        query = query.where(DeclinedWork.customer_id == visit.customer_id)
    return list(session.scalars(query.order_by(DeclinedWork.id.desc()).limit(50)))


def list_declined_work(session: Session, filters: dict) -> dict:
    if not (filters.get("customer_id") or filters.get("vehicle_id")):
        raise Invalid("Name a customer_id or a vehicle_id.", fields={"customer_id": ["Or vehicle_id."]},
                      code="customer_or_vehicle_required")
    query = select(DeclinedWork)
    for column in ("customer_id", "vehicle_id", "status", "store_id"):
        if filters.get(column):
            query = query.where(getattr(DeclinedWork, column) == filters[column])
    rows = session.scalars(_keyset(query, DeclinedWork, filters)).all()
    return page(list(rows), filters["limit"], key=lambda row: row.id)


# -- test drives ------------------------------------------------------------------------------

def book_test_drive(session: Session, caller: Caller, data: dict) -> TestDrive:
    if data.get("visit_id"):
        visit = get_visit(session, caller, data["visit_id"])
        if visit.store_id != data["store_id"] or visit.customer_id != data["customer_id"]:
            raise Invalid("The visit is another store's or customer's.", fields={"visit_id": ["Does not match."]},
                          code="visit_mismatch")
    drive = TestDrive(created_by=caller.user_id, **data)
    drive.state = "out" if data.get("time_out") else "booked"
    session.add(drive)
    session.flush()
    return drive


def get_test_drive(session: Session, caller: Caller, drive_id: str) -> TestDrive:
    drive = session.get(TestDrive, drive_id, with_for_update=True, populate_existing=True)
    if drive is None:
        raise NotFound(f"No test drive {drive_id}.")
    caller.require_store(drive.store_id)
    return drive


def start_test_drive(session: Session, caller: Caller, drive_id: str, data: dict) -> TestDrive:
    drive = get_test_drive(session, caller, drive_id)
    if drive.state != "booked":
        raise Conflict(f"The test drive is {drive.state}; only a booked one can go out.",
                       code="test_drive_state", params={"status": drive.state})
    drive.state, drive.time_out = "out", data.get("time_out") or utcnow()
    drive.mileage_out_km = data.get("mileage_out_km", drive.mileage_out_km)
    return drive


def return_test_drive(session: Session, caller: Caller, drive_id: str, data: dict) -> TestDrive:
    drive = get_test_drive(session, caller, drive_id)
    if drive.state != "out":
        raise Conflict(f"The test drive is {drive.state}; only one that is out can come back.",
                       code="test_drive_state", params={"status": drive.state})
    time_in = data.get("time_in") or utcnow()
    if drive.time_out is not None and time_in < drive.time_out:  # a drive that is out has left
        raise Invalid("The car came back before it left.", fields={"time_in": ["Before time_out."]},
                      code="returned_before_out")
    mileage_in = data.get("mileage_in_km")
    if mileage_in is not None and drive.mileage_out_km is not None and mileage_in < drive.mileage_out_km:
        raise Invalid("Mileage in is below mileage out.", fields={"mileage_in_km": ["Below mileage out."]},
                      code="mileage_below_out", params={"mileage_out_km": str(drive.mileage_out_km)})
    drive.state, drive.time_in, drive.mileage_in_km = "returned", time_in, mileage_in
    if data.get("notes"):
        drive.notes = f"{drive.notes}\n{data['notes']}" if drive.notes else data["notes"]
    return drive


def list_test_drives(session: Session, caller: Caller, filters: dict) -> dict:
    query = scoped(select(TestDrive), TestDrive, caller, filters)
    if filters.get("customer_id"):
        query = query.where(TestDrive.customer_id == filters["customer_id"])
    rows = session.scalars(_keyset(query, TestDrive, filters)).all()
    return page(list(rows), filters["limit"], key=lambda row: row.id)
