"""Care campaigns (客户关怀): a segment of customers, a message template, a time to send.

The timer (`start_due_campaigns`, then `claim_messages` / the providers' `send` / `record_outcome`, then
`receipts_due` / `record_receipt` and `finish_campaigns`; crm's `send_campaigns` owns the transactions) turns a due
campaign into one queued message per consenting customer (a unique constraint makes "never twice" a database fact),
sends them within each channel's per-minute budget through the outbox's providers and by its rules (retries with
backoff, WeChat → SMS, receipts), and completes the campaign when nothing is left queued. Consent is checked again
at send time, and the rules of every marketing message hold (marketing.py, shared with the outbox's reminders): a
message due in the store's quiet hours waits, still queued, until they end (`not_before`); one to a customer who
already had their weekly allowance of marketing — campaign and reminder messages counted together — is skipped
(`customer_rate_limited`). Replicas: a campaign is claimed with a conditional UPDATE; messages are taken with
`FOR UPDATE SKIP LOCKED` on PostgreSQL.
"""
from __future__ import annotations

import string
from datetime import date, datetime, timedelta

from sqlalchemy import case, extract, func, insert, or_, select, update
from sqlalchemy.orm import Session

from services.common.config import MessageLimits
from services.common.context import Caller
from services.common.db import rowcount
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.ids import new_id
from services.common.policy import required_store, sees_every_store

from ..models import Campaign, CampaignMessage, Customer, CustomerTag, ServiceDue, Vehicle
from .common import keyset_page, local_date, store_keys, store_settings, zone
from .marketing import CAMPAIGN_SENDING_LEASE, MINUTE, RATE_LIMITED, Allowance, store_quiet_until
from .messages import BATCH, RECEIPT_EVERY, RECEIPT_FOR, Outcome, Outgoing, next_step, openids_of
from .reminders import add_months, service_name, service_names

SENDING_LEASE = CAMPAIGN_SENDING_LEASE
"""A claimed message whose send was never answered (process killed) is claimed again after this."""
SEND_LOCK_BASE = 7_245_200
"""PostgreSQL advisory lock ids (base + channel index): one replica sends per channel at a time, so
the per-minute budget holds across replicas."""
PLACEHOLDERS = ("name", "tier", "points", "plate", "due_service", "due_on", "month")
MATERIALIZE_BATCH = 1000


def check_template(template: str) -> None:
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as exc:
        raise Invalid("The template is not well formed.", fields={"template": [str(exc)]},
                      code="template_malformed") from exc
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        raise Invalid("Unknown placeholders.", fields={"template": [
            f"Unknown: {', '.join('{' + n + '}' for n in unknown)}; "
            f"use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}."]},
                      code="template_unknown_placeholders",
                      params={"placeholders": unknown, "allowed": list(PLACEHOLDERS)})


def render(template: str, values: dict) -> str:
    return template.format_map({key: ("" if values.get(key) is None else values[key]) for key in PLACEHOLDERS})


# -- segments --------------------------------------------------------------------------------------
def audience(segment: dict, store_id: str | None, now: datetime, today: date):
    """A SELECT of the ids of customers in the segment who accept marketing messages."""
    return in_segment(segment, store_id, now, today).where(Customer.marketing_consent.is_(True))


def in_segment(segment: dict, store_id: str | None, now: datetime, today: date):
    """A SELECT of the ids of the (live) customers in the segment, whether or not they accept marketing."""
    query = select(Customer.id).where(Customer.erased_at.is_(None), Customer.merged_into_id.is_(None))
    if store_id:
        query = query.where(Customer.home_store_id == store_id)
    elif segment.get("home_store_id"):
        query = query.where(Customer.home_store_id == segment["home_store_id"])
    if segment.get("tags"):
        tagged = select(CustomerTag.customer_id).where(CustomerTag.tag.in_(segment["tags"]))
        query = query.where(Customer.id.in_(tagged))
    if segment.get("tiers"):
        query = query.where(Customer.tier.in_(segment["tiers"]))
    if segment.get("birthday_this_month"):
        query = query.where(extract("month", Customer.birthday) == today.month)
    if segment.get("last_visit_before_days") is not None:
        query = query.where(Customer.last_visit_at < now - timedelta(days=segment["last_visit_before_days"]))
    if segment.get("service_due_within_days") is not None:
        horizon = today + timedelta(days=segment["service_due_within_days"])
        query = query.where(Customer.id.in_(select(ServiceDue.customer_id).where(ServiceDue.due_on <= horizon)))
    if segment.get("spend_min_fen") is not None:
        query = query.where(Customer.spend_fen >= segment["spend_min_fen"])
    if segment.get("spend_max_fen") is not None:
        query = query.where(Customer.spend_fen <= segment["spend_max_fen"])
    return query


