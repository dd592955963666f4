"""Competitors' prices (市场与竞争, seed chapter 16): staff record what a competitor charges for an item of
the chain's price list; the comparison sets each competitor's latest price beside the store's own."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.errors import Invalid, NotFound
from services.common.money import round_fen
from services.common.schemas import page

from ..models import CompetitorPrice, Package, PriceEntry
from .catalogue import effective_prices
from .quotes.base import store_today
from .settings import settings_of


def record(session: Session, caller: Caller, data: dict) -> CompetitorPrice:
    """A competitor's price seen at `data['store_id']` on `observed_on` (not after the store's today)."""
    caller.require_store(data["store_id"])
    if data["observed_on"] > store_today(settings_of(session, data["store_id"])):
        raise Invalid("A price is recorded once it has been seen.", fields={"observed_on": ["After today."]},
                      code="observed_in_future")
    row = CompetitorPrice(created_by=caller.user_id, **{**data, "competitor": data["competitor"].strip()})
    session.add(row)
    session.flush()
    return row


def remove(session: Session, caller: Caller, price_id: str) -> None:
    """Take back a price recorded by mistake."""
    row = session.get(CompetitorPrice, price_id)
    if row is None:
        raise NotFound(f"No competitor price {price_id}.")
    caller.require_store(row.store_id)
    session.delete(row)


def listed(session: Session, caller: Caller, filters: dict) -> dict:
    """A store's recorded prices, newest first."""
    caller.require_store(filters["store_id"])
    query = select(CompetitorPrice).where(CompetitorPrice.store_id == filters["store_id"])
    for column in ("kind", "key"):
        if filters.get(column):
            query = query.where(getattr(CompetitorPrice, column) == filters[column])
    if filters.get("cursor"):
        query = query.where(CompetitorPrice.id < filters["cursor"])
    rows = session.scalars(query.order_by(CompetitorPrice.id.desc()).limit(filters["limit"] + 1)).all()
    return page(list(rows), filters["limit"])


def comparison(session: Session, caller: Caller, store_id: str, on: date | None, days: int) -> dict:
    """Per item with a competitor's price seen in the `days` up to `on` (default the store's today): each
    competitor's latest price (cheapest first), their low / high / average, and the store's price in force
    on `on` beside them."""
    caller.require_store(store_id)
    on = on or store_today(settings_of(session, store_id))
    since = on - timedelta(days=days - 1)
    rows = session.scalars(
        select(CompetitorPrice).where(CompetitorPrice.store_id == store_id, CompetitorPrice.observed_on >= since,
                                      CompetitorPrice.observed_on <= on)
        .order_by(CompetitorPrice.observed_on, CompetitorPrice.id)).all()
    latest: dict[tuple[str, str], dict[str, CompetitorPrice]] = defaultdict(dict)
    for row in rows:  # oldest first: a later sighting replaces an earlier one of the same competitor
        latest[(row.kind, row.key)][row.competitor] = row
    codes = [key for kind, key in latest if kind == "package"]
    packages = {p.code: p for p in session.scalars(select(Package).where(Package.code.in_(codes)))} if codes else {}
    entries = effective_prices(session, list(latest), store_id, on)  # one read, not two an item
    items = [_compared(session, store_id, entries.get((kind, key)), kind, key, list(seen.values()), packages.get(key))
             for (kind, key), seen in sorted(latest.items())]
    return {"store_id": store_id, "on": on, "since": since, "items": items}


def _compared(session: Session, store_id: str, entry: PriceEntry | None, kind: str, key: str,
              seen: list[CompetitorPrice], package: Package | None) -> dict:
    own: int | None
    scope: str | None
    if entry is not None:
        own, scope = entry.price_fen, "store" if entry.store_id else "chain"
    elif kind == "labour_rate":  # as a quote prices it: the store's own rate without a price for the skill
        own, scope = settings_of(session, store_id).labour_rate_fen, "store"
    elif package is not None and package.pricing == "fixed":
        own, scope = package.fixed_price_fen, "chain"
    else:  # a part at inventory's price, a package at the sum of its items
        own, scope = None, None
    prices = [row.price_fen for row in seen]
    average = round_fen(Decimal(sum(prices)) / len(prices))
    return {"kind": kind, "key": key, "name": package.name if package is not None else None,
            "own_price_fen": own, "own_price_scope": scope,
            "competitors": [{"competitor": row.competitor, "price_fen": row.price_fen, "observed_on": row.observed_on,
                             "note": row.note, "difference_fen": None if own is None else own - row.price_fen}
                            for row in sorted(seen, key=lambda row: (row.price_fen, row.competitor))],
            "low_fen": min(prices), "high_fen": max(prices), "average_fen": average,
            "own_vs_average_pct": None if own is None else
            (Decimal(own - average) * 100 / average).quantize(Decimal("0.1"))}
