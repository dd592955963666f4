"""crm's rules, callable without a broker: register and change customers and vehicles,
find them, and project other services' facts into the service history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.errors import Conflict, NotFound
from services.common.outbox import record_event
from services.common.schemas import page
from services.common.validators import normalize_mobile, normalize_plate

from .models import Customer, CustomerTag, HistoryEntry, Vehicle


def get_customer(session: Session, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id}.")
    return customer


def get_vehicle(session: Session, vehicle_id: str) -> Vehicle:
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(f"No vehicle {vehicle_id}.")
    return vehicle


def _flush_unique(session: Session, what: dict[str, str]) -> None:
    """Flush, turning a unique-constraint violation into a Conflict naming the field."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        detail = str(exc.orig).lower()
        field = next((f for f in what if f in detail), next(iter(what)))
        raise Conflict(what[field], fields={field: [what[field]]}) from exc


def _ensure_unique(session: Session, model, column: str, value, exclude_id: str | None, message: str) -> None:
    if value is None:
        return
    query = select(model.id).where(getattr(model, column) == value)
    if exclude_id:
        query = query.where(model.id != exclude_id)
    if session.execute(query.limit(1)).first():
        raise Conflict(message, fields={column: [message]})


def register_customer(session: Session, data: dict) -> Customer:
    _ensure_unique(session, Customer, "mobile", data["mobile"], None, "This mobile number is already registered.")
    tags = data.pop("tags", [])
    customer = Customer(**data)
    customer.tags = tags
    session.add(customer)
    _flush_unique(session, {"mobile": "This mobile number is already registered."})
    record_event(session, "customer_registered", {
        "customer_id": customer.id, "name": customer.name, "home_store_id": customer.home_store_id,
        "source": customer.source, "marketing_consent": customer.marketing_consent, "tags": tags,
    }, store_id=customer.home_store_id)
    return customer


def update_customer(session: Session, customer_id: str, changes: dict) -> Customer:
    customer = get_customer(session, customer_id)
    if "mobile" in changes:
        _ensure_unique(session, Customer, "mobile", changes["mobile"], customer.id,
                       "This mobile number is already registered.")
    for key, value in changes.items():
        setattr(customer, key, value)
    _flush_unique(session, {"mobile": "This mobile number is already registered."})
    return customer


_VEHICLE_UNIQUE = {"plate": "A vehicle with this plate is already registered.",
                   "vin": "A vehicle with this VIN is already registered."}


def add_vehicle(session: Session, customer_id: str, data: dict) -> Vehicle:
    customer = get_customer(session, customer_id)
    for column in ("plate", "vin"):
        _ensure_unique(session, Vehicle, column, data.get(column), None, _VEHICLE_UNIQUE[column])
    vehicle = Vehicle(customer_id=customer.id, **data)
    session.add(vehicle)
    _flush_unique(session, _VEHICLE_UNIQUE)
    record_event(session, "vehicle_registered", {
        "vehicle_id": vehicle.id, "customer_id": customer.id, "plate": vehicle.plate, "vin": vehicle.vin,
        "make": vehicle.make, "model": vehicle.model, "year": vehicle.year, "mileage_km": vehicle.mileage_km,
    }, store_id=customer.home_store_id)
    return vehicle


def update_vehicle(session: Session, vehicle_id: str, changes: dict) -> Vehicle:
    vehicle = get_vehicle(session, vehicle_id)
    for column in ("plate", "vin"):
        if column in changes:
            _ensure_unique(session, Vehicle, column, changes[column], vehicle.id, _VEHICLE_UNIQUE[column])
    for key, value in changes.items():
        setattr(vehicle, key, value)
    _flush_unique(session, _VEHICLE_UNIQUE)
    return vehicle


def _keyset(query: Select, model, cursor: str | None, limit: int) -> Select:
    """Newest first by id (ids are time-ordered); the cursor is the last id seen."""
    if cursor:
        query = query.where(model.id < cursor)
    return query.order_by(model.id.desc()).limit(limit + 1)


def _as_mobile(text: str) -> str | None:
    try:
        return normalize_mobile(text)
    except ValueError:
        return None


def _as_plate(text: str) -> str | None:
    try:
        return normalize_plate(text)
    except ValueError:
        return None


def search_customers(session: Session, filters: dict) -> dict:
    query = select(Customer)
    if filters.get("phone"):
        query = query.where(Customer.mobile == (_as_mobile(filters["phone"]) or filters["phone"]))
    if filters.get("plate"):
        plate = _as_plate(filters["plate"]) or filters["plate"].upper()
        query = query.where(Customer.id.in_(select(Vehicle.customer_id).where(Vehicle.plate == plate)))
    if filters.get("tag"):
        query = query.where(Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag == filters["tag"])))
    if filters.get("store_id"):
        query = query.where(Customer.home_store_id == filters["store_id"])
    if filters.get("q"):
        text = filters["q"].strip()
        if mobile := _as_mobile(text):
            query = query.where(Customer.mobile == mobile)
        elif plate := _as_plate(text):
            query = query.where(Customer.id.in_(select(Vehicle.customer_id).where(Vehicle.plate == plate)))
        else:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Customer.name.like(f"{escaped}%", escape="\\"))
    rows = session.scalars(_keyset(query, Customer, filters.get("cursor"), filters["limit"])).all()
    return page(list(rows), filters["limit"], key=lambda customer: customer.id)


def search_vehicles(session: Session, filters: dict) -> dict:
    query = select(Vehicle)
    if filters.get("plate"):
        query = query.where(Vehicle.plate == (_as_plate(filters["plate"]) or filters["plate"].upper()))
    if filters.get("vin"):
        query = query.where(Vehicle.vin == filters["vin"].strip().upper())
    if filters.get("customer_id"):
        query = query.where(Vehicle.customer_id == filters["customer_id"])
    rows = session.scalars(_keyset(query, Vehicle, filters.get("cursor"), filters["limit"])).all()
    return page(list(rows), filters["limit"], key=lambda vehicle: vehicle.id)


def customer_history(session: Session, customer_id: str, limit: int, cursor: str | None) -> dict:
    get_customer(session, customer_id)
    query = select(HistoryEntry).where(HistoryEntry.customer_id == customer_id)
    rows = session.scalars(_keyset(query, HistoryEntry, cursor, limit)).all()
    return page(list(rows), limit, key=lambda entry: entry.id)


def record_visit(session: Session, event_id: str, payload: dict) -> HistoryEntry:
    """A check-in (sales.visit_checked_in) becomes a history line; mileage only grows."""
    vehicle = session.get(Vehicle, payload.get("vehicle_id")) if payload.get("vehicle_id") else None
    mileage = payload.get("mileage_km")
    if vehicle is not None and mileage is not None and mileage > vehicle.mileage_km:
        vehicle.mileage_km = mileage
    entry = HistoryEntry(
        customer_id=payload["customer_id"], vehicle_id=payload.get("vehicle_id"),
        store_id=payload.get("store_id"), kind="visit", reference_id=payload.get("visit_id"),
        summary=", ".join(payload.get("needs") or []) or None, mileage_km=mileage,
        occurred_at=datetime.fromisoformat(payload["checked_in_at"]), source_event_id=event_id)
    session.add(entry)
    return entry
