"""Stocktakes (盘点): open a count for a store (whole store or one category), let several
counters post counts, then post it: variances become `stocktake_variance` movements with value.

Stock keeps moving while people count. Each count remembers the book quantity at the moment
it was taken; at posting the variance of a part is (Σ of each counter's latest count) − (book
quantity when it was last counted), and it is applied on top of today's on-hand, so movements
between the count and the posting are neither lost nor counted twice."""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Invalid, NotFound
from services.common.schemas import page

from . import ledger, postings
from ..models import ZERO, Part, StockLevel, Stocktake, StocktakeCount, StocktakeLine


def get_stocktake(session: Session, stocktake_id: str, *, lock: bool = False) -> Stocktake:
    query = select(Stocktake).where(Stocktake.id == stocktake_id)
    if lock:
        query = query.with_for_update(of=Stocktake).execution_options(populate_existing=True)
    stocktake = session.scalars(query).first()
    if stocktake is None:
        raise NotFound(f"No stocktake {stocktake_id}.")
    return stocktake


def open_stocktake(session: Session, data: dict, user_id: str | None) -> Stocktake:
    store_id, category = data["store_id"], data.get("category")
    overlapping = select(Stocktake.number).where(Stocktake.store_id == store_id, Stocktake.status == "open")
    if category:
        overlapping = overlapping.where(or_(Stocktake.category.is_(None), Stocktake.category == category))
    clash = session.scalar(overlapping.limit(1))
    if clash:
        raise Conflict(f"Stocktake {clash} of this store is still open for the same stock; post or cancel it first.",
                       code="stocktake_open", params={"number": clash})
    stocktake = Stocktake(number=ledger.document_number("ST"), store_id=store_id, category=category, status="open",
                          notes=data.get("notes"), opened_by=user_id, opened_at=utcnow())
    levels = select(StockLevel).join(Part).where(StockLevel.store_id == store_id)
    if category:
        levels = levels.where(Part.category == category)
    for level in session.scalars(levels):
        stocktake.lines.append(StocktakeLine(part_id=level.part_id, sku=level.part.sku, qty_at_open=level.on_hand))
    session.add(stocktake)
    session.flush()
    return stocktake


def record_counts(session: Session, stocktake_id: str, data: dict, counter_id: str) -> Stocktake:
    stocktake = get_stocktake(session, stocktake_id, lock=True)
    if stocktake.status != "open":
        raise Conflict(f"Stocktake {stocktake.number} is {stocktake.status}; counts are closed.",
                       code="stocktake_state", params={"number": stocktake.number, "status": stocktake.status})
    parts = ledger.parts_by_sku(session, [c["sku"] for c in data["counts"]],
                                lambda i: ledger.line_field(i, collection="counts"))
    errors = {}
    for index, count in enumerate(data["counts"]):
        part = parts[ledger.norm_sku(count["sku"])]
        if stocktake.category and part.category != stocktake.category:
            errors[str(index)] = {"sku": [f"{part.sku} is not in category {stocktake.category} being counted."]}
    if errors:
        raise Invalid("Some counts are outside this stocktake.", fields={"counts": errors},
                      code="count_outside_stocktake", params={"category": stocktake.category})
    lines = {line.part_id: line for line in stocktake.lines}
    now = utcnow()
    for count in data["counts"]:
        part = parts[ledger.norm_sku(count["sku"])]
        level = ledger.find_level(session, stocktake.store_id, part.id)
        book = level.on_hand if level is not None else ZERO
        line = lines.get(part.id)
        if line is None:  # found on the shelf though the books never had it here
            line = StocktakeLine(part_id=part.id, sku=part.sku, qty_at_open=ZERO)
            stocktake.lines.append(line)
            lines[part.id] = line
        location = count.get("location")
        line.counts = [c for c in line.counts if not (c.counter_id == counter_id and c.location == location)]
        line.counts.append(StocktakeCount(counter_id=counter_id, location=location, qty=count["qty"],
                                          qty_book=book, counted_at=now))
        line.qty_counted = sum((c.qty for c in line.counts), ZERO)
        line.qty_book_at_count = book
    session.flush()
    return stocktake


