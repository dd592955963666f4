"""What the customer channel (car owners, `/c/v1/`) sees of finance: an invoice with its lines and
payments, without staff ids, costs or the store's bookkeeping."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Quantity

from .cards import PackageItemOut
from .intents import PaymentIntentOut


class CustomerInvoiceQuery(Schema):
    vehicle_id = fields.String(load_default=None, validate=validate.Length(min=1, max=26),
                               metadata={"description": "One of the customer's cars (all of them when left out)"})


class CustomerPaymentOut(Schema):
    method = fields.String()
    amount_fen = fields.Integer()
    refunded_fen = fields.Integer()
    received_at = fields.DateTime()


class CustomerInvoiceLineOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"enum": ["labour", "part", "fee"]})
    description = fields.String()
    qty = Quantity()
    unit_price_fen = fields.Integer()
    discount_fen = fields.Integer()
    total_fen = fields.Integer()


class CustomerInvoiceOut(Schema):
    id = fields.String()
    number = fields.String()
    store_id = fields.String()
    order_id = fields.String()
    work_order_id = fields.String(allow_none=True)
    vehicle_id = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["issued", "partially_paid", "paid"]})
    currency = fields.String()
    discount_fen = fields.Integer()
    tax_fen = fields.Integer()
    total_fen = fields.Integer(metadata={"description": "The lines' total_fen added up"})
    paid_fen = fields.Integer()
    refunded_fen = fields.Integer()
    due_fen = fields.Integer()
    issued_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(CustomerInvoiceLineOut))
    payments = fields.List(fields.Nested(CustomerPaymentOut), metadata={"description": "Single reads only."})


class CustomerPayIn(Schema):
    channel = fields.String(load_default="h5", validate=validate.OneOf(["h5", "jsapi"]), metadata={
        "description": "h5: a link for the phone's browser (default); jsapi: inside WeChat's own browser, with "
                       "the owner's openid (WeChat's 网页授权 first: 409 wechat_openid_needed)"})


class JsapiParamsOut(Schema):
    """What the page passes unchanged to WeixinJSBridge.invoke('getBrandWCPayRequest', …) (JSAPI调起支付)."""
    appId = fields.String(metadata={"description": "The official account of the payer's openid"})
    timeStamp = fields.String()
    nonceStr = fields.String()
    package = fields.String(metadata={"description": "prepay_id=…"})
    signType = fields.String(metadata={"enum": ["RSA"]})
    paySign = fields.String(metadata={"description": "RSA-SHA256 by the merchant over appId, timeStamp, nonceStr "
                                                     "and package, one a line"})


class CustomerPaymentIntentOut(PaymentIntentOut):
    jsapi = fields.Nested(JsapiParamsOut, allow_none=True, metadata={
        "description": "jsapi, when just asked for: the parameters of getBrandWCPayRequest"})

    class Meta:
        exclude = ("code_url", "transaction_id", "payment_id", "store_id")


class CustomerCardOut(Schema):
    """One of the customer's member cards (usable at every store of the chain), without its ledger."""
    id = fields.String()
    number = fields.String()
    kind = fields.String(metadata={"enum": ["stored_value", "package"]})
    status = fields.String()
    store_id = fields.String(metadata={"description": "The issuing store"})
    balance_fen = fields.Function(lambda card: card.paid_balance_fen + card.bonus_balance_fen,
                                  metadata={"description": "Stored value: paid and bonus together"})
    bonus_balance_fen = fields.Integer()
    package_name = fields.String(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    items = fields.List(fields.Nested(PackageItemOut), metadata={"description": "A package's services left"})
