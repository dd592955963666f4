"""Every error leaves the gateway in one shape:
`{"error": {"code", "message", "fields"}, "request_id"}` and never with a traceback."""
from __future__ import annotations

import logging

import falcon

from services.common.errors import DomainError

from .api import ValidationFailed
from .rpc import RemoteError, ServiceUnavailable
from .schemas import ERROR_CODES
from .words import error_message

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "5"

_DOMAIN_STATUS = {
    "NotFound": (falcon.HTTP_404, "not_found"),
    "Conflict": (falcon.HTTP_409, "conflict"),
    "Invalid": (falcon.HTTP_422, "validation_failed"),
    "Forbidden": (falcon.HTTP_403, "forbidden"),
    "Unavailable": (falcon.HTTP_503, "service_unavailable"),
}
_HTTP_CODES = {400: "malformed_json", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "malformed_json",
               422: "validation_failed", 429: "rate_limited", 503: "service_unavailable"}

_KNOWN_CODES = {*_HTTP_CODES.values(), *ERROR_CODES}
"""Codes a raised HTTP error may name in its title (a 415 for an upload that is not what it claims, a
refused one-time code, the 409s of an Idempotency-Key)."""


def error_body(req: falcon.Request, code: str, message: str, fields: dict | None = None,
               params: dict | None = None) -> dict:
    error = {"code": code, "message": message, "fields": fields or {}}
    if params:
        error["params"] = params
    return {"error": error, "request_id": getattr(req.context, "request_id", None)}


def _respond(req, resp, status, code, message, fields=None, params=None):
    if status == falcon.HTTP_503:
        resp.set_header("Retry-After", RETRY_AFTER_SECONDS)
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON  # also where the endpoint had begun answering a file
    resp.media = error_body(req, code, error_message(req, code, params, message), fields, params)


def serialize_http_error(req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError) -> None:
    resp.content_type = falcon.MEDIA_JSON
    code = exc.title if exc.title in _KNOWN_CODES else _HTTP_CODES.get(exc.status_code, "error")
    message = exc.description or exc.title or str(exc.status)
    resp.media = error_body(req, code, error_message(req, code, None, message))


def handle_validation(req, resp, exc: ValidationFailed, _params):
    _respond(req, resp, falcon.HTTP_422, "validation_failed", str(exc), exc.messages)


def handle_domain(req, resp, exc: DomainError, _params):
    status = _DOMAIN_STATUS.get(type(exc).__name__, (falcon.HTTP_400,))[0]
    _respond(req, resp, status, exc.code, exc.message, exc.fields, exc.params)


def handle_remote(req, resp, exc: RemoteError, _params):
    if exc.exc_type in _DOMAIN_STATUS:
        status, code = _DOMAIN_STATUS[exc.exc_type]
        message, fields, specific, params = (list(exc.args_) + [None] * 4)[:4]
        _respond(req, resp, status, specific if isinstance(specific, str) else code,
                 message if isinstance(message, str) else exc.message,
                 fields if isinstance(fields, dict) else {}, params if isinstance(params, dict) else None)
        return
    log.error("service error", extra={"service": exc.service, "exc_type": exc.exc_type})
    _internal_error(req, resp)


def handle_unavailable(req, resp, exc: ServiceUnavailable, _params):
    log.warning("service unavailable", extra={"service": exc.service, "reason": exc.reason})
    _respond(req, resp, falcon.HTTP_503, "service_unavailable",
             f"The {exc.service} service is unavailable right now; retry shortly.")


def handle_unexpected(req, resp, exc: Exception, _params):
    if isinstance(exc, falcon.HTTPError):  # let Falcon's own machinery serialise these
        raise exc
    log.error("unhandled error", exc_info=exc)
    _internal_error(req, resp)


def _internal_error(req, resp) -> None:
    """A 500 whose words carry the request id staff quote to support (the log line has the rest)."""
    request_id = getattr(req.context, "request_id", None)
    _respond(req, resp, falcon.HTTP_500, "internal_error",
             f"Internal error; quote the request id {request_id} to support.", params={"request_id": request_id})


def register(app: falcon.App) -> None:
    app.set_error_serializer(serialize_http_error)
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(ValidationFailed, handle_validation)
    app.add_error_handler(DomainError, handle_domain)
    app.add_error_handler(RemoteError, handle_remote)
    app.add_error_handler(ServiceUnavailable, handle_unavailable)
