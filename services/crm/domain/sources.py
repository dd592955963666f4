"""Customer source (issue 29): who registered over local days at the stores asked about, by their `source`."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.contracts.rpc.crm.customers import SOURCES

from ..models import Customer
from .common import store_settings, zone


def new_customers_by_source(session: Session, stores: list[str] | None, store_id: str | None, first: date,
                            last: date) -> list[dict]:
    """A row per source (every one, then the unrecorded) with the ids of the customers registered over
    [first, last] in the store's zone whose home store is among `stores` (None: the chain's); merged
    duplicates are left out (their survivor counts)."""
    tz = zone(store_settings(session, store_id).time_zone)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    query = select(Customer.source, Customer.id).where(
        Customer.created_at >= start, Customer.created_at < end, Customer.merged_into_id.is_(None))
    if stores is not None:
        query = query.where(Customer.home_store_id.in_(stores))
    found: dict[str | None, list[str]] = defaultdict(list)
    for source, customer_id in session.execute(query.order_by(Customer.id)):
        found[source if source in SOURCES else None].append(customer_id)
    return [{"source": source, "customer_ids": found.get(source, [])} for source in (*SOURCES, None)]
