"""Customers and vehicles: register, change, find; referrals and key accounts; merge
duplicates; erase on request (anonymise, keep financial and service records); and the
audit log of who read full contact data or changed it."""
from __future__ import annotations

import re
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Select, Table, delete, func, insert, select, union, update
from sqlalchemy.orm import Session, joinedload

from services.common.attachments import forget_documents
from services.common.context import Caller
from services.common.db import rowcount, unique_or_conflict, utcnow
from services.common.errors import Conflict, Invalid, NotFound
from services.common.ids import new_id
from services.common.outbox import record_event
from services.common.privacy import ERASED_NAME
from services.common.schemas import page
from services.common.search import TRIGRAM, contains, starts_with
from services.common.validators import normalize_mobile, normalize_plate

from ..models import (AuditEntry, CampaignMessage, Message, Complaint, Customer, CustomerTag, FollowUp, HistoryEntry,
                      ServiceDue, ServiceOrder, Vehicle, WeChatOpenid)
from . import membership
from .common import add_entry


def get_customer(session: Session, customer_id: str) -> Customer:
    """The customer with tags and vehicles, in one query (a read of a customer is crm's busiest RPC)."""
    customer = session.get(Customer, customer_id,
                           options=[joinedload(Customer.tag_rows), joinedload(Customer.vehicles)])
    if customer is None:
        raise NotFound(f"No customer {customer_id}.")
    return customer


def get_vehicle(session: Session, vehicle_id: str) -> Vehicle:
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(f"No vehicle {vehicle_id}.")
    return vehicle


def vehicles_for_records(session: Session, vehicle_ids: list[str]) -> list[dict]:
    """Plate and VIN of the cars asked for (a batch; unknown ids are left out)."""
    ids = sorted({vehicle_id for vehicle_id in vehicle_ids if vehicle_id})[:200]
    if not ids:
        return []
    rows = session.execute(select(Vehicle.id, Vehicle.plate, Vehicle.vin).where(Vehicle.id.in_(ids)))
    return [{"vehicle_id": row.id, "plate": row.plate, "vin": row.vin} for row in rows]


TAKEN = {"mobile": "mobile_taken", "plate": "plate_taken", "vin": "vin_taken"}
"""A unique field already registered: the code of its Conflict."""
_CUSTOMER_UNIQUE = {"mobile": "This mobile number is already registered."}


def _ensure_unique(session: Session, model, column: str, value, exclude_id: str | None, message: str) -> None:
    if value is None:
        return
    query = select(model.id).where(getattr(model, column) == value)
    if exclude_id:
        query = query.where(model.id != exclude_id)
    if session.execute(query.limit(1)).first():
        raise Conflict(message, fields={column: [message]}, code=TAKEN[column])


def _check_referrer(session: Session, referrer_id: str | None, customer_id: str | None) -> None:
    if referrer_id is None:
        return
    if referrer_id == customer_id:
        raise Invalid("A customer cannot refer themselves.", fields={"referred_by_id": ["Not themselves."]},
                      code="self_referral")
    referrer = session.get(Customer, referrer_id)
    if referrer is None or referrer.erased_at is not None or referrer.merged_into_id:
        raise Invalid("Unknown referrer.", fields={"referred_by_id": ["No such customer."]}, code="unknown_referrer")


def register_customer(session: Session, data: dict) -> Customer:
    _ensure_unique(session, Customer, "mobile", data["mobile"], None, "This mobile number is already registered.")
    _check_referrer(session, data.get("referred_by_id"), None)
    tags = data.pop("tags", [])
    customer = Customer(**data)
    customer.tags = tags
    with unique_or_conflict(session, _CUSTOMER_UNIQUE, TAKEN):
        session.add(customer)
    record_event(session, "customer_registered", {
        "customer_id": customer.id, "name": customer.name, "home_store_id": customer.home_store_id,
        "source": customer.source, "marketing_consent": customer.marketing_consent, "tags": tags,
    }, store_id=customer.home_store_id)
    return customer


def update_customer(session: Session, customer_id: str, changes: dict) -> Customer:
    customer = get_customer(session, customer_id)
    if customer.erased_at is not None or customer.merged_into_id:
        raise Conflict("This customer was erased or merged and cannot change.",
                       code="customer_closed", params={"customer": customer.name})
    if "referred_by_id" in changes:
        _check_referrer(session, changes["referred_by_id"], customer.id)
    if "mobile" in changes:
        _ensure_unique(session, Customer, "mobile", changes["mobile"], customer.id,
                       "This mobile number is already registered.")
    with unique_or_conflict(session, _CUSTOMER_UNIQUE, TAKEN):
        for key, value in changes.items():
            setattr(customer, key, value)
    return customer


_VEHICLE_UNIQUE = {"plate": "A vehicle with this plate is already registered.",
                   "vin": "A vehicle with this VIN is already registered."}


