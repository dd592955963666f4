"""The core of stock keeping: locked stock levels, movements (the ledger), batches, moving
average cost, filling waiting reservations and the once-per-crossing low-stock signal.

Every change of on-hand goes through `post_movement`, so a level always equals the sum of its
movements. Concurrency: a level is read `FOR UPDATE` (PostgreSQL row lock; SQLite serialises
writers) before it changes, and several levels are always locked in part-id order.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.db import utcnow
from services.common.errors import Conflict, Invalid, NotFound
from services.common.fields import MAX_FEN
from services.common.ids import new_id
from services.common.money import to_qty
from services.common.outbox import record_event

from ..models import ZERO, Batch, Movement, Part, Reservation, StockLevel
from . import postings

log = logging.getLogger(__name__)


def norm_sku(sku: str) -> str:
    return (sku or "").strip().upper()


def document_number(prefix: str) -> str:
    """`PO-20261126-7K3QXZ`: readable, sortable by day, unique by the id's random tail."""
    return f"{prefix}-{utcnow():%Y%m%d}-{new_id()[-6:].upper()}"


def fen(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- parts ----------------------------------------------------------------------------------------------
def get_part(session: Session, part_id: str) -> Part:
    part = session.get(Part, part_id)
    if part is None:
        raise NotFound(f"No part {part_id}.")
    return part


def part_by_sku(session: Session, sku: str) -> Part | None:
    return session.scalars(select(Part).where(Part.sku == norm_sku(sku))).first()


def parts_by_sku(session: Session, skus, field_path) -> dict[str, Part]:
    """Resolve SKUs of a request; unknown or inactive ones fail as 422 naming the field."""
    wanted = {norm_sku(s) for s in skus}
    found = {p.sku: p for p in session.scalars(select(Part).where(Part.sku.in_(wanted)))} if wanted else {}
    errors: dict = {}
    for index, sku in enumerate(skus):
        part = found.get(norm_sku(sku))
        if part is None:
            _nest(errors, field_path(index), f"No part with SKU {sku} in the catalogue.")
        elif not part.active:
            _nest(errors, field_path(index), f"Part {part.sku} is discontinued.")
    if errors:
        refused = sorted({norm_sku(s) for s in skus} - {p.sku for p in found.values() if p.active})
        raise Invalid("Some SKUs are unknown.", fields=errors, code="part_not_sold", params={"skus": refused})
    return found


def _nest(errors: dict, path: tuple, message: str) -> None:
    node = errors
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node.setdefault(path[-1], []).append(message)


def line_field(index: int, name: str = "sku", collection: str = "lines") -> tuple:
    return (collection, str(index), name)


# -- levels ---------------------------------------------------------------------------------------------
def _level_query(store_id: str, part_id: str, lock: bool) -> Select[tuple[StockLevel]]:
    query = select(StockLevel).where(StockLevel.store_id == store_id, StockLevel.part_id == part_id)
    if lock:  # populate_existing: a row read earlier in this session is refreshed under the lock
        query = query.with_for_update(of=StockLevel).execution_options(populate_existing=True)
    return query


def find_level(session: Session, store_id: str, part_id: str, *, lock: bool = False) -> StockLevel | None:
    return session.scalars(_level_query(store_id, part_id, lock)).first()


def lock_level(session: Session, store_id: str, part_id: str) -> StockLevel:
    """The level of a part at a store, row-locked for this transaction; created when missing
    (a concurrent creator wins the unique constraint and we lock its row)."""
    level = find_level(session, store_id, part_id, lock=True)
    if level is not None:
        return level
    try:
        with session.begin_nested():
            session.add(StockLevel(store_id=store_id, part_id=part_id, on_hand=ZERO, reserved=ZERO,
                                   on_order=ZERO, value_fen=0, low_flag=False))
    except IntegrityError:
        pass
    return session.scalars(_level_query(store_id, part_id, lock=True)).one()  # ours or the concurrent creator's


def lock_levels(session: Session, store_id: str, part_ids) -> dict[str, StockLevel]:
    """Several levels of one store, locked in part-id order (no deadlocks between two of us)."""
    return {part_id: lock_level(session, store_id, part_id) for part_id in sorted(set(part_ids))}


def issue_value(level: StockLevel, qty: Decimal) -> int:
    """What `qty` taken out is worth at moving average cost; the last unit takes what is left."""
    if qty >= level.on_hand:
        return level.value_fen
    return fen(Decimal(level.value_fen) * qty / level.on_hand)


def last_unit_cost(session: Session, store_id: str, part_id: str) -> int:
    """Cost to value stock that appears from nowhere: the average, else the last known cost."""
    unit_cost = session.scalars(
        select(Movement.unit_cost_fen).where(Movement.store_id == store_id, Movement.part_id == part_id,
                                             Movement.unit_cost_fen > 0)
        .order_by(Movement.id.desc()).limit(1)).first()
    return unit_cost or 0


def post_movement(session: Session, level: StockLevel, kind: str, qty: Decimal, value_fen: int, *,
                  reference_type: str, reference_id: str, user_id: str | None, batch: Batch | None = None,
                  note: str | None = None) -> Movement:
    """The only way on-hand changes: a signed movement row and the level moved by it (its value
    waits in `postings` for the operation to announce it to finance)."""
    qty = to_qty(qty)
    new_on_hand = level.on_hand + qty
    if new_on_hand < 0:
        raise Conflict(f"Only {level.on_hand} of {level.part.sku} on hand; cannot take out {-qty}.",
                       fields={"qty": [f"Only {level.on_hand} on hand."]},
                       code="stock_short",
                       params={"sku": level.part.sku, "name": level.part.name, "on_hand": str(level.on_hand)})
    if abs(level.value_fen + value_fen) > MAX_FEN:
        raise Invalid(f"{level.part.sku} would be worth more than {MAX_FEN} fen in one store.",
                      fields={"qty": [f"At most ¥{MAX_FEN // 100:,} of one part in one store."]},
                      code="stock_value_too_large",
                      params={"sku": level.part.sku, "name": level.part.name, "max_fen": str(MAX_FEN)})
    level.on_hand = new_on_hand
    level.value_fen += value_fen
    if new_on_hand == 0 and level.value_fen != 0:  # pragma: no cover - guarded by issue_value
        raise AssertionError("stock value left without stock")
    now = utcnow()
    if qty > 0 and kind in ("receipt", "transfer_in"):
        level.last_receipt_at = now
    if qty < 0 and kind == "issue":
        level.last_issue_at = now
    if batch is not None:
        batch.qty_on_hand += qty
        if batch.qty_on_hand < 0:  # pragma: no cover - callers take from batches that hold enough
            raise AssertionError("batch below zero")
    unit_cost = fen(abs(Decimal(value_fen)) / abs(qty)) if qty else 0
    movement = Movement(store_id=level.store_id, part_id=level.part_id, sku=level.part.sku, kind=kind, qty=qty,
                        unit_cost_fen=unit_cost, value_fen=value_fen, on_hand_after=level.on_hand,
                        batch_id=batch.id if batch is not None else None,
                        batch_no=batch.batch_no if batch is not None else None,
                        reference_type=reference_type, reference_id=reference_id, user_id=user_id, note=note,
                        created_at=now)
    session.add(movement)
    postings.note(session, movement)
    return movement


def stock_in(session: Session, level: StockLevel, kind: str, qty: Decimal, value_fen: int, *,
             batch_no: str | None = None, expiry_date: date | None = None, **ref) -> list[Movement]:
    """Add stock (at a given total value); batch-tracked parts go into their batch."""
    batch = None
    if level.part.batch_tracked:
        batch = get_or_create_batch(session, level, batch_no or f"NOBATCH-{utcnow():%Y%m%d}", expiry_date)
    return [post_movement(session, level, kind, qty, value_fen, batch=batch, **ref)]


def stock_out(session: Session, level: StockLevel, kind: str, qty: Decimal, *, batch_no: str | None = None,
              unit_value: Decimal | None = None, **ref) -> list[Movement]:
    """Take stock out at moving average cost, or at `unit_value` a unit (goods sent back to the
    supplier leave at what they cost; never more than the level holds, and the last unit takes what
    is left); batch-tracked parts first-expiry-first-out."""
    def value_of(take: Decimal) -> int:
        if unit_value is None or take >= level.on_hand:
            return issue_value(level, take)
        return min(fen(take * unit_value), level.value_fen)

    qty = to_qty(qty)
    if qty > level.on_hand:
        raise Conflict(f"Only {level.on_hand} of {level.part.sku} on hand; cannot take out {qty}.",
                       fields={"qty": [f"Only {level.on_hand} on hand."]},
                       code="stock_short",
                       params={"sku": level.part.sku, "name": level.part.name, "on_hand": str(level.on_hand)})
    if not level.part.batch_tracked:
        return [post_movement(session, level, kind, -qty, -value_of(qty), **ref)]
    movements = []
    remaining = qty
    for batch in fefo_batches(session, level, batch_no):
        if remaining <= 0:
            break
        take = min(remaining, batch.qty_on_hand)
        movements.append(post_movement(session, level, kind, -take, -value_of(take), batch=batch, **ref))
        remaining -= take
    if remaining > 0:
        if batch_no:
            raise Conflict(f"Batch {batch_no} of {level.part.sku} holds less than {qty}.",
                           fields={"batch_no": ["Not enough in this batch."]},
                           code="batch_short", params={"sku": level.part.sku, "batch_no": batch_no})
        raise AssertionError(f"batches of {level.part.sku} at {level.store_id} hold less than on hand")
    return movements


def fefo_batches(session: Session, level: StockLevel, batch_no: str | None = None) -> list[Batch]:
    query = select(Batch).where(Batch.store_id == level.store_id, Batch.part_id == level.part_id,
                                Batch.qty_on_hand > 0)
    if batch_no:
        query = query.where(Batch.batch_no == batch_no)
    query = (query.order_by(case((Batch.expiry_date.is_(None), 1), else_=0), Batch.expiry_date,
                            Batch.received_at, Batch.id)
             .with_for_update(of=Batch).execution_options(populate_existing=True))
    return list(session.scalars(query))


def get_or_create_batch(session: Session, level: StockLevel, batch_no: str, expiry_date: date | None) -> Batch:
    expiry_match = Batch.expiry_date.is_(None) if expiry_date is None else Batch.expiry_date == expiry_date
    batch = session.scalars(select(Batch).where(
        Batch.store_id == level.store_id, Batch.part_id == level.part_id, Batch.batch_no == batch_no,
        expiry_match).with_for_update(of=Batch)).first()
    if batch is None:
        batch = Batch(id=new_id(), store_id=level.store_id, part_id=level.part_id, batch_no=batch_no,
                      expiry_date=expiry_date, qty_on_hand=ZERO, received_at=utcnow())
        session.add(batch)
        session.flush([batch])
    return batch


# -- reservations and signals ---------------------------------------------------------------------------
def _waiting(session: Session, level: StockLevel) -> list[Reservation]:
    return list(session.scalars(
        select(Reservation).where(Reservation.store_id == level.store_id, Reservation.part_id == level.part_id,
                                  Reservation.status == "open",
                                  Reservation.qty_reserved < Reservation.qty_requested)
        .order_by(case((Reservation.promised_at.is_(None), 1), else_=0), Reservation.promised_at,
                  Reservation.created_at, Reservation.id)
        .with_for_update(of=Reservation).execution_options(populate_existing=True)))


def fill_waiting(session: Session, level: StockLevel) -> set[str]:
    """Give available stock to reservations still short, earliest promise first.
    Returns the orders that received something."""
    touched: set[str] = set()
    if level.available <= 0:
        return touched
    for reservation in _waiting(session, level):
        if level.available <= 0:
            break
        take = min(level.available, reservation.qty_short)
        reservation.qty_reserved += take
        level.reserved += take
        touched.add(reservation.order_id)
    return touched


def order_lines(session: Session, order_id: str) -> list[Reservation]:
    return list(session.scalars(select(Reservation).where(
        Reservation.order_id == order_id, Reservation.status == "open").order_by(Reservation.id)))


def reserved_line(reservation: Reservation) -> dict:
    return {"sku": reservation.sku, "qty_requested": reservation.qty_requested,
            "qty_reserved": reservation.qty_reserved, "qty_short": reservation.qty_short}


def publish_order_state(session: Session, order_id: str, store_id: str, extra_lines: Sequence[dict] = (),
                        *, only_if_complete: bool = False) -> str | None:
    """`stock_reserved` when every part line of the order is reserved, else `stock_shortage`."""
    reservations = order_lines(session, order_id)
    if not reservations and not extra_lines:
        return None
    lines = [reserved_line(r) for r in reservations] + list(extra_lines)
    complete = all(line["qty_short"] == 0 for line in lines)
    if only_if_complete and not complete:
        return None
    fact = "stock_reserved" if complete else "stock_shortage"
    record_event(session, fact, {"order_id": order_id, "store_id": store_id, "lines": lines},
                 store_id=store_id)
    return fact


def after_stock_in(session: Session, levels) -> None:
    """Stock became available: fill waiting reservations (announcing orders now complete), then
    re-check the reorder point."""
    completed: dict[str, str] = {}
    for level in levels:
        for order_id in fill_waiting(session, level):
            completed[order_id] = level.store_id
    session.flush()
    for order_id, store_id in completed.items():
        publish_order_state(session, order_id, store_id, only_if_complete=True)
    for level in levels:
        check_low(session, level)


def shrink_reservations(session: Session, level: StockLevel, on_hand_after: Decimal) -> set[str]:
    """On-hand is about to fall below what is reserved (a count found less): the latest promises
    give way, before the stock leaves (reserved never exceeds on-hand)."""
    excess = level.reserved - on_hand_after
    touched: set[str] = set()
    if excess <= 0:
        return touched
    reservations = session.scalars(
        select(Reservation).where(Reservation.store_id == level.store_id, Reservation.part_id == level.part_id,
                                  Reservation.status == "open", Reservation.qty_reserved > 0)
        .order_by(case((Reservation.promised_at.is_(None), 0), else_=1), Reservation.promised_at.desc(),
                  Reservation.created_at.desc(), Reservation.id.desc())
        .with_for_update(of=Reservation))
    for reservation in reservations:
        if excess <= 0:
            break
        give_back = min(excess, reservation.qty_reserved)
        reservation.qty_reserved -= give_back
        level.reserved -= give_back
        excess -= give_back
        touched.add(reservation.order_id)
    return touched


def check_low(session: Session, level: StockLevel) -> bool:
    """Publish `stock_low` once when available falls below the reorder point; re-arm when it
    is back at or above it."""
    if level.reorder_point is None:
        level.low_flag = False
        return False
    below = level.available < level.reorder_point
    if below and not level.low_flag:
        level.low_flag = True
        record_event(session, "stock_low", {
            "store_id": level.store_id, "sku": level.part.sku, "available": level.available,
            "reorder_point": level.reorder_point, "reorder_qty": level.reorder_qty,
            "on_hand": level.on_hand, "on_order": level.on_order}, store_id=level.store_id)
        return True
    if not below and level.low_flag:
        level.low_flag = False
    return False

