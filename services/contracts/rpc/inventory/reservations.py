"""Parts reserved for orders."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Quantity
from services.common.schemas import ListQuery

from .shared import store_filter


class ReservationQuery(ListQuery):
    store_id = store_filter()
    order_id = fields.String()
    sku = fields.String()
    status = fields.String(validate=validate.OneOf(("open", "issued", "released")))
    waiting = fields.Boolean(metadata={"description": "Only reservations still short of stock"})


class ReservationOut(Schema):
    id = fields.String()
    store_id = fields.String()
    order_id = fields.String()
    part_id = fields.String()
    sku = fields.String()
    qty_requested = Quantity()
    qty_reserved = Quantity()
    qty_short = Quantity()
    qty_issued = Quantity()
    promised_at = fields.DateTime(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
