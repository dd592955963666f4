"""Invoices: the invoice with its lines, payments and what an erasure keeps of it; the list; voiding."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Quantity
from services.common.schemas import ListQuery

from .retention import RETENTION
from .shared import PaymentOut


INVOICE_STATES = ("issued", "partially_paid", "paid", "void")


class InvoiceLineOut(Schema):
    id = fields.String()
    line_id = fields.String(allow_none=True)
    kind = fields.String(metadata={"enum": ["labour", "part", "fee"]})
    description = fields.String()
    op_code = fields.String(allow_none=True)
    sku = fields.String(allow_none=True)
    hours = Quantity(allow_none=True)
    qty = Quantity()
    unit_price_fen = fields.Integer()
    discount_fen = fields.Integer()
    tax_rate = fields.String()
    tax_fen = fields.Integer()
    total_fen = fields.Integer()
    net_fen = fields.Integer(metadata={"description": "Tax excluded, after discount."})


class RetentionOut(Schema):
    kept_after_erasure = fields.List(fields.String())
    basis = fields.String()


class InvoiceOut(Schema):
    id = fields.String()
    number = fields.String()
    store_id = fields.String()
    order_id = fields.String()
    order_number = fields.String(allow_none=True)
    work_order_id = fields.String(allow_none=True)
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    advisor_id = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(INVOICE_STATES)})
    currency = fields.String()
    labour_fen = fields.Integer()
    parts_fen = fields.Integer()
    fees_fen = fields.Integer()
    discount_fen = fields.Integer()
    tax_fen = fields.Integer()
    total_fen = fields.Integer()
    deposit_fen = fields.Integer(metadata={"description": "Prepayment consumed (part of paid_fen)."})
    paid_fen = fields.Integer(metadata={"description": "Collected, deposit included, before refunds."})
    refunded_fen = fields.Integer()
    net_paid_fen = fields.Integer(metadata={"description": "paid_fen − refunded_fen; never negative."})
    due_fen = fields.Integer()
    billed_hours = Quantity()
    unbilled_parts = fields.List(fields.Dict(), metadata={"description": "Used but not on the contract."})
    issued_at = fields.DateTime()
    business_date = fields.Date()
    paid_at = fields.DateTime(allow_none=True)
    void_reason = fields.String(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)
    voided_by = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(InvoiceLineOut))
    payments = fields.List(fields.Nested(PaymentOut), metadata={"description": "Single reads only."})
    retention = fields.Nested(RetentionOut, dump_default=RETENTION, metadata={
        "description": "An invoice is a legal (accounting) record: the fields a customer's erasure keeps, "
                       "and why. It copies no name, mobile, plate or VIN."})


class InvoiceQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(INVOICE_STATES))
    order_id = fields.String()
    customer_id = fields.String()


class VoidRequest(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))
