"""crm's contract: request and response schemas shared by the service and the gateway
(the gateway validates with them and builds its OpenAPI document from them)."""
from __future__ import annotations

from datetime import date, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.common.messaging.templates import TEMPLATES
from services.common.fields import Fen, Mobile, Name, Plate, TimeZone, Vin
from services.common.periods import GROUPS
from services.common.validators import TEXT_PATTERN
from services.common.schemas import ListQuery, patch_schema

from .domain.membership import TIER_NAMES
from .domain.messages import FAILURE_CODES
from .models import (CAMPAIGN_STATES, COMPLAINT_STATES, FOLLOW_UP_STATES, MESSAGE_STATES, OUTBOX_STATES,
                     RECURRENCES)
from .senders import CHANNELS

GENDERS = ("male", "female", "unknown")
SOURCES = ("walk_in", "referral", "online", "phone", "partner", "campaign", "other")


class VehicleCreate(Schema):
    plate = Plate(required=True, metadata={"example": "粤B12345"})
    vin = Vin(load_default=None, allow_none=True, metadata={"example": "LSVAU218XN2183294"})
    make = Name(max_length=40, load_default=None, allow_none=True, metadata={"example": "大众"})
    model = fields.String(validate=validate.Length(max=60), load_default=None, allow_none=True)
    year = fields.Integer(strict=True, allow_none=True, load_default=None,
                          validate=validate.Range(min=1950, max=date.today().year + 1))
    color = fields.String(validate=validate.Length(max=20), load_default=None, allow_none=True)
    mileage_km = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=3_000_000))


VehiclePatch = patch_schema(VehicleCreate, "VehiclePatch")


class VehicleOut(Schema):
    id = fields.String()
    customer_id = fields.String()
    plate = fields.String()
    vin = fields.String(allow_none=True)
    make = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)
    color = fields.String(allow_none=True)
    mileage_km = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CustomerCreate(Schema):
    name = Name(required=True, max_length=50, metadata={"example": "张三"})
    mobile = Mobile(required=True, metadata={"example": "13812345678"})
    gender = fields.String(load_default="unknown", validate=validate.OneOf(GENDERS))
    birthday = fields.Date(load_default=None, allow_none=True)
    home_store_id = fields.String(load_default=None, allow_none=True)
    source = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SOURCES))
    marketing_consent = fields.Boolean(load_default=False)
    wechat_openid = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[\w-]{6,64}$"),
                                  metadata={"description": "The customer's openid at the chain's official account "
                                                           "(公众号): messages go by WeChat, texts when refused."})
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list,
                       validate=validate.Length(max=30))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    referred_by_id = fields.String(load_default=None, allow_none=True,
                                   metadata={"description": "The customer who referred this one."})
    key_account_owner_id = fields.String(load_default=None, allow_none=True,
                                         metadata={"description": "Staff user who looks after this key account."})

    @validates("birthday")
    def _birthday_in_past(self, value, **_):
        if value and value > date.today():
            raise ValidationError("Birthday cannot be in the future.")


CustomerPatch = patch_schema(CustomerCreate, "CustomerPatch")


