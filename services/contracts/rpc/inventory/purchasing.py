"""Purchasing: purchase orders, receipts and returns to the supplier."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import Fen, Quantity
from services.common.schemas import ListQuery

from .shared import positive_qty, store_filter


PO_STATES = ("draft", "ordered", "partially_received", "received", "cancelled")


class PurchaseOrderLineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = positive_qty(required=True)
    unit_cost_fen = Fen(required=True, metadata={"description": "Agreed purchase price per unit, tax included"})


class PurchaseOrderCreate(Schema):
    store_id = fields.String(required=True)
    supplier_id = fields.String(required=True)
    lines = fields.List(fields.Nested(PurchaseOrderLineIn), required=True, validate=validate.Length(min=1, max=200))
    expected_on = fields.Date(load_default=None, allow_none=True)
    allow_over_receipt = fields.Boolean(load_default=False,
                                        metadata={"description": "Accept deliveries above the ordered quantity"})
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    submit = fields.Boolean(load_default=False, metadata={"description": "Place the order at once (→ ordered)"})

    @validates_schema
    def _one_line_per_sku(self, data, **_):
        skus = [line["sku"] for line in data.get("lines", [])]
        if len(skus) != len(set(skus)):
            raise ValidationError("Each SKU appears on one line only.", "lines")


class PurchaseOrderLineOut(Schema):
    id = fields.String()
    part_id = fields.String()
    sku = fields.String()
    qty_ordered = Quantity()
    qty_received = Quantity()
    qty_returned = Quantity(metadata={"description": "Sent back to the supplier after receipt"})
    qty_outstanding = Quantity()
    unit_cost_fen = Fen()
    line_total_fen = Fen()


class ReceiptLineOut(Schema):
    id = fields.String()
    purchase_order_line_id = fields.String()
    sku = fields.String()
    qty = Quantity()
    unit_cost_fen = Fen()
    batch_no = fields.String(allow_none=True)
    expiry_date = fields.Date(allow_none=True)


class ReceiptOut(Schema):
    id = fields.String()
    purchase_order_id = fields.String()
    store_id = fields.String()
    delivery_note = fields.String(allow_none=True)
    received_by = fields.String(allow_none=True)
    received_at = fields.DateTime()
    lines = fields.List(fields.Nested(ReceiptLineOut))


class PurchaseOrderOut(Schema):
    id = fields.String()
    number = fields.String()
    store_id = fields.String()
    supplier_id = fields.String()
    supplier_name = fields.Function(lambda po: po.supplier.name)
    status = fields.String(metadata={"enum": list(PO_STATES)})
    currency = fields.String()
    total_fen = Fen()
    expected_on = fields.Date(allow_none=True)
    allow_over_receipt = fields.Boolean()
    notes = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    ordered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(PurchaseOrderLineOut))
    receipts = fields.List(fields.Nested(ReceiptOut))


class PurchaseOrderListQuery(ListQuery):
    store_id = store_filter()
    status = fields.String(validate=validate.OneOf(PO_STATES))
    supplier_id = fields.String()


class ReceiptLineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = positive_qty(required=True)
    unit_cost_fen = Fen(load_default=None, allow_none=True,
                        metadata={"description": "Actual cost per unit; default the PO line's price"})
    batch_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))
    expiry_date = fields.Date(load_default=None, allow_none=True)


class ReceiptCreate(Schema):
    lines = fields.List(fields.Nested(ReceiptLineIn), required=True, validate=validate.Length(min=1, max=200))
    delivery_note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))


class SupplierReturnLineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = positive_qty(required=True)


class SupplierReturnCreate(Schema):
    lines = fields.List(fields.Nested(SupplierReturnLineIn), required=True, validate=validate.Length(min=1, max=200))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SupplierReturnLineOut(Schema):
    sku = fields.String()
    qty = Quantity()
    value_fen = Fen(metadata={"description": "Taken out of stock at what it cost as received on the order"})


class SupplierReturnOut(Schema):
    """Goods received on a purchase order sent back to its supplier (退货): stock leaves at what it
    cost as received; finance reverses goods received not invoiced by that value."""
    id = fields.String()
    purchase_order_id = fields.String()
    purchase_order_number = fields.String()
    store_id = fields.String()
    supplier_id = fields.String()
    reason = fields.String()
    value_fen = Fen()
    lines = fields.List(fields.Nested(SupplierReturnLineOut))
