"""Requests and answers of the partner API (API keys; webhooks in `webhook_schemas.py`)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Name
from services.common.schemas import ListQuery

from .scopes import SCOPES


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
