"""Service-due reminders: when a delivered order covered a service type with an interval
(months and/or km), the vehicle is next due at the earlier of "last done + months" and the day
its mileage is estimated to reach "last km + interval km" (average daily km over its last
visits). The store's due list is what the front desk phones or messages."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common import operations as ops
from services.common.context import Caller
from services.common.policy import in_visible_stores

from ..models import Customer, HistoryEntry, ServiceDue, ServiceInterval, Vehicle
from .common import keyset_after, keyset_page, local_date, store_settings

DEFAULT_INTERVALS = {
    # service type = the labour operation code on the order (the catalogue's, services/common/operations.py);
    # the name is the one a car owner reads in a reminder or a campaign's {due_service} (as the phone app's words)
    ops.OIL_CHANGE: ("机油保养", 6, 5000),
    ops.AIR_FILTER: ("空气滤芯", 12, 20000),
    ops.CABIN_FILTER: ("空调滤芯", 12, 20000),
    ops.SPARK_PLUGS: ("火花塞", 36, 60000),
    ops.BRAKE_FLUID: ("刹车油更换", 24, 40000),
    ops.COOLANT: ("防冻液", 24, 40000),
    ops.AC_SERVICE: ("空调保养", 12, None),
    ops.TYRE_ROTATION: ("轮胎换位", 6, 10000),
}
UNNAMED_SERVICE = "定期保养"
MILEAGE_SAMPLES = 5
"""How many of the vehicle's latest mileage readings estimate its average daily km."""
MIN_SPAN_DAYS = 7
DEFAULT_DAILY_KM = 40.0
"""When a vehicle has too little history: about 15,000 km a year."""


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def intervals(session: Session) -> dict[str, tuple[str, int | None, int | None]]:
    table: dict[str, tuple[str, int | None, int | None]] = dict(DEFAULT_INTERVALS)
    for row in session.scalars(select(ServiceInterval)):
        table[row.service_type] = (row.name, row.months, row.km)
    return table


def service_names(session: Session) -> dict[str, str]:
    """Each service type's name as a car owner reads it (机油保养), by its code (OIL-CHG)."""
    return {service_type: name for service_type, (name, _months, _km) in intervals(session).items()}


def service_name(names: dict[str, str], service_type: str) -> str:
    """A service type in words (`names`: `service_names`); one the table no longer knows: 定期保养."""
    return names.get(service_type) or UNNAMED_SERVICE


def list_intervals(session: Session) -> list[dict]:
    return [{"service_type": key, "name": name, "months": months, "km": km}
            for key, (name, months, km) in sorted(intervals(session).items())]


def set_interval(session: Session, service_type: str, data: dict) -> dict:
    row = session.get(ServiceInterval, service_type) or ServiceInterval(service_type=service_type)
    row.name, row.months, row.km = data["name"], data.get("months"), data.get("km")
    session.add(row)
    session.flush()
    return {"service_type": service_type, "name": row.name, "months": row.months, "km": row.km}


def average_daily_km(session: Session, vehicle_id: str) -> float | None:
    """From the latest mileage readings of the vehicle's history (check-ins and deliveries)."""
    readings = session.execute(
        select(HistoryEntry.occurred_at, HistoryEntry.mileage_km)
        .where(HistoryEntry.vehicle_id == vehicle_id, HistoryEntry.mileage_km.is_not(None))
        .order_by(HistoryEntry.occurred_at.desc()).limit(MILEAGE_SAMPLES)).all()
    if len(readings) < 2:
        return None
    newest, oldest = readings[0], readings[-1]
    days = (newest.occurred_at - oldest.occurred_at).total_seconds() / 86400
    if days < MIN_SPAN_DAYS or newest.mileage_km <= oldest.mileage_km:
        return None
    return (newest.mileage_km - oldest.mileage_km) / days


def _estimate(due: ServiceDue, vehicle: Vehicle, daily_km: float, today: date) -> None:
    if due.due_km is not None:
        remaining = due.due_km - (vehicle.mileage_km or 0)
        due.due_by_km_on = today + timedelta(days=max(0, math.ceil(remaining / daily_km)))
    else:
        due.due_by_km_on = None
    candidates = [(d, reason) for d, reason in ((due.due_by_date, "date"), (due.due_by_km_on, "mileage")) if d]
    due.due_on, due.reason = min(candidates)


