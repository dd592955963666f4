"""A step of a car's timeline as the customer channel shows it (`GET /c/v1/timeline`): each service
answers the steps it records (sales: check-in, quote, order; workshop: work, QC, ready)."""
from __future__ import annotations

from marshmallow import Schema, fields


class TimelineStepOut(Schema):
    step = fields.String(metadata={"enum": ["checked_in", "quoted", "approved", "partially_approved", "declined",
                                            "order_confirmed", "work_started", "waiting_parts", "qc_passed",
                                            "ready", "delivered", "cancelled"]})
    at = fields.DateTime()
    store_id = fields.String()
    document_type = fields.String(metadata={"enum": ["visit", "quote", "order", "work_order"]})
    document_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