class CustomerOut(Schema):
    id = fields.String()
    name = fields.String()
    mobile = fields.String(metadata={"description": "Masked (138****5678) for roles that do not need it."})
    mobile_masked = fields.Boolean()
    gender = fields.String()
    birthday = fields.Date(allow_none=True)
    home_store_id = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    marketing_consent = fields.Boolean()
    wechat_openid = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    notes = fields.String(allow_none=True)
    tier = fields.String(metadata={"enum": list(TIER_NAMES)})
    points = fields.Integer()
    spend_fen = fields.Integer(metadata={"description": "Lifetime paid spend in fen (invoices paid minus refunds)."})
    key_account_owner_id = fields.String(allow_none=True)
    referred_by_id = fields.String(allow_none=True)
    referral_count = fields.Integer(metadata={"description": "Customers this one referred (single reads only)."})
    last_visit_at = fields.DateTime(allow_none=True)
    merged_into_id = fields.String(allow_none=True, metadata={"description": "Set when merged into another record."})
    erased_at = fields.DateTime(allow_none=True)
    vehicles = fields.List(fields.Nested(VehicleOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CustomerListQuery(ListQuery):
    q = fields.String(validate=validate.Length(min=1, max=50),
                      metadata={"description": "Any part of a name, mobile number or plate (3 characters "
                                                "or more; shorter: the start of a name)."})
    phone = fields.String(validate=validate.Length(min=1, max=20))
    plate = fields.String(validate=validate.Length(min=1, max=12))
    tag = fields.String(validate=validate.Length(min=1, max=40))
    store_id = fields.String(metadata={"description": "Home store."})
    tier = fields.String(validate=validate.OneOf(TIER_NAMES))
    key_account_owner_id = fields.String()
    referred_by_id = fields.String()


class VehicleListQuery(ListQuery):
    plate = fields.String(validate=validate.Length(min=1, max=12))
    vin = fields.String(validate=validate.Length(min=1, max=17))
    customer_id = fields.String()


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
    kind = fields.String(validate=validate.OneOf(("visit", "order", "order_cancelled", "delivery", "payment", "refund",
                                                  "follow_up", "complaint", "merge")))


class StoreSettingsPatch(Schema):
    follow_up_delay_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=90))
    time_zone = TimeZone()


class StoreSettingsOut(Schema):
    store_id = fields.String()
    follow_up_delay_days = fields.Integer()
    time_zone = fields.String()


# -- follow-ups and complaints --------------------------------------------------------------------
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


class SatisfactionQuery(Schema):
    store_id = fields.String()
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    group = fields.String(validate=validate.OneOf(GROUPS),
                          metadata={"description": "Store rows per day, ISO week or month (none: the range)"})

    @validates_schema
    def _ordered(self, data, **_):
        if data["to"] < data["from_"]:
            raise ValidationError("`to` is before `from`.", "to")
        if data["to"] - data["from_"] > timedelta(days=366):
            raise ValidationError("At most a year at a time.", "to")


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


COMPLAINT_CHANNELS = ("follow_up", "phone", "walk_in", "online", "wechat", "other")


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


# -- reminders ------------------------------------------------------------------------------------
def _in_30_days() -> date:
    return date.today() + timedelta(days=30)


class ReminderQuery(ListQuery):
    store_id = fields.String()
    due_before = fields.Date(load_default=_in_30_days, metadata={"description": "Inclusive; default in 30 days."})
    service_type = fields.String()
    customer_id = fields.String()


class ReminderOut(Schema):
    id = fields.String()
    vehicle_id = fields.String()
    plate = fields.String()
    customer_id = fields.String()
    customer_name = fields.String()
    marketing_consent = fields.Boolean()
    store_id = fields.String(allow_none=True)
    service_type = fields.String()
    service_name = fields.String()
    last_done_on = fields.Date()
    last_done_km = fields.Integer(allow_none=True)
    due_on = fields.Date(metadata={"description": "The earlier of due_by_date and due_by_km_on."})
    due_by_date = fields.Date(allow_none=True)
    due_km = fields.Integer(allow_none=True)
    due_by_km_on = fields.Date(allow_none=True, metadata={"description": "Estimated from the average daily km."})
    reason = fields.String(metadata={"enum": ["date", "mileage"]})
    mileage_km = fields.Integer()


class ServiceIntervalIn(Schema):
    name = Name(required=True, max_length=60)
    months = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(min=1, max=120))
    km = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(min=100, max=500_000))

    @validates_schema
    def _one_of_them(self, data, **_):
        if data.get("months") is None and data.get("km") is None:
            raise ValidationError("Give months, km or both.", "months")


class ServiceIntervalOut(Schema):
    service_type = fields.String()
    name = fields.String()
    months = fields.Integer(allow_none=True)
    km = fields.Integer(allow_none=True)


# -- campaigns ------------------------------------------------------------------------------------
class Segment(Schema):
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=30))
    tiers = fields.List(fields.String(validate=validate.OneOf(TIER_NAMES)))
    birthday_this_month = fields.Boolean()
    last_visit_before_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=3650),
                                            metadata={"description": "Win-back: last visit longer ago than this."})
    service_due_within_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365))
    spend_min_fen = Fen()
    spend_max_fen = Fen()
    home_store_id = fields.String(metadata={"description": "Chain-wide campaigns only."})


