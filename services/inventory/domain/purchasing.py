"""Purchase orders and receipts: draft → ordered → partially_received → received; → cancelled.
A receipt raises stock at its actual unit cost (moving average), records batches and expiry
dates of tracked parts, and fills orders waiting for the part. Goods received can be sent back to
the supplier (at most what was received and not yet returned): they leave stock at what they cost
as received, announced like every valued movement, so finance reverses goods received not invoiced
by the value it was credited with."""
from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Invalid, NotFound
from services.common.ids import new_id
from services.common.schemas import page

from . import ledger, postings
from ..models import ZERO, PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine, Supplier

RECEIVABLE = ("ordered", "partially_received")
CANCELLABLE = ("draft", "ordered", "partially_received")


def get_purchase_order(session: Session, po_id: str) -> PurchaseOrder:
    po = session.get(PurchaseOrder, po_id)
    if po is None:
        raise NotFound(f"No purchase order {po_id}.")
    return po


def receipt_owner(session: Session, caller: Caller, receipt_id: str) -> dict:
    """A receipt as the owner of its papers (the delivery note, photos of damaged goods): its store's scope."""
    receipt = session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound(f"No receipt {receipt_id}.")
    caller.require_store(receipt.store_id)
    return {"store_id": receipt.store_id, "owner_type": "receipt", "owner_id": receipt.id,
            "parent_id": receipt.purchase_order_id}


def _lock_po(session: Session, po_id: str) -> PurchaseOrder:
    po = session.scalars(select(PurchaseOrder).where(PurchaseOrder.id == po_id)
                         .with_for_update(of=PurchaseOrder).execution_options(populate_existing=True)).first()
    if po is None:
        raise NotFound(f"No purchase order {po_id}.")
    return po


def create_purchase_order(session: Session, data: dict, user_id: str | None) -> PurchaseOrder:
    supplier = session.get(Supplier, data["supplier_id"])
    if supplier is None or not supplier.active:
        raise Invalid("Unknown supplier.", fields={"supplier_id": ["No active supplier with this id."]},
                      code="unknown_supplier")
    parts = ledger.parts_by_sku(session, [line["sku"] for line in data["lines"]], ledger.line_field)
    po = PurchaseOrder(number=ledger.document_number("PO"), store_id=data["store_id"], supplier_id=supplier.id,
                       status="draft", expected_on=data.get("expected_on"),
                       allow_over_receipt=data.get("allow_over_receipt", False), notes=data.get("notes"),
                       created_by=user_id, created_at=utcnow())
    for position, line in enumerate(data["lines"]):
        part = parts[ledger.norm_sku(line["sku"])]
        po.lines.append(PurchaseOrderLine(position=position, part_id=part.id, sku=part.sku,
                                          qty_ordered=line["qty"], qty_received=ZERO,
                                          unit_cost_fen=line["unit_cost_fen"]))
    session.add(po)
    session.flush()
    if data.get("submit"):
        place_order(session, po.id)
    return po


def place_order(session: Session, po_id: str) -> PurchaseOrder:
    """draft → ordered: the quantities count as on order at the store."""
    po = _lock_po(session, po_id)
    if po.status != "draft":
        raise Conflict(f"Purchase order {po.number} is {po.status}; only a draft can be placed.",
                       code="purchase_order_state", params={"number": po.number, "status": po.status})
    levels = ledger.lock_levels(session, po.store_id, [line.part_id for line in po.lines])
    for line in po.lines:
        levels[line.part_id].on_order += line.qty_ordered
    po.status, po.ordered_at = "ordered", utcnow()
    session.flush()
    return po


def cancel_purchase_order(session: Session, po_id: str) -> PurchaseOrder:
    po = _lock_po(session, po_id)
    if po.status not in CANCELLABLE:
        raise Conflict(f"Purchase order {po.number} is {po.status} and cannot be cancelled.",
                       code="purchase_order_state", params={"number": po.number, "status": po.status})
    if po.status != "draft":
        levels = ledger.lock_levels(session, po.store_id, [line.part_id for line in po.lines])
        for line in po.lines:
            level = levels[line.part_id]
            level.on_order = max(level.on_order - line.qty_outstanding, ZERO)
    po.status, po.closed_at = "cancelled", utcnow()
    session.flush()
    return po


