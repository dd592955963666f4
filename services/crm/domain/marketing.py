"""The rules every marketing message follows, whichever sender takes it — the outbox's (messages.py: service-due
and birthday reminders) or a campaign's (campaigns.py): the store's quiet hours put it off to their end
(`quiet_until`), and a customer's weekly allowance (`MessageLimits.per_customer_week`) counts both kinds together
(`marketing_this_week`): a customer who had two reminders this week gets no campaign message, and the other way
round. Consent is checked by each sender against the customer's record.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..models import CampaignMessage, Message
from .common import DEFAULT_QUIET_HOURS, store_settings, zone

WEEK = timedelta(days=7)
CAMPAIGN_SENDING_LEASE = timedelta(minutes=10)
"""A claimed campaign message whose send was never answered (process killed) is claimed again after this."""


def quiet_until(moment: datetime, time_zone: str | None,
                hours: tuple[time, time] = (DEFAULT_QUIET_HOURS["quiet_from"], DEFAULT_QUIET_HOURS["quiet_until"]),
                ) -> datetime | None:
    """When the quiet hours (`hours`: from, until; local time, over midnight when the first is the later) end, if
    `moment` falls in them (else None). Equal ends: no quiet hours."""
    start, end = hours
    if start == end:
        return None
    tz = zone(time_zone)
    local = moment.astimezone(tz)
    now = local.time()
    inside = start <= now < end if start < end else (now >= start or now < end)
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, tzinfo=tz)
    return ends if ends > local else datetime.combine(local.date() + timedelta(days=1), end, tzinfo=tz)


def store_quiet_until(session: Session, store_id: str | None, moment: datetime) -> datetime | None:
    """`quiet_until` on the store's clock and by its crm settings (a chain-wide message: the defaults)."""
    settings = store_settings(session, store_id)
    return quiet_until(moment, settings.time_zone, (settings.quiet_from, settings.quiet_until))


def outbox_marketing_sent(session: Session, column, keys: set, since: datetime, now: datetime) -> dict:
    """The outbox's marketing messages sent since `since`, or claimed and going out now (their lease running), per
    customer or per store (`column`), for `keys` (one grouped read)."""
    keys = keys - {None}
    if not keys:
        return {}
    going = or_(Message.sent_at >= since,
                and_(Message.status == "queued", Message.attempts > 0, Message.next_attempt_at > now))
    rows = session.execute(select(column, func.count()).where(column.in_(keys), Message.marketing.is_(True), going)
                           .group_by(column))
    return dict(rows.tuples().all())


def campaign_messages_sent(session: Session, customer_ids: set, since: datetime, now: datetime) -> dict[str, int]:
    """Campaign messages sent to each customer since `since`, or claimed and going out now (sent_at is stamped at
    the claim; one whose lease ran out is being claimed again and does not count against itself)."""
    customer_ids = customer_ids - {None}
    if not customer_ids:
        return {}
    going = or_(and_(CampaignMessage.status.in_(("sent", "delivered")), CampaignMessage.sent_at >= since),
                and_(CampaignMessage.status == "queued", CampaignMessage.sent_at > now - CAMPAIGN_SENDING_LEASE))
    rows = session.execute(select(CampaignMessage.customer_id, func.count())
                           .where(CampaignMessage.customer_id.in_(customer_ids), going)
                           .group_by(CampaignMessage.customer_id))
    return dict(rows.tuples().all())


def marketing_this_week(session: Session, customer_ids: set, now: datetime) -> dict[str, int]:
    """Marketing each customer got in the seven days up to `now`, outbox and campaign messages together: the count
    their weekly allowance is measured against (two grouped reads)."""
    counts = outbox_marketing_sent(session, Message.customer_id, set(customer_ids), now - WEEK, now)
    for customer_id, sent in campaign_messages_sent(session, set(customer_ids), now - WEEK, now).items():
        counts[customer_id] = counts.get(customer_id, 0) + sent
    return counts