class CampaignCreate(Schema):
    store_id = fields.String(load_default=None, allow_none=True,
                             metadata={"description": "Null (HQ only): chain-wide; else the store's own customers."})
    name = Name(required=True, max_length=100)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    template = fields.String(required=True, validate=validate.Length(min=1, max=500),
                             metadata={"example": "{name}您好，生日快乐！本月到店保养享8折。"})
    segment = fields.Nested(Segment, required=True)
    scheduled_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                        metadata={"description": "Default: now (sent by the next timer tick)."})
    recurrence = fields.String(load_default="none", validate=validate.OneOf(RECURRENCES), metadata={
        "description": "monthly: runs again on the same local day and time each month (e.g. birthdays)."})


class CampaignPreview(Schema):
    store_id = fields.String(load_default=None, allow_none=True)
    segment = fields.Nested(Segment, required=True)


class CampaignPreviewOut(Schema):
    audience_count = fields.Integer()


class MessageCounts(Schema):
    queued = fields.Integer()
    sent = fields.Integer()
    failed = fields.Integer()


class CampaignOut(Schema):
    id = fields.String()
    store_id = fields.String(allow_none=True)
    name = fields.String()
    channel = fields.String()
    template = fields.String()
    segment = fields.Nested(Segment)
    scheduled_at = fields.DateTime()
    status = fields.String(metadata={"enum": list(CAMPAIGN_STATES)})
    audience_count = fields.Integer(allow_none=True)
    recurrence = fields.String(metadata={"enum": list(RECURRENCES)})
    previous_id = fields.String(allow_none=True)
    messages = fields.Nested(MessageCounts)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class CampaignQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(CAMPAIGN_STATES))


class MessageQuery(ListQuery):
    status = fields.String(validate=validate.OneOf(MESSAGE_STATES))


class MessageOut(Schema):
    id = fields.String()
    campaign_id = fields.String()
    customer_id = fields.String()
    channel = fields.String()
    body = fields.String()
    status = fields.String(metadata={"enum": list(MESSAGE_STATES)})
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


# -- messages to car owners (the outbox) -----------------------------------------------------------
class QuoteLinkQueue(Schema):
    """The decision link of a presented quote, to be sent to its customer (the gateway made the link)."""
    quote_id = fields.String(required=True)
    link_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    store_id = fields.String(required=True)
    number = fields.String(required=True, validate=validate.Length(max=40))
    url = fields.String(required=True, validate=validate.Length(max=200))


class OutboxQuery(ListQuery):
    store_id = fields.String()
    customer_id = fields.String()
    status = fields.String(validate=validate.OneOf(OUTBOX_STATES))
    template = fields.String(validate=validate.OneOf(list(TEMPLATES)))


class OutboxMessageOut(Schema):
    id = fields.String()
    customer_id = fields.String()
    customer_name = fields.String(allow_none=True)
    to_masked = fields.String(allow_none=True, metadata={"description": "The customer's mobile, masked (138****5678)"})
    store_id = fields.String(allow_none=True)
    template = fields.String(metadata={"enum": list(TEMPLATES)})
    marketing = fields.Boolean()
    channel = fields.String(metadata={"enum": ["sms", "wechat"]})
    status = fields.String(metadata={"enum": list(OUTBOX_STATES)})
    attempts = fields.Integer()
    failure_code = fields.String(allow_none=True, metadata={
        "enum": list(FAILURE_CODES), "description": "Why it failed, or why it is being retried (queued)"})
    failure_detail = fields.String(allow_none=True, metadata={"description": "The provider's own code"})
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)


# -- duplicates and privacy -----------------------------------------------------------------------
class MergeRequest(Schema):
    duplicate_id = fields.String(required=True, metadata={"description": "Folded into the customer in the path."})


class AuditEntryOut(Schema):
    id = fields.String()
    customer_id = fields.String()
    action = fields.String(metadata={"enum": ["read_contact", "update", "erase", "merge"]})
    user_id = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields", allow_none=True)
    at = fields.DateTime()
