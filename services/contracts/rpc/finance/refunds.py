"""Refunds of a payment."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .shared import positive


class RefundCreate(Schema):
    amount_fen = positive(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class RefundOut(Schema):
    id = fields.String()
    payment_id = fields.String()
    invoice_id = fields.String(allow_none=True)
    order_id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    method = fields.String()
    amount_fen = fields.Integer()
    currency = fields.String()
    reason = fields.String()
    requested_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    business_date = fields.Date()
    status = fields.String(dump_default="issued", metadata={
        "enum": ["issued", "pending", "failed"], "description": "issued: recorded. A refund of money a payment "
        "provider took is asked of the provider first: pending (the id is then the refund's number at the "
        "provider) until it confirms, when the refund is recorded on the payment, or failed."})