def record_services_done(session: Session, vehicle: Vehicle, customer_id: str, store_id: str,
                         op_codes: list[str], done_at: datetime, mileage_km: int | None) -> list[ServiceDue]:
    """A delivery of an order covering service types moves their next due dates."""
    table = intervals(session)
    settings = store_settings(session, store_id)
    today = local_date(done_at, settings.time_zone)
    daily_km = average_daily_km(session, vehicle.id) or DEFAULT_DAILY_KM
    km_now = mileage_km if mileage_km is not None else vehicle.mileage_km
    dues = []
    for code in op_codes:
        service_type = code.upper()
        if service_type not in table:
            continue
        _name, months, km = table[service_type]
        due_by_date = add_months(today, months) if months else None
        due_km = km_now + km if km and km_now is not None else None
        if due_by_date is None and due_km is None:
            continue  # a km-only interval and no mileage known: nothing to predict
        due = session.scalar(select(ServiceDue).where(ServiceDue.vehicle_id == vehicle.id,
                                                      ServiceDue.service_type == service_type))
        if due is None:
            due = ServiceDue(vehicle_id=vehicle.id, service_type=service_type)
            session.add(due)
        due.customer_id, due.store_id = customer_id, store_id
        due.last_done_on, due.last_done_km = today, km_now
        due.due_by_date, due.due_km = due_by_date, due_km
        _estimate(due, vehicle, daily_km, today)
        dues.append(due)
    return dues


def reestimate(session: Session, vehicle: Vehicle, today: date) -> None:
    """A new mileage reading: re-estimate when the vehicle reaches its km-based due points."""
    dues = session.scalars(select(ServiceDue).where(ServiceDue.vehicle_id == vehicle.id,
                                                    ServiceDue.due_km.is_not(None))).all()
    if not dues:
        return
    daily_km = average_daily_km(session, vehicle.id) or DEFAULT_DAILY_KM
    for due in dues:
        _estimate(due, vehicle, daily_km, today)


def due_list(session: Session, filters: dict, caller: Caller) -> dict:
    """The store's reminders due on or before `due_before` (default: the next 30 days)."""
    store_id = filters.get("store_id")
    query = (select(ServiceDue, Vehicle.plate, Vehicle.mileage_km, Customer.name, Customer.marketing_consent)
             .join(Vehicle, Vehicle.id == ServiceDue.vehicle_id)
             .join(Customer, Customer.id == ServiceDue.customer_id)
             .where(Customer.erased_at.is_(None)))
    query = in_visible_stores(query, ServiceDue.store_id, caller, store_id)
    query = query.where(ServiceDue.due_on <= filters["due_before"])
    if filters.get("service_type"):
        query = query.where(ServiceDue.service_type == filters["service_type"])
    if filters.get("customer_id"):
        query = query.where(ServiceDue.customer_id == filters["customer_id"])
    query = keyset_after(query, ServiceDue.due_on, ServiceDue.id, filters.get("cursor"), descending=False,
                         as_type=date.fromisoformat)
    rows = session.execute(query.limit(filters["limit"] + 1)).all()
    names = service_names(session)
    items = [{"id": due.id, "vehicle_id": due.vehicle_id, "plate": plate, "customer_id": due.customer_id,
              "customer_name": name, "marketing_consent": consent, "store_id": due.store_id,
              "service_type": due.service_type, "service_name": service_name(names, due.service_type),
              "last_done_on": due.last_done_on, "last_done_km": due.last_done_km, "due_on": due.due_on,
              "due_by_date": due.due_by_date, "due_km": due.due_km, "due_by_km_on": due.due_by_km_on,
              "reason": due.reason, "mileage_km": mileage}
             for due, plate, mileage, name, consent in rows]
    return keyset_page(items, filters["limit"], key=lambda item: f"{item['due_on'].isoformat()}|{item['id']}")
