"""Stocktakes (盘点): counting a store's parts and posting the differences."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Fen, Quantity
from services.common.schemas import ListQuery

from .shared import store_filter, not_negative


STOCKTAKE_STATES = ("open", "posted", "cancelled")


class StocktakeCreate(Schema):
    store_id = fields.String(required=True)
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40),
                             metadata={"description": "Count one category only; default the whole store"})
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class StocktakeCountIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = Quantity(required=True, validate=not_negative)
    location = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))


class StocktakeCounts(Schema):
    counts = fields.List(fields.Nested(StocktakeCountIn), required=True, validate=validate.Length(min=1, max=500))
    counter = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40),
                            metadata={"description": "Who counted; default the caller"})


class StocktakePost(Schema):
    uncounted = fields.String(load_default="keep", validate=validate.OneOf(("keep", "zero")),
                              metadata={"description": "Lines nobody counted: keep book stock, or count as zero"})


class StocktakeCountOut(Schema):
    counter_id = fields.String()
    location = fields.String(allow_none=True)
    qty = Quantity()
    qty_book = Quantity(allow_none=True, metadata={"description": "null for counters (blind count)"})
    counted_at = fields.DateTime()


class StocktakeLineOut(Schema):
    part_id = fields.String()
    sku = fields.String()
    qty_at_open = Quantity(allow_none=True, metadata={"description": "Book stock when opened; null for counters"})
    qty_counted = Quantity(allow_none=True)
    qty_book_at_count = Quantity(allow_none=True)
    variance_qty = Quantity(allow_none=True)
    variance_value_fen = Fen(allow_none=True, allow_negative=True)
    counts = fields.List(fields.Nested(StocktakeCountOut))


class StocktakeOut(Schema):
    id = fields.String()
    number = fields.String()
    store_id = fields.String()
    category = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STOCKTAKE_STATES)})
    notes = fields.String(allow_none=True)
    opened_by = fields.String(allow_none=True)
    posted_by = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    posted_at = fields.DateTime(allow_none=True)
    blind = fields.Boolean(metadata={"description": "Book quantities hidden: the caller counts blind"})
    variance_value_fen = fields.Function(
        lambda st: sum(line.variance_value_fen or 0 for line in st.lines))
    lines = fields.List(fields.Nested(StocktakeLineOut))


class StocktakeListQuery(ListQuery):
    store_id = store_filter()
    status = fields.String(validate=validate.OneOf(STOCKTAKE_STATES))
