"""The daily close of a store: its takings and the cash counted."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Fen

from .payment_reconciliations import ProviderDayOut
from .shared import MONTH


class DailyCloseQuery(Schema):
    store_id = fields.String(required=True)
    date = fields.Date(required=True)


class DailyCloseCreate(Schema):
    store_id = fields.String(required=True)
    date = fields.Date(required=True)
    cash_counted_fen = Fen(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class DailyCloseOut(Schema):
    store_id = fields.String()
    date = fields.String()
    time_zone = fields.String()
    closed = fields.Boolean()
    takings = fields.Dict(keys=fields.String(), values=fields.Integer())
    takings_total_fen = fields.Integer()
    card_sales = fields.Dict(keys=fields.String(), values=fields.Integer())
    refunds = fields.Dict(keys=fields.String(), values=fields.Integer())
    refunds_total_fen = fields.Integer()
    invoices_issued = fields.Integer()
    invoiced_fen = fields.Integer()
    invoices_paid = fields.Integer()
    paid_invoices_fen = fields.Integer()
    open_receivables_fen = fields.Integer()
    cash_expected_fen = fields.Integer()
    cash_counted_fen = fields.Integer(allow_none=True)
    difference_fen = fields.Integer(allow_none=True)
    closed_by = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    provider_statements = fields.Dict(keys=fields.String(), values=fields.Nested(ProviderDayOut), metadata={
        "description": "By provider: its statement (对账单) of the day, the store's lines only, beside `takings` "
                       "(what was recorded); a provider is absent until its statement is reconciled."})


class MonthCloseCreate(Schema):
    """Close a store's month (月结), once it is over: nothing is dated in it any more."""
    store_id = fields.String(required=True)
    month = fields.String(required=True, validate=MONTH, metadata={"description": "YYYY-MM"})


class MonthCloseQuery(Schema):
    store_id = fields.String(required=True)


class MonthCloseOut(Schema):
    store_id = fields.String()
    month = fields.String()
    over = fields.Boolean(metadata={"description": "The month has ended in the store's time zone"})
    closed = fields.Boolean()
    closed_at = fields.DateTime(allow_none=True)


class MonthClosesOut(Schema):
    items = fields.List(fields.Nested(MonthCloseOut), metadata={"description": "The last twelve months, newest "
                                                                              "first"})
