"""A store's monthly KPI targets, and their share of a range of days (the dashboard's 目标 beside each KPI)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Fen, Quantity

from .shared import MONTH



def rate(most: int = 100) -> Quantity:
    """A target percent (or score) of the month, null for none."""
    return Quantity(allow_none=True, load_default=None, validate=validate.Range(min=0, max=most))


class KpiTargetsIn(Schema):
    """A month's targets; a KPI left out or null has none."""
    sales_fen = Fen(allow_none=True, load_default=None, metadata={"description": "Revenue, tax excluded"})
    car_count = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=0))
    parts_gross_profit_pct = rate()
    labour_gross_profit_pct = rate()
    technician_efficiency_pct = rate(500)
    average_satisfaction = Quantity(allow_none=True, load_default=None, validate=validate.Range(min=1, max=5))


class TargetFigures(Schema):
    """Targets as answered: amounts and counts as integers, rates and scores as decimal strings; null: none."""
    sales_fen = fields.Integer(allow_none=True)
    car_count = fields.Integer(allow_none=True)
    parts_gross_profit_pct = fields.String(allow_none=True)
    labour_gross_profit_pct = fields.String(allow_none=True)
    technician_efficiency_pct = fields.String(allow_none=True)
    average_satisfaction = fields.String(allow_none=True)


class KpiTargetsOut(TargetFigures):
    store_id = fields.String()
    month = fields.String()
    updated_at = fields.DateTime()


class TargetMonth(Schema):
    month = fields.String(required=True, validate=MONTH, metadata={"description": "YYYY-MM"})


class KpiTargetsQuery(Schema):
    from_ = fields.String(data_key="from", required=True, validate=MONTH, metadata={"description": "YYYY-MM"})
    to = fields.String(required=True, validate=MONTH, metadata={"description": "YYYY-MM, at most 24 months on"})


class TargetsOverQuery(Schema):
    """Internal (the KPI report): the stores' targets over a range of days."""
    store_ids = fields.List(fields.String(), required=True)
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)


class RangeTargetOut(TargetFigures):
    """A store's (or the chain's) targets over the report's days: a month's revenue and cars shared by its days,
    rates weighted by them; null where no month of the range has one."""
    aro_fen = fields.Integer(allow_none=True, metadata={"description": "Revenue target ÷ cars target"})


class TargetsOverOut(Schema):
    stores = fields.Dict(keys=fields.String(), values=fields.Nested(RangeTargetOut))
