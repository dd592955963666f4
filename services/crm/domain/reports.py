"""Scheduled reports to staff: a manager's daily or weekly summary of a store (HQ: also of the chain), texted through
the outbox (template `staff_report`, transactional) at `SEND_AT` on the store's clock, once per subscription and
period — the message's unique dedupe key `report:<subscription>:<period>` — however often the timer ticks or the
service restarts. The figures are finance's KPI book (`finance.kpis`, `finance.kpi_targets_over`), asked once per
span and grouping whatever the number of subscriptions (`figures`), never recomputed here.

Rules: a store's subscription is its manager's or HQ's, the chain's HQ's; one per user, store and period; the first
summary is of the first period that ends after subscribing; a user who loses the store, the role, their account or
their mobile loses the subscription (`recipient_changed`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.money import format_yuan
from services.common.policy import MANAGERS, manages

from ..models import Message, ReportSubscription
from .common import store_settings, zone
from .messages import queue_to_staff

SEND_AT = time(8, 0)
"""Local time from which a period's summary goes out (the day after it; a week's on the Monday)."""
CHAIN_NAME = "全连锁"
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A day or an ISO week (Monday to Sunday) of local days."""
    kind: str
    first: date
    last: date

    @property
    def label(self) -> str:
        if self.kind == "daily":
            return self.last.isoformat()
        year, week, _ = self.first.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def words(self) -> str:
        """The period as the text names it: 12月6日, 12月1日至12月7日."""
        day = f"{self.last.month}月{self.last.day}日"
        return day if self.kind == "daily" else f"{self.first.month}月{self.first.day}日至{day}"

    @property
    def previous(self) -> "Period":
        length = self.last - self.first + DAY
        return Period(self.kind, self.first - length, self.last - length)


def due_period(kind: str, moment: datetime, time_zone: str | None) -> tuple[Period, datetime]:
    """The latest period whose summary is due at `moment` on the store's clock, and the instant it ended."""
    tz = zone(time_zone)
    local = moment.astimezone(tz)
    today = local.date() - (DAY if local.time() < SEND_AT else timedelta(0))
    if kind == "daily":
        period = Period(kind, today - DAY, today - DAY)
    else:
        monday = today - timedelta(days=today.weekday())
        period = Period(kind, monday - 7 * DAY, monday - DAY)
    return period, datetime.combine(period.last + DAY, time(0), tzinfo=tz)


# -- the summary's text ----------------------------------------------------------------------------------------
def _percent(part: int, whole: int) -> str:
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def summary_params(scope: str, period: Period, current: dict | None, previous: dict | None,
                   target_fen: int | None) -> dict[str, str]:
    """The `staff_report` template's parameters from a KPI row of the period and of the one before (None: no
    sales) and the revenue target over the period (None: none set)."""
    revenue = (current or {}).get("sales_fen") or 0
    before = (previous or {}).get("sales_fen") or 0
    if before:
        change = revenue - before
        change_words = f"较上期{'+' if change >= 0 else '-'}{_percent(abs(change), before)}"
    else:
        change_words = "上期无营业额"
    aro = (current or {}).get("aro_fen")
    return {"scope": scope, "period": period.words, "revenue": format_yuan(revenue),
            "change": change_words, "cars": str((current or {}).get("car_count") or 0),
            "ticket": format_yuan(aro) if aro is not None else "—",
            "target": f"目标 {format_yuan(target_fen)}，达成 {_percent(revenue, target_fen)}" if target_fen
            else "未设目标"}


# -- subscriptions -----------------------------------------------------------------------------------------------
def subscribe(session: Session, caller: Caller, data: dict, now: datetime) -> ReportSubscription:
    if not manages(caller):
        raise Forbidden("Only a store manager or HQ subscribes to reports.", code="needs_manager")
    if data["store_id"] is None and not caller.is_hq:
        raise Forbidden("Only HQ subscribes to the chain's report.", code="needs_hq")
    caller.require_store(data["store_id"])
    taken = session.scalar(select(ReportSubscription.id).where(
        ReportSubscription.user_id == caller.user_id, ReportSubscription.period == data["period"],
        ReportSubscription.store_id.is_(None) if data["store_id"] is None
        else ReportSubscription.store_id == data["store_id"]))
    if taken:
        raise Conflict("You already receive this report.", code="report_subscription_exists",
                       params={"period": data["period"]})
    subscription = ReportSubscription(user_id=caller.user_id, store_id=data["store_id"], period=data["period"],
                                      scope_name=data["scope_name"] if data["store_id"] else CHAIN_NAME,
                                      mobile=data["mobile"], created_at=now)
    session.add(subscription)
    session.flush()
    return subscription


