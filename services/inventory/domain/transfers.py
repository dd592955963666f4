"""Transfers between stores (调拨): the receiving store requests, the shipping store ships (stock
leaves it at moving average cost and is in transit), the receiving store books what arrived at
the cost it left with; a shortfall is recorded as a discrepancy.

requested → shipped → (partially_received | received); requested → cancelled."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Invalid, NotFound
from services.common.schemas import page

from . import ledger, postings
from ..models import ZERO, Batch, Movement, Transfer, TransferLine


def get_transfer(session: Session, transfer_id: str, *, lock: bool = False) -> Transfer:
    query = select(Transfer).where(Transfer.id == transfer_id)
    if lock:
        query = query.with_for_update(of=Transfer).execution_options(populate_existing=True)
    transfer = session.scalars(query).first()
    if transfer is None:
        raise NotFound(f"No transfer {transfer_id}.")
    return transfer


def request_transfer(session: Session, data: dict, user_id: str | None) -> Transfer:
    parts = ledger.parts_by_sku(session, [line["sku"] for line in data["lines"]], ledger.line_field)
    transfer = Transfer(number=ledger.document_number("TR"), from_store_id=data["from_store_id"],
                        to_store_id=data["to_store_id"], status="requested", notes=data.get("notes"),
                        requested_by=user_id, created_at=utcnow())
    for position, line in enumerate(data["lines"]):
        part = parts[ledger.norm_sku(line["sku"])]
        transfer.lines.append(TransferLine(position=position, part_id=part.id, sku=part.sku,
                                           qty_requested=line["qty"]))
    session.add(transfer)
    session.flush()
    return transfer


def _quantities(transfer: Transfer, given: list[dict] | None, default, what: str) -> dict[str, Decimal]:
    """sku → qty for every line: what the client gave, the default for lines it left out."""
    by_sku = {line.sku: line for line in transfer.lines}
    result = {line.sku: default(line) for line in transfer.lines}
    if given:
        errors = {}
        for index, item in enumerate(given):
            sku = ledger.norm_sku(item["sku"])
            if sku not in by_sku:
                errors[str(index)] = {"sku": [f"{item['sku']} is not on {transfer.number}."]}
            else:
                result[sku] = item["qty"]
        if errors:
            raise Invalid(f"Some {what} lines are not valid.", fields={"lines": errors},
                          code="not_on_transfer", params={"number": transfer.number})
    return result


def ship(session: Session, transfer_id: str, data: dict, caller: Caller) -> Transfer:
    transfer = get_transfer(session, transfer_id, lock=True)
    if transfer.status != "requested":
        raise Conflict(f"Transfer {transfer.number} is {transfer.status}; only a requested transfer ships.",
                       code="transfer_state", params={"number": transfer.number, "status": transfer.status})
    quantities = _quantities(transfer, data.get("lines"), lambda line: line.qty_requested, "shipping")
    too_many = {sku: qty for sku, qty in quantities.items()
                if qty > next(line.qty_requested for line in transfer.lines if line.sku == sku)}
    if too_many:
        raise Invalid("Cannot ship more than requested.",
                      fields={"lines": {sku: ["More than requested."] for sku in too_many}},
                      code="more_than_requested", params={"skus": sorted(too_many)})
    if not any(qty > 0 for qty in quantities.values()):
        raise Invalid("Nothing to ship.", fields={"lines": ["Ship at least one unit."]}, code="nothing_to_ship")
    levels = ledger.lock_levels(session, transfer.from_store_id, [line.part_id for line in transfer.lines])
    short = {line.sku: levels[line.part_id].available for line in transfer.lines
             if quantities[line.sku] > levels[line.part_id].available}
    if short:
        raise Conflict("Not enough free stock to ship: " + "; ".join(
            f"{sku} has {available} available" for sku, available in short.items()) + ".",
            fields={"lines": {sku: [f"Only {available} available."] for sku, available in short.items()}},
            code="stock_short_to_ship", params={"skus": sorted(short)})
    for line in transfer.lines:
        qty = quantities[line.sku]
        line.qty_shipped = qty
        line.shipped_value_fen = 0
        line.shipped_batches = []
        if qty <= 0:
            line.unit_cost_fen = 0
            continue
        movements = ledger.stock_out(session, levels[line.part_id], "transfer_out", qty,
                                     reference_type="transfer", reference_id=transfer.id, user_id=caller.user_id,
                                     note=f"{transfer.number} → {transfer.to_store_id}")
        line.shipped_value_fen = -sum(m.value_fen for m in movements)
        line.unit_cost_fen = ledger.fen(Decimal(line.shipped_value_fen) / qty)
        if movements[0].batch_id:
            line.shipped_batches = [_batch_record(session, m) for m in movements]
    postings.announce(session, from_store_id=transfer.from_store_id, to_store_id=transfer.to_store_id)
    transfer.status, transfer.shipped_by, transfer.shipped_at = "shipped", caller.user_id, utcnow()
    record_audit(session, caller, "transfer_shipped", "transfer", transfer.id, store_id=transfer.from_store_id,
                 details={"lines": [{"sku": line.sku, "qty": line.qty_shipped, "value_fen": line.shipped_value_fen}
                                    for line in transfer.lines],
                          "before": {"status": "requested"}, "after": {"status": transfer.status}})
    session.flush()
    for level in levels.values():
        ledger.check_low(session, level)
    return transfer


def _batch_record(session: Session, movement: Movement) -> dict:
    batch = session.get_one(Batch, movement.batch_id)
    return {"batch_no": batch.batch_no, "expiry_date": batch.expiry_date.isoformat() if batch.expiry_date else None,
            "qty": str(-movement.qty), "value_fen": -movement.value_fen}


def _shipped(line: TransferLine) -> tuple[Decimal, int]:
    """The quantity and value a line of a shipped transfer left with (`ship` sets both on every line)."""
    return line.qty_shipped or ZERO, line.shipped_value_fen or 0


def receive(session: Session, transfer_id: str, data: dict, caller: Caller) -> Transfer:
    transfer = get_transfer(session, transfer_id, lock=True)
    if transfer.status != "shipped":
        raise Conflict(f"Transfer {transfer.number} is {transfer.status}; only a shipped transfer is received.",
                       code="transfer_state", params={"number": transfer.number, "status": transfer.status})
    quantities = _quantities(transfer, data.get("lines"), lambda line: line.qty_shipped, "receiving")
    too_many = {line.sku for line in transfer.lines if quantities[line.sku] > _shipped(line)[0]}
    if too_many:
        raise Invalid("Cannot receive more than was shipped.",
                      fields={"lines": {sku: ["More than shipped."] for sku in too_many}},
                      code="more_than_shipped", params={"skus": sorted(too_many)})
    levels = ledger.lock_levels(session, transfer.to_store_id, [line.part_id for line in transfer.lines])
    ref: dict[str, Any] = {"reference_type": "transfer", "reference_id": transfer.id, "user_id": caller.user_id,
                           "note": f"{transfer.number} ← {transfer.from_store_id}"}
    for line in transfer.lines:
        qty, level = quantities[line.sku], levels[line.part_id]
        shipped_qty, shipped_value = _shipped(line)
        received_value = 0
        if qty > 0 and line.shipped_batches:
            remaining = qty
            for shipped in line.shipped_batches:  # first-expiry-first-out, as they were picked
                take = min(remaining, Decimal(shipped["qty"]))
                if take <= 0:
                    break
                value = shipped["value_fen"] if take == Decimal(shipped["qty"]) else ledger.fen(
                    Decimal(shipped["value_fen"]) * take / Decimal(shipped["qty"]))
                expiry = date.fromisoformat(shipped["expiry_date"]) if shipped["expiry_date"] else None
                ledger.stock_in(session, level, "transfer_in", take, value, batch_no=shipped["batch_no"],
                                expiry_date=expiry, **ref)
                received_value += value
                remaining -= take
        elif qty > 0:
            received_value = shipped_value if qty == shipped_qty else ledger.fen(
                Decimal(shipped_value) * qty / shipped_qty)
            ledger.stock_in(session, level, "transfer_in", qty, received_value, **ref)
        line.qty_received = qty
        line.discrepancy_qty = shipped_qty - qty
        line.discrepancy_value_fen = shipped_value - received_value
    _announce_received(session, transfer)
    complete = all(line.discrepancy_qty == 0 for line in transfer.lines)
    transfer.status = "received" if complete else "partially_received"
    transfer.received_by, transfer.received_at = caller.user_id, utcnow()
    record_audit(session, caller, "transfer_received", "transfer", transfer.id, store_id=transfer.to_store_id,
                 details={"lines": [{"sku": line.sku, "qty": line.qty_received, "discrepancy_qty": line.discrepancy_qty}
                                    for line in transfer.lines],
                          "before": {"status": "shipped"}, "after": {"status": transfer.status}})
    if data.get("notes"):
        transfer.notes = f"{transfer.notes}\n{data['notes']}" if transfer.notes else data["notes"]
    session.flush()
    ledger.after_stock_in(session, list(levels.values()))
    return transfer


def _announce_received(session: Session, transfer: Transfer) -> None:
    """What arrived enters the receiving store's stock and the whole shipment leaves transit (a
    shortfall is the receiving store's loss), even when nothing at all arrived."""
    movements = postings.take(session)
    shipped = sum(_shipped(line)[1] for line in transfer.lines)
    received = sum(m.value_fen for m in movements)
    if shipped or received:
        postings.record_valued(session, transfer.to_store_id, "transfer_in", "transfer", transfer.id, received,
                               postings.valued_lines(movements), from_store_id=transfer.from_store_id,
                               to_store_id=transfer.to_store_id, in_transit_fen=shipped)


def cancel(session: Session, transfer_id: str) -> Transfer:
    transfer = get_transfer(session, transfer_id, lock=True)
    if transfer.status != "requested":
        raise Conflict(f"Transfer {transfer.number} is {transfer.status}; only a requested transfer can be cancelled.",
                       code="transfer_state", params={"number": transfer.number, "status": transfer.status})
    transfer.status = "cancelled"
    session.flush()
    return transfer


def list_transfers(session: Session, filters: dict) -> dict:
    store_id = filters["store_id"]
    query = select(Transfer).where(or_(Transfer.from_store_id == store_id, Transfer.to_store_id == store_id))
    if filters.get("status"):
        query = query.where(Transfer.status == filters["status"])
    if filters.get("cursor"):
        query = query.where(Transfer.id < filters["cursor"])
    rows = session.scalars(query.order_by(Transfer.id.desc()).limit(filters["limit"] + 1)).all()
    return page(list(rows), filters["limit"], key=lambda transfer: transfer.id)

