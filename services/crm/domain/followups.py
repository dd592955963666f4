"""Follow-ups (回访) after delivery and the complaints they (or a phone call) open.

A delivery schedules a follow-up N days later (per store, default 3). The timer turns
`scheduled` into `due` when its time comes. Staff record the outcome: not reached (tried
again the next day, `unreachable` after MAX_ATTEMPTS), or reached with a satisfaction
score; a score of 2 or less, or a complaint, opens a complaint:
`open → in_progress → resolved → closed` (a resolved complaint may go back to in_progress).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import rowcount
from services.common.errors import Conflict, Invalid, NotFound
from services.common.outbox import record_event
from services.common.periods import period_of
from services.common.policy import in_visible_stores, visible_stores

from ..models import Complaint, Customer, FollowUp, Vehicle
from .common import (add_entry, datetime_key, keyset_after, keyset_page, parse_time, resolve_customer,
                     store_settings, zone)

MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(days=1)
COMPLAINT_THRESHOLD = 2
"""A satisfaction score at or below this opens a complaint."""
DEFAULT_COMPLAINT_DEADLINE = timedelta(hours=48)
OPEN_FOLLOW_UP_STATES = ("scheduled", "due")
COMPLAINT_TRANSITIONS = {
    "open": {"in_progress"},
    "in_progress": {"resolved"},
    "resolved": {"closed", "in_progress"},
    "closed": set(),
}


# -- follow-ups ----------------------------------------------------------------------------------
def schedule_follow_up(session: Session, *, customer_id: str, payload: dict, delivered_at: datetime) -> FollowUp:
    existing = session.scalar(select(FollowUp).where(FollowUp.work_order_id == payload["work_order_id"]))
    if existing is not None:
        return existing
    delay = store_settings(session, payload["store_id"]).follow_up_delay_days
    follow_up = FollowUp(store_id=payload["store_id"], customer_id=customer_id, vehicle_id=payload.get("vehicle_id"),
                         work_order_id=payload["work_order_id"], order_id=payload.get("order_id"),
                         delivered_at=delivered_at, due_at=delivered_at + timedelta(days=delay), status="scheduled")
    session.add(follow_up)
    session.flush()
    return follow_up


def mark_due_follow_ups(session: Session, now: datetime) -> int:
    """Timer work: one conditional UPDATE, so replicas running it at once cannot clash."""
    result = session.execute(update(FollowUp).where(FollowUp.status == "scheduled", FollowUp.due_at <= now)
                             .values(status="due").execution_options(synchronize_session=False))
    return rowcount(result)


def get_follow_up(session: Session, follow_up_id: str, caller: Caller) -> FollowUp:
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(f"No follow-up {follow_up_id}.")
    caller.require_store(follow_up.store_id)
    return follow_up


def list_follow_ups(session: Session, filters: dict, caller: Caller) -> dict:
    """Oldest due first: the work list of the people who call customers back."""
    query = in_visible_stores(select(FollowUp), FollowUp.store_id, caller, filters.get("store_id"))
    if filters.get("status"):
        query = query.where(FollowUp.status == filters["status"])
    if filters.get("due_before"):
        query = query.where(FollowUp.due_at < filters["due_before"])
    if filters.get("customer_id"):
        query = query.where(FollowUp.customer_id == filters["customer_id"])
    query = keyset_after(query, FollowUp.due_at, FollowUp.id, filters.get("cursor"), descending=False,
                         as_type=parse_time)
    rows = session.scalars(query.limit(filters["limit"] + 1)).all()
    return keyset_page(list(rows), filters["limit"], key=lambda f: f"{datetime_key(f.due_at)}|{f.id}")


def contacts(session: Session, items: list[FollowUp]) -> dict[str, tuple[Customer, str | None]]:
    """follow-up id -> (customer, plate) in two queries."""
    customer_ids = {f.customer_id for f in items}
    vehicle_ids = {f.vehicle_id for f in items if f.vehicle_id}
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))} \
        if customer_ids else {}
    plates: dict[str | None, str] = dict(session.execute(
        select(Vehicle.id, Vehicle.plate).where(Vehicle.id.in_(vehicle_ids))).tuples().all()) if vehicle_ids else {}
    return {f.id: (customers[f.customer_id], plates.get(f.vehicle_id)) for f in items if f.customer_id in customers}


def complete_follow_up(session: Session, follow_up_id: str, outcome: dict, caller: Caller,
                       now: datetime) -> FollowUp:
    follow_up = session.scalar(select(FollowUp).where(FollowUp.id == follow_up_id).with_for_update())
    if follow_up is None:
        raise NotFound(f"No follow-up {follow_up_id}.")
    caller.require_store(follow_up.store_id)
    if follow_up.status not in OPEN_FOLLOW_UP_STATES:
        raise Conflict(f"This follow-up is already {follow_up.status}.", code="follow_up_state",
                       params={"status": follow_up.status})
    reached = outcome.get("reached", True)
    follow_up.attempts += 1
    follow_up.comment = outcome.get("comment")
    follow_up.completed_by = caller.user_id
    if not reached:
        follow_up.reached = False
        if follow_up.attempts >= MAX_ATTEMPTS:
            follow_up.status, follow_up.completed_at = "unreachable", now
        else:
            follow_up.status, follow_up.due_at = "scheduled", now + RETRY_AFTER
        return follow_up
    if outcome.get("satisfaction") is None:
        raise Invalid("A reached customer's satisfaction (1-5) is needed.", code="satisfaction_required",
                      fields={"satisfaction": ["Required when the customer was reached."]})
    follow_up.reached = True
    follow_up.satisfaction = outcome["satisfaction"]
    follow_up.status, follow_up.completed_at = "completed", now
    add_entry(session, customer_id=follow_up.customer_id, kind="follow_up", occurred_at=now,
              vehicle_id=follow_up.vehicle_id, store_id=follow_up.store_id, reference_id=follow_up.id,
              summary=f"satisfaction {follow_up.satisfaction}/5"
              + (f": {follow_up.comment}" if follow_up.comment else ""))
    complaint_text = outcome.get("complaint")
    if complaint_text is True:
        complaint_text = follow_up.comment or "Complaint made at follow-up."
    if complaint_text or follow_up.satisfaction <= COMPLAINT_THRESHOLD:
        complaint = open_complaint(session, {
            "store_id": follow_up.store_id, "customer_id": follow_up.customer_id, "vehicle_id": follow_up.vehicle_id,
            "description": complaint_text or follow_up.comment
            or f"Satisfaction {follow_up.satisfaction}/5 at follow-up.",
            "channel": "follow_up", "owner_id": outcome.get("complaint_owner_id"), "deadline_at": None,
        }, caller, now, follow_up=follow_up)
        follow_up.complaint_id = complaint.id
    return follow_up


def satisfaction_stats(session: Session, filters: dict, caller: Caller) -> dict:
    """Per store (and per day, ISO week or month when `group` says so) and in total over completed
    follow-ups whose completion falls in [from, to] (local days)."""
    stores = visible_stores(caller, filters.get("store_id"))
    tz = zone(store_settings(session, filters.get("store_id")).time_zone)
    start = datetime.combine(filters["from"], time.min, tzinfo=tz)
    end = datetime.combine(filters["to"] + timedelta(days=1), time.min, tzinfo=tz)
    query = select(FollowUp.store_id, FollowUp.status, FollowUp.satisfaction, FollowUp.complaint_id,
                   FollowUp.completed_at).where(
        FollowUp.status.in_(("completed", "unreachable")), FollowUp.completed_at >= start,
        FollowUp.completed_at < end)
    if stores is not None:
        query = query.where(FollowUp.store_id.in_(stores))
    per_store: dict[tuple[str, str | None], list] = defaultdict(list)
    for row in session.execute(query):
        per_store[row.store_id, period_of(row.completed_at.astimezone(tz).date(), filters.get("group"))].append(row)

    def summarise(rows) -> dict:
        scores = [r.satisfaction for r in rows if r.status == "completed" and r.satisfaction is not None]
        return {"follow_ups": len(rows), "reached": len(scores),
                "unreachable": sum(1 for r in rows if r.status == "unreachable"),
                "average_satisfaction": round(sum(scores) / len(scores), 2) if scores else None,
                "distribution": {str(score): scores.count(score) for score in range(1, 6)},
                "satisfied_pct": round(100 * sum(1 for s in scores if s >= 4) / len(scores), 1) if scores else None,
                "complaints": sum(1 for r in rows if r.complaint_id)}

    everything = [row for rows in per_store.values() for row in rows]
    return {"from": filters["from"], "to": filters["to"],
            "total": summarise(everything),
            "stores": [{"store_id": store, "period": period, **summarise(rows)}
                       for (store, period), rows in sorted(per_store.items(), key=lambda item: (item[0][0],
                                                                                                 item[0][1] or ""))]}


def order_ratings(session: Session, filters: dict, caller: Caller) -> list[dict]:
    """The store's follow-ups completed (reached or not) in [from, to] (its local days), by order: the rating
    and whether a complaint was filed from it — the people report credits them to the order's advisor, and
    counts them as `satisfaction_stats` does."""
    caller.require_store(filters["store_id"])
    tz = zone(store_settings(session, filters["store_id"]).time_zone)
    start = datetime.combine(filters["from"], time.min, tzinfo=tz)
    end = datetime.combine(filters["to"] + timedelta(days=1), time.min, tzinfo=tz)
    rows = session.execute(select(FollowUp.order_id, FollowUp.work_order_id, FollowUp.status, FollowUp.satisfaction,
                                  FollowUp.complaint_id).where(
        FollowUp.store_id == filters["store_id"], FollowUp.status.in_(("completed", "unreachable")),
        FollowUp.completed_at >= start, FollowUp.completed_at < end).order_by(FollowUp.completed_at, FollowUp.id))
    return [{"order_id": row.order_id, "work_order_id": row.work_order_id,
             "satisfaction": row.satisfaction if row.status == "completed" else None,
             "complaint": row.complaint_id is not None} for row in rows]


# -- complaints ----------------------------------------------------------------------------------
def open_complaint(session: Session, data: dict, caller: Caller, now: datetime,
                   follow_up: FollowUp | None = None) -> Complaint:
    caller.require_store(data["store_id"])
    customer = resolve_customer(session, data["customer_id"])
    if customer is None:
        raise NotFound(f"No customer {data['customer_id']}.", fields={"customer_id": ["Unknown customer."]},
                       code="unknown_customer")
    vehicle = session.get(Vehicle, data["vehicle_id"]) if data.get("vehicle_id") else None
    if data.get("vehicle_id") and (vehicle is None or vehicle.customer_id != customer.id):
        raise Invalid("The vehicle is not one of this customer's.",
                      fields={"vehicle_id": ["Not the customer's vehicle."]}, code="vehicle_of_other_customer",
                      params={"plate": vehicle.plate if vehicle else ""})
    complaint = Complaint(
        store_id=data["store_id"], customer_id=customer.id, vehicle_id=data.get("vehicle_id"),
        follow_up_id=follow_up.id if follow_up else None,
        work_order_id=follow_up.work_order_id if follow_up else data.get("work_order_id"),
        channel=data.get("channel") or "phone", description=data["description"], status="open",
        owner_id=data.get("owner_id"), deadline_at=data.get("deadline_at") or now + DEFAULT_COMPLAINT_DEADLINE,
        created_by=caller.user_id, created_at=now)
    session.add(complaint)
    session.flush()
    add_entry(session, customer_id=customer.id, kind="complaint", occurred_at=now, vehicle_id=complaint.vehicle_id,
              store_id=complaint.store_id, reference_id=complaint.id, summary=complaint.description[:500])
    complaint_changed(session, complaint, now)
    return complaint


def complaint_changed(session: Session, complaint: Complaint, now: datetime) -> None:
    """`crm.complaint_changed`: the store's list and the owner's phone (the live streams) follow the complaint."""
    record_event(session, "complaint_changed", {
        "complaint_id": complaint.id, "store_id": complaint.store_id, "customer_id": complaint.customer_id,
        "status": complaint.status, "changed_at": now.isoformat()}, store_id=complaint.store_id)


def get_complaint(session: Session, complaint_id: str, caller: Caller, lock: bool = False) -> Complaint:
    query = select(Complaint).where(Complaint.id == complaint_id)
    complaint = session.scalar(query.with_for_update() if lock else query)
    if complaint is None:
        raise NotFound(f"No complaint {complaint_id}.")
    caller.require_store(complaint.store_id)
    return complaint


def complaint_owner(session: Session, complaint_id: str, caller: Caller) -> dict:
    """A complaint as the owner of its evidence (photos of the damage, the customer's documents): its
    store's scope, whatever its status."""
    complaint = get_complaint(session, complaint_id, caller)
    return {"store_id": complaint.store_id, "owner_type": "complaint", "owner_id": complaint.id,
            "parent_id": complaint.id}


def update_complaint(session: Session, complaint_id: str, changes: dict, caller: Caller, now: datetime) -> Complaint:
    complaint = get_complaint(session, complaint_id, caller, lock=True)
    if complaint.status == "closed":
        raise Conflict("A closed complaint cannot change.",
                       code="complaint_state", params={"status": complaint.status})
    target = changes.pop("status", None)
    for key, value in changes.items():
        setattr(complaint, key, value)
    if target and target != complaint.status:
        if target not in COMPLAINT_TRANSITIONS[complaint.status]:
            allowed = ", ".join(sorted(COMPLAINT_TRANSITIONS[complaint.status])) or "none"
            raise Conflict(f"A complaint cannot go from {complaint.status} to {target}.",
                           fields={"status": [f"Allowed from {complaint.status}: {allowed}."]},
                           code="complaint_transition", params={"status": complaint.status, "target": target})
        if target == "resolved" and not complaint.resolution:
            raise Invalid("Say how it was resolved.", fields={"resolution": ["Required to resolve a complaint."]},
                          code="resolution_required")
        if target == "in_progress" and not complaint.owner_id:
            complaint.owner_id = caller.user_id
        complaint.status = target
        if target == "resolved":
            complaint.resolved_at = now
            add_entry(session, customer_id=complaint.customer_id, kind="complaint", occurred_at=now,
                      vehicle_id=complaint.vehicle_id, store_id=complaint.store_id, reference_id=complaint.id,
                      summary=f"resolved: {complaint.resolution}"[:500])
        elif target == "closed":
            complaint.closed_at = now
        complaint_changed(session, complaint, now)
    return complaint


def list_complaints(session: Session, filters: dict, caller: Caller) -> dict:
    query = in_visible_stores(select(Complaint), Complaint.store_id, caller, filters.get("store_id"))
    for column in ("status", "customer_id", "owner_id"):
        if filters.get(column):
            query = query.where(getattr(Complaint, column) == filters[column])
    if filters.get("overdue"):
        query = query.where(Complaint.status.in_(("open", "in_progress")), Complaint.deadline_at < filters["now"])
    if filters.get("cursor"):
        query = query.where(Complaint.id < filters["cursor"])
    rows = session.scalars(query.order_by(Complaint.id.desc()).limit(filters["limit"] + 1)).all()
    return keyset_page(list(rows), filters["limit"], key=lambda c: c.id)


