"""Schemas every service's contract reuses: list queries with keyset cursors, pages, the stores and
local days of a report."""
from __future__ import annotations

import base64
import binascii
import copy
import re
from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, missing, validate, validates_schema

from .errors import Invalid
from .fields import TimeZone, Years
from .periods import GROUPS

CURSOR_PATTERN = r"^(?:[A-Za-z0-9_-]{4})*[A-Za-z0-9_-]{2,4}$"
"""Unpadded URL-safe base64: groups of four characters, the last of two to four."""
CURSOR_MAX_LENGTH = 400
NOT_A_CURSOR = "Not a cursor returned by this API."
"""A well-formed cursor that does not decode to a key of this API: the one refusal the document
cannot declare (a cursor is opaque; only the API makes them)."""

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Cursor(fields.String):
    """An opaque keyset cursor: the unpadded URL-safe base64 of the last key of the previous page."""

    def __init__(self, **kwargs):
        metadata = {"description": "The `next_cursor` of the previous page (one the API did not issue is refused).",
                    **(kwargs.pop("metadata", None) or {}), "pattern": CURSOR_PATTERN, "maxLength": CURSOR_MAX_LENGTH}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > CURSOR_MAX_LENGTH or not re.fullmatch(CURSOR_PATTERN, text):
            raise ValidationError("A cursor is the `next_cursor` of a page (unpadded URL-safe base64).")
        try:
            key = base64.b64decode(text.encode() + b"=" * (-len(text) % 4), altchars=b"-_", validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise ValidationError(NOT_A_CURSOR) from exc
        if not key or "\x00" in key:
            raise ValidationError(NOT_A_CURSOR)
        return key


def encode_cursor(key: str | None) -> str | None:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=") if key else None


class ListQuery(Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = Cursor(load_default=None, allow_none=True)


STORES_PER_CALL = 50
"""Stores one report call covers at most: the gateway splits a chain into calls of this size."""


class StoreZone(Schema):
    store_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    time_zone = TimeZone(load_default="Asia/Shanghai")


class StoresPeriodQuery(Schema):
    """Several stores, each with its time zone, over the same store-local days [from, to]."""
    stores = fields.List(fields.Nested(StoreZone), required=True,
                         validate=validate.Length(min=1, max=STORES_PER_CALL))
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    group = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GROUPS), metadata={
        "description": "Figures per store and day / ISO week / month (services/common/periods.py); none: the range"})

    @validates_schema
    def _ordered(self, data, **_):
        if data.get("from_") and data.get("to") and not 0 <= (data["to"] - data["from_"]).days <= 366:
            raise ValidationError("`to` is before `from`, or more than a year after it.", "to")


class LocalDays(Schema):
    """A report's store-local days [from, to], at most a year at a time."""
    from_ = fields.Date(data_key="from", required=True, validate=Years(2000, 2100),
                        metadata={"description": "First store-local day"})
    to = fields.Date(required=True, validate=Years(2000, 2100),
                     metadata={"description": "Last store-local day (inclusive)"})

    @validates_schema
    def _ordered(self, data, **_):
        if data["to"] < data["from_"]:
            raise ValidationError("`to` is before `from`.", "to")
        if data["to"] - data["from_"] > timedelta(days=366):
            raise ValidationError("At most a year at a time.", "to")


def page(items: list, limit: int, key=lambda row: row.id) -> dict:
    """Trim a query result fetched with limit+1 rows into a page with its next cursor (after the
    last row's `key`, by default its id)."""
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": encode_cursor(key(items[-1])) if more and items else None}


def dump_page(result: dict, schema: Schema) -> dict:
    """A page (`items`, `next_cursor`) as it is answered: its items dumped with the schema."""
    return {"items": schema.dump(result["items"], many=True), "next_cursor": result["next_cursor"]}


def load(schema: Schema, data: dict | None, **kwargs) -> dict:
    """Validate with a schema; a failure becomes the domain's `Invalid` (422 at the gateway)."""
    try:
        return schema.load(data or {}, **kwargs)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise Invalid("Some fields are not valid.", fields=messages, code="validation_failed") from exc


def patch_schema(create: type[Schema], name: str) -> type[Schema]:
    """The PATCH twin of a create schema: every field optional and no defaults filled in,
    so only what the client sent changes; the create schema's validators still apply."""
    optional = {}
    for field_name, field in create._declared_fields.items():
        clone = copy.copy(field)
        clone.required = False
        clone.load_default = missing
        optional[field_name] = clone
    return type(name, (create,), optional)
