"""How a resource method declares its contract: who may call it, what it takes, what it
returns. `endpoint` enforces the roles and validates the body and query string with the
same marshmallow schemas the OpenAPI document is generated from."""
from __future__ import annotations

import functools
import json
import re
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import falcon
from marshmallow import Schema, ValidationError

from services.common.policy import ALL_ROLES

from . import exports
from .auth import CUSTOMER, require_role
from .idempotency import idempotent_call
from .uploads import FILE_FIELD, receive

JSON = "application/json"


@dataclass(frozen=True)
class Endpoint:
    summary: str
    tag: str
    roles: frozenset[str] | None
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    paginated: bool = False
    idempotent: bool = False
    errors: tuple[int, ...] = field(default=())
    produces: str = JSON
    upload: type[Schema] | None = None


MAX_JSON_DEPTH = 32
"""Deeper than any body the API takes; Python's parser (and every walk over the result) recurses."""
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than `limit` (brackets inside strings do not count)."""
    depth = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        depth += 1 if bracket.group() in b"[{" else -1
        if depth > limit:
            return True
    return False


def read_json(req: falcon.Request, limit: int) -> dict:
    """The request body as a JSON object: the one parser of client JSON in the gateway. Too large is
    413; not JSON, not an object or nested deeper than `MAX_JSON_DEPTH` is 400 `malformed_json`."""
    raw = req.bounded_stream.read(limit + 1)
    if len(raw) > limit:
        raise falcon.HTTPContentTooLarge(title="payload_too_large", description=f"Bodies are limited to {limit} bytes.")
    if not raw.strip():
        return {}
    if too_deep(raw):
        raise falcon.HTTPBadRequest(title="malformed_json",
                                    description=f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise falcon.HTTPBadRequest(title="malformed_json", description=f"The body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise falcon.HTTPBadRequest(title="malformed_json", description="The body must be a JSON object.")
    return data


def endpoint_of(resource: object, method: str) -> Endpoint | None:
    """The contract `endpoint` declared on the resource's responder for `method` (get, post, ...), if any."""
    return getattr(getattr(resource, f"on_{method}", None), "endpoint", None)


class ValidationFailed(Exception):
    def __init__(self, messages: dict):
        super().__init__("Some fields are not valid.")
        self.messages = messages


NUL_IN_VALUE = "Must not contain NUL characters."
NUL_IN_KEY = "Keys must not contain NUL characters."


def nul_fields(data, path: str = "") -> dict[str, str]:
    """Where a string (a value or a key) holds a NUL character, which no database column stores."""
    if isinstance(data, str):
        return {path or "_schema": NUL_IN_VALUE} if "\x00" in data else {}
    items: Iterable[tuple[object, object]]
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return {}
    found = {}
    for key, value in items:
        where = f"{path}.{key}" if path else str(key)
        found.update({where: NUL_IN_KEY} if "\x00" in str(key) else nul_fields(value, where))
    return found


def validate(schema: type[Schema], data: dict) -> dict:
    if bad := nul_fields(data):
        raise ValidationFailed({name: [message] for name, message in bad.items()})
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}) from exc


def endpoint(summary: str, *, tag: str, roles: frozenset[str] | None = ALL_ROLES, body=None, query=None,
             response=None, status: int = 200, paginated: bool = False, idempotent: bool = False,
             errors: tuple[int, ...] = (), produces: str = JSON, upload=None):
    """Decorate a Falcon responder `(self, req, resp, **params) -> media`. `roles=None` is public;
    `roles=CUSTOMER` takes customer tokens only (the customer channel);
    `errors` names statuses beyond those its body, query, path and roles imply (see openapi.py).
    With another media type than JSON in `produces` the responder returns the body as bytes.
    `upload` (the schema of a multipart form's text fields) takes a file in the part `file`: the
    resource's `authorize_upload(req, **params)` runs first (its answer in `req.context.owner`), so a
    refused upload is not even read; then the file is streamed to a temporary file (`req.context.upload`,
    removed after the answer) and an Idempotency-Key's fingerprint covers the file's hash and the fields."""
    meta = Endpoint(summary, tag, roles, body, query, response, status, paginated, idempotent, errors, produces,
                    upload)

    def decorator(responder):
        @functools.wraps(responder)
        def wrapped(self, req: falcon.Request, resp: falcon.Response, **params):
            if roles == CUSTOMER:
                req.context.principal = self.deps.auth.customer(req)
                req.context.principal.require_document(params)
                self.deps.admission(req, resp, req.context.principal)  # the customer's own bucket
            elif roles is not None:
                req.context.principal = self.deps.auth.principal(req)
                require_role(req.context.principal, roles)
                self.deps.admission(req, resp, req.context.principal)
            if nul_fields(params):  # no id holds one: the database could not even look it up
                raise falcon.HTTPNotFound(title="not_found", description="No such resource.")
            rows = exports.row_schema(meta, bool(params)) if req.method == "GET" else None
            try:
                export = exports.wanted(req) if rows is not None else None
            except exports.UnknownFormat as exc:
                raise ValidationFailed({"format": [str(exc)]}) from None
            raw = read_json(req, self.deps.settings.max_body_bytes) if body is not None else None
            # `*_json` is what the client sent, forwarded to services (which validate it again with
            # the same schema); `query` and `body` are the loaded values for the gateway's own use.
            if query is not None:
                req.context.query_json = {name: value for name, value in req.params.items()
                                          if not (export and name == "format")}
                req.context.query = validate(query, req.context.query_json)
            if raw is not None:  # the body its schema declares
                req.context.body_json = raw
                req.context.body = validate(body, raw)
            with ExitStack() as cleanup:
                if upload is not None:
                    req.context.owner = self.authorize_upload(req, **params)
                    raw = _receive_upload(req, upload, Path(cleanup.enter_context(tempfile.TemporaryDirectory())))

                def run():
                    resp.status = status
                    return responder(self, req, resp, **params)

                key = req.get_header("Idempotency-Key")
                if idempotent and key:
                    resp.status, resp.media = idempotent_call(
                        self.deps.identity_db, req.context.principal.id, key, req.method, req.path, raw, run,
                        lambda: resp.status)
                elif export is not None and rows is not None:
                    exports.respond(req, resp, meta, rows, export, run, exports.place_of(
                        self.deps.identity_db, (req.context.get("query_json") or {}).get("store_id")))
                elif produces != JSON:
                    resp.content_type = produces  # the responder may name a narrower type
                    resp.data = run()
                else:
                    resp.media = run()

        wrapped.endpoint = meta  # type: ignore[attr-defined]  # read by endpoint_of; mypy has no function attributes
        return wrapped

    return decorator


def _receive_upload(req: falcon.Request, form: type[Schema], directory: Path) -> dict:
    """The upload into `directory` and its fields validated into `req.context.body`; answers what an
    Idempotency-Key's fingerprint covers."""
    received = receive(req, directory)
    if received is None:
        raise ValidationFailed({FILE_FIELD: ["Attach a non-empty file in a part named `file`."]})
    req.context.upload = received
    req.context.body = validate(form, received.fields)
    return {**received.fields, FILE_FIELD: received.sha256}
