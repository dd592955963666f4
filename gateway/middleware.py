"""Cross-cutting work on every request: request id, body-size limit, access log, metrics."""
from __future__ import annotations

import logging
import re
import time
import uuid

import falcon
from prometheus_client import Counter, Histogram

from services.common.context import request_id_var

log = logging.getLogger("gateway.access")

REQUESTS = Counter("gateway_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("gateway_http_request_seconds", "HTTP request latency", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


class RequestContext:
    """Takes `X-Request-ID` from the client (or makes one), echoes it, logs and measures."""

    def __init__(self, max_body_bytes: int):
        self.max_body_bytes = max_body_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        given = req.get_header("X-Request-ID") or ""
        req.context.request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        req.context.started = time.perf_counter()
        request_id_var.set(req.context.request_id)
        resp.set_header("X-Request-ID", req.context.request_id)

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        """A declared Content-Length over the route's limit is refused before the body is read; a
        resource taking uploads sets its own `max_body_bytes`."""
        limit = getattr(resource, "max_body_bytes", None) or self.max_body_bytes
        if (req.content_length or 0) > limit:
            raise falcon.HTTPContentTooLarge(title="payload_too_large", description=f"Bodies are limited to {limit} bytes.")

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource, req_succeeded: bool) -> None:
        route = req.uri_template or "unmatched"
        elapsed = time.perf_counter() - getattr(req.context, "started", time.perf_counter())
        status = resp.status_code if hasattr(resp, "status_code") else int(str(resp.status)[:3])
        REQUESTS.labels(req.method, route, str(status)).inc()
        LATENCY.labels(req.method, route).observe(elapsed)
        principal = getattr(req.context, "principal", None)
        log.info("request", extra={"method": req.method, "route": route, "status": status,
                                   "ms": round(elapsed * 1000, 2), "user_id": principal.id if principal else None})
        request_id_var.set(None)
