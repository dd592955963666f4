"""A quote's life after its lines: presented to the customer, their decision per line, a new version
of a presented quote, expiry, and how many presented quotes were won."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Invalid
from services.common.policy import CUSTOMER_ROLE
from services.common.ids import new_id as _new_id
from services.common.outbox import record_event
from services.common.periods import period_of, periods

from ...models import DeclinedWork, Quote, QuoteLine
from ..settings import settings_of
from .base import OPEN_STATES, get_quote, require_state
from .negotiation import reprice, require_approved_discount


def present(session: Session, caller: Caller, quote_id: str) -> Quote:
    quote = get_quote(session, caller, quote_id, lock=True)
    require_state(quote, ("draft",), "presenting")
    if not quote.lines:
        raise Conflict("A quote without lines cannot be presented.", code="quote_empty")
    require_approved_discount(quote, "presented")
    settings = settings_of(session, quote.store_id)
    quote.state, quote.presented_at = "presented", utcnow()
    quote.valid_until = quote.presented_at + timedelta(days=settings.quote_valid_days)
    record_event(session, "quote_presented", {
        "quote_id": quote.id, "quote_number": quote.number, "store_id": quote.store_id,
        "customer_id": quote.customer_id, "total_fen": quote.total_fen,
        "presented_at": quote.presented_at.isoformat()}, store_id=quote.store_id)
    return quote


def decide(session: Session, caller: Caller, quote_id: str, data: dict) -> Quote:
    quote = get_quote(session, caller, quote_id, lock=True)
    require_state(quote, ("presented",), "recording the customer's decision")
    approved, declined = set(data["approved_line_ids"]), set(data["declined_line_ids"])
    ids = {line.id for line in quote.lines}
    problems = {}
    if approved & declined:
        problems["declined_line_ids"] = [f"Both approved and declined: {', '.join(sorted(approved & declined))}."]
    if (approved | declined) - ids:
        problems["approved_line_ids"] = [f"Not lines of this quote: {', '.join(sorted((approved | declined) - ids))}."]
    if ids - approved - declined:
        problems["_schema"] = [f"Decide every line; undecided: {', '.join(sorted(ids - approved - declined))}."]
    if problems:
        raise Invalid("The decision does not match the quote's lines.", fields=problems, code="decision_incomplete")
    now = utcnow()
    for line in quote.lines:
        line.decision = "approved" if line.id in approved else "declined"
    quote.state = ("approved" if not declined else "declined" if not approved else "partially_approved")
    quote.decided_at = now
    reprice(session, quote, settings_of(session, quote.store_id))
    # priced after the decision: a declined line's own price, without a share of the quote discount
    # (which is given for the work done), the one price the quote, reception and the API show
    for line in quote.lines:
        if line.decision == "declined":
            session.add(DeclinedWork(
                store_id=quote.store_id, customer_id=quote.customer_id, vehicle_id=quote.vehicle_id,
                visit_id=quote.visit_id, quote_id=quote.id, quote_line_id=line.id, kind=line.kind,
                description=line.description, op_code=line.op_code, sku=line.sku, qty=line.qty,
                total_fen=line.total_fen, declined_at=now))
    session.flush()
    record_event(session, "quote_decided", {
        "quote_id": quote.id, "quote_number": quote.number, "store_id": quote.store_id,
        "customer_id": quote.customer_id, "state": quote.state, "approved_lines": len(approved),
        "declined_lines": len(declined), "decided_by": "customer" if caller.role == CUSTOMER_ROLE else "staff",
        "decided_at": now.isoformat()}, store_id=quote.store_id)
    return quote


def revise(session: Session, caller: Caller, quote_id: str) -> Quote:
    """A new draft version with the same lines and recorded prices; the old one is kept,
    expired and pointing at its successor."""
    old = get_quote(session, caller, quote_id, lock=True)
    require_state(old, ("presented", "approved", "partially_approved", "declined"), "revising")
    latest = session.scalar(select(func.max(Quote.version)).where(Quote.group_id == old.group_id))
    new = Quote(**{column: getattr(old, column) for column in (
        "number", "group_id", "store_id", "visit_id", "customer_id", "vehicle_id", "vehicle_class", "tax_rate",
        "tax_inclusive", "labour_rate_fen", "discount_kind", "discount_value", "discount_reason", "discount_by",
        "discount_role", "approved_pct", "approved_by", "approved_at", "approval_note", "notes", "valid_until")})
    new.id, new.version, new.state, new.advisor_id = _new_id(), (latest or 0) + 1, "draft", caller.user_id
    new.lines = []
    mapping = {}
    for line in old.lines:
        copy = QuoteLine(**{column: getattr(line, column) for column in (
            "position", "kind", "description", "op_code", "skill", "hours", "sku", "part_id", "unit", "fee_code",
            "qty", "unit_price_fen", "price_source", "unit_cost_fen", "available_qty", "in_stock", "package_code",
            "package_discount_fen", "discount_kind", "discount_value", "discount_reason", "declined_work_id")})
        copy.id, copy.decision = _new_id(), "pending"
        mapping[line.id] = copy.id
        new.lines.append(copy)
    new.approved_below_cost = [mapping[key] for key in (old.approved_below_cost or []) if key in mapping]
    session.add(new)
    session.flush()
    old.state, old.superseded_by_id, old.expired_at = "expired", new.id, utcnow()
    session.execute(delete(DeclinedWork).where(DeclinedWork.quote_id == old.id, DeclinedWork.status == "open"))
    reprice(session, new, settings_of(session, new.store_id))
    return new


def expire_overdue(session: Session) -> int:
    """Open quotes past their validity become `expired` (a timer runs this)."""
    result = session.execute(update(Quote).where(Quote.state.in_(OPEN_STATES), Quote.valid_until < utcnow())
                             .values(state="expired", expired_at=utcnow()))
    return cast(CursorResult, result).rowcount or 0  # an UPDATE's result is a cursor's


APPROVED_STATES = ("approved", "partially_approved", "contracted")


def close_ratio(session: Session, caller: Caller, store_id: str, first: date, last: date, time_zone: str) -> dict:
    """Quotes presented over the store-local days, and how many the customer approved (a quote and
    its later versions count once)."""
    return close_ratios(session, caller, store_id, first, last, time_zone)[0]


def close_ratios(session: Session, caller: Caller, store_id: str, first: date, last: date, time_zone: str,
                 group: str | None = None) -> list[dict]:
    """`close_ratio` per day, ISO week or month of the range (`group`; none: one row for the range),
    a quote counted in the period it was presented in."""
    caller.require_store(store_id)
    zone = ZoneInfo(time_zone)
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    rows = session.execute(select(Quote.group_id, Quote.state, Quote.presented_at).where(
        Quote.store_id == store_id, Quote.presented_at >= start, Quote.presented_at < end)).all()
    presented: dict[str | None, set] = defaultdict(set)
    approved: dict[str | None, set] = defaultdict(set)
    for quote_group, state, presented_at in rows:
        period = period_of(presented_at.astimezone(zone).date(), group)
        presented[period].add(quote_group)
        if state in APPROVED_STATES:
            approved[period].add(quote_group)
    items = []
    for period, _first, _last in periods(first, last, group):
        shown, won = len(presented[period]), len(approved[period])
        ratio = (Decimal(won) * 100 / shown).quantize(Decimal("0.001")) if shown else None
        items.append({"store_id": store_id, "period": period, "presented": shown, "approved": won,
                      "close_ratio_pct": ratio})
    return items


def advisor_scorecards(session: Session, caller: Caller, store_id: str, first: date, last: date, time_zone: str,
                       finding_quotes: list[str]) -> dict[str, dict]:
    """advisor → the quotes they presented over the store-local days and won (a quote and its later versions
    once, as `close_ratios` counts them), and what the quotes of inspection findings (`finding_quotes`: the
    first versions' ids, as workshop keeps them) asked and what the customers approved of it: the lines' net
    amounts of the last version presented."""
    caller.require_store(store_id)
    zone = ZoneInfo(time_zone)
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    cards: dict[str, dict] = defaultdict(lambda: {"presented": set(), "approved": set(), "inspection_quoted_fen": 0,
                                                  "inspection_approved_fen": 0})
    for advisor_id, quote_group, state in session.execute(select(Quote.advisor_id, Quote.group_id, Quote.state).where(
            Quote.store_id == store_id, Quote.presented_at >= start, Quote.presented_at < end,
            Quote.advisor_id.is_not(None))):
        cards[advisor_id]["presented"].add(quote_group)
        if state in APPROVED_STATES:
            cards[advisor_id]["approved"].add(quote_group)
    shown: dict[str, Quote] = {}  # group → its last version presented
    if finding_quotes:
        for quote in session.scalars(select(Quote).where(
                Quote.store_id == store_id, Quote.group_id.in_(finding_quotes), Quote.presented_at.is_not(None),
                Quote.advisor_id.is_not(None))):
            if quote.group_id not in shown or quote.version > shown[quote.group_id].version:
                shown[quote.group_id] = quote
    for quote in shown.values():
        card = cards[quote.advisor_id or ""]  # never empty: only quotes with an advisor were read
        card["inspection_quoted_fen"] += sum(line.net_fen for line in quote.lines)
        card["inspection_approved_fen"] += sum(line.net_fen for line in quote.lines if line.decision == "approved")
    return {advisor_id: {**card, "presented": len(card["presented"]), "approved": len(card["approved"])}
            for advisor_id, card in cards.items()}
