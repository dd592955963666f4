"""Requests and answers of the partner API: API keys, webhooks and their deliveries."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Name
from services.common.schemas import ListQuery

from .scopes import SCOPES
from .webhooks import EVENT_TYPES


class ApiKeyCreate(Schema):
    name = Name(required=True, max_length=100, metadata={"example": "金蝶财务对接"})
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)), metadata={
                             "description": "`<area>:read` opens the area's GET operations, `<area>:write` all"})
    store_ids = fields.List(fields.String(validate=validate.Length(min=1, max=26)), required=True,
                            validate=validate.Length(min=1, max=200))
    expires_in_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=3650),
                                     metadata={"description": "365 when left out"})
    rate_per_minute = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=60000),
                                     metadata={"description": "Calls a minute (API_KEY_RATE_PER_MINUTE when left out)"})


class ApiKeyRotate(Schema):
    overlap_minutes = fields.Integer(load_default=60, validate=validate.Range(min=0, max=30 * 24 * 60), metadata={
        "description": "How long the old key keeps working beside the new one"})


class ApiKeyListQuery(ListQuery):
    store_id = fields.String()


class ApiKeyUseOut(Schema):
    method = fields.String()
    route = fields.String()
    calls = fields.Integer()
    last_used_at = fields.DateTime()


class ApiKeyOut(Schema):
    id = fields.String()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The secret's first characters, to recognise it"})
    scopes = fields.List(fields.String(metadata={"enum": list(SCOPES)}))
    store_ids = fields.List(fields.String())
    rate_per_minute = fields.Integer()
    status = fields.String(metadata={"enum": ["active", "expired", "revoked"]})
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    rotated_from = fields.String(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    usage = fields.List(fields.Nested(ApiKeyUseOut), metadata={"description": "Calls per operation"})


class ApiKeyCreated(ApiKeyOut):
    secret = fields.String(metadata={
        "description": "Send as `Authorization: Bearer <secret>`. Answered this once: only its hash is kept"})


URL_PATTERN = r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/[!-~]*)?$"
"""Scheme, host (a name or an IPv4 address), port, and a path of printable ASCII (anything else percent-encoded)."""


class WebhookCreate(Schema):
    url = fields.String(required=True, validate=[validate.Length(max=500), validate.Regexp(
        URL_PATTERN, error="An http(s) URL: scheme, host, optional port and a percent-encoded path.")], metadata={
        "description": "Private, loopback and link-local addresses are refused (unless WEBHOOK_ALLOW_PRIVATE=1)"})
    event_types = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), required=True,
                              validate=validate.Length(min=1, max=len(EVENT_TYPES)))
    store_ids = fields.List(fields.String(validate=validate.Length(min=1, max=26)), load_default=list,
                            validate=validate.Length(max=200), metadata={"description": "Required unless chain_wide"})
    chain_wide = fields.Boolean(load_default=False, metadata={
        "description": "Every store, those opened later too, and the chain's store-less events "
                       "(crm.customer_merged, crm.customer_erased); for users who see every store"})
    secret = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=16, max=100),
                           metadata={"description": "Generated (and answered once) when left out"})


class WebhookListQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(("active", "disabled")))
    owner = fields.String(validate=validate.OneOf(("me",)), metadata={"description": "`me`: the user's own"})


class WebhookOut(Schema):
    id = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String(metadata={"enum": list(EVENT_TYPES)}))
    store_ids = fields.List(fields.String())
    chain_wide = fields.Boolean()
    status = fields.String(metadata={"enum": ["active", "disabled"]})
    failures = fields.Integer(metadata={"description": "Deliveries given up on in a row (disabled at 5)"})
    created_at = fields.DateTime()
    disabled_at = fields.DateTime(allow_none=True)


class WebhookCreated(WebhookOut):
    secret = fields.String(metadata={"description": "Verifies `Webhook-Signature`; answered this once"})


class DeliveryListQuery(ListQuery):
    status = fields.String(validate=validate.OneOf(("pending", "delivered", "failed")))


class DeliveryOut(Schema):
    id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    status = fields.String(metadata={"enum": ["pending", "delivered", "failed"]})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    response_status = fields.Integer(allow_none=True)
    response_body = fields.String(allow_none=True, metadata={"description": "The receiver's answer, cut short"})
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    attempted_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    request_body = fields.String(attribute="body", metadata={"description": "The JSON posted"})