def add_vehicle(session: Session, customer_id: str, data: dict) -> Vehicle:
    customer = get_customer(session, customer_id)
    for column in ("plate", "vin"):
        _ensure_unique(session, Vehicle, column, data.get(column), None, _VEHICLE_UNIQUE[column])
    vehicle = Vehicle(customer_id=customer.id, **data)
    with unique_or_conflict(session, _VEHICLE_UNIQUE, TAKEN):
        session.add(vehicle)
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
    with unique_or_conflict(session, _VEHICLE_UNIQUE, TAKEN):
        for key, value in changes.items():
            setattr(vehicle, key, value)
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


def referral_count(session: Session, customer_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Customer).where(Customer.referred_by_id == customer_id)) or 0


def _fragments(text: str) -> list[ColumnElement[bool]]:
    """Where `text` may be: a customer's name, mobile number or a car's plate, any part of them (a whole
    mobile number or plate is looked up as such before). A term shorter than a trigram matches the
    start of a name: a chain's millions of names are not read whole for two characters."""
    if len(text) < TRIGRAM:
        return [starts_with(Customer.name, text)]
    found = [contains(Customer.name, text)]
    digits = re.sub(r"[\s\-]", "", text)
    if digits.isdigit() and len(digits) >= TRIGRAM:
        found.append(contains(Customer.mobile, digits))
    fragment = re.sub(r"[\s·\-•.]", "", text)
    if len(fragment) >= TRIGRAM:
        found.append(Customer.id.in_(select(Vehicle.customer_id).where(contains(Vehicle.plate, fragment))))
    return found


def _page_of_any(query: Select, conditions: list[ColumnElement[bool]], cursor: str | None,
                 limit: int) -> ColumnElement[bool]:
    """The customers of the page `query` finds with any of `conditions`: the page of each condition
    apart, united (the page of a union is within the union of its parts' pages), so that each part is
    one index scan the database stops at the page however many customers match (`130` finds a chain's
    every mobile number: the newest page, not all of them)."""
    if len(conditions) == 1:
        return conditions[0]
    pages = [_keyset(query.with_only_columns(Customer.id).where(condition), Customer, cursor, limit).subquery()
             for condition in conditions]
    return Customer.id.in_(union(*(select(part.c.id) for part in pages)))


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
    for column in ("tier", "key_account_owner_id", "referred_by_id"):
        if filters.get(column):
            query = query.where(getattr(Customer, column) == filters[column])
    if filters.get("ids"):
        query = query.where(Customer.id.in_(filters["ids"].split(",")))
    elif not filters.get("include_merged"):
        query = query.where(Customer.merged_into_id.is_(None))
    if filters.get("q"):
        text = filters["q"].strip()
        if mobile := _as_mobile(text):
            query = query.where(Customer.mobile == mobile)
        elif plate := _as_plate(text):
            query = query.where(Customer.id.in_(select(Vehicle.customer_id).where(Vehicle.plate == plate)))
        else:
            query = query.where(_page_of_any(query, _fragments(text), filters.get("cursor"), filters["limit"]))
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


# -- privacy: audit, erase -------------------------------------------------------------------------
def audit(session: Session, caller: Caller, customer_ids: list[str], action: str,
          fields: list[str] | None = None) -> None:
    """One row per customer: who (user, role, request) did what to which customer's data (names of
    fields only, never the values)."""
    if not customer_ids:
        return
    session.execute(insert(AuditEntry), [
        {"id": new_id(), "customer_id": cid, "action": action, "user_id": caller.user_id, "role": caller.role,
         "request_id": caller.request_id, "fields": fields, "at": utcnow()}
        for cid in customer_ids])


def audit_log(session: Session, customer_id: str, limit: int, cursor: str | None) -> dict:
    query = select(AuditEntry).where(AuditEntry.customer_id == customer_id)
    if cursor:
        query = query.where(AuditEntry.id < cursor)
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)).all()
    return page(list(rows), limit, key=lambda entry: entry.id)



def _placeholder(prefix: str, record_id: str, width: int) -> str:
    """A unique value that can never be a real mobile or plate (they never start with these)."""
    return (prefix + record_id[-(width - len(prefix)):]).upper()


