"""The service history of a customer or a vehicle (visits, orders, deliveries, payments, refunds, follow-ups,
complaints and merges)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.schemas import ListQuery


HISTORY_KINDS = ("visit", "order", "order_cancelled", "delivery", "payment", "refund", "follow_up", "complaint",
                 "merge")


class HistoryEntryOut(Schema):
    id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    store_id = fields.String(allow_none=True)
    kind = fields.String()
    reference_id = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    mileage_km = fields.Integer(allow_none=True)
    amount_fen = fields.Integer(allow_none=True, metadata={"description": "Fen; negative for refunds."})
    occurred_at = fields.DateTime()


class HistoryQuery(ListQuery):
    vehicle_id = fields.String()
    kind = fields.String(validate=validate.OneOf(HISTORY_KINDS))
