"""Orders (a contracted quote): the answer and the list."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.signatures import SignatureOut
from services.common.fields import Fen, Quantity
from services.common.schemas import ListQuery

from .quotes import TotalsOut
from .shared import Rate


ORDER_STATES = ("confirmed", "in_progress", "completed", "delivered", "closed", "cancelled")


class OrderLineOut(Schema):
    id = fields.String()
    position = fields.Integer()
    kind = fields.String()
    description = fields.String()
    op_code = fields.String(allow_none=True)
    skill = fields.String(allow_none=True)
    hours = Quantity(allow_none=True)
    sku = fields.String(allow_none=True)
    qty = Quantity()
    unit_price_fen = Fen()
    discount_fen = Fen()
    tax_fen = Fen()
    total_fen = Fen()


class OrderOut(Schema):
    id = fields.String()
    number = fields.String()
    store_id = fields.String()
    quote_id = fields.String()
    visit_id = fields.String(allow_none=True)
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    advisor_id = fields.String(allow_none=True)
    state = fields.String(metadata={"enum": list(ORDER_STATES)})
    status_line = fields.String(metadata={"description": "One line for the advisor"})
    totals = fields.Nested(TotalsOut)
    tax_rate = Rate()
    tax_inclusive = fields.Boolean()
    payment_method = fields.String()
    deposit_fen = Fen()
    deposit_reference = fields.String(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    terms = fields.String(allow_none=True)
    signed_by = fields.String()
    signed_at = fields.DateTime()
    confirmed_at = fields.DateTime()
    work_order_id = fields.String(allow_none=True)
    invoice_id = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineOut))
    signature = fields.Nested(SignatureOut, allow_none=True, metadata={
        "description": "The customer's drawn signature of the contract, and whether the order still matches it "
                       "(one order only, not in lists)"})


class OrderListQuery(ListQuery):
    store_id = fields.String()
    state = fields.String(validate=validate.OneOf(ORDER_STATES))
    customer_id = fields.String()
    vehicle_id = fields.String()
