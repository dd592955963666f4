"""The customer channel's view of crm: a car owner (caller role `customer`) answers their own
follow-up (回访) with a score and a comment — the same record and rules as a staff call, so a low
score opens a complaint — files a complaint the store works in its complaint list, sees their
complaints' resolution and their cars' service-due reminders, and switches their marketing consent.
Anyone else's record is unknown (NotFound)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.errors import Conflict, NotFound

from ..models import Complaint, Customer, FollowUp, ServiceDue, Vehicle, WeChatOpenid
from .messages import message_log
from .followups import OPEN_FOLLOW_UP_STATES, complete_follow_up, open_complaint

CHANNEL = "online"
"""The complaint channel of what a customer files from the phone."""


def me(session: Session, caller: Caller) -> Customer:
    customer = session.get(Customer, caller.require_customer())
    if customer is None or customer.erased_at is not None or customer.merged_into_id:
        raise NotFound("No such customer.")
    return customer


def set_consent(session: Session, caller: Caller, consent: bool) -> Customer:
    """The customer's own marketing consent; campaigns check it again when they send."""
    customer = me(session, caller)
    customer.marketing_consent = consent
    return customer


def openid_at(session: Session, caller: Caller, appid: str) -> dict:
    """The owner's openid at the official account `appid` (None until WeChat's 网页授权 told it)."""
    found = session.get(WeChatOpenid, (me(session, caller).id, appid))
    return {"appid": appid, "openid": found.openid if found else None}


def remember_openid(session: Session, caller: Caller, appid: str, openid: str) -> dict:
    """The openid WeChat's 网页授权 answered for the signed-in owner at `appid`: kept (replacing an older one),
    so the next payment inside WeChat needs no detour."""
    customer = me(session, caller)
    found = session.get(WeChatOpenid, (customer.id, appid), with_for_update=True)
    if found is None:
        session.add(WeChatOpenid(customer_id=customer.id, appid=appid, openid=openid))
    else:
        found.openid = openid
    return {"appid": appid, "openid": openid}


def follow_ups(session: Session, caller: Caller, vehicle_id: str | None) -> list[FollowUp]:
    """The customer's follow-ups (open ones to answer, answered ones with their score), latest first."""
    query = select(FollowUp).where(FollowUp.customer_id == caller.require_customer())
    if vehicle_id:
        query = query.where(FollowUp.vehicle_id == vehicle_id)
    return list(session.scalars(query.order_by(FollowUp.delivered_at.desc(), FollowUp.id.desc()).limit(50)))


def rate(session: Session, caller: Caller, follow_up_id: str, data: dict, now: datetime) -> FollowUp:
    """The customer answers their own follow-up: reached, with their score and comment."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.customer_id != caller.require_customer():
        raise NotFound(f"No follow-up {follow_up_id}.")
    if follow_up.status not in OPEN_FOLLOW_UP_STATES:
        raise Conflict("This visit was rated already.", code="follow_up_state", params={"status": follow_up.status})
    return complete_follow_up(session, follow_up_id, {"reached": True, "satisfaction": data["satisfaction"],
                                                      "comment": data.get("comment")},
                              caller.at_store(follow_up.store_id), now)


def complain(session: Session, caller: Caller, data: dict, now: datetime) -> Complaint:
    """A complaint the customer files about a store (and one of their cars)."""
    customer_id = caller.require_customer()
    if data.get("vehicle_id"):
        vehicle = session.get(Vehicle, data["vehicle_id"])
        if vehicle is None or vehicle.customer_id != customer_id:
            raise NotFound(f"No vehicle {data['vehicle_id']}.")
    return open_complaint(session, {"store_id": data["store_id"], "customer_id": customer_id,
                                    "vehicle_id": data.get("vehicle_id"), "channel": CHANNEL,
                                    "description": data["description"], "owner_id": None, "deadline_at": None},
                          caller.at_store(data["store_id"]), now)


def complaints(session: Session, caller: Caller) -> list[Complaint]:
    """The customer's complaints (filed from the phone or opened by a low score), latest first."""
    return list(session.scalars(select(Complaint).where(Complaint.customer_id == caller.require_customer())
                                .order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(50)))


def reminders(session: Session, caller: Caller) -> list[ServiceDue]:
    """The next service due of each of the customer's cars and service types, soonest first."""
    return list(session.scalars(select(ServiceDue).where(ServiceDue.customer_id == caller.require_customer())
                                .order_by(ServiceDue.due_on, ServiceDue.id).limit(50)))


def messages(session: Session, caller: Caller, limit: int, cursor: str | None) -> dict:
    """The messages the stores sent (or are sending) the customer — the outbox's and campaigns' — newest first, a
    page at a time."""
    return message_log(session, {"customer_id": caller.require_customer(), "limit": limit, "cursor": cursor})