def post_stocktake(session: Session, stocktake_id: str, data: dict, caller: Caller) -> Stocktake:
    stocktake = get_stocktake(session, stocktake_id, lock=True)
    if stocktake.status != "open":
        raise Conflict(f"Stocktake {stocktake.number} is {stocktake.status}; it cannot be posted again.",
                       code="stocktake_state", params={"number": stocktake.number, "status": stocktake.status})
    zero_uncounted = data.get("uncounted", "keep") == "zero"
    levels = ledger.lock_levels(session, stocktake.store_id, [line.part_id for line in stocktake.lines])
    ref: dict[str, Any] = {"reference_type": "stocktake", "reference_id": stocktake.id, "user_id": caller.user_id,
                           "note": stocktake.number}
    shorted_orders: set[str] = set()
    for line in stocktake.lines:
        level = levels[line.part_id]
        if line.qty_counted is None:
            if not zero_uncounted:
                continue
            line.qty_counted, line.qty_book_at_count = ZERO, level.on_hand
        variance = line.qty_counted - (line.qty_book_at_count or ZERO)  # the book is kept with every count
        variance = max(variance, -level.on_hand)  # stock sold since the count cannot be lost twice
        line.variance_qty = variance
        line.variance_value_fen = 0
        if variance > 0:
            unit_cost = level.avg_cost_fen or ledger.last_unit_cost(session, level.store_id, level.part_id)
            movements = ledger.stock_in(session, level, "stocktake_variance", variance,
                                        ledger.fen(variance * unit_cost), batch_no=f"{stocktake.number}",
                                        **ref)
            line.variance_value_fen = sum(m.value_fen for m in movements)
        elif variance < 0:
            shorted_orders |= ledger.shrink_reservations(session, level, level.on_hand + variance)
            movements = ledger.stock_out(session, level, "stocktake_variance", -variance, **ref)
            line.variance_value_fen = sum(m.value_fen for m in movements)
    stocktake.status, stocktake.posted_by, stocktake.posted_at = "posted", caller.user_id, utcnow()
    record_audit(session, caller, "stocktake_posted", "stocktake", stocktake.id, store_id=stocktake.store_id,
                 details={"adjustments": [{"sku": line.sku, "variance_qty": line.variance_qty,
                                           "variance_value_fen": line.variance_value_fen}
                                          for line in stocktake.lines if line.variance_qty],
                          "before": {"status": "open"}, "after": {"status": "posted"}})
    postings.announce(session)
    session.flush()
    for order_id in sorted(shorted_orders):
        ledger.publish_order_state(session, order_id, stocktake.store_id)
    ledger.after_stock_in(session, list(levels.values()))
    return stocktake


def cancel_stocktake(session: Session, stocktake_id: str) -> Stocktake:
    stocktake = get_stocktake(session, stocktake_id, lock=True)
    if stocktake.status != "open":
        raise Conflict(f"Stocktake {stocktake.number} is {stocktake.status}; it cannot be cancelled.",
                       code="stocktake_state", params={"number": stocktake.number, "status": stocktake.status})
    stocktake.status = "cancelled"
    session.flush()
    return stocktake


def list_stocktakes(session: Session, filters: dict) -> dict:
    query = select(Stocktake).where(Stocktake.store_id == filters["store_id"])
    if filters.get("status"):
        query = query.where(Stocktake.status == filters["status"])
    if filters.get("cursor"):
        query = query.where(Stocktake.id < filters["cursor"])
    rows = session.scalars(query.order_by(Stocktake.id.desc()).limit(filters["limit"] + 1)).all()
    return page(list(rows), filters["limit"], key=lambda stocktake: stocktake.id)

