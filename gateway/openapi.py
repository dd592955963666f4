"""The OpenAPI 3 document, generated from the `endpoint` declarations and their schemas."""
from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate

from services.common.policy import API_KEY_ROLE
from services.contracts import EVENTS

from . import exports
from .api import JSON, Endpoint, endpoint_of
from .partners import scopes, signing
from .schemas import ErrorBody
from .stream import document as stream_document

_METHODS = ("get", "post", "put", "patch", "delete")
_COMMON_ERRORS = {400: "Malformed JSON or header", 401: "No or invalid token", 403: "Role or store not allowed",
                  404: "Unknown id (in the path or the body)", 409: "Conflict or illegal state transition",
                  413: "Body too large", 415: "Not a file of a kind this endpoint takes (decided by its bytes)",
                  422: "Validation failed (field-level messages)", 429: "Rate limited",
                  503: "A service needed is unavailable"}
_URI_TOO_LONG = {"description": "Request line over 4 KiB, refused by the HTTP server before the API (not JSON)"}


class _SchemaNames:
    """Component names are class names; when two services' schemas share one (both have a
    `PartOut`), the later is prefixed with its service (`SalesPartOut`): the package under
    `services/contracts/rpc/` (or `services/`) it comes from."""

    def __init__(self):
        self.taken: dict[str, type] = {}

    def __call__(self, schema) -> str:
        cls = schema if isinstance(schema, type) else type(schema)
        name = cls.__name__
        if self.taken.setdefault(name, cls) is not cls:
            parts = cls.__module__.split(".")
            owner = (parts[3] if parts[:3] == ["services", "contracts", "rpc"] and len(parts) > 3
                     else parts[1] if parts[0] == "services" and len(parts) > 1 else parts[0])
            name = owner.capitalize() + name
            self.taken.setdefault(name, cls)
        return name


NO_NUL = r"^[^\x00]*$"
"""Declared on request strings that have no pattern of their own: the gateway refuses NUL characters
(api.py), which no database column stores."""
_STRICTER = {"minimum": max, "maximum": min, "minLength": max, "maxLength": min, "minItems": max, "maxItems": min}


def _request_schemas(routes: list[tuple[str, object]]) -> set[type]:
    """The schema classes a request body or query string is loaded with, nested ones included."""
    found: set[type] = set()

    def visit(schema: type[Schema] | Schema) -> None:
        cls = schema if isinstance(schema, type) else type(schema)
        if cls in found:
            return
        found.add(cls)
        for field in cls._declared_fields.values():
            while isinstance(field, (fields.List, fields.Dict)):
                field = field.inner if isinstance(field, fields.List) else (field.value_field or fields.Raw())
            if isinstance(field, fields.Nested):
                visit(field.schema)

    for _, resource in routes:
        for method in _METHODS:
            meta = endpoint_of(resource, method)
            for schema in (meta.body, meta.query) if meta else ():
                if schema is not None:
                    visit(schema)
    return found


def _enforced(requests: set[type]):
    """An apispec attribute function declaring, on the fields of request schemas, what their loading
    enforces beyond what apispec reads itself."""

    def enforced(self, field: fields.Field, ret: dict, **_) -> dict:
        schema = field.parent
        while schema is not None and not isinstance(schema, Schema):
            schema = schema.parent
        if schema is None or type(schema) not in requests:
            return {}
        extra = _declarations(field, ret)
        known = {**ret, **extra}
        extra.update(_exclusive_bounds(field, known))
        if known.get("type") == "string" and not {"pattern", "enum", "format"} & set(known):
            extra["pattern"] = NO_NUL
        keys = field.key_field if isinstance(field, fields.Dict) else None
        choices = next((rule.choices for rule in getattr(keys, "validators", ()) if isinstance(rule, validate.OneOf)),
                       None)
        if choices is not None:  # a map over a closed set of keys is an object with those properties
            extra.update(properties={key: ret.get("additionalProperties", {}) for key in choices},
                         additionalProperties=False)
        if isinstance(field, fields.Nested) and len(ret.get("anyOf", ())) == 2:
            # apispec's null branch of an optional object, {"type": "object", "nullable": true}, admits any object
            extra["anyOf"] = [ret["anyOf"][0], {"type": "object", "nullable": True, "enum": [None]}]
        return extra

    return enforced