def preview(session: Session, data: dict, caller: Caller, now: datetime) -> dict:
    store_id = data.get("store_id")
    caller.require_store(store_id)
    today = local_date(now, store_settings(session, store_id).time_zone)
    consenting = case((Customer.marketing_consent.is_(True), 1), else_=0)
    ids = in_segment(data["segment"], store_id, now, today).with_only_columns(
        func.count(), func.coalesce(func.sum(consenting), 0))
    total, audience_count = session.execute(ids).one()
    return {"audience_count": audience_count, "without_consent_count": total - audience_count}


# -- campaigns -------------------------------------------------------------------------------------
def create_campaign(session: Session, data: dict, caller: Caller, now: datetime) -> Campaign:
    if data.get("store_id") is None and not sees_every_store(caller):
        data["store_id"] = required_store(caller, None, "campaign")
    caller.require_store(data.get("store_id"))
    check_template(data["template"])
    campaign = Campaign(store_id=data.get("store_id"), name=data["name"], channel=data["channel"],
                        template=data["template"], segment=data["segment"],
                        scheduled_at=data.get("scheduled_at") or now, status="scheduled",
                        recurrence=data.get("recurrence") or "none", created_by=caller.user_id, created_at=now)
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, campaign_id: str, caller: Caller) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"No campaign {campaign_id}.")
    if campaign.store_id is None and not sees_every_store(caller):
        return campaign  # chain-wide campaigns are visible to every store (HQ alone changes them)
    caller.require_store(campaign.store_id)
    return campaign


