"""The OpenAPI 3 document, generated from the `endpoint` declarations and their schemas."""
from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .api import JSON, Endpoint
from .schemas import ErrorBody

_METHODS = ("get", "post", "put", "patch", "delete")
_COMMON_ERRORS = {400: "Malformed JSON or header", 401: "No or invalid token", 403: "Role or store not allowed",
                  404: "Unknown id (in the path or the body)", 409: "Conflict or illegal state transition",
                  413: "Body too large", 415: "Not a file of a kind this endpoint takes (decided by its bytes)",
                  422: "Validation failed (field-level messages)", 429: "Rate limited",
                  503: "A service needed is unavailable"}
_URI_TOO_LONG = {"description": "Request line over 4 KiB, refused by the HTTP server before the API (not JSON)"}


class _SchemaNames:
    """Component names are class names; when two services' schemas share one (both have a
    `PartOut`), the later is prefixed with its service (`SalesPartOut`)."""

    def __init__(self):
        self.taken: dict[str, type] = {}

    def __call__(self, schema) -> str:
        cls = schema if isinstance(schema, type) else type(schema)
        name = cls.__name__
        if self.taken.setdefault(name, cls) is not cls:
            parts = cls.__module__.split(".")
            owner = parts[1] if parts[0] == "services" and len(parts) > 1 else parts[0]
            name = owner.capitalize() + name
            self.taken.setdefault(name, cls)
        return name


def build(routes: list[tuple[str, object]], version: str = "1.0.0") -> dict:
    spec = APISpec(title="Auto-service chain API", version=version, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=_SchemaNames())],
                   info={"description": "Gateway of the auto-service store chain suite (汽车服务门店)."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("ErrorBody", schema=ErrorBody)
    for path, resource in routes:
        operations = {}
        for method in _METHODS:
            meta: Endpoint | None = getattr(getattr(resource, f"on_{method}", None), "endpoint", None)
            if meta is not None:
                operations[method] = _operation(meta, path, method)
        if operations:
            spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(meta: Endpoint, path: str, method: str) -> dict:
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
    responses = {str(meta.status): {"description": "OK", "content": content}}
    if 302 in meta.errors:
        responses["302"] = {"description": "Redirect to a short-lived URL of the object store",
                            "headers": {"Location": {"schema": {"type": "string"}}}}
    error_ref = {"application/json": {"schema": "ErrorBody"}}
    for code in sorted(_error_codes(meta, path, method) - {302}):
        responses[str(code)] = {"description": _COMMON_ERRORS[code], "content": error_ref}
    if meta.query is not None or "{" in path:
        responses["414"] = _URI_TOO_LONG
    operation = {"summary": meta.summary, "tags": [meta.tag], "responses": responses,
                 "parameters": [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                                for name in re.findall(r"{(\w+)}", path)]}
    if meta.query is not None:
        operation["parameters"].append({"in": "query", "schema": meta.query})
    if meta.body is not None:
        operation["requestBody"] = {"required": _has_required_fields(meta.body),
                                    "content": {"application/json": {"schema": meta.body}}}
    if meta.upload is not None:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": _form(meta.upload)}}}
    if meta.idempotent:
        operation["parameters"].append({"in": "header", "name": "Idempotency-Key", "required": False,
                                        "schema": {"type": "string", "maxLength": 200}})
    operation["security"] = [] if meta.roles is None else [{"bearer": []}]
    return operation


def _form(schema) -> dict:
    """A multipart form: its `file` and the text fields of `schema` (a JSON-encoded list stays a string)."""
    properties = {"file": {"type": "string", "format": "binary"}}
    for name, field_ in schema().fields.items():
        description = field_.metadata.get("description")
        properties[name] = {"type": "string", **({"description": description} if description else {})}
    return {"type": "object", "required": ["file"], "properties": properties}


def _error_codes(meta: Endpoint, path: str, method: str) -> set[int]:
    """The error statuses an operation can answer (API.md, Conventions), from what it takes."""
    codes = set(meta.errors)
    if meta.body or meta.upload:
        codes |= {400, 404, 413, 422}  # a body may name ids that do not exist
    if meta.query:
        codes.add(422)
    if "{" in path:
        codes.add(404)
    if meta.roles is not None:
        codes |= {401, 403, 503}
        if method != "get":
            codes.add(409)  # a conflict or an illegal state transition
    if meta.idempotent:
        codes |= {400, 409}  # a malformed Idempotency-Key; a key reused for another request
    return codes


def _has_required_fields(schema) -> bool:
    """A body whose fields are all optional (a PATCH) may be left out: it changes nothing."""
    return any(field.required for field in schema().fields.values())
