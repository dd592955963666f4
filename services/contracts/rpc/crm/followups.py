"""Follow-ups (回访) after delivery, their satisfaction figures, and complaints."""
from __future__ import annotations


from marshmallow import Schema, ValidationError, fields, validate

from services.common.fields import Fen
from services.common.periods import GROUPS
from services.common.schemas import ListQuery, LocalDays
from services.common.validators import TEXT_PATTERN


FOLLOW_UP_STATES = ("scheduled", "due", "completed", "unreachable")
COMPLAINT_STATES = ("open", "in_progress", "resolved", "closed")
COMPLAINT_CHANNELS = ("follow_up", "phone", "walk_in", "online", "wechat", "other")


class FollowUpQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(FOLLOW_UP_STATES))
    due_before = fields.AwareDateTime()
    customer_id = fields.String()


class ComplaintAtFollowUp(fields.Field):
    """`true` (the comment says what it is about), the complaint's text, or an object {description}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            value = value.get("description")
        if value is None or isinstance(value, bool):
            return value
        if not isinstance(value, str) or not value.strip() or len(value) > 2000:
            raise ValidationError("true, or what the customer complains about (1-2000 characters).")
        return value.strip()


class FollowUpComplete(Schema):
    reached = fields.Boolean(load_default=True, metadata={"description": "False: not reached, tried again tomorrow."})
    satisfaction = fields.Integer(strict=True, allow_none=True, load_default=None,
                                  validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    complaint = ComplaintAtFollowUp(load_default=None, allow_none=True, metadata={
        "description": "A complaint made during the call (true, or its text): opens a complaint.",
        "type": "string", "maxLength": 2000, "pattern": TEXT_PATTERN})
    complaint_owner_id = fields.String(load_default=None, allow_none=True)


class FollowUpOut(Schema):
    id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    work_order_id = fields.String()
    order_id = fields.String(allow_none=True)
    delivered_at = fields.DateTime()
    due_at = fields.DateTime()
    status = fields.String(metadata={"enum": list(FOLLOW_UP_STATES)})
    attempts = fields.Integer()
    reached = fields.Boolean(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    completed_by = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    complaint_id = fields.String(allow_none=True)
    customer_name = fields.String(allow_none=True)
    mobile = fields.String(allow_none=True, metadata={"description": "Masked for roles that do not need it."})
    plate = fields.String(allow_none=True)


class SatisfactionQuery(LocalDays):
    store_id = fields.String()
    group = fields.String(validate=validate.OneOf(GROUPS),
                          metadata={"description": "Store rows per day, ISO week or month (none: the range)"})


class SatisfactionSummary(Schema):
    follow_ups = fields.Integer()
    reached = fields.Integer()
    unreachable = fields.Integer()
    average_satisfaction = fields.Float(allow_none=True)
    satisfied_pct = fields.Float(allow_none=True, metadata={"description": "Share of scores 4 and 5."})
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer())
    complaints = fields.Integer()


class StoreSatisfaction(SatisfactionSummary):
    store_id = fields.String()
    period = fields.String(allow_none=True, metadata={"description": "Day, ISO week or month when grouped"})


class SatisfactionOut(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    total = fields.Nested(SatisfactionSummary)
    stores = fields.List(fields.Nested(StoreSatisfaction))


class RatingsQuery(LocalDays):
    store_id = fields.String(required=True)


class OrderRating(Schema):
    """A follow-up completed in the period (reached or not), by the order it followed up."""
    order_id = fields.String(allow_none=True)
    work_order_id = fields.String()
    satisfaction = fields.Integer(allow_none=True, metadata={"description": "1–5; null: not reached or not said"})
    complaint = fields.Boolean(metadata={"description": "A complaint was filed from it"})


class RatingsOut(Schema):
    follow_ups = fields.List(fields.Nested(OrderRating))


class ComplaintCreate(Schema):
    store_id = fields.String(load_default=None, allow_none=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(load_default=None, allow_none=True)
    work_order_id = fields.String(load_default=None, allow_none=True)
    channel = fields.String(load_default="phone", validate=validate.OneOf(COMPLAINT_CHANNELS))
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    owner_id = fields.String(load_default=None, allow_none=True)
    deadline_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                       metadata={"description": "Default: 48 hours from now."})


class ComplaintPatch(Schema):
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATES))
    owner_id = fields.String(allow_none=True)
    deadline_at = fields.AwareDateTime()
    description = fields.String(validate=validate.Length(min=1, max=2000))
    resolution = fields.String(allow_none=True, validate=validate.Length(max=2000))
    compensation_fen = Fen(allow_none=True)
    compensation_coupon = fields.String(allow_none=True, validate=validate.Length(max=100))


class ComplaintQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATES))
    customer_id = fields.String()
    owner_id = fields.String()
    overdue = fields.Boolean(metadata={"description": "Open or in progress past the deadline."})


class ComplaintOut(Schema):
    id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    follow_up_id = fields.String(allow_none=True)
    work_order_id = fields.String(allow_none=True)
    channel = fields.String()
    description = fields.String()
    status = fields.String(metadata={"enum": list(COMPLAINT_STATES)})
    owner_id = fields.String(allow_none=True)
    deadline_at = fields.DateTime()
    resolution = fields.String(allow_none=True)
    compensation_fen = fields.Integer(allow_none=True)
    compensation_coupon = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