def _declarations(field: fields.Field, ret: dict) -> dict:
    """The `openapi` keywords of a field (amount and quantity caps) and of its validators, the
    stricter bound kept where two say one."""
    extra: dict = {}
    for declaration in (getattr(field, "openapi", None), *(getattr(v, "openapi", None) for v in field.validators)):
        for key, value in (declaration or {}).items():
            known = extra.get(key, ret.get(key))
            extra[key] = _STRICTER[key](known, value) if key in _STRICTER and known is not None else value
    return extra


def _exclusive_bounds(field: fields.Field, known: dict) -> dict:
    """Range(min_inclusive=False) as OpenAPI 3.0's `exclusiveMinimum: true` (apispec leaves it out)."""
    extra = {}
    for rule in field.validators:
        if isinstance(rule, validate.Range):
            if rule.min is not None and not rule.min_inclusive and known.get("minimum") == rule.min:
                extra["exclusiveMinimum"] = True
            if rule.max is not None and not rule.max_inclusive and known.get("maximum") == rule.max:
                extra["exclusiveMaximum"] = True
    return extra


def build(routes: list[tuple[str, object]], version: str = "1.0.0") -> dict:
    plugin = MarshmallowPlugin(schema_name_resolver=_SchemaNames())
    spec = APISpec(title="Auto-service chain API", version=version, openapi_version="3.0.3", plugins=[plugin],
                   info={"description": "Gateway of the auto-service store chain suite (汽车服务门店)."})
    assert plugin.converter is not None  # made by APISpec's init_spec
    plugin.converter.add_attribute_function(_enforced(_request_schemas(routes)))
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.security_scheme("apiKey", {
        "type": "http", "scheme": "bearer", "bearerFormat": "API key (`ask_…`, POST /v1/api-keys)",
        "description": "A machine client's key: `Authorization: Bearer ask_…`. It reaches only its stores and the "
                       "operations its scopes open (`x-api-key-scope`); 429 with `Retry-After` and `RateLimit-*` "
                       "headers above its calls a minute."})
    spec.components.schema("ErrorBody", schema=ErrorBody)
    for path, resource in routes:
        operations = {}
        for method in _METHODS:
            meta = endpoint_of(resource, method)
            if meta is not None:
                operations[method] = _operation(meta, path, method)
        if operations:
            spec.path(path=path, operations=operations)
    for path, operation in stream_document.operations().items():  # served by the stream's process
        spec.path(path=path, operations={"get": operation})
    hooks = _webhooks(spec)
    return {**spec.to_dict(), "x-webhooks": hooks}


def _webhooks(spec: APISpec) -> dict:
    """What the webhook deliverer posts, per event type and contract version, generated from the contracts
    the services publish under (services/contracts): OpenAPI 3.1's `webhooks` object, carried as an
    extension because this document is 3.0 (what the fuzzer and the validators read)."""
    hooks = {}
    for (source, fact, version), contract in sorted(EVENTS.items()):
        name = f"{source}.{fact}"
        component = f"Event{''.join(part.capitalize() for part in name.replace('.', '_').split('_'))}V{version}"
        spec.components.schema(component, schema=contract)
        hooks[name] = {"post": {
            "summary": f"{name} (version {version})",
            "parameters": [
                {"in": "header", "name": signing.HEADER, "required": True, "schema": {"type": "string"},
                 "description": "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" under the webhook's secret>`"},
                {"in": "header", "name": "Webhook-Id", "required": True, "schema": {"type": "string"},
                 "description": "The event's id: the same on every retry (de-duplicate by it)"}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["id", "type", "version", "occurred_at", "store_id", "data"],
                "properties": {"id": {"type": "string"}, "type": {"type": "string", "enum": [name]},
                               "version": {"type": "integer", "enum": [version]},
                               "occurred_at": {"type": "string", "format": "date-time"},
                               "store_id": {"type": "string"},
                               "data": {"$ref": f"#/components/schemas/{component}"}}}}}},
            "responses": {"2XX": {"description": "Taken; anything else (or no answer within 5 s) is retried"}}}}
    return hooks


_EXPORT_WORDS = ("Every row (all pages), streamed: headers in Chinese, amounts in yuan (xlsx: numbers formatted "
                 "¥#,##0.00), times in the store's zone; ask with Accept or `?format=csv|xlsx`")


