"""Small helpers every crm rule uses: time parsing, store settings (follow-up delay, time zone, quiet hours) and
local days, composite keyset cursors, and the customer a (possibly merged) id stands for."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session, defaultload, lazyload

from services.common.errors import Invalid
from services.common.schemas import encode_cursor

from ..models import Customer, HistoryEntry, StoreSetting, Vehicle

DEFAULT_TIME_ZONE = "Asia/Shanghai"
DEFAULT_FOLLOW_UP_DELAY_DAYS = 3
DEFAULT_QUIET_HOURS = {"quiet_from": time(21), "quiet_until": time(8)}
"""Marketing waits from 21:00 until 08:00 on the store's clock unless its settings change it (equal ends: never)."""


def parse_time(text: str) -> datetime:
    """An ISO 8601 timestamp from an event; one without an offset is taken as UTC."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def store_settings(session: Session, store_id: str | None) -> StoreSetting:
    """The store's crm settings, or the defaults (not added to the session) when none were saved."""
    found = session.get(StoreSetting, store_id) if store_id else None
    return found or StoreSetting(store_id=store_id, follow_up_delay_days=DEFAULT_FOLLOW_UP_DELAY_DAYS,
                                 time_zone=DEFAULT_TIME_ZONE, **DEFAULT_QUIET_HOURS)


def store_keys(session: Session, store_id: str | None) -> tuple[str | None, str | None]:
    """What names a store's own message accounts' keys files (services/common/config.py `provider_settings`):
    its code, then its id."""
    return store_settings(session, store_id).store_code, store_id


def save_store_settings(session: Session, store_id: str, changes: dict) -> StoreSetting:
    setting = session.get(StoreSetting, store_id)
    if setting is None:
        setting = StoreSetting(store_id=store_id, follow_up_delay_days=DEFAULT_FOLLOW_UP_DELAY_DAYS,
                               time_zone=DEFAULT_TIME_ZONE, **DEFAULT_QUIET_HOURS)
        session.add(setting)
    for key, value in changes.items():
        setattr(setting, key, value)
    session.flush()
    return setting


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or DEFAULT_TIME_ZONE)


def local_date(moment: datetime, time_zone: str | None) -> date:
    """The store's local day of an instant ("a day" is the store's local day)."""
    return moment.astimezone(zone(time_zone)).date()


OWN_ROW = (lazyload(Customer.tag_rows), lazyload(Customer.vehicles))
"""A customer's row without its collections (each read where it is used, not on every load)."""
VEHICLE_ROWS = (defaultload(Vehicle.customer).lazyload("*"),)
"""A vehicle with its owner's row (one statement), not the owner's tags and vehicles."""


def resolve_customer(session: Session, customer_id: str | None) -> Customer | None:
    """The live record an id stands for: a merged duplicate leads to the record it was merged into. The record's
    own row (one statement): its tags and vehicles are loaded where they are used."""
    customer = session.get(Customer, customer_id, options=OWN_ROW) if customer_id else None
    hops = 0
    while customer is not None and customer.merged_into_id and hops < 10:
        customer = session.get(Customer, customer.merged_into_id, options=OWN_ROW)
        hops += 1
    return customer


# -- keyset pagination over (sort column, id) --------------------------------------------------
def keyset_after(query: Select, column, id_column, cursor: str | None, *, descending: bool,
                 as_type=str) -> Select:
    """Order by (column, id) and continue after the cursor's key `"<value>|<id>"`."""
    if cursor:
        value_text, _, last_id = cursor.rpartition("|")
        try:
            value = as_type(value_text)
        except ValueError as exc:
            raise Invalid("Not a cursor returned by this API.", fields={"cursor": ["Not a valid cursor."]},
                          code="bad_cursor") from exc
        if descending:
            query = query.where(or_(column < value, and_(column == value, id_column < last_id)))
        else:
            query = query.where(or_(column > value, and_(column == value, id_column > last_id)))
    if descending:
        return query.order_by(column.desc(), id_column.desc())
    return query.order_by(column.asc(), id_column.asc())


def keyset_page(rows: list, limit: int, key) -> dict:
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(key(rows[-1])) if more and rows else None}


def datetime_key(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def parse_utc(text: str) -> datetime:
    return parse_time(text)


def add_entry(session: Session, *, customer_id: str, kind: str, occurred_at: datetime,
              source_event_id: str | None = None, **fields) -> HistoryEntry:
    """A history line; lines crm writes itself get a fresh source id."""
    entry = HistoryEntry(customer_id=customer_id, kind=kind, occurred_at=occurred_at,
                         source_event_id=source_event_id or str(uuid.uuid4()), **fields)
    session.add(entry)
    return entry
