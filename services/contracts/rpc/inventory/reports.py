"""Inventory reports: valuation, reorder suggestions, slow movers, expiring batches and the ledger check."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Fen, Quantity
from services.common.schemas import ListQuery

from .shared import store_filter


class ExpiringQuery(ListQuery):
    store_id = store_filter()
    days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=3650))


class BatchOut(Schema):
    id = fields.String()
    store_id = fields.String()
    part_id = fields.String()
    sku = fields.Function(lambda batch: batch.part.sku)
    name = fields.Function(lambda batch: batch.part.name)
    batch_no = fields.String()
    expiry_date = fields.Date(allow_none=True)
    qty_on_hand = Quantity()
    received_at = fields.DateTime()


class ValuationQuery(Schema):
    store_id = fields.String(metadata={"description": "One store; HQ may omit it for every store"})
    category = fields.String(validate=validate.Length(min=1, max=40))


class ValuationCategory(Schema):
    category = fields.String()
    lines = fields.Integer()
    on_hand = Quantity()
    value_fen = Fen()


class ValuationStore(Schema):
    store_id = fields.String()
    lines = fields.Integer()
    value_fen = Fen()
    in_transit_fen = Fen(metadata={"description": "Transfers shipped to this store, not yet received"})
    received_fen = Fen(allow_negative=True, metadata={
        "description": "Goods received from suppliers less those sent back, at the value each movement took "
                       "(what was credited to goods received not invoiced)"})
    currency = fields.String()
    categories = fields.List(fields.Nested(ValuationCategory))


class ValuationOut(Schema):
    stores = fields.List(fields.Nested(ValuationStore))
    value_fen = Fen()
    in_transit_fen = Fen()
    currency = fields.String()


class ReorderQuery(ListQuery):
    store_id = store_filter()


class ReorderSuggestionOut(Schema):
    part_id = fields.String()
    sku = fields.String()
    name = fields.String()
    available = Quantity()
    on_order = Quantity()
    reorder_point = Quantity()
    reorder_qty = Quantity(allow_none=True)
    suggested_qty = Quantity()
    last_supplier_id = fields.String(allow_none=True)
    last_unit_cost_fen = Fen(allow_none=True)


class SlowMoverQuery(ListQuery):
    store_id = store_filter()
    days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=3650))


class SlowMoverOut(Schema):
    part_id = fields.String()
    sku = fields.String()
    name = fields.String()
    category = fields.String()
    on_hand = Quantity()
    value_fen = Fen()
    last_issue_at = fields.DateTime(allow_none=True)
    last_receipt_at = fields.DateTime(allow_none=True)


class LedgerCheckQuery(Schema):
    store_id = fields.String()


class LedgerProblem(Schema):
    store_id = fields.String()
    sku = fields.String()
    problem = fields.String()
    expected = fields.String()
    actual = fields.String()


class LedgerCheckOut(Schema):
    ok = fields.Boolean()
    stock_levels = fields.Integer()
    movements = fields.Integer()
    problems = fields.List(fields.Nested(LedgerProblem))
