"""Scheduled reports (crm's domain/reports.py): a manager's subscription to a store's (or the chain's) daily or
weekly summary, texted to the mobile on their staff account."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Mobile

REPORT_PERIODS = ("daily", "weekly")


class ReportSubscriptionCreate(Schema):
    """What a manager asks for (the API's body)."""
    store_id = fields.String(load_default=None, allow_none=True, metadata={
        "description": "The store to report on; null: the whole chain (HQ only)"})
    period = fields.String(required=True, validate=validate.OneOf(REPORT_PERIODS), metadata={
        "description": "`daily`: yesterday's figures at 08:00 the store's time; `weekly`: last week's on Monday"})


class ReportSubscriptionIn(ReportSubscriptionCreate):
    """The gateway's call: the request with what the gateway owns (the caller's mobile, the store's name)."""
    mobile = Mobile(required=True)
    scope_name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ReportRecipientIn(Schema):
    """A staff account changed (gateway): its subscriptions follow its mobile; those it may no longer have end."""
    mobile = Mobile(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    role = fields.String(required=True)
    store_ids = fields.List(fields.String(), required=True)


class ReportSubscriptionOut(Schema):
    id = fields.String()
    store_id = fields.String(allow_none=True, metadata={"description": "Null: the whole chain"})
    scope_name = fields.String(metadata={"description": "The store's name, or 全连锁 for the chain"})
    period = fields.String(metadata={"enum": list(REPORT_PERIODS)})
    created_at = fields.DateTime()
    last_period = fields.String(allow_none=True, metadata={
        "description": "The last period a summary was queued for (2026-12-06, 2026-W49)"})
    last_status = fields.String(allow_none=True, metadata={
        "enum": ["queued", "sent", "delivered", "failed"], "description": "How that summary's text fared"})
