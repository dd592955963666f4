"""The daily close of a store: its takings and the cash counted."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Fen


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