def erase_customer(session: Session, customer_id: str, now: datetime) -> Customer:
    """Right to erasure: personal data is anonymised; spend, points, history, invoices references,
    follow-ups and complaints stay (they are the store's records), now about nobody in particular; the
    photos and files of the customer's complaints go (rows now, bytes within seconds)."""
    customer = get_customer(session, customer_id)
    if customer.erased_at is not None:
        raise Conflict("This customer is already erased.", code="customer_closed", params={"customer": customer.name})
    customer.name = ERASED_NAME
    customer.mobile = _placeholder("X", customer.id, 11)
    customer.gender, customer.birthday, customer.notes = "unknown", None, None
    customer.marketing_consent, customer.wechat_openid = False, None
    customer.tags = []
    customer.key_account_owner_id = None
    customer.erased_at = now
    for vehicle in customer.vehicles:
        vehicle.plate = _placeholder("X", vehicle.id, 10)
        vehicle.vin, vehicle.color = None, None
    session.execute(delete(WeChatOpenid).where(WeChatOpenid.customer_id == customer.id))
    session.execute(update(CampaignMessage).where(CampaignMessage.customer_id == customer.id)
                    .values(body="[erased]").execution_options(synchronize_session=False))
    session.execute(update(Message).where(Message.customer_id == customer.id)  # they named plates and links
                    .values(params={}).execution_options(synchronize_session=False))
    session.execute(update(FollowUp).where(FollowUp.customer_id == customer.id)
                    .values(comment=None).execution_options(synchronize_session=False))
    session.execute(update(HistoryEntry).where(HistoryEntry.customer_id == customer.id,
                                               HistoryEntry.kind == "follow_up")
                    .values(summary=None).execution_options(synchronize_session=False))  # it quoted the comment
    forget_documents(session, list(session.scalars(select(Complaint.id).where(Complaint.customer_id == customer.id))))
    session.flush()
    record_event(session, "customer_erased", {"customer_id": customer.id, "erased_at": now.isoformat()},
                 store_id=customer.home_store_id)
    return customer


# -- duplicates ------------------------------------------------------------------------------------
_FILL_IF_EMPTY = ("birthday", "home_store_id", "source", "notes", "key_account_owner_id", "referred_by_id")


def merge_customers(session: Session, survivor_id: str, duplicate_id: str, now: datetime) -> Customer:
    """Fold `duplicate` into `survivor`: vehicles, history, follow-ups, complaints, reminders, campaign
    messages, referrals, tags, spend and points move over; the duplicate remains as a pointer
    (`merged_into_id`) so late events and old links still find the customer."""
    if survivor_id == duplicate_id:
        raise Invalid("Pick two different customers.", fields={"duplicate_id": ["Same as the survivor."]},
                      code="merge_same_customer")
    survivor, duplicate = get_customer(session, survivor_id), get_customer(session, duplicate_id)
    for record in (survivor, duplicate):
        if record.merged_into_id or record.erased_at is not None:
            raise Conflict(f"Customer {record.id} was already merged or erased.",
                           code="customer_closed", params={"customer": record.name})
    for field in _FILL_IF_EMPTY:
        if getattr(survivor, field) is None and getattr(duplicate, field) is not None:
            setattr(survivor, field, getattr(duplicate, field))
    if survivor.referred_by_id == duplicate.id:
        survivor.referred_by_id = None
    if survivor.gender == "unknown":
        survivor.gender = duplicate.gender
    survivor.marketing_consent = survivor.marketing_consent and duplicate.marketing_consent  # opt-out wins
    survivor.tags = survivor.tags + duplicate.tags
    survivor.spend_fen += duplicate.spend_fen
    survivor.points += duplicate.points
    survivor.tier = membership.tier_for(survivor.spend_fen)
    if duplicate.last_visit_at and (survivor.last_visit_at is None or duplicate.last_visit_at > survivor.last_visit_at):
        survivor.last_visit_at = duplicate.last_visit_at
    moved = {}
    for model in (Vehicle, HistoryEntry, FollowUp, Complaint, ServiceDue, ServiceOrder):
        moved[model.__tablename__] = rowcount(session.execute(
            update(model).where(model.customer_id == duplicate.id).values(customer_id=survivor.id)
            .execution_options(synchronize_session=False)))
    # a campaign either already reached the survivor (drop the duplicate's copy) or moves over
    reached = select(CampaignMessage.campaign_id).where(CampaignMessage.customer_id == survivor.id)
    session.execute(delete(cast(Table, CampaignMessage.__table__)).where(CampaignMessage.customer_id == duplicate.id,
                                                                        CampaignMessage.campaign_id.in_(reached)))
    session.execute(update(CampaignMessage).where(CampaignMessage.customer_id == duplicate.id)
                    .values(customer_id=survivor.id).execution_options(synchronize_session=False))
    session.execute(update(Customer).where(Customer.referred_by_id == duplicate.id, Customer.id != survivor.id)
                    .values(referred_by_id=survivor.id).execution_options(synchronize_session=False))
    duplicate.merged_into_id = survivor.id
    duplicate.mobile = _placeholder("M", duplicate.id, 11)
    duplicate.tags = []
    duplicate.marketing_consent = False
    duplicate.referred_by_id = None
    add_entry(session, customer_id=survivor.id, kind="merge", occurred_at=now, reference_id=duplicate.id,
              summary=f"merged duplicate {duplicate.id} ({moved['vehicles']} vehicles, "
                      f"{moved['history_entries']} history lines)")
    session.flush()
    session.expire(survivor, ["vehicles"])
    record_event(session, "customer_merged", {"survivor_id": survivor.id, "duplicate_id": duplicate.id,
                                              "merged_at": now.isoformat()}, store_id=survivor.home_store_id)
    return survivor
