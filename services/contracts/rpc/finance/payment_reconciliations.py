"""Payment reconciliation (对账): a provider's daily statement matched with the payments and refunds recorded
through it, its totals and its differences (services/finance/domain/statements.py)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.schemas import ListQuery

PROVIDERS = ("wechat", "alipay")
RUN_STATES = ("running", "done", "failed")
DIFFERENCE_KINDS = ("missing_here", "extra_here", "amount_mismatch")
DIFFERENCE_STATES = ("open", "resolved", "cleared")
ACTIONS = ("record_payment", "check_intent", "unknown_order", "record_refund", "unknown_refund",
           "check_at_provider", "check_amount")


class PaymentReconciliationQuery(ListQuery):
    store_id = fields.String(metadata={"description": "The store whose lines, totals and differences are shown "
                                                      "(default: the caller's stores; HQ: the whole chain)."})
    date = fields.Date(metadata={"description": "The statement's day (Beijing time)."})
    provider = fields.String(validate=validate.OneOf(PROVIDERS))


class PaymentReconciliationRun(Schema):
    date = fields.Date(required=True, metadata={"description": "The statement's day (Beijing time); not a future one."})
    provider = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PROVIDERS),
                             metadata={"description": "One provider; default every configured one."})


class DifferenceResolve(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=1000),
                         metadata={"description": "What was found and done (kept with the difference)."})


class StatementTotalsOut(Schema):
    payment_count = fields.Integer()
    refund_count = fields.Integer()
    collected_fen = fields.Integer()
    refunded_fen = fields.Integer()
    fee_fen = fields.Integer(metadata={"description": "The provider's fees on the lines (returned fees deducted)."})


class ReconciliationDifferenceOut(Schema):
    id = fields.String()
    reconciliation_id = fields.String(attribute="run_id")
    store_id = fields.String(allow_none=True, metadata={"description": "None: a line naming no intent of ours."})
    kind = fields.String(metadata={"enum": list(DIFFERENCE_KINDS), "description":
                                   "missing_here: the provider has it, nothing recorded here; extra_here: recorded "
                                   "here, not on the statement; amount_mismatch: both, for different amounts."})
    line_kind = fields.String(metadata={"enum": ["payment", "refund"]})
    reference = fields.String(metadata={"description": "The provider's transaction number (a refund: ours)."})
    out_trade_no = fields.String(allow_none=True)
    intent_id = fields.String(allow_none=True)
    provider_refund_id = fields.String(allow_none=True)
    provider_amount_fen = fields.Integer(allow_none=True)
    recorded_amount_fen = fields.Integer(allow_none=True)
    action = fields.String(metadata={"enum": list(ACTIONS), "description": "What to do about it."})
    status = fields.String(metadata={"enum": list(DIFFERENCE_STATES), "description":
                                     "cleared: a later run of the same day matched it."})
    note = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    found_at = fields.DateTime()


class PaymentReconciliationOut(Schema):
    id = fields.String(attribute="run.id")
    provider = fields.String(attribute="run.provider", metadata={"enum": list(PROVIDERS)})
    merchant_id = fields.String(attribute="run.merchant_id")
    date = fields.Date(attribute="run.bill_date")
    status = fields.String(attribute="run.status", metadata={"enum": list(RUN_STATES)})
    error_code = fields.String(attribute="run.error_code", allow_none=True,
                               metadata={"description": "failed: the provider's answer (the download is retried)."})
    runs = fields.Integer(attribute="run.runs")
    started_at = fields.DateTime(attribute="run.started_at")
    finished_at = fields.DateTime(attribute="run.finished_at", allow_none=True)
    totals = fields.Nested(StatementTotalsOut, metadata={"description": "The statement's, for the stores shown."})
    store_totals = fields.Dict(keys=fields.String(), values=fields.Nested(StatementTotalsOut),
                               metadata={"description": "Per store (\"\": lines naming no intent of ours)."})
    open_differences = fields.Integer()
    differences = fields.List(fields.Nested(ReconciliationDifferenceOut))


class PaymentReconciliationsOut(Schema):
    items = fields.List(fields.Nested(PaymentReconciliationOut))


class ProviderDayOut(Schema):
    """A provider's statement of the day as far as one store's lines go (the daily close)."""
    provider = fields.String(metadata={"enum": list(PROVIDERS)})
    reconciliation_id = fields.String()
    status = fields.String(metadata={"enum": list(RUN_STATES)})
    payment_count = fields.Integer()
    refund_count = fields.Integer()
    collected_fen = fields.Integer()
    refunded_fen = fields.Integer()
    fee_fen = fields.Integer()
    open_differences = fields.Integer()
