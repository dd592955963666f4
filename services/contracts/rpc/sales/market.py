"""Competitors' prices (市场与竞争): what staff saw a competitor charge for an item of the chain's price
list, and the store's own price beside them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Fen, Years
from services.common.schemas import ListQuery

from .catalogue import PRICE_KINDS, PricedItem

COMPARISON_DAYS = 180
"""How far back a competitor's price still counts in the comparison, by default."""


class CompetitorPriceCreate(PricedItem):
    store_id = fields.String(required=True, validate=validate.Length(min=1, max=26))
    competitor = fields.String(required=True, validate=validate.Length(min=1, max=60),
                               metadata={"example": "途虎养车工场店（天河北）"})
    price_fen = Fen(required=True, validate=validate.Range(min=1))
    observed_on = fields.Date(required=True, validate=Years(2000, 2100),
                              metadata={"description": "Store-local day it was seen (not after today)"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                         metadata={"example": "大众点评团购价，含机油 4L"})


class CompetitorPriceOut(Schema):
    id = fields.String()
    store_id = fields.String()
    competitor = fields.String()
    kind = fields.String()
    key = fields.String()
    price_fen = Fen()
    observed_on = fields.Date()
    note = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class CompetitorPriceQuery(ListQuery):
    store_id = fields.String(required=True)
    kind = fields.String(validate=validate.OneOf(PRICE_KINDS))
    key = fields.String(validate=validate.Length(min=1, max=60))


class PriceComparisonQuery(Schema):
    store_id = fields.String(required=True)
    on = fields.Date(load_default=None, validate=Years(2000, 2100),
                     metadata={"description": "Store-local day compared (default today): the store's price in force "
                                              "then, competitors' seen up to then"})
    days = fields.Integer(load_default=COMPARISON_DAYS, validate=validate.Range(min=1, max=730),
                          metadata={"description": "A competitor's price counts if seen within these days"})


class CompetitorPoint(Schema):
    competitor = fields.String()
    price_fen = Fen()
    observed_on = fields.Date()
    note = fields.String(allow_none=True)
    difference_fen = Fen(metadata={"description": "The store's price less this one (null without a price of its own)"},
                         allow_none=True)


class ComparedItem(Schema):
    class Meta:
        export_lines = "competitors"  # exported a row per competitor, the item's figures beside each

    kind = fields.String()
    key = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "A package's name; null for other kinds"})
    own_price_fen = Fen(allow_none=True, metadata={"description": (
        "The store's price in force as a quote prices it: its own entry, else the chain's (a labour rate: the store's "
        "rate; a fixed-price package: its price); null: a part at inventory's price, a package at its items' sum")})
    own_price_scope = fields.String(allow_none=True, metadata={"enum": ["store", "chain"]})
    competitors = fields.List(fields.Nested(CompetitorPoint), metadata={
        "description": "Each competitor's latest price in the window, cheapest first"})
    low_fen = Fen()
    high_fen = Fen()
    average_fen = Fen(metadata={"description": "Of the competitors' latest prices, rounded to the fen"})
    own_vs_average_pct = fields.Decimal(as_string=True, allow_none=True, places=1, metadata={
        "description": "(own − average) / average × 100; positive: the store is dearer"})


class PriceComparisonOut(Schema):
    store_id = fields.String()
    on = fields.Date()
    since = fields.Date()
    items = fields.List(fields.Nested(ComparedItem))
