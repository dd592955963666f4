"""The service history: a projection of other services' facts (visits, orders, deliveries,
payments, refunds) plus crm's own follow-ups and complaints, per customer and per vehicle."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import HistoryEntry, ServiceOrder, Vehicle
from . import followups, membership, reminders
from .common import (VEHICLE_ROWS, add_entry, datetime_key, keyset_after, keyset_page, local_date, parse_time,
                     resolve_customer, store_settings)
from .customers import get_customer, get_vehicle

log = logging.getLogger(__name__)


def customer_history(session: Session, customer_id: str, limit: int, cursor: str | None,
                     vehicle_id: str | None = None, kind: str | None = None) -> dict:
    get_customer(session, customer_id)
    query = select(HistoryEntry).where(HistoryEntry.customer_id == customer_id)
    if vehicle_id:
        query = query.where(HistoryEntry.vehicle_id == vehicle_id)
    if kind:
        query = query.where(HistoryEntry.kind == kind)
    return _history_page(session, query, limit, cursor)


def vehicle_history(session: Session, vehicle_id: str, limit: int, cursor: str | None) -> dict:
    get_vehicle(session, vehicle_id)
    query = select(HistoryEntry).where(HistoryEntry.vehicle_id == vehicle_id)
    return _history_page(session, query, limit, cursor)


def _history_page(session, query, limit, cursor) -> dict:
    query = keyset_after(query, HistoryEntry.occurred_at, HistoryEntry.id, cursor, descending=True,
                         as_type=parse_time)
    rows = session.scalars(query.limit(limit + 1)).all()
    return keyset_page(list(rows), limit, key=lambda e: f"{datetime_key(e.occurred_at)}|{e.id}")


def _known_customer(session: Session, customer_id: str, fact: str):
    """Facts about a customer crm never registered are logged and skipped, not retried forever."""
    customer = resolve_customer(session, customer_id)
    if customer is None:
        log.warning("event for an unknown customer skipped", extra={"fact": fact, "customer_id": customer_id})
    return customer


def _already_projected(session: Session, customer_id: str, kind: str, reference_id: str | None) -> bool:
    """The same business fact published again under a new event id (a producer's retry) is applied once:
    points and spend must never be counted twice."""
    if reference_id is None:
        return False
    found = session.execute(select(HistoryEntry.id).where(
        HistoryEntry.customer_id == customer_id, HistoryEntry.kind == kind,
        HistoryEntry.reference_id == reference_id).limit(1)).first()
    if found:
        log.info("fact already projected", extra={"kind": kind, "reference_id": reference_id})
    return found is not None


def _vehicle(session: Session, vehicle_id: str | None) -> Vehicle | None:
    return session.get(Vehicle, vehicle_id, options=VEHICLE_ROWS) if vehicle_id else None


def _raise_mileage(vehicle: Vehicle | None, mileage: int | None) -> None:
    if vehicle is not None and mileage is not None and mileage > (vehicle.mileage_km or 0):
        vehicle.mileage_km = mileage


def _touch_last_visit(customer, moment: datetime) -> None:
    if customer.last_visit_at is None or customer.last_visit_at < moment:
        customer.last_visit_at = moment


def record_visit(session: Session, event_id: str, payload: dict) -> HistoryEntry | None:
    """A check-in (sales.visit_checked_in) becomes a history line; mileage only grows."""
    customer = _known_customer(session, payload["customer_id"], "visit_checked_in")
    if customer is None or _already_projected(session, customer.id, "visit", payload.get("visit_id")):
        return None
    vehicle = _vehicle(session, payload.get("vehicle_id"))
    mileage = payload.get("mileage_km")
    _raise_mileage(vehicle, mileage)
    occurred = parse_time(payload["checked_in_at"])
    _touch_last_visit(customer, occurred)
    entry = add_entry(session, customer_id=customer.id, kind="visit", occurred_at=occurred,
                      vehicle_id=payload.get("vehicle_id"), store_id=payload.get("store_id"),
                      reference_id=payload.get("visit_id"),
                      summary=", ".join(payload.get("needs") or []) or None, mileage_km=mileage,
                      source_event_id=event_id)
    if vehicle is not None and mileage is not None:
        session.flush()
        reminders.reestimate(session, vehicle, local_date(occurred, store_settings(
            session, payload.get("store_id")).time_zone))
    return entry


def record_order(session: Session, event_id: str, payload: dict) -> HistoryEntry | None:
    """sales.order_confirmed: a history line with the order total; its op codes are kept for delivery."""
    customer = _known_customer(session, payload["customer_id"], "order_confirmed")
    if customer is None or _already_projected(session, customer.id, "order", payload["order_id"]):
        return None
    op_codes = sorted({line["op_code"] for line in payload.get("lines", []) if line.get("op_code")})
    order = session.get(ServiceOrder, payload["order_id"])
    if order is None:
        order = ServiceOrder(order_id=payload["order_id"])
        session.add(order)
    order.store_id = payload["store_id"]
    order.customer_id = customer.id
    order.vehicle_id = payload.get("vehicle_id")
    order.op_codes = op_codes
    order.total_fen = payload["totals"]["total_fen"]
    vehicle = _vehicle(session, order.vehicle_id)
    if order.delivered_at is not None and vehicle is not None:
        # the delivery was projected first (the two facts travel on different queues)
        session.flush()
        reminders.record_services_done(session, vehicle, customer.id, order.store_id, op_codes,
                                       order.delivered_at, order.delivered_km)
    summary = "; ".join(line["description"] for line in payload.get("lines", []))[:1000] or None
    return add_entry(session, customer_id=customer.id, kind="order", occurred_at=parse_time(payload["confirmed_at"]),
                     vehicle_id=payload.get("vehicle_id"), store_id=payload["store_id"],
                     reference_id=payload["order_id"], summary=summary, amount_fen=payload["totals"]["total_fen"],
                     source_event_id=event_id)


def record_order_cancelled(session: Session, event_id: str, payload: dict) -> HistoryEntry | None:
    order = session.get(ServiceOrder, payload["order_id"])
    if order is None:
        return None  # an order crm never saw confirmed: nothing to show
    order.cancelled = True
    customer = _known_customer(session, order.customer_id, "order_cancelled")
    if customer is None:
        return None
    return add_entry(session, customer_id=customer.id, kind="order_cancelled",
                     occurred_at=parse_time(payload["cancelled_at"]), vehicle_id=order.vehicle_id,
                     store_id=payload["store_id"], reference_id=payload["order_id"], summary=payload.get("reason"),
                     source_event_id=event_id)


def record_delivery(session: Session, event_id: str, payload: dict) -> HistoryEntry | None:
    """workshop.vehicle_delivered: history, mileage out, next service due, and a follow-up in N days."""
    customer = _known_customer(session, payload["customer_id"], "vehicle_delivered")
    if customer is None or _already_projected(session, customer.id, "delivery", payload["work_order_id"]):
        return None
    vehicle = _vehicle(session, payload.get("vehicle_id"))
    mileage = payload.get("mileage_out_km")
    _raise_mileage(vehicle, mileage)
    delivered_at = parse_time(payload["delivered_at"])
    _touch_last_visit(customer, delivered_at)
    order = session.get(ServiceOrder, payload["order_id"])
    if order is None:  # the order confirmation has not been projected yet: remember the delivery for it
        order = ServiceOrder(order_id=payload["order_id"], store_id=payload["store_id"], customer_id=customer.id,
                             vehicle_id=payload.get("vehicle_id"), op_codes=[], total_fen=0)
        session.add(order)
    order.delivered_at, order.delivered_km = delivered_at, mileage
    summary = "交车 delivered"
    if payload.get("satisfied") is False:
        summary += " (customer not satisfied at delivery)"
    entry = add_entry(session, customer_id=customer.id, kind="delivery", occurred_at=delivered_at,
                      vehicle_id=payload.get("vehicle_id"), store_id=payload["store_id"],
                      reference_id=payload["work_order_id"], summary=summary, mileage_km=mileage,
                      amount_fen=order.total_fen or None, source_event_id=event_id)
    session.flush()
    followups.schedule_follow_up(session, customer_id=customer.id, payload=payload, delivered_at=delivered_at)
    if vehicle is not None:
        reminders.record_services_done(session, vehicle, customer.id, payload["store_id"], order.op_codes,
                                       delivered_at, mileage)
    return entry


def record_invoice_paid(session: Session, event_id: str, payload: dict) -> HistoryEntry | None:
    """finance.invoice_paid: spend, points and tier grow; a history line records it."""
    customer = _known_customer(session, payload["customer_id"], "invoice_paid")
    if customer is None or _already_projected(session, customer.id, "payment", payload["invoice_id"]):
        return None
    points = membership.accrue_spend(customer, payload["total_fen"])
    order = session.get(ServiceOrder, payload["order_id"])
    return add_entry(session, customer_id=customer.id, kind="payment", occurred_at=parse_time(payload["paid_at"]),
                     vehicle_id=order.vehicle_id if order else None, store_id=payload["store_id"],
                     reference_id=payload["invoice_id"], amount_fen=payload["total_fen"],
                     summary=f"+{points} points", source_event_id=event_id)


def record_refund(session: Session, event_id: str, occurred_at: str, payload: dict) -> HistoryEntry | None:
    customer = _known_customer(session, payload["customer_id"], "refund_issued")
    if customer is None or _already_projected(session, customer.id, "refund", payload["refund_id"]):
        return None
    points = membership.reverse_spend(customer, payload["amount_fen"])
    order = session.get(ServiceOrder, payload["order_id"])
    return add_entry(session, customer_id=customer.id, kind="refund", occurred_at=parse_time(occurred_at),
                     vehicle_id=order.vehicle_id if order else None, store_id=payload["store_id"],
                     reference_id=payload["refund_id"], amount_fen=-payload["amount_fen"],
                     summary=f"-{points} points", source_event_id=event_id)
