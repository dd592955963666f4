"""Quotes: lines, discounts, approval, the customer's decision, the contract and the statistics."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.signatures import SignatureOut
from services.common.fields import MAX_FEN, Code, Fen, Quantity, TimeZone
from services.common.schemas import ListQuery
from services.common.skills import SKILL
from services.contracts.sales import LINE_KINDS

from .shared import Rate


PAYMENT_METHODS = ("cash", "card", "wechat", "alipay", "stored_value", "package", "transfer")
QUOTE_STATES = ("draft", "presented", "approved", "partially_approved", "declined", "contracted", "expired")
APPROVAL_STATES = ("not_required", "pending", "approved", "rejected")
DISCOUNT_KINDS = ("percent", "amount")


class DiscountValue(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DISCOUNT_KINDS))
    value = Quantity(required=True, max_size=MAX_FEN, validate=validate.Range(min=0),
                     metadata={"description": "percent (12.5 = 12.5%) or amount in fen; 0 removes the discount"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _shape(self, data, **_):
        if data["kind"] == "percent" and data["value"] > 100:
            raise ValidationError("At most 100 percent.", "value")
        if data["kind"] == "amount" and data["value"] != int(data["value"]):
            raise ValidationError("An amount is whole fen.", "value")
        if data["value"] > 0 and not data.get("reason"):
            raise ValidationError("Say why (the reason is kept with the quote).", "reason")


class QuoteLineCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LINE_KINDS))
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    op_code = Code(load_default=None, allow_none=True, metadata={"description": "labour: operation code"})
    hours = Quantity(load_default=None, allow_none=True, validate=validate.Range(min=0, min_inclusive=False, max=200),
                     metadata={"description": "labour: billed hours (default: the operation's, for the vehicle class)"})
    flat_price_fen = Fen(load_default=None, allow_none=True, metadata={"description": "labour: a flat price"})
    skill = fields.String(load_default=None, allow_none=True, validate=SKILL,
                          metadata={"description": "labour: the skill a technician needs (default: the operation's)"})
    sku = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=60))
    qty = Quantity(load_default=None, allow_none=True, validate=validate.Range(min=0, min_inclusive=False, max=10000))
    fee_code = Code(load_default=None, allow_none=True)
    unit_price_fen = Fen(load_default=None, allow_none=True, metadata={"description": "fee: its price"})
    discount = fields.Nested(DiscountValue, load_default=None, allow_none=True)
    declined_work_id = fields.String(load_default=None, allow_none=True,
                                     metadata={"description": "Quoting again work declined on an earlier visit"})

    @validates_schema
    def _by_kind(self, data, **_):
        if data["kind"] == "part" and not data.get("sku"):
            raise ValidationError("A part line names its SKU.", "sku")
        if data["kind"] == "labour" and not (data.get("op_code") or data.get("description")):
            raise ValidationError("A labour line names an operation or has a description.", "op_code")
        if data["kind"] == "fee" and not (data.get("fee_code") or data.get("description")):
            raise ValidationError("A fee line has a fee_code or a description.", "description")
        if data["kind"] != "part" and data.get("sku"):
            raise ValidationError("Only part lines have a SKU.", "sku")


class QuoteCreate(Schema):
    visit_id = fields.String(required=True)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    lines = fields.List(fields.Nested(QuoteLineCreate), load_default=list, validate=validate.Length(max=100),
                        metadata={"description": "Lines to start with, priced as by POST /v1/quotes/{id}/lines "
                                                 "(inventory is asked once for all the parts)"})


class QuoteDiscountIn(DiscountValue):
    line_id = fields.String(load_default=None, allow_none=True,
                            metadata={"description": "One line; without it, the whole quote"})


class ApprovalIn(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class RejectionIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200),
                           metadata={"description": "Why the discount is refused (the advisor reads it)"})


class DecisionIn(Schema):
    approved_line_ids = fields.List(fields.String(), load_default=list)
    declined_line_ids = fields.List(fields.String(), load_default=list)


class AddPackageIn(Schema):
    package = fields.String(required=True, metadata={"description": "Package id or code"})
    part_choices = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                               metadata={"description": "item position -> chosen SKU (one of its sku_options)"})


class ContractIn(Schema):
    payment_method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    deposit_fen = Fen(load_default=0)
    deposit_reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    promised_at = fields.AwareDateTime(load_default=None, allow_none=True)
    terms = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=50),
                              metadata={"description": "The customer's name as signed"})
    signed_at = fields.AwareDateTime(load_default=None, allow_none=True)


class QuoteLineOut(Schema):
    id = fields.String()
    position = fields.Integer()
    kind = fields.String(metadata={"enum": list(LINE_KINDS)})
    description = fields.String()
    op_code = fields.String(allow_none=True)
    skill = fields.String(allow_none=True)
    hours = Quantity(allow_none=True)
    sku = fields.String(allow_none=True)
    part_id = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    fee_code = fields.String(allow_none=True)
    qty = Quantity()
    unit_price_fen = Fen()
    price_source = fields.String(metadata={"enum": ["store_rate", "price_list", "inventory", "flat", "entered"]})
    available = fields.Boolean(allow_none=True, attribute="in_stock", metadata={
        "description": "parts: the store's free stock covers qty (false: the work order waits for parts)"})
    available_qty = Quantity(allow_none=True)
    package_code = fields.String(allow_none=True)
    discount_kind = fields.String(allow_none=True)
    discount_value = Quantity(allow_none=True)
    discount_reason = fields.String(allow_none=True)
    decision = fields.String(metadata={"enum": ["pending", "approved", "declined"]})
    gross_fen = Fen()
    discount_fen = Fen(metadata={"description": "package + line + share of the quote discount"})
    net_fen = Fen()
    tax_fen = Fen()
    excl_tax_fen = Fen()
    total_fen = Fen(metadata={"description": "After discount, tax included"})


class QuoteVersionOut(Schema):
    id = fields.String()
    version = fields.Integer()
    state = fields.String()


class TotalsOut(Schema):
    subtotal_fen = Fen()
    discount_fen = Fen()
    tax_fen = Fen()
    total_excl_tax_fen = Fen()
    total_fen = Fen(metadata={"description": "Tax included"})
    currency = fields.String()


class QuoteOut(Schema):
    id = fields.String()
    number = fields.String()
    version = fields.Integer()
    group_id = fields.String()
    superseded_by_id = fields.String(allow_none=True)
    store_id = fields.String()
    visit_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    vehicle_class = fields.String()
    state = fields.String(metadata={"enum": list(QUOTE_STATES)})
    tax_rate = Rate()
    tax_inclusive = fields.Boolean()
    labour_rate_fen = Fen()
    discount_kind = fields.String(allow_none=True)
    discount_value = Quantity(allow_none=True)
    discount_reason = fields.String(allow_none=True)
    approval_status = fields.String(metadata={"enum": list(APPROVAL_STATES)})
    approval_reasons = fields.List(fields.String())
    approval_needs = fields.List(fields.Dict(), metadata={
        "description": "What waits for a manager, as `code` (discount_above_limit: pct, limit, role; "
                       "below_cost: line) with its params, for clients to word"})
    approved_by = fields.String(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    rejected_by = fields.String(allow_none=True)
    rejected_at = fields.DateTime(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    totals = fields.Nested(TotalsOut)
    lines = fields.List(fields.Nested(QuoteLineOut))
    versions = fields.List(fields.Nested(QuoteVersionOut))
    order_id = fields.String(allow_none=True)
    customer_signature = fields.Nested(SignatureOut, allow_none=True, metadata={
        "description": "The customer's drawn signature of their decision (on their phone), and whether the quote "
                       "still matches it (one quote only, not in lists)"})
    notes = fields.String(allow_none=True)
    valid_until = fields.DateTime()
    advisor_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    presented_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    contracted_at = fields.DateTime(allow_none=True)


class QuoteListQuery(ListQuery):
    store_id = fields.String()
    visit_id = fields.String()
    customer_id = fields.String()
    state = fields.String(validate=validate.OneOf(QUOTE_STATES))
    approval_status = fields.String(validate=validate.OneOf(APPROVAL_STATES),
                                    metadata={"description": "`pending`: the manager's approval queue"})


class QuoteStatsQuery(Schema):
    store_id = fields.String(required=True)
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    time_zone = TimeZone(load_default="Asia/Shanghai")


class QuoteStatsOut(Schema):
    store_id = fields.String()
    period = fields.String(allow_none=True, metadata={"description": "Day, ISO week or month when grouped"})
    presented = fields.Integer(metadata={"description": "Quotes (all versions of one counted once) presented"})
    approved = fields.Integer(metadata={"description": "Of those, approved in whole or in part"})
    close_ratio_pct = Quantity(allow_none=True, metadata={"description": "approved / presented × 100"})


class AdvisorScorecardsQuery(QuoteStatsQuery):
    """The people report's sales figures of a store: per advisor, and who advised the orders named."""
    finding_quotes = fields.List(fields.String(), load_default=list, validate=validate.Length(max=5000), metadata={
        "description": "The quotes inspection findings were turned into (workshop's `finding_quotes`)"})
    order_ids = fields.List(fields.String(), load_default=list, validate=validate.Length(max=5000), metadata={
        "description": "Orders whose advisor is wanted (those of crm's follow-ups)"})


class AdvisorScorecard(Schema):
    advisor_id = fields.String()
    presented = fields.Integer(metadata={"description": "Quotes (all versions of one counted once) presented"})
    approved = fields.Integer(metadata={"description": "Of those, approved in whole or in part"})
    inspection_quoted_fen = fields.Integer(metadata={"description": "Inspection findings' quotes as presented"})
    inspection_approved_fen = fields.Integer(metadata={"description": "Of that, the lines the customer approved"})


class AdvisorScorecardsOut(Schema):
    advisors = fields.List(fields.Nested(AdvisorScorecard))
    order_advisors = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), metadata={
        "description": "order id → its advisor's user id, for the orders asked about"})
