"""Bays (工位) and a store's day plan of them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Code, Name, TimeZone

from .shared import SANE_DATE, STORE_ID


BAY_KINDS = ("general", "lift", "alignment", "quick_service", "diagnosis", "bodywork", "paint_booth", "wash")


class BayCreate(Schema):
    store_id = fields.String(required=True, validate=STORE_ID)
    code = Code(required=True, max_length=20)
    name = Name(load_default=None, allow_none=True, max_length=50)
    kind = fields.String(load_default="general", validate=validate.OneOf(BAY_KINDS))
    active = fields.Boolean(load_default=True)


class BayOut(Schema):
    id = fields.String()
    store_id = fields.String()
    code = fields.String()
    name = fields.String(allow_none=True)
    kind = fields.String()
    active = fields.Boolean()


class BayListQuery(Schema):
    store_id = fields.String()
    active = fields.Boolean()


class BaysOut(Schema):
    items = fields.List(fields.Nested(BayOut))


class BayPlanQuery(Schema):
    store_id = fields.String(required=True, validate=STORE_ID)
    date = fields.Date(required=True, validate=SANE_DATE)
    time_zone = TimeZone(load_default="Asia/Shanghai",
                         metadata={"description": "Filled in from the store by the gateway"})


class PlannedWorkOrder(Schema):
    id = fields.String()
    order_number = fields.String()
    status = fields.String()
    vehicle_id = fields.String(allow_none=True)
    scheduled_start = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    waiting_parts = fields.Boolean()


class BayPlanRow(Schema):
    bay = fields.Nested(BayOut)
    occupied_by = fields.String(allow_none=True)
    work_orders = fields.List(fields.Nested(PlannedWorkOrder))


class BayPlanOut(Schema):
    store_id = fields.String()
    date = fields.Date()
    time_zone = fields.String()
    bays = fields.List(fields.Nested(BayPlanRow))
    unassigned = fields.List(fields.Nested(PlannedWorkOrder))