def receive(session: Session, po_id: str, data: dict, caller: Caller) -> Receipt:
    """Book a delivery against the order. Over-receipt (more than outstanding) is refused unless
    the order allows it; a refused receipt changes nothing."""
    po = _lock_po(session, po_id)
    if po.status == "draft":
        raise Conflict(f"Purchase order {po.number} is still a draft; place it before receiving.",
                       code="purchase_order_state", params={"number": po.number, "status": po.status})
    if po.status not in RECEIVABLE:
        raise Conflict(f"Purchase order {po.number} is {po.status}; nothing more can be received.",
                       code="purchase_order_state", params={"number": po.number, "status": po.status})
    by_sku = {line.sku: line for line in po.lines}
    errors: dict = {}
    totals: OrderedDict[str, Decimal] = OrderedDict()
    for index, line in enumerate(data["lines"]):
        sku = ledger.norm_sku(line["sku"])
        po_line = by_sku.get(sku)
        if po_line is None:
            errors.setdefault("lines", {})[str(index)] = {"sku": [f"{line['sku']} is not on {po.number}."]}
            continue
        totals[sku] = totals.get(sku, ZERO) + line["qty"]
        part = ledger.get_part(session, po_line.part_id)
        if part.batch_tracked and not (line.get("batch_no") and line.get("expiry_date")):
            errors.setdefault("lines", {})[str(index)] = {
                "batch_no": [f"{sku} is batch-tracked: give its batch number and expiry date."]}
    if errors:
        raise Invalid("Some receipt lines are not valid.", fields=errors,
                      code="receipt_lines_invalid", params={"number": po.number})
    over = {sku: qty for sku, qty in totals.items() if qty > by_sku[sku].qty_outstanding}
    if over and not po.allow_over_receipt:
        raise Conflict(
            "Receiving more than ordered: " + "; ".join(
                f"{sku} {qty} received but only {by_sku[sku].qty_outstanding} outstanding"
                for sku, qty in over.items()) + ".",
            fields={"lines": {sku: [f"At most {by_sku[sku].qty_outstanding} outstanding."] for sku in over}},
                       code="over_receipt", params={"skus": sorted(over)})

    levels = ledger.lock_levels(session, po.store_id, [by_sku[sku].part_id for sku in totals])
    status_before = po.status
    receipt = Receipt(purchase_order_id=po.id, store_id=po.store_id, delivery_note=data.get("delivery_note"),
                      received_by=caller.user_id, received_at=utcnow())
    session.add(receipt)
    session.flush([receipt])
    for line in data["lines"]:
        po_line = by_sku[ledger.norm_sku(line["sku"])]
        level = levels[po_line.part_id]
        unit_cost = line["unit_cost_fen"] if line.get("unit_cost_fen") is not None else po_line.unit_cost_fen
        qty = line["qty"]
        ledger.stock_in(session, level, "receipt", qty, ledger.fen(qty * unit_cost),
                        batch_no=line.get("batch_no"), expiry_date=line.get("expiry_date"),
                        reference_type="receipt", reference_id=receipt.id, user_id=caller.user_id,
                        note=po.number)
        level.on_order = max(level.on_order - min(qty, po_line.qty_outstanding), ZERO)
        po_line.qty_received += qty
        receipt.lines.append(ReceiptLine(purchase_order_line_id=po_line.id, sku=po_line.sku, qty=qty,
                                         unit_cost_fen=unit_cost, batch_no=line.get("batch_no"),
                                         expiry_date=line.get("expiry_date")))
    if all(line.qty_received >= line.qty_ordered for line in po.lines):
        po.status, po.closed_at = "received", utcnow()
    else:
        po.status = "partially_received"
    record_audit(session, caller, "stock_received", "purchase_order", po.id, store_id=po.store_id, details={
        "receipt_id": receipt.id, "lines": [{"sku": line.sku, "qty": line.qty, "unit_cost_fen": line.unit_cost_fen}
                                            for line in receipt.lines],
        "before": {"status": status_before}, "after": {"status": po.status}})
    postings.announce(session)
    session.flush()
    ledger.after_stock_in(session, list(levels.values()))
    session.flush()
    session.refresh(po)
    return receipt


