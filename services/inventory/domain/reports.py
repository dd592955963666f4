"""What stock is worth and what is wrong with it: valuation at moving average cost, slow
movers, batches about to expire, and the ledger check that proves levels equal movements."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.common.db import utcnow
from services.common.schemas import encode_cursor
from services.common.errors import Invalid

from ..models import (ZERO, Batch, Movement, Part, PurchaseOrder, PurchaseOrderLine, Reservation, StockLevel,
                     Transfer, TransferLine)


def valuation(session: Session, store_ids: list[str] | None, category: str | None = None) -> dict:
    """Stock value per store (and per category within it) at moving average cost."""
    query = (select(StockLevel.store_id, Part.category, func.count(StockLevel.id),
                    func.coalesce(func.sum(StockLevel.on_hand), 0), func.coalesce(func.sum(StockLevel.value_fen), 0))
             .join(Part).where(StockLevel.on_hand != 0)
             .group_by(StockLevel.store_id, Part.category).order_by(StockLevel.store_id, Part.category))
    if store_ids is not None:
        query = query.where(StockLevel.store_id.in_(store_ids))
    if category:
        query = query.where(Part.category == category)
    stores: dict[str, dict] = {store_id: _store_row(store_id) for store_id in store_ids or []}
    for store_id, cat, lines, on_hand, value in session.execute(query):
        row = stores.setdefault(store_id, _store_row(store_id))
        row["categories"].append({"category": cat, "lines": lines, "on_hand": on_hand, "value_fen": int(value)})
        row["lines"] += lines
        row["value_fen"] += int(value)
    transit = (select(Transfer.to_store_id, func.coalesce(func.sum(TransferLine.shipped_value_fen), 0))
               .join(TransferLine, TransferLine.transfer_id == Transfer.id)
               .where(Transfer.status == "shipped").group_by(Transfer.to_store_id))
    if store_ids is not None:
        transit = transit.where(Transfer.to_store_id.in_(store_ids))
    if category:
        transit = transit.join(Part, Part.id == TransferLine.part_id).where(Part.category == category)
    for store_id, value in session.execute(transit):
        stores.setdefault(store_id, _store_row(store_id))["in_transit_fen"] = int(value)
    for store_id, value in session.execute(_received(store_ids, category)):
        stores.setdefault(store_id, _store_row(store_id))["received_fen"] = int(value)
    rows = list(stores.values())
    return {"stores": rows, "value_fen": sum(r["value_fen"] for r in rows),
            "in_transit_fen": sum(r["in_transit_fen"] for r in rows), "currency": "CNY"}


RECEIVED_KINDS = ("receipt", "supplier_return")


def _received(store_ids: list[str] | None, category: str | None):
    """Per store: the value of the goods received from suppliers less what was sent back to them (as
    each movement valued it): what finance's 2209 goods received not invoiced was credited with, the
    receipts' side of that account's invariant."""
    query = (select(Movement.store_id, func.coalesce(func.sum(Movement.value_fen), 0))
             .where(Movement.kind.in_(RECEIVED_KINDS)).group_by(Movement.store_id))
    if store_ids is not None:
        query = query.where(Movement.store_id.in_(store_ids))
    if category:
        query = query.join(Part, Part.id == Movement.part_id).where(Part.category == category)
    return query


def _store_row(store_id: str) -> dict:
    return {"store_id": store_id, "lines": 0, "value_fen": 0, "in_transit_fen": 0, "received_fen": 0,
            "currency": "CNY", "categories": []}


def reorder_suggestions(session: Session, store_id: str, limit: int) -> dict:
    """What to buy: parts whose available plus what is already on order is below the reorder
    point, with the quantity to order (the reorder quantity, at least enough to reach the point)
    and the last supplier and cost it was bought at."""
    levels = session.scalars(
        select(StockLevel).join(Part).where(
            StockLevel.store_id == store_id, Part.active.is_(True), StockLevel.reorder_point.is_not(None),
            StockLevel.on_hand - StockLevel.reserved + StockLevel.on_order < StockLevel.reorder_point)
        .order_by(Part.sku).limit(limit)).all()
    items = []
    for level in levels:
        point = level.reorder_point or ZERO  # never None: the query asks for a reorder point
        gap = point - level.available - level.on_order
        last = session.execute(
            select(PurchaseOrder.supplier_id, PurchaseOrderLine.unit_cost_fen)
            .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
            .where(PurchaseOrder.store_id == store_id, PurchaseOrderLine.part_id == level.part_id,
                   PurchaseOrder.status != "cancelled")
            .order_by(PurchaseOrder.id.desc()).limit(1)).first()
        items.append({"part_id": level.part_id, "sku": level.part.sku, "name": level.part.name,
                      "available": level.available, "on_order": level.on_order,
                      "reorder_point": level.reorder_point, "reorder_qty": level.reorder_qty,
                      "suggested_qty": max(level.reorder_qty or ZERO, gap),
                      "last_supplier_id": last[0] if last else None, "last_unit_cost_fen": last[1] if last else None})
    return {"items": items, "next_cursor": None}


def slow_movers(session: Session, store_id: str, days: int, limit: int) -> dict:
    """Parts in stock with no issue in the last `days` days, most money tied up first."""
    cutoff = utcnow() - timedelta(days=days)
    rows = session.scalars(
        select(StockLevel).join(Part).where(
            StockLevel.store_id == store_id, StockLevel.on_hand > 0,
            or_(StockLevel.last_issue_at.is_(None), StockLevel.last_issue_at < cutoff),
            or_(StockLevel.last_receipt_at.is_(None), StockLevel.last_receipt_at < cutoff,
                StockLevel.last_issue_at.is_not(None)))
        .order_by(StockLevel.value_fen.desc(), StockLevel.id).limit(limit)).all()
    return {"items": [{"part_id": r.part_id, "sku": r.part.sku, "name": r.part.name, "category": r.part.category,
                       "on_hand": r.on_hand, "value_fen": r.value_fen, "last_issue_at": r.last_issue_at,
                       "last_receipt_at": r.last_receipt_at} for r in rows],
            "next_cursor": None}


def expiring(session: Session, store_id: str, days: int, limit: int, cursor: str | None) -> dict:
    """Batches on hand that expire within `days` days (expired ones too), soonest first."""
    horizon = date.today() + timedelta(days=days)
    query = select(Batch).where(Batch.store_id == store_id, Batch.qty_on_hand > 0,
                                Batch.expiry_date.is_not(None), Batch.expiry_date <= horizon)
    if cursor:
        try:
            expiry_text, batch_id = cursor.split("|", 1)
            expiry = date.fromisoformat(expiry_text)
        except ValueError as exc:
            raise Invalid("Not a cursor returned by this API.", fields={"cursor": ["Not a valid cursor."]},
                          code="bad_cursor") from exc
        query = query.where(or_(Batch.expiry_date > expiry, (Batch.expiry_date == expiry) & (Batch.id > batch_id)))
    rows = list(session.scalars(query.order_by(Batch.expiry_date, Batch.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows,
            "next_cursor": encode_cursor(f"{rows[-1].expiry_date}|{rows[-1].id}") if more else None}


def check_ledger(session: Session, store_id: str | None = None) -> dict:
    """Prove the invariants: every level equals the sum of its movements (quantity and value),
    reserved equals its open reservations and never exceeds on-hand, batches add up."""
    problems = []
    level_query = select(StockLevel)
    if store_id:
        level_query = level_query.where(StockLevel.store_id == store_id)
    levels = list(session.scalars(level_query))
    moved = _sums(session, select(Movement.store_id, Movement.part_id, func.sum(Movement.qty),
                                  func.sum(Movement.value_fen), func.count(Movement.id))
                  .group_by(Movement.store_id, Movement.part_id), store_id, Movement.store_id)
    reserved = _sums(session, select(Reservation.store_id, Reservation.part_id, func.sum(Reservation.qty_reserved))
                     .where(Reservation.status == "open").group_by(Reservation.store_id, Reservation.part_id),
                     store_id, Reservation.store_id)
    batches = _sums(session, select(Batch.store_id, Batch.part_id, func.sum(Batch.qty_on_hand))
                    .group_by(Batch.store_id, Batch.part_id), store_id, Batch.store_id)
    seen = set()
    movements = 0

    def problem(level, what, expected, actual):
        problems.append({"store_id": level.store_id, "sku": level.part.sku, "problem": what,
                         "expected": str(expected), "actual": str(actual)})

    for level in levels:
        key = (level.store_id, level.part_id)
        seen.add(key)
        qty, value, count = moved.get(key, (ZERO, 0, 0))
        movements += count or 0
        if level.on_hand != (qty or ZERO):
            problem(level, "on_hand differs from the sum of movements", qty or ZERO, level.on_hand)
        if level.value_fen != int(value or 0):
            problem(level, "stock value differs from the sum of movement values", int(value or 0), level.value_fen)
        expected_reserved = (reserved.get(key) or (ZERO,))[0] or ZERO
        if level.reserved != expected_reserved:
            problem(level, "reserved differs from open reservations", expected_reserved, level.reserved)
        if level.reserved > level.on_hand or level.reserved < 0 or level.on_hand < 0:
            problem(level, "reserved outside 0..on_hand", f"0..{level.on_hand}", level.reserved)
        if level.part.batch_tracked:
            in_batches = (batches.get(key) or (ZERO,))[0] or ZERO
            if in_batches != level.on_hand:
                problem(level, "batches do not add up to on_hand", level.on_hand, in_batches)
    for key, (qty, _value, count) in moved.items():
        if key not in seen:
            movements += count
            problems.append({"store_id": key[0], "sku": key[1], "problem": "movements without a stock level",
                             "expected": "0", "actual": str(qty)})
    return {"ok": not problems, "stock_levels": len(levels), "movements": movements, "problems": problems}


def _sums(session: Session, query, store_id: str | None, column) -> dict:
    if store_id:
        query = query.where(column == store_id)
    return {(row[0], row[1]): tuple(row[2:]) for row in session.execute(query)}
