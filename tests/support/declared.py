"""Whether the gateway refuses a request its OpenAPI document declares valid, for a rule the document
could have declared: the check of tests/unit/test_openapi_conformance.py (in process) and of the
fuzzer's runs (tests/security/fuzz_hooks.py).

Not counted: rules relating two fields (a schema's `@validates_schema`; OpenAPI 3.0 has no keyword for
them, each is said in words where it applies) and the few one-field rules listed in INEXPRESSIBLE."""
from __future__ import annotations

import functools
import re
from unittest import mock

from marshmallow import Schema, ValidationError

from gateway import api
from gateway.app import routes
from gateway.resources.attachments import DAMAGE_IS_JSON
from services.common.schemas import NOT_A_CURSOR

INEXPRESSIBLE = (
    NOT_A_CURSOR,  # a cursor is opaque: only the API makes one
    "VIN check digit",  # a checksum
    "Check character (18th)",  # a unified social credit code's checksum
    "Birthday cannot be in the future.",  # relative to today
    api.NUL_IN_KEY,  # OpenAPI 3.0 has no propertyNames
    DAMAGE_IS_JSON,  # a multipart text field holding JSON
)


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):
        return [message for key, value in errors.items() if key != "key"  # a map's key: no propertyNames
                for message in _messages(value)]
    if isinstance(errors, list):
        return [message for value in errors for message in _messages(value)]
    return [str(errors)]


def declarable(schema: type[Schema], data: dict) -> dict | None:
    """The field messages with which `schema` refuses `data` for one-field rules the document could
    declare; None when it accepts it, or refuses it only for rules relating fields or INEXPRESSIBLE."""
    nul = {where: [message] for where, message in api.nul_fields(data).items() if message != api.NUL_IN_KEY}
    if nul:
        return nul
    with mock.patch.object(Schema, "_invoke_schema_validators", lambda *args, **kwargs: None):
        try:
            schema().load(data)
        except ValidationError as error:
            messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
            if any(not any(rule in message for rule in INEXPRESSIBLE) for message in _messages(messages)):
                return messages
    return None


@functools.lru_cache(maxsize=1)
def _endpoints() -> list[tuple[re.Pattern, str, api.Endpoint]]:
    table = []
    for path, resource in routes(None):
        pattern = re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)) + "$")
        for method in ("get", "post", "put", "patch", "delete"):
            meta = api.endpoint_of(resource, method)
            if meta is not None:
                table.append((pattern, method.upper(), meta))
    return table


def undeclared_refusal(method: str, path: str, query: dict | None, body) -> dict | None:
    """`declarable` for a request as the gateway receives it (query values as strings)."""
    meta = next((meta for pattern, verb, meta in _endpoints() if verb == method.upper() and pattern.match(path)),
                None)
    if meta is not None and meta.query is not None:  # OpenAPI 3.0 cannot say "no other parameters"
        named = {field.data_key or name for name, field in meta.query().load_fields.items()}
        query = {name: value for name, value in (query or {}).items() if name in named}
    for schema, data in ((meta.query, query), (meta.body, body)) if meta else ():
        if schema is not None and isinstance(data, (dict, type(None))):
            refusal = declarable(schema, dict(data or {}))
            if refusal:
                return refusal
    return None