def own(session: Session, caller: Caller) -> list[ReportSubscription]:
    return list(session.scalars(select(ReportSubscription).where(ReportSubscription.user_id == caller.user_id)
                                .order_by(ReportSubscription.created_at, ReportSubscription.id)))


def last_messages(session: Session, subscriptions: list[ReportSubscription]) -> dict[str, Message]:
    """Each subscription's latest summary (one read)."""
    ids = [s.id for s in subscriptions]
    if not ids:
        return {}
    rows = session.scalars(select(Message).where(Message.subscription_id.in_(ids)).order_by(Message.id))
    return {message.subscription_id: message for message in rows if message.subscription_id is not None}


def unsubscribe(session: Session, caller: Caller, subscription_id: str) -> None:
    subscription = session.get(ReportSubscription, subscription_id)
    if subscription is None or subscription.user_id != caller.user_id:
        raise NotFound(f"No report subscription {subscription_id}.")
    session.delete(subscription)


def recipient_changed(session: Session, caller: Caller, user_id: str, data: dict) -> int:
    """A staff account changed: its subscriptions take the new mobile; those it may no longer have end (no mobile,
    disabled, not a manager, a store it left). Answers how many ended."""
    if not (caller.is_system or manages(caller) or caller.user_id == user_id):
        raise Forbidden("Only the account's user or a manager changes it.", code="needs_manager")
    ended = 0
    for subscription in session.scalars(select(ReportSubscription).where(ReportSubscription.user_id == user_id)):
        kept = (data["mobile"] and data["active"] and data["role"] in MANAGERS
                and (data["role"] == "hq_admin" or subscription.store_id in data["store_ids"]))
        if kept:
            subscription.mobile = data["mobile"]
        else:
            session.delete(subscription)
            ended += 1
    return ended


# -- the timer ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    """A subscription whose period's summary is to be queued (plain data: RPCs follow with no session open)."""
    subscription_id: str
    store_id: str | None
    scope_name: str
    period: Period

    @property
    def key(self) -> str:
        return f"report:{self.subscription_id}:{self.period.label}"


def due(session: Session, now: datetime) -> list[Due]:
    """Subscriptions whose latest period ended after they were made and has no summary yet (one read of keys)."""
    found = []
    for subscription in session.scalars(select(ReportSubscription)):
        period, ended = due_period(subscription.period, now,
                                   store_settings(session, subscription.store_id).time_zone)
        if ended > subscription.created_at:
            found.append(Due(subscription.id, subscription.store_id, subscription.scope_name, period))
    queued = set(session.scalars(select(Message.dedupe_key).where(Message.dedupe_key.in_([d.key for d in found]))))
    return [item for item in found if item.key not in queued]


Figures = dict[tuple[str | None, date, date], dict]
"""(store id or None for the chain, first day, last day) -> the KPI row; with `target:` before the store id,
the targets over those days."""


def figures(finance, items: list[Due]) -> Figures:
    """The KPI rows the summaries need: for each span, finance's per-store rows (one call), the chain's row (one
    call, if the chain is asked for), the same for the span before, and the stores' targets (one call)."""
    found: Figures = {}
    spans = {(item.period.first, item.period.last) for item in items}
    for first, last in spans:
        asked = [item for item in items if (item.period.first, item.period.last) == (first, last)]
        stores = sorted({item.store_id for item in asked if item.store_id})
        previous = asked[0].period.previous
        for since, until in ((first, last), (previous.first, previous.last)):
            span = {"from": since.isoformat(), "to": until.isoformat()}
            if stores:
                for row in finance.kpis({**span, "group": "store"})["items"]:
                    found[(row["store_id"], since, until)] = row
            if any(item.store_id is None for item in asked):
                found[(None, since, until)] = finance.kpis({**span, "group": "chain"})["items"][0]
        if stores:
            targets = finance.kpi_targets_over({"store_ids": stores, "from": first.isoformat(),
                                                "to": last.isoformat()})["stores"]
            for store_id, target in targets.items():
                found[(f"target:{store_id}", first, last)] = target
    return found


def queue_summaries(session: Session, items: list[Due], found: Figures, now: datetime) -> int:
    """Each due summary into the outbox (once per key); answers how many were new."""
    made = 0
    for item in items:
        period, previous = item.period, item.period.previous
        target = found.get((f"target:{item.store_id}", period.first, period.last), {}).get("sales_fen")
        params = summary_params(item.scope_name, period, found.get((item.store_id, period.first, period.last)),
                                found.get((item.store_id, previous.first, previous.last)), target)
        if session.get(ReportSubscription, item.subscription_id) is None:
            continue  # unsubscribed meanwhile
        made += queue_to_staff(session, subscription_id=item.subscription_id, store_id=item.store_id,
                               template="staff_report", params=params, dedupe_key=item.key, now=now)
    return made