def message_counts(session: Session, campaign_ids: list[str]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {cid: {"queued": 0, "sent": 0, "delivered": 0, "failed": 0, "skipped": 0}
                                         for cid in campaign_ids}
    if campaign_ids:
        rows = session.execute(select(CampaignMessage.campaign_id, CampaignMessage.status, func.count())
                               .where(CampaignMessage.campaign_id.in_(campaign_ids))
                               .group_by(CampaignMessage.campaign_id, CampaignMessage.status))
        for campaign_id, status, count in rows:
            counts[campaign_id][status] = count
    return counts


def list_campaigns(session: Session, filters: dict, caller: Caller) -> dict:
    query = select(Campaign)
    if filters.get("store_id"):
        caller.require_store(filters["store_id"])
        query = query.where(Campaign.store_id == filters["store_id"])
    elif not sees_every_store(caller):
        query = query.where((Campaign.store_id.in_(sorted(caller.store_ids))) | Campaign.store_id.is_(None))
    if filters.get("status"):
        query = query.where(Campaign.status == filters["status"])
    if filters.get("cursor"):
        query = query.where(Campaign.id < filters["cursor"])
    rows = session.scalars(query.order_by(Campaign.id.desc()).limit(filters["limit"] + 1)).all()
    return keyset_page(list(rows), filters["limit"], key=lambda c: c.id)


def cancel_campaign(session: Session, campaign_id: str, caller: Caller, now: datetime) -> Campaign:
    campaign = get_campaign(session, campaign_id, caller)
    if campaign.store_id is None and not sees_every_store(caller):
        raise Forbidden("Only HQ changes chain-wide campaigns.", code="needs_hq")
    result = session.execute(update(Campaign).where(Campaign.id == campaign_id,
                                                    Campaign.status.in_(("scheduled", "sending")))
                             .values(status="cancelled", completed_at=now).execution_options(synchronize_session=False))
    if not rowcount(result):
        raise Conflict(f"This campaign is already {campaign.status}.",
                       code="campaign_state", params={"status": campaign.status})
    session.execute(update(CampaignMessage).where(CampaignMessage.campaign_id == campaign_id,
                                                  CampaignMessage.status == "queued")
                    .values(status="failed", error="campaign cancelled").execution_options(synchronize_session=False))
    session.refresh(campaign)
    return campaign


def list_messages(session: Session, campaign_id: str, filters: dict, caller: Caller) -> dict:
    get_campaign(session, campaign_id, caller)
    query = select(CampaignMessage).where(CampaignMessage.campaign_id == campaign_id)
    if filters.get("status"):
        query = query.where(CampaignMessage.status == filters["status"])
    if filters.get("cursor"):
        query = query.where(CampaignMessage.id > filters["cursor"])
    rows = session.scalars(query.order_by(CampaignMessage.id).limit(filters["limit"] + 1)).all()
    return keyset_page(list(rows), filters["limit"], key=lambda m: m.id)


# -- the timer's work ------------------------------------------------------------------------------
def next_month_same_time(moment: datetime, time_zone: str | None) -> datetime:
    """The same local day and time next month (clamped to the month's last day)."""
    local = moment.astimezone(zone(time_zone))
    day = add_months(local.date(), 1)
    return local.replace(year=day.year, month=day.month, day=day.day)


def schedule_next_run(session: Session, campaign: Campaign, now: datetime) -> Campaign:
    """A monthly campaign (birthday wishes) schedules its next run when a run starts; each run is its
    own campaign, so "once per customer" holds per run and a cancelled run stops the series."""
    scheduled_at = next_month_same_time(campaign.scheduled_at, store_settings(session, campaign.store_id).time_zone)
    while scheduled_at <= now:
        scheduled_at = next_month_same_time(scheduled_at, store_settings(session, campaign.store_id).time_zone)
    following = Campaign(store_id=campaign.store_id, name=campaign.name, channel=campaign.channel,
                         template=campaign.template, segment=campaign.segment, scheduled_at=scheduled_at,
                         status="scheduled", recurrence=campaign.recurrence, previous_id=campaign.id,
                         created_by=campaign.created_by, created_at=now)
    session.add(following)
    session.flush()
    return following


def _values_for(session: Session, customer_ids: list[str]) -> dict[str, dict]:
    values = {}
    customers = session.execute(select(Customer.id, Customer.name, Customer.tier, Customer.points,
                                       Customer.home_store_id).where(Customer.id.in_(customer_ids))).all()
    for cid, name, tier, points, home_store_id in customers:
        values[cid] = {"name": name, "tier": tier, "points": points, "home_store_id": home_store_id}
    for cid, plate in session.execute(select(Vehicle.customer_id, Vehicle.plate)
                                      .where(Vehicle.customer_id.in_(customer_ids)).order_by(Vehicle.id)):
        values[cid].setdefault("plate", plate)
    dues = session.execute(select(ServiceDue.customer_id, ServiceDue.service_type, ServiceDue.due_on)
                           .where(ServiceDue.customer_id.in_(customer_ids)).order_by(ServiceDue.due_on.desc()))
    names = service_names(session)
    for cid, service_type, due_on in dues:  # the soonest last: it stays
        values[cid]["due_service"], values[cid]["due_on"] = service_name(names, service_type), due_on.isoformat()
    return values


def start_due_campaigns(session: Session, now: datetime) -> list[str]:
    """Claim each due campaign (conditional UPDATE: one replica wins) and queue its messages."""
    started = []
    due = session.scalars(select(Campaign.id).where(Campaign.status == "scheduled", Campaign.scheduled_at <= now)
                          .order_by(Campaign.scheduled_at).limit(20)).all()
    for campaign_id in due:
        claimed = rowcount(session.execute(update(Campaign).where(Campaign.id == campaign_id,
                                                                  Campaign.status == "scheduled")
                                           .values(status="sending", started_at=now)
                                           .execution_options(synchronize_session=False)))
        if not claimed:
            continue
        campaign = session.get_one(Campaign, campaign_id)
        session.refresh(campaign)
        today = local_date(now, store_settings(session, campaign.store_id).time_zone)
        already = select(CampaignMessage.customer_id).where(CampaignMessage.campaign_id == campaign_id)
        ids = session.scalars(audience(campaign.segment, campaign.store_id, now, today)
                              .where(Customer.id.not_in(already))).all()
        for start in range(0, len(ids), MATERIALIZE_BATCH):
            chunk = list(ids[start:start + MATERIALIZE_BATCH])
            values = _values_for(session, chunk)
            month = str(today.month)
            session.execute(insert(CampaignMessage), [
                {"id": new_id(), "campaign_id": campaign_id, "customer_id": cid,
                 "store_id": campaign.store_id or values[cid]["home_store_id"], "channel": campaign.channel,
                 "body": render(campaign.template, {**values[cid], "month": month}), "status": "queued",
                 "attempts": 0, "created_at": now} for cid in chunk])
        campaign.audience_count = len(ids)
        if campaign.recurrence == "monthly":
            schedule_next_run(session, campaign, now)
        started.append(campaign_id)
    return started


def sending_channels(rate_limits: dict[str, int]) -> list[tuple[str, int, int]]:
    """(channel, per-minute budget, advisory lock id) of each channel, in a fixed order."""
    return [(channel, per_minute, SEND_LOCK_BASE + index)
            for index, (channel, per_minute) in enumerate(sorted(rate_limits.items()))]


def record_outcome(session: Session, message_id: str, outcome: Outcome, now: datetime,
                   retry_delays: tuple[float, ...]) -> None:
    """The provider's answer to a claimed message, by the outbox's rules (`messages.next_step`): sent (a text's
    receipt asked for from `RECEIPT_EVERY` on); refused by WeChat (not a follower, no openid at the store's
    account): by text instead; refused by SMS: failed; provider down: queued again after the next of
    `retry_delays` (then failed). `error` is the outbox's failure code and the provider's own (`code:detail`)."""
    message = session.get(CampaignMessage, message_id, with_for_update=True)
    if message is None or message.status != "queued":
        return  # cancelled meanwhile
    step = next_step(outcome, message.channel, message.attempts, retry_delays)
    error = f"{step.code}:{outcome.detail}" if outcome.detail else step.code
    if step.action == "sent":
        message.status, message.provider_id, message.error = "sent", outcome.provider_id, None
        message.receipt_at = now + RECEIPT_EVERY if message.channel == "sms" else None
    elif step.action == "failed":
        message.status, message.error, message.sent_at = "failed", error, None
    else:  # again later (by text at once, or after the provider's retry delay): not in flight meanwhile
        message.channel = "sms" if step.action == "to_sms" else message.channel
        message.not_before, message.sent_at, message.error = now + (step.delay or timedelta(0)), None, error


def receipts_due(session: Session, now: datetime) -> list[Outgoing]:
    """Sent campaign texts whose receipt is asked for now (each put off by `RECEIPT_EVERY`; none after
    `RECEIPT_FOR`), under the account that sent them."""
    rows = session.execute(select(CampaignMessage, Customer.mobile, CampaignMessage.store_id)
                           .join(Customer, Customer.id == CampaignMessage.customer_id)
                           .where(CampaignMessage.receipt_at <= now, CampaignMessage.status == "sent")
                           .order_by(CampaignMessage.receipt_at).limit(BATCH)).all()
    asked = []
    for message, mobile, store_id in rows:
        if message.sent_at is None or now - message.sent_at > RECEIPT_FOR or not mobile:
            message.receipt_at = None
            continue
        message.receipt_at = now + RECEIPT_EVERY
        asked.append(Outgoing(message.id, "sms", "campaign", {}, mobile, None,
                              message.sent_at.astimezone(zone(None)).date(), message.provider_id,
                              store_keys(session, store_id)))
    return asked


def record_receipt(session: Session, message_id: str, status: str, code: str | None, now: datetime) -> None:
    message = session.get(CampaignMessage, message_id)
    if message is None or message.status != "sent" or status == "pending":
        return
    message.receipt_at = None
    if status == "delivered":
        message.status, message.delivered_at = "delivered", now
    else:
        message.status, message.error = "failed", f"undeliverable:{code}" if code else "undeliverable"


def claim_messages(session: Session, now: datetime, channel: str, per_minute: int,
                   lock_key: int, limits: MessageLimits | None = None) -> list[Outgoing]:
    """Queued messages of `channel` within its budget, marked in flight (`sent_at` now, still queued:
    one that is never answered is claimed again after `SENDING_LEASE`); refused consent fails here, a message in
    its store's quiet hours (the campaign's store; a chain-wide one's: the customer's home store) is put off to their
    end (`not_before`), one beyond the customer's weekly marketing allowance is skipped and one beyond its store's
    marketing a minute (the outbox's counted with it: marketing.Allowance) waits a minute (`not_before`).
    Each goes out as the marketing template `campaign` with its text (`Outgoing`, as an outbox message), to the
    owner's openid at the store's official account or by text. The caller commits the claim before the provider is
    called, so no transaction waits on it, and commits each `record_outcome` on its own (crm's `send_campaigns`)."""
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
            select(func.pg_try_advisory_xact_lock(lock_key))):
        return []  # another replica is claiming on this channel right now
    recent = session.scalar(select(func.count()).select_from(CampaignMessage).where(
        CampaignMessage.channel == channel, CampaignMessage.sent_at > now - timedelta(minutes=1)))
    budget = per_minute - (recent or 0)
    if budget <= 0:
        return []
    query = (select(CampaignMessage, Customer, CampaignMessage.store_id)
             .join(Campaign, Campaign.id == CampaignMessage.campaign_id)
             .join(Customer, Customer.id == CampaignMessage.customer_id)
             .where(CampaignMessage.status == "queued", CampaignMessage.channel == channel,
                    Campaign.status == "sending",
                    or_(CampaignMessage.not_before.is_(None), CampaignMessage.not_before <= now),
                    or_(CampaignMessage.sent_at.is_(None), CampaignMessage.sent_at < now - SENDING_LEASE))
             .order_by(CampaignMessage.id).limit(budget))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=CampaignMessage)
    rows = session.execute(query).all()
    allowance = Allowance.read(session, {customer.id for _, customer, _ in rows},
                               {store_id for _, _, store_id in rows}, now, limits)
    openids = openids_of(session, {customer.id for _, customer, _ in rows}) if channel == "wechat" else {}
    quiet: dict[str | None, datetime | None] = {}
    claimed = []
    for message, customer, store_id in rows:
        if not customer.marketing_consent or customer.erased_at is not None:
            message.attempts += 1
            message.status, message.error = "failed", "no marketing consent"
            continue
        if store_id not in quiet:
            quiet[store_id] = store_quiet_until(session, store_id, now)
        if quiet[store_id] is not None:
            message.not_before, message.sent_at = quiet[store_id], None
            continue
        refusal = allowance.refusal(customer.id, store_id)
        if refusal == RATE_LIMITED:
            message.attempts += 1
            message.status, message.error, message.sent_at = "skipped", RATE_LIMITED, None
            continue
        if refusal is not None:  # the store's minute: the next one
            message.not_before, message.sent_at = now + MINUTE, None
            continue
        message.attempts += 1
        message.sent_at = now
        allowance.take(customer.id, store_id)
        claimed.append(Outgoing(message.id, channel, "campaign", {"body": message.body}, customer.mobile,
                                customer.wechat_openid, store_keys=store_keys(session, store_id),
                                openids=openids.get(customer.id, {})))
    return claimed


def finish_campaigns(session: Session, now: datetime) -> int:
    """A sending campaign with nothing left queued is completed."""
    queued = select(CampaignMessage.id).where(CampaignMessage.campaign_id == Campaign.id,
                                              CampaignMessage.status == "queued")
    result = session.execute(update(Campaign).where(Campaign.status == "sending", ~queued.exists())
                             .values(status="completed", completed_at=now).execution_options(synchronize_session=False))
    return rowcount(result)
