"""Electronic fapiao (数电票): asking for one of an invoice, reversing it (红字), the list."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import CreditCode
from services.common.schemas import ListQuery

FAPIAO_TYPES = ("normal", "special")
"""普通发票 (数电普票) | 专用发票 (数电专票)."""
FAPIAO_STATES = ("queued", "confirming", "issuing", "issued", "failed", "reversed", "cancelled")
RED_REASONS = ("refund", "cancelled", "error")
"""Why a fapiao is reversed: refund (销货退回), cancelled (服务中止), error (开票有误)."""


class FapiaoRequest(Schema):
    type = fields.String(required=True, validate=validate.OneOf(FAPIAO_TYPES),
                         metadata={"description": "normal: 普通发票 (数电普票); special: 专用发票 (数电专票), a "
                                                  "VAT-registered buyer's."})
    buyer_title = fields.String(required=True, validate=validate.Length(min=2, max=100),
                                metadata={"description": "发票抬头: the company's registered name, or the person's"})
    buyer_tax_no = CreditCode(load_default=None, allow_none=True,
                              metadata={"description": "The buyer's tax number; required for a special one"})
    buyer_email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=100))
    line_ids = fields.List(fields.String(validate=validate.Length(min=1, max=26)), load_default=None,
                           allow_none=True, validate=validate.Length(min=1, max=200),
                           metadata={"description": "The invoice lines (their ids) it covers; default every "
                                                    "line no other fapiao of the invoice covers"})

    @validates_schema
    def _special_needs_tax_no(self, data, **_):
        if data.get("type") == "special" and not data.get("buyer_tax_no"):
            raise ValidationError("A special fapiao needs the buyer's tax number.", "buyer_tax_no")


class RedLetterRequest(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(RED_REASONS),
                           metadata={"description": "refund (销货退回), cancelled (服务中止), error (开票有误)"})


class FapiaoQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(FAPIAO_STATES))
    invoice_id = fields.String(validate=validate.Length(min=1, max=26))


class FapiaoLineOut(Schema):
    line_id = fields.String()
    description = fields.String()
    goods_code = fields.String(metadata={"description": "税收分类编码"})
    qty = fields.String()
    tax_rate = fields.String()
    tax_fen = fields.Integer()
    total_fen = fields.Integer()


class FapiaoOut(Schema):
    id = fields.String()
    store_id = fields.String()
    invoice_id = fields.String()
    invoice_number = fields.String()
    customer_id = fields.String()
    kind = fields.String(metadata={"enum": ["blue", "red"], "description": "blue: the sale; red: its reversal"})
    original_id = fields.String(allow_none=True, metadata={"description": "red: the blue fapiao it reverses"})
    insurance_claim_id = fields.String(allow_none=True, metadata={
        "description": "The insurer's fapiao for this claim's share (the insurer the buyer); null: the customer's"})
    type = fields.String(metadata={"enum": list(FAPIAO_TYPES)})
    buyer_title = fields.String()
    buyer_tax_no = fields.String(allow_none=True)
    buyer_email = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(FapiaoLineOut))
    amount_fen = fields.Integer(metadata={"description": "Tax included; negative on a red one."})
    tax_fen = fields.Integer()
    status = fields.String(metadata={"enum": list(FAPIAO_STATES), "description": (
        "queued: waiting to be sent (retried with backoff while the provider is down); confirming: red, its "
        "红字确认单 awaits the buyer's confirmation; issuing: accepted, the result awaited; issued; failed "
        "(`failure` says why); reversed: a blue one whose red one is issued; cancelled: a blue one whose invoice was "
        "refunded whole before the provider took it (never issued)")})
    red_reason = fields.String(allow_none=True)
    seller_tax_num = fields.String(allow_none=True, metadata={"description": (
        "销方税号 it was sent under (a red one: its blue one's seller); null until sent")})
    seller_name = fields.String(allow_none=True)
    number = fields.String(allow_none=True, metadata={"description": "数电票号码"})
    issued_at = fields.DateTime(allow_none=True)
    pdf_url = fields.String(allow_none=True)
    ofd_url = fields.String(allow_none=True, metadata={"description": "The fapiao in OFD (GB/T 33190), as the tax "
                                                                       "platform delivers it"})
    attempts = fields.Integer(metadata={"description": "Sends that found the provider down"})
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)
    failure = fields.String(allow_none=True)
    created_at = fields.DateTime()


class BuyerTitleOut(Schema):
    """A title (抬头) the customer had on an earlier fapiao: offered again at the till."""
    type = fields.String(metadata={"enum": ["normal", "special"]})
    buyer_title = fields.String()
    buyer_tax_no = fields.String(allow_none=True)
    buyer_email = fields.String(allow_none=True)
    last_used_at = fields.DateTime()
