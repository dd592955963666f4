"""Care campaigns (客户关怀): a segment of customers, a template, a time to send; and their messages."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Fen, Name
from services.common.schemas import ListQuery

from .shared import TIER_NAMES


CHANNELS = ("sms", "wechat")
CAMPAIGN_STATES = ("scheduled", "sending", "completed", "cancelled")
RECURRENCES = ("none", "monthly")
MESSAGE_STATES = ("queued", "sent", "delivered", "failed", "skipped")
"""delivered: the text's receipt says so (a WeChat template message stays sent); skipped: the customer had their
week's marketing allowance (`error` customer_rate_limited)."""


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
    audience_count = fields.Integer(metadata={"description": "The customers in the segment who accept marketing "
                                                            "messages: those it would be sent to now"})
    without_consent_count = fields.Integer(metadata={
        "description": "The customers in the segment left out because they refuse marketing messages"})


class MessageCounts(Schema):
    queued = fields.Integer(metadata={"description": "Not sent yet (waiting for the channel's rate or the end of the "
                                                     "store's quiet hours)"})
    sent = fields.Integer(metadata={"description": "Taken by the provider, no receipt (yet)"})
    delivered = fields.Integer(metadata={"description": "Sent, and the text's delivery receipt came"})
    failed = fields.Integer()
    skipped = fields.Integer(metadata={"description": "Not sent: the customer had their weekly allowance of "
                                                      "marketing messages (campaigns and reminders together)"})


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
    error = fields.String(allow_none=True, metadata={
        "description": "Why it was not sent (or, queued, why it waits): customer_rate_limited (skipped), no "
                       "marketing consent, campaign cancelled, or as the outbox's failure codes with the provider's "
                       "own after a colon: provider_refused, undeliverable, retries_exhausted, provider_down, "
                       "wechat_refused (by text instead)"})
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    not_before = fields.DateTime(allow_none=True, metadata={
        "description": "Put off to the end of the store's quiet hours: not sent before this"})
