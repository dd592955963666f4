"""Campaign results (营销活动效果, issue 29): each campaign's messages sent over local days, as the customer and
the local day of each send (the gateway joins finance's invoices within N days of each: GET /v1/reports/campaigns).

Scope: HQ asking for the chain sees every campaign and every send. Asked for stores (a store manager's own, or
one store), a store's own campaigns count all their sends, and chain-wide ones (store_id null) count only their
sends to customers whose home store is one of those stores; other stores' campaigns are left out."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import Campaign, CampaignMessage, Customer
from .common import local_date, store_settings, zone


def campaign_sends(session: Session, stores: list[str] | None, store_id: str | None, first: date,
                   last: date) -> list[dict]:
    """A row per campaign with a message sent over [first, last] (the store's zone; `stores` None: the chain's):
    its name, store and channel, and its sends (customer id, local day), oldest campaign first."""
    time_zone = store_settings(session, store_id).time_zone
    tz = zone(time_zone)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    query = (select(Campaign.id, Campaign.name, Campaign.store_id, Campaign.channel, CampaignMessage.customer_id,
                    CampaignMessage.sent_at)
             .join(CampaignMessage, CampaignMessage.campaign_id == Campaign.id)
             .where(CampaignMessage.status == "sent", CampaignMessage.sent_at >= start, CampaignMessage.sent_at < end))
    if stores is not None:
        query = query.join(Customer, Customer.id == CampaignMessage.customer_id).where(or_(
            Campaign.store_id.in_(stores), Campaign.store_id.is_(None) & Customer.home_store_id.in_(stores)))
    found: dict[str, dict] = {}
    for campaign_id, name, store, channel, customer_id, sent_at in session.execute(
            query.order_by(Campaign.created_at, Campaign.id, CampaignMessage.customer_id)):
        row = found.setdefault(campaign_id, {"campaign_id": campaign_id, "name": name, "store_id": store,
                                             "channel": channel, "sends": []})
        row["sends"].append({"customer_id": customer_id, "day": local_date(sent_at, time_zone)})
    return list(found.values())