def _operation(meta: Endpoint, path: str, method: str) -> dict:
    content: dict[str, Any]
    if meta.produces != JSON:
        content = {meta.produces: {"schema": {"type": "string", "format": "binary"}}}
    elif meta.response is None:
        content = {}
    elif meta.paginated:
        content = {"application/json": {"schema": {
            "type": "object", "required": ["items", "next_cursor"],
            "properties": {"items": {"type": "array", "items": meta.response},
                           "next_cursor": {"type": "string", "nullable": True}}}}}
    else:
        content = {"application/json": {"schema": meta.response}}
    export = method == "get" and exports.row_schema(meta, "{" in path) is not None
    if export:  # gateway/exports: the same rows as CSV or xlsx
        content[exports.CSV] = {"schema": {"type": "string", "description": _EXPORT_WORDS}}
        content[exports.XLSX] = {"schema": {"type": "string", "format": "binary", "description": _EXPORT_WORDS}}
    responses: dict[str, Any] = {str(meta.status): {"description": "OK", "content": content}}
    if 302 in meta.errors:
        responses["302"] = {"description": "Redirect to a short-lived URL of the object store",
                            "headers": {"Location": {"schema": {"type": "string"}}}}
    error_ref = {"application/json": {"schema": "ErrorBody"}}
    for code in sorted(_error_codes(meta, path, method) - {302}):
        responses[str(code)] = {"description": _COMMON_ERRORS[code], "content": error_ref}
    if meta.query is not None or "{" in path:
        responses["414"] = _URI_TOO_LONG
    operation: dict[str, Any] = {"summary": meta.summary, "tags": [meta.tag], "responses": responses,
                 "parameters": [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                                for name in re.findall(r"{(\w+)}", path)]}
    if meta.query is not None:
        operation["parameters"].append({"in": "query", "schema": meta.query})
    if export:
        operation["parameters"].append({"in": "query", "name": "format", "required": False, "schema": {
            "type": "string", "enum": list(exports.FORMATS)}, "description": "As `Accept`: every row as CSV or xlsx"})
    if meta.body is not None:
        operation["requestBody"] = {"required": _has_required_fields(meta.body),
                                    "content": {"application/json": {"schema": meta.body}}}
    if meta.upload is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"multipart/form-data": {"schema": _form(meta.upload)}}}
    if meta.idempotent:
        operation["parameters"].append({"in": "header", "name": "Idempotency-Key", "required": False,
                                        "schema": {"type": "string", "maxLength": 200}})
    operation["security"] = [] if meta.roles is None else [{"bearer": []}]
    scope = scopes.scope_needed(method, path)
    if meta.roles is not None and API_KEY_ROLE in meta.roles and scope is not None:
        operation["security"].append({"apiKey": []})
        operation["x-api-key-scope"] = scope
    return operation


def _form(schema) -> dict:
    """A multipart form: its `file` and the text fields of `schema` (a JSON-encoded list stays a string)."""
    properties: dict[str, dict[str, Any]] = {"file": {"type": "string", "format": "binary"}}
    for name, field_ in schema().fields.items():
        description = field_.metadata.get("description")
        choices = getattr(field_.validate, "choices", None)  # a OneOf: its values (the form takes no others)
        properties[name] = {"type": "string", **({"description": description} if description else {}),
                            **({"enum": list(choices)} if choices else {})}
    return {"type": "object", "required": ["file"], "properties": properties, "additionalProperties": False}


def _error_codes(meta: Endpoint, path: str, method: str) -> set[int]:
    """The error statuses an operation can answer (API.md, Conventions), from what it takes."""
    codes = set(meta.errors)
    if meta.body or meta.upload:
        codes |= {400, 404, 413, 422}  # a body may name ids that do not exist
    if meta.query or (method == "get" and exports.row_schema(meta, "{" in path) is not None):
        codes.add(422)  # an exportable list or report also takes `format` (gateway/exports)
    if "{" in path:
        codes.add(404)
    if meta.roles is not None:
        codes |= {401, 403, 429, 503}  # 429: the caller's rate limit (gateway/partners/limits.py)
        if method != "get":
            codes.add(409)  # a conflict or an illegal state transition
    if meta.idempotent:
        codes |= {400, 409}  # a malformed Idempotency-Key; a key reused for another request
    return codes


def _has_required_fields(schema) -> bool:
    """A body whose fields are all optional (a PATCH) may be left out: it changes nothing."""
    return any(field.required for field in schema().fields.values())
