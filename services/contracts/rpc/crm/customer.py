"""What the customer channel (car owners, `/c/v1/`) sends to crm and sees of it: their profile and
consent, their follow-ups, complaints and service-due reminders, without staff ids or notes."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.messaging.templates import TEMPLATES
from services.common.schemas import ListQuery
from services.common.validators import mask_mobile

from .shared import TIER_NAMES


class ProfileOut(Schema):
    id = fields.String()
    name = fields.String()
    mobile = fields.Function(lambda customer: mask_mobile(customer.mobile), metadata={"description": "Masked"})
    marketing_consent = fields.Boolean(metadata={"description": "Care and offer messages (服务提醒与优惠) wanted"})
    tier = fields.String(metadata={"enum": list(TIER_NAMES),
                                   "description": "Membership tier, from the spend across the chain"})
    points = fields.Integer(metadata={"description": "Membership points (from paid invoices, less refunds)"})


class ProfilePatch(Schema):
    marketing_consent = fields.Boolean(required=True)


class WeChatOpenidIn(Schema):
    """An openid the gateway learnt from WeChat's 网页授权 (snsapi_base) for the signed-in owner."""
    appid = fields.String(required=True, validate=validate.Length(min=1, max=32))
    openid = fields.String(required=True, validate=validate.Length(min=1, max=64))


class WeChatOpenidOut(Schema):
    appid = fields.String()
    openid = fields.String(allow_none=True, metadata={"description": "None: not known yet (网页授权 first)"})


class VehicleQuery(Schema):
    vehicle_id = fields.String(load_default=None, validate=validate.Length(min=1, max=26),
                               metadata={"description": "One of the customer's cars (all of them when left out)"})


class CustomerFollowUpOut(Schema):
    id = fields.String()
    store_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    work_order_id = fields.String()
    delivered_at = fields.DateTime()
    status = fields.String(metadata={"enum": ["scheduled", "due", "completed", "unreachable"],
                                     "description": "scheduled or due: waiting for the customer's rating"})
    satisfaction = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    complaint_id = fields.String(allow_none=True)


class RatingIn(Schema):
    satisfaction = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5),
                                  metadata={"description": "1 (very unhappy) to 5 (very happy); 2 or less opens "
                                                           "a complaint for the store"})
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class CustomerComplaintIn(Schema):
    store_id = fields.String(required=True, validate=validate.Length(min=1, max=26))
    vehicle_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=26))
    description = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class CustomerComplaintOut(Schema):
    id = fields.String()
    store_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    channel = fields.String(metadata={"enum": ["follow_up", "online", "phone", "walk_in", "wechat", "other"]})
    description = fields.String()
    status = fields.String(metadata={"enum": ["open", "in_progress", "resolved", "closed"]})
    resolution = fields.String(allow_none=True)
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


class ReminderOut(Schema):
    id = fields.String()
    vehicle_id = fields.String()
    store_id = fields.String(allow_none=True)
    service_type = fields.String(metadata={"description": "The labour operation code (OIL-CHG, AIR-FLT …)"})
    last_done_on = fields.Date()
    due_on = fields.Date(metadata={"description": "The earlier of the date and the estimated day of the mileage"})
    due_km = fields.Integer(allow_none=True)
    reason = fields.String(metadata={"enum": ["date", "mileage"]})


class CustomerMessageQuery(ListQuery):
    """A page of one's own messages, newest first."""


class CustomerMessageOut(Schema):
    """A message the store sent the customer, worded as it went out (the template with its parameters): a step of
    their car, a receipt, a reminder, or a campaign's (营销) with the campaign's name."""
    id = fields.String()
    store_id = fields.String(allow_none=True)
    kind = fields.String(dump_default="outbox", metadata={"enum": ["outbox", "campaign"]})
    campaign_name = fields.String(allow_none=True, dump_default=None)
    template = fields.String()
    text = fields.Function(lambda message: TEMPLATES[message.template].render(message.params)
                           if message.template in TEMPLATES else "")
    channel = fields.String(metadata={"enum": ["sms", "wechat"]})
    status = fields.String(metadata={"description": "queued, sent, delivered, failed or skipped (a campaign's, beyond "
                                                    "the week's allowance)"})
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
