"""The rules every marketing message follows, whichever sender takes it — the outbox's (messages.py: service-due
and birthday reminders) or a campaign's (campaigns.py): the store's quiet hours put it off to their end
(`quiet_until`), and a customer's weekly allowance (`MessageLimits.per_customer_week`) counts both kinds together
(`marketing_this_week`): a customer who had two reminders this week gets no campaign message, and the other way
round; a store's minute (`MessageLimits.per_store_minute`) counts both kinds together too
(`marketing_this_minute`). `Allowance` is the rationing both senders apply as they claim. Consent is checked by
each sender against the customer's record.

A campaign message belongs to the campaign's store, a chain-wide campaign's to the customer's home store when it
is queued (`CampaignMessage.store_id`): its quiet hours, its account, its minute, and the staff who see the message.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.common.config import MessageLimits

from ..models import CampaignMessage, Message
from .common import DEFAULT_QUIET_HOURS, store_settings, zone

WEEK = timedelta(days=7)
MINUTE = timedelta(minutes=1)
RATE_LIMITED = "customer_rate_limited"
"""The customer had their week's marketing: the message is not sent."""
STORE_BUSY = "store_busy"
"""The store had its minute's marketing: the message waits a minute."""
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


def campaign_messages_sent(session: Session, column, keys: set, since: datetime, now: datetime) -> dict:
    """Campaign messages sent since `since`, or claimed and going out now (sent_at is stamped at the claim; one whose
    lease ran out is being claimed again and does not count against itself), per customer
    (`CampaignMessage.customer_id`) or per store (`CampaignMessage.store_id`), for `keys` (one grouped read)."""
    keys = keys - {None}
    if not keys:
        return {}
    going = or_(and_(CampaignMessage.status.in_(("sent", "delivered")), CampaignMessage.sent_at >= since),
                and_(CampaignMessage.status == "queued", CampaignMessage.sent_at > now - CAMPAIGN_SENDING_LEASE))
    rows = session.execute(select(column, func.count()).select_from(CampaignMessage)
                           .where(column.in_(keys), going).group_by(column))
    return dict(rows.tuples().all())


def _together(first: dict, second: dict) -> dict:
    return {key: first.get(key, 0) + second.get(key, 0) for key in first.keys() | second.keys()}


def marketing_this_week(session: Session, customer_ids: set, now: datetime) -> dict[str, int]:
    """Marketing each customer got in the seven days up to `now`, outbox and campaign messages together: the count
    their weekly allowance is measured against (two grouped reads)."""
    return _together(outbox_marketing_sent(session, Message.customer_id, set(customer_ids), now - WEEK, now),
                     campaign_messages_sent(session, CampaignMessage.customer_id, set(customer_ids), now - WEEK, now))


def marketing_this_minute(session: Session, store_ids: set, now: datetime) -> dict[str | None, int]:
    """Marketing each store sent in the minute up to `now` (or is sending), outbox and campaign messages together:
    the count its per-minute allowance is measured against (two grouped reads)."""
    return _together(outbox_marketing_sent(session, Message.store_id, set(store_ids), now - MINUTE, now),
                     campaign_messages_sent(session, CampaignMessage.store_id, set(store_ids), now - MINUTE, now))


@dataclass
class Allowance:
    """The rationing of marketing, whichever sender claims it: read once for a batch (`read`), asked for each
    message (`refusal`: `RATE_LIMITED` — the customer's week is used, it is not sent — or `STORE_BUSY` — the store's
    minute is used, it waits a minute — else None), and taken as each one is claimed (`take`)."""
    limits: MessageLimits
    to_customer: dict
    by_store: dict

    @classmethod
    def read(cls, session: Session, customer_ids: set, store_ids: set, now: datetime,
             limits: MessageLimits | None = None) -> Allowance:
        return cls(limits or MessageLimits(), marketing_this_week(session, customer_ids, now),
                   marketing_this_minute(session, store_ids, now))

    def refusal(self, customer_id: str, store_id: str | None) -> str | None:
        if self.to_customer.get(customer_id, 0) >= self.limits.per_customer_week:
            return RATE_LIMITED
        if store_id is not None and self.by_store.get(store_id, 0) >= self.limits.per_store_minute:
            return STORE_BUSY
        return None

    def take(self, customer_id: str, store_id: str | None) -> None:
        self.to_customer[customer_id] = self.to_customer.get(customer_id, 0) + 1
        self.by_store[store_id] = self.by_store.get(store_id, 0) + 1
