"""Payment intents: an invoice paid through WeChat Pay or Alipay (a QR code or a link), and the headers a
provider's notification is signed with."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.schemas import ListQuery

from .shared import positive


WECHATPAY_NOTIFICATION_HEADERS = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial",
                                  "Wechatpay-Signature", "Wechatpay-Signature-Type")
NOTIFICATION_HEADERS_OF: dict[str, tuple[str, ...]] = {"wechat": WECHATPAY_NOTIFICATION_HEADERS, "alipay": ()}
"""The headers each provider signs its notifications with (Alipay signs inside its form body): the gateway
passes them on to `payment_notified`."""


class PaymentIntentCreate(Schema):
    provider = fields.String(required=True, validate=validate.OneOf(["wechat", "alipay"]),
                             metadata={"description": "wechat (WeChat Pay API v3) or alipay (Alipay open "
                                                      "platform, RSA2)."})
    channel = fields.String(required=True, validate=validate.OneOf(["qr", "h5"]),
                            metadata={"description": "qr: a code the customer scans at the till (WeChat Native, "
                                                     "Alipay precreate); h5: a link paid in the phone's browser "
                                                     "(WeChat H5, Alipay wap pay)."})
    amount_fen = positive(required=True)


class PaymentIntentOut(Schema):
    id = fields.String(metadata={"description": "Also the order number at the provider (out_trade_no)."})
    invoice_id = fields.String()
    invoice_number = fields.Function(lambda intent: intent.invoice.number)
    store_id = fields.String()
    provider = fields.String()
    channel = fields.String(metadata={"enum": ["qr", "h5", "jsapi"]})
    amount_fen = fields.Integer()
    currency = fields.String()
    status = fields.String(metadata={"enum": ["pending", "paid", "closed", "unapplied", "refunded"], "description":
                                     "unapplied: paid at the provider when the invoice no longer owed it "
                                     "(to refund there); refunded: refunded there whole, confirmed"})
    code_url = fields.Function(lambda intent: intent.pay_url if intent.channel == "qr" else None, allow_none=True,
                               metadata={"description": "qr: what the QR code encodes (weixin://…, "
                                                        "https://qr.alipay.com/…)."})
    pay_url = fields.Function(lambda intent: intent.pay_url if intent.channel == "h5" else None, allow_none=True,
                              metadata={"description": "h5: the link the customer opens."})
    transaction_id = fields.String(allow_none=True)
    payment_id = fields.String(allow_none=True)
    refund_id = fields.String(allow_none=True, metadata={
        "description": "unapplied or refunded: the refund asked of the provider (its out_refund_no); unapplied with "
                       "a refund_id: asked, waiting for the provider's confirmation"})
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    settled_at = fields.DateTime(allow_none=True)


class PaymentIntentQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(["pending", "paid", "closed", "unapplied", "refunded"]),
                           metadata={"description": "unapplied: paid at the provider, not owed by the invoice."})
