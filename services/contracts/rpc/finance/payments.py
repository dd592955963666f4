"""Payments at the till and the list of payments."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import Code
from services.common.schemas import ListQuery

from .invoices import InvoiceOut
from .shared import METHODS, PaymentOut, positive


class PaymentCreate(Schema):
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    amount_fen = positive(required=True)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                              metadata={"description": "Terminal / transaction reference."})
    card_id = fields.String(load_default=None, allow_none=True,
                            metadata={"description": "stored_value and package: the member card."})
    service_code = Code(load_default=None, allow_none=True,
                        metadata={"description": "package: the service redeemed (an op code)."})

    @validates_schema
    def _card_methods(self, data, **_):
        if data.get("method") in ("stored_value", "package") and not data.get("card_id"):
            raise ValidationError("Required for card payments.", "card_id")
        if data.get("method") == "package" and not data.get("service_code"):
            raise ValidationError("Required for package redemptions.", "service_code")


class PaymentResult(Schema):
    payment = fields.Nested(PaymentOut)
    invoice = fields.Nested(InvoiceOut)


class PaymentQuery(ListQuery):
    store_id = fields.String()
    date = fields.Date(metadata={"description": "Store-local business day."})
    method = fields.String(validate=validate.OneOf(METHODS + ("transfer",)))
