"""Ageing of what is owed, receivables and payables alike: amounts by days past their due date."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.fields import Fen


class AgeingQuery(Schema):
    store_id = fields.String(metadata={"description": "One store; without it the caller's stores (HQ: all)"})
    as_of = fields.Date(load_default=None, metadata={"description": "Default: today (the store's day)"})


class AgeingBuckets(Schema):
    current_fen = Fen(metadata={"description": "Not yet due"})
    days_1_30_fen = Fen()
    days_31_60_fen = Fen()
    days_61_90_fen = Fen()
    over_90_fen = Fen()
    total_fen = Fen()


class SupplierAgeingOut(AgeingBuckets):
    supplier_id = fields.String()
    supplier_name = fields.String()


class StoreReceivablesAgeingOut(AgeingBuckets):
    store_id = fields.String()


class StoreAgeingOut(StoreReceivablesAgeingOut):
    suppliers = fields.List(fields.Nested(SupplierAgeingOut))


class ReceivablesAgeingOut(Schema):
    as_of = fields.Date()
    chain = fields.Nested(AgeingBuckets, metadata={"description": "The caller's stores together"})
    stores = fields.List(fields.Nested(StoreReceivablesAgeingOut))


class PayablesAgeingOut(ReceivablesAgeingOut):
    stores = fields.List(fields.Nested(StoreAgeingOut))
