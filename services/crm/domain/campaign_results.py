"""Campaign results (营销活动效果, issue 29): each campaign's messages sent over local days, as the customer and
the local day of each send (the gateway joins finance's invoices within N days of each: GET /v1/reports/campaigns),
and how many of its messages queued over those days were skipped because the customer had had their week's
marketing (`skipped`; a campaign whose every message was skipped has a row too).

Scope: HQ asking for the chain sees every campaign and every send. Asked for stores (a store manager's own, or
one store), a store's own campaigns count all their sends, and chain-wide ones (store_id null) count only their
sends to customers whose home store is one of those stores; other stores' campaigns are left out."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Campaign, CampaignMessage, Customer
from .common import local_date, store_settings, zone


def campaign_sends(session: Session, stores: list[str] | None, store_id: str | None, first: date,
                   last: date) -> list[dict]:
    """A row per campaign with a message sent, or skipped, over [first, last] (the store's zone; `stores` None: the
    chain's): its name, store and channel, its sends (customer id, local day) and how many of its messages queued
    over the days were skipped, oldest campaign first."""
    time_zone = store_settings(session, store_id).time_zone
    tz = zone(time_zone)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    campaign = (Campaign.created_at, Campaign.id, Campaign.name, Campaign.store_id, Campaign.channel)
    sent = select(*campaign, CampaignMessage.customer_id, CampaignMessage.sent_at).join(
        CampaignMessage, CampaignMessage.campaign_id == Campaign.id).where(
        CampaignMessage.status.in_(("sent", "delivered")), CampaignMessage.sent_at >= start,
        CampaignMessage.sent_at < end)
    skipped = select(*campaign, func.count()).join(CampaignMessage, CampaignMessage.campaign_id == Campaign.id).where(
        CampaignMessage.status == "skipped", CampaignMessage.created_at >= start, CampaignMessage.created_at < end)
    found: dict[tuple, dict] = {}
    for query in _in_scope(sent, stores):
        for created_at, campaign_id, name, store, channel, customer_id, sent_at in session.execute(
                query.order_by(CampaignMessage.customer_id)):
            found.setdefault((created_at, campaign_id), _row(campaign_id, name, store, channel))["sends"].append(
                {"customer_id": customer_id, "day": local_date(sent_at, time_zone)})
    for query in _in_scope(skipped, stores):
        for created_at, campaign_id, name, store, channel, count in session.execute(query.group_by(*campaign)):
            found.setdefault((created_at, campaign_id), _row(campaign_id, name, store, channel))["skipped"] = count
    return [found[key] for key in sorted(found)]


def _row(campaign_id: str, name: str, store_id: str | None, channel: str) -> dict:
    return {"campaign_id": campaign_id, "name": name, "store_id": store_id, "channel": channel, "sends": [],
            "skipped": 0}


def _in_scope(query, stores: list[str] | None) -> list:
    """Asked by store: a store's own campaigns, and a chain-wide one's messages to the stores' home customers — two
    reads (a campaign is one or the other), each starting from the store's campaigns or customers, so a store's
    report reads that store's messages whatever the chain's size (one `OR` read scanned the chain's days)."""
    if stores is None:
        return [query]
    return [query.where(Campaign.store_id.in_(stores)),
            query.join(Customer, Customer.id == CampaignMessage.customer_id).where(
                Campaign.store_id.is_(None), Customer.home_store_id.in_(stores))]
