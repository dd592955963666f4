"""The OpenAPI 3 document, generated from the `endpoint` declarations and their schemas."""
from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .api import JSON, Endpoint
from .schemas import ErrorBody

_METHODS = ("get", "post", "put", "patch", "delete")
_COMMON_ERRORS = {400: "Malformed JSON", 401: "No or invalid token", 403: "Role or store not allowed",
                  404: "Unknown id", 409: "Conflict or illegal state transition", 413: "Body too large",
                  422: "Validation failed (field-level messages)", 503: "A service needed is unavailable"}


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
                operations[method] = _operation(meta, path)
        if operations:
            spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(meta: Endpoint, path: str) -> dict:
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
    error_ref = {"application/json": {"schema": "ErrorBody"}}
    codes = [400, 413, 422] if meta.body else []
    codes += [422] if meta.query else []
    if meta.roles is not None:
        codes += [401, 403, 503]
    if "{" in path:
        codes.append(404)
    if meta.body and meta.status == 201:
        codes.append(409)
    for code in sorted(set(codes)):
        responses[str(code)] = {"description": _COMMON_ERRORS[code], "content": error_ref}
    operation = {"summary": meta.summary, "tags": [meta.tag], "responses": responses,
                 "parameters": [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                                for name in re.findall(r"{(\w+)}", path)]}
    if meta.query is not None:
        operation["parameters"].append({"in": "query", "schema": meta.query})
    if meta.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": meta.body}}}
    if meta.idempotent:
        operation["parameters"].append({"in": "header", "name": "Idempotency-Key", "required": False,
                                        "schema": {"type": "string", "maxLength": 200}})
    operation["security"] = [] if meta.roles is None else [{"bearer": []}]
    return operation