def _received_unit_value(po: PurchaseOrder, po_line_id: str) -> Decimal:
    """What a unit of the line cost as received (its receipts' value over their quantity)."""
    lines = [line for receipt in po.receipts for line in receipt.lines if line.purchase_order_line_id == po_line_id]
    return Decimal(sum(line.qty * line.unit_cost_fen for line in lines)) / sum(line.qty for line in lines)


def return_to_supplier(session: Session, po_id: str, data: dict, caller: Caller) -> dict:
    """Send received goods back (退货); more than received and not yet returned is refused, and a
    refused return changes nothing."""
    po = _lock_po(session, po_id)
    by_sku = {line.sku: line for line in po.lines}
    wanted: OrderedDict[str, Decimal] = OrderedDict()
    errors: dict = {}
    for index, line in enumerate(data["lines"]):
        sku = ledger.norm_sku(line["sku"])
        if sku not in by_sku:
            errors[str(index)] = {"sku": [f"{line['sku']} is not on {po.number}."]}
            continue
        wanted[sku] = wanted.get(sku, ZERO) + line["qty"]
    if errors:
        raise Invalid("Some return lines are not valid.", fields={"lines": errors},
                      code="return_lines_invalid", params={"number": po.number})
    over = {sku: qty for sku, qty in wanted.items()
            if qty > by_sku[sku].qty_received - by_sku[sku].qty_returned}
    if over:
        raise Conflict("Returning more than was received: " + "; ".join(
            f"{sku} {qty} but {by_sku[sku].qty_received - by_sku[sku].qty_returned} returnable"
            for sku, qty in over.items()) + ".",
            fields={"lines": {sku: ["More than received and not yet returned."] for sku in over}},
            code="over_return", params={"number": po.number, "skus": sorted(over)})
    levels = ledger.lock_levels(session, po.store_id, [by_sku[sku].part_id for sku in wanted])
    return_id = new_id()
    lines = []
    for sku, qty in wanted.items():
        po_line = by_sku[sku]
        movements = ledger.stock_out(session, levels[po_line.part_id], "supplier_return", qty,
                                     unit_value=_received_unit_value(po, po_line.id),
                                     reference_type="supplier_return", reference_id=return_id,
                                     user_id=caller.user_id, note=po.number)
        po_line.qty_returned += qty
        lines.append({"sku": sku, "qty": qty, "value_fen": -sum(m.value_fen for m in movements)})
    record_audit(session, caller, "stock_returned_to_supplier", "purchase_order", po.id, store_id=po.store_id,
                 details={"return_id": return_id, "reason": data["reason"],
                          "lines": [{"sku": line["sku"], "qty": line["qty"]} for line in lines]})
    postings.announce(session, purchase_order_id=po.id, supplier_id=po.supplier_id)
    session.flush()
    return {"id": return_id, "purchase_order_id": po.id, "purchase_order_number": po.number,
            "store_id": po.store_id, "supplier_id": po.supplier_id, "reason": data["reason"],
            "value_fen": sum(line["value_fen"] for line in lines), "lines": lines}


def list_purchase_orders(session: Session, filters: dict) -> dict:
    query = select(PurchaseOrder).where(PurchaseOrder.store_id == filters["store_id"])
    if filters.get("status"):
        query = query.where(PurchaseOrder.status == filters["status"])
    if filters.get("supplier_id"):
        query = query.where(PurchaseOrder.supplier_id == filters["supplier_id"])
    if filters.get("cursor"):
        query = query.where(PurchaseOrder.id < filters["cursor"])
    rows = session.scalars(query.order_by(PurchaseOrder.id.desc()).limit(filters["limit"] + 1)).all()
    return page(list(rows), filters["limit"], key=lambda po: po.id)
