"""The quote itself: its states, finding one (store-scoped, locked when it is to change), listing
them, opening a draft for a visit; the store's today its prices are taken on."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id as _new_id
from services.common.schemas import page

from ...models import Quote, StoreSettings, Visit
from ..reception import get_visit, scoped
from ..settings import next_number, settings_of


OPEN_STATES = ("draft", "presented", "approved", "partially_approved", "declined")
DECIDED_STATES = ("approved", "partially_approved", "declined")
CONTRACTABLE = ("approved", "partially_approved")


def store_today(settings: StoreSettings) -> date:
    return utcnow().astimezone(ZoneInfo(settings.timezone)).date()


def require_state(quote: Quote, allowed: tuple[str, ...], action: str) -> None:
    if quote.state not in allowed:
        raise Conflict(f"The quote is {quote.state}; {action} needs it {' or '.join(allowed)}.",
                       fields={"state": [quote.state]}, code="quote_state", params={"status": quote.state})


def get_quote(session: Session, caller: Caller, quote_id: str, lock: bool = False) -> Quote:
    quote = session.get(Quote, quote_id, with_for_update=lock, populate_existing=lock)
    if quote is None:
        raise NotFound(f"No quote {quote_id}.")
    caller.require_store(quote.store_id)
    return quote


def editable(session: Session, caller: Caller, quote_id: str) -> Quote:
    quote = get_quote(session, caller, quote_id, lock=True)
    if quote.state != "draft":
        raise Conflict(f"The quote is {quote.state}; only a draft changes. Revise it to make a new version "
                       "(POST /v1/quotes/{id}/revise).", fields={"state": [quote.state]}, code="quote_state",
                       params={"status": quote.state})
    return quote


def versions_of(session: Session, group_ids: set[str]) -> dict[str, list[dict]]:
    """group id -> [{id, version, state}] of every version, oldest first (one query)."""
    groups: dict[str, list[dict]] = {}
    if not group_ids:
        return groups
    rows = session.execute(select(Quote.group_id, Quote.id, Quote.version, Quote.state)
                           .where(Quote.group_id.in_(sorted(group_ids))).order_by(Quote.version))
    for group_id, quote_id, version, state in rows:
        groups.setdefault(group_id, []).append({"id": quote_id, "version": version, "state": state})
    return groups


def list_quotes(session: Session, caller: Caller, filters: dict) -> dict:
    query = scoped(select(Quote), Quote, caller, filters)
    for column in ("visit_id", "customer_id", "state", "approval_status"):
        if filters.get(column):
            query = query.where(getattr(Quote, column) == filters[column])
    if filters.get("cursor"):
        query = query.where(Quote.id < filters["cursor"])
    rows = session.scalars(query.order_by(Quote.id.desc()).limit(filters["limit"] + 1)).all()
    return page(list(rows), filters["limit"], key=lambda row: row.id)


def open_quote(session: Session, caller: Caller, data: dict) -> Quote:
    visit: Visit = get_visit(session, caller, data["visit_id"])
    settings = settings_of(session, visit.store_id)
    today = store_today(settings)
    quote = Quote(
        store_id=visit.store_id, visit_id=visit.id, customer_id=visit.customer_id, vehicle_id=visit.vehicle_id,
        vehicle_class=visit.vehicle_class, state="draft", tax_rate=settings.vat_rate,
        tax_inclusive=settings.tax_inclusive, labour_rate_fen=settings.labour_rate_fen, notes=data.get("notes"),
        valid_until=utcnow() + timedelta(days=settings.quote_valid_days), advisor_id=caller.user_id,
        number=f"Q{today:%Y%m%d}-{next_number(session, visit.store_id, f'Q{today:%Y%m%d}'):04d}")
    quote.id = quote.group_id = _new_id()
    quote.version = 1
    quote.lines = []
    session.add(quote)
    session.flush()
    return quote
