"""What several finance requests and answers share: the payment methods and a payment as invoices and the
payment list show it, an amount above zero, a month."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Fen


METHODS = ("cash", "card", "wechat", "alipay", "stored_value", "package")
MONTH = validate.Regexp(r"^(19|20)\d\d-(0[1-9]|1[0-2])$", error="A month is YYYY-MM (1900-2099).")


def positive(**kwargs):
    return Fen(validate=validate.Range(min=1, error="Must be more than zero."), **kwargs)


class PaymentOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"enum": ["payment", "deposit"]})
    invoice_id = fields.String(allow_none=True)
    order_id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    method = fields.String(metadata={"enum": list(METHODS)})
    amount_fen = fields.Integer()
    refunded_fen = fields.Integer()
    currency = fields.String()
    reference = fields.String(allow_none=True)
    card_id = fields.String(allow_none=True)
    service_code = fields.String(allow_none=True)
    received_by = fields.String(allow_none=True)
    received_at = fields.DateTime()
    business_date = fields.Date()


class MonthQuery(Schema):
    store_id = fields.String()
    month = fields.String(required=True, validate=MONTH)


class StoreMonthQuery(MonthQuery):
    store_id = fields.String(required=True)
