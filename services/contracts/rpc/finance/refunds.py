"""Refunds of a payment."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.schemas import ListQuery

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


REFUND_REQUEST_STATES = ("pending", "approved", "refunded", "declined", "failed")


class RefundRequestCreate(RefundCreate):
    """A refund above the store's limit asked of a manager (the same fields as a refund)."""


class RefundRequestDecline(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class RefundRequestQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(REFUND_REQUEST_STATES))
    invoice_id = fields.String()
    payment_id = fields.String()


class RefundRequestOut(Schema):
    id = fields.String()
    payment_id = fields.String()
    invoice_id = fields.String(allow_none=True)
    invoice_number = fields.String(allow_none=True)
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    method = fields.String()
    amount_fen = fields.Integer()
    currency = fields.String()
    reason = fields.String()
    status = fields.String(metadata={"enum": list(REFUND_REQUEST_STATES), "description": (
        "pending: waits for a store manager; approved: approved, the payment provider has not confirmed the "
        "refund yet; refunded: the refund is recorded (refund_id); declined: a manager declined it "
        "(decline_reason); failed: the payment provider refused the approved refund (nothing refunded; the till "
        "may ask again)")})
    requested_by = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    refund_id = fields.String(allow_none=True)
    provider_refund_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
