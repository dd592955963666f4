"""Cross-cutting work on every request: request id, body-size limit, access log, metrics, security headers."""
from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid

import falcon
from prometheus_client import Counter, Histogram

from services.common import tracing
from services.common.context import request_id_var

log = logging.getLogger("gateway.access")

REQUESTS = Counter("gateway_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("gateway_http_request_seconds", "HTTP request latency", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
DRAINED_BYTES = 8 * 2**20
"""A body declared over its limit but under this is read and dropped before the 413 (a larger one is not)."""


def _is_trusted(address: str, proxies: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str, forwarded_for: str | None, proxies: tuple) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the nearest address
    in `X-Forwarded-For` that is not one (what lies further left the client may have written)."""
    if not _is_trusted(peer, proxies) or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, proxies):
            return hop[:45]
    return hops[0][:45] if hops else peer


class RequestContext:
    """Takes `X-Request-ID` from the client (or makes one), echoes it, finds the client's address
    (`req.context.client_ip`, see `client_address`), logs, measures and traces (the request's span, the
    parent of every RPC it makes; continues a W3C `traceparent` the client sent)."""

    def __init__(self, max_body_bytes: int, trusted_proxies: tuple = ()):
        self.max_body_bytes = max_body_bytes
        self.trusted_proxies = trusted_proxies

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        given = req.get_header("X-Request-ID") or ""
        req.context.request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        req.context.started = time.perf_counter()
        req.context.client_ip = client_address(req.remote_addr, req.get_header("X-Forwarded-For"),
                                               self.trusted_proxies)
        request_id_var.set(req.context.request_id)
        resp.set_header("X-Request-ID", req.context.request_id)
        if tracing.enabled():
            req.context.trace = tracing.server_span(req.method, req.headers_lower, req.context.request_id)

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        """A declared Content-Length over the route's limit is refused without parsing the body (read and
        dropped up to DRAINED_BYTES, so the client hears why); a resource taking uploads sets its own
        `max_body_bytes`."""
        limit = getattr(resource, "max_body_bytes", None) or self.max_body_bytes
        declared = req.content_length or 0
        if declared > limit:
            if declared <= DRAINED_BYTES:  # read and dropped: the client, still sending, gets the 413
                req.bounded_stream.exhaust()          # instead of a connection reset
            raise falcon.HTTPContentTooLarge(title="payload_too_large",
                                             description=f"Bodies are limited to {limit} bytes.")

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
        if getattr(req.context, "trace", None) is not None:
            tracing.end_server_span(req.context.trace, f"{req.method} {route}", status)


def console_policy(file_origin: str | None = None, sandbox_origin: str | None = None) -> str:
    """The console is plain ES modules and one stylesheet from /console/: no inline script or style; images
    also from `blob:` URLs (photos fetched with the token, see console/js/files.js), and the attachments'
    short-lived URLs from `file_origin`, the object store's public origin when it is another one.
    `sandbox_origin` (tests and sandboxes only: MOBILE_WECHAT_BRIDGE_URL's) may serve a script and be called."""
    files = f" {file_origin}" if file_origin else ""
    sandbox = f" {sandbox_origin}" if sandbox_origin else ""
    return "; ".join((
        "default-src 'self'", f"script-src 'self'{sandbox}", "style-src 'self'", f"img-src 'self' data: blob:{files}",
        f"connect-src 'self'{files}{sandbox}", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'none'"))




class SecurityHeaders:
    """`nosniff` on every answer; the console (and the customers' phone app) may not be framed and runs only its
    own files; API answers (tokens, customers' details, money) are never stored by a browser or a proxy, but for
    a successful answer whose resource said how it may be kept (an attachment's bytes: `private, max-age=300`)."""

    def __init__(self, *app_prefixes: str, file_origin: str | None = None,
                 sandboxed: tuple[str, str] | None = None):
        """`sandboxed`: (an app's prefix, a sandbox's origin) — that app may load a script from there and call it
        (the phone app's stand-in WeixinJSBridge, MOBILE_WECHAT_BRIDGE_URL: never in production)."""
        self.app_prefixes = app_prefixes
        self.policy = console_policy(file_origin)
        self.policies = {sandboxed[0]: console_policy(file_origin, sandboxed[1])} if sandboxed else {}

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource, req_succeeded: bool) -> None:
        resp.set_header("X-Content-Type-Options", "nosniff")
        if req.path == "/" or any(req.path == app or req.path.startswith(app + "/") for app in self.app_prefixes):
            resp.set_header("X-Frame-Options", "DENY")
            prefix = next((app for app in self.policies if req.path == app or req.path.startswith(app + "/")), "")
            resp.set_header("Content-Security-Policy", self.policies.get(prefix, self.policy))
        elif req.path.startswith(("/v1/", "/c/v1/")):
            if not (req_succeeded and resp.get_header("Cache-Control")):
                resp.set_header("Cache-Control", "no-store")
