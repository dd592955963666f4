"""Commissions: a store's rule, the monthly targets of its staff and the month's results."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Fen, Quantity
from services.common.schemas import LocalDays

from .shared import MONTH, positive


class CommissionItemOut(Schema):
    employee_id = fields.String()
    role = fields.String(allow_none=True, metadata={
        "enum": ["technician", "advisor"], "description": "null: a target set for someone who earned nothing yet"})
    labour_fen = fields.Integer()
    parts_fen = fields.Integer()
    sales_fen = fields.Integer()
    total_fen = fields.Integer()
    revenue_fen = fields.Integer()
    invoices = fields.Integer()
    target_fen = fields.Integer(allow_none=True)
    achievement_pct = fields.String(allow_none=True)


class CommissionsOut(Schema):
    store_id = fields.String()
    month = fields.String()
    rule = fields.Dict()
    items = fields.List(fields.Nested(CommissionItemOut))
    total_fen = fields.Integer()


class CommissionRuleIn(Schema):
    labour_pct = Quantity(validate=validate.Range(min=0, max=100))
    labour_per_hour_fen = Fen()
    parts_gp_pct = Quantity(validate=validate.Range(min=0, max=100))
    sales_pct = Quantity(validate=validate.Range(min=0, max=100))


class CommissionRuleOut(Schema):
    store_id = fields.String()
    labour_pct = fields.String()
    labour_per_hour_fen = fields.Integer()
    parts_gp_pct = fields.String()
    sales_pct = fields.String()


class TargetIn(Schema):
    employee_id = fields.String(required=True)
    month = fields.String(required=True, validate=MONTH)
    target_fen = positive(required=True)


class TargetOut(Schema):
    store_id = fields.String()
    employee_id = fields.String()
    month = fields.String()
    target_fen = fields.Integer()


class PeopleFiguresQuery(LocalDays):
    """The people report's finance figures of a store over its business days."""
    store_id = fields.String(required=True)


class PersonFiguresOut(Schema):
    employee_id = fields.String(metadata={"description": "A staff account, or a technician without one"})
    role = fields.String(allow_none=True, metadata={
        "enum": ["technician", "advisor"], "description": "null: a target set for someone who earned nothing"})
    revenue_fen = fields.Integer(metadata={"description": "Technicians: their labour by split; advisors: invoices'"})
    commission_fen = fields.Integer()
    target_fen = fields.Integer(allow_none=True, metadata={
        "description": "Their monthly targets' share of the days; null unless every month of them has one"})


class PeopleFiguresOut(Schema):
    items = fields.List(fields.Nested(PersonFiguresOut))
