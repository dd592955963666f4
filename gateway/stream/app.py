"""`GET /v1/stream?store_id=…`: a store's changes as server-sent events (Falcon ASGI); `GET /c/v1/stream`: a
car owner's own (the phone app's timeline).

The token is checked as by the gateway (`gateway.auth`, a thread for its database reads), the store by
`policy.required_store` (one rule: a named store within the caller's, else the caller's only store). Each
change is `event: change`, `id: <epoch>-<seq>`, `data: {"type", "store_id", "ids", "occurred_at"}`;
`event: reset` tells the client it missed changes (reload). A comment every `heartbeat` seconds keeps
proxies from closing an idle stream and finds clients that went away. 503 + Retry-After when the process
holds its `limit` of streams (`streams_full`) or has no bus (`service_unavailable`): the console polls."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import falcon
import falcon.asgi

from services.common.exposition import exposition
from services.common.errors import DomainError, Unavailable
from services.common.policy import required_store

from .. import errors
from ..auth import Authenticator
from .document import CUSTOMER_PATH, PATH
from .hub import END, RESET, Change, Hub

RETRY_MS = 3000
"""The client's reconnection delay after a dropped stream (the SSE `retry:` field)."""


class Stream:
    def __init__(self, hub: Hub, auth: Authenticator, heartbeat: float):
        self.hub = hub
        self.auth = auth
        self.heartbeat = heartbeat

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        principal = await asyncio.to_thread(self.auth.principal, req)
        self.open(req, resp, store_id=required_store(principal, req.get_param("store_id"), "stream"))

    def open(self, req: falcon.asgi.Request, resp: falcon.asgi.Response, *, store_id: str | None = None,
             customer_id: str | None = None) -> None:
        if not self.hub.live:
            raise Unavailable("The stream hears no bus right now; retry shortly.", code="service_unavailable")
        if self.hub.full():
            raise Unavailable("This server holds all the streams it can; retry shortly.", code="streams_full")
        last = req.get_header("Last-Event-ID") or req.get_param("last_event_id")
        subscriber = self.hub.subscribe(store_id, last, customer_id)
        resp.set_header("Cache-Control", "no-store")
        resp.set_header("X-Accel-Buffering", "no")  # nginx (the Kubernetes ingress): write each event at once
        resp.sse = self.events(subscriber)

    async def events(self, subscriber) -> AsyncIterator[falcon.asgi.SSEvent | None]:
        try:
            yield falcon.asgi.SSEvent(event="open", data=b"{}", retry=RETRY_MS)
            while True:
                try:
                    item = await asyncio.wait_for(subscriber.queue.get(), self.heartbeat)
                except asyncio.TimeoutError:
                    yield None  # `: ping`
                    continue
                if item is END:
                    return
                if item is RESET:
                    yield falcon.asgi.SSEvent(event="reset", data=b"{}")
                elif isinstance(item, Change):
                    yield falcon.asgi.SSEvent(event="change", json=item.data(), event_id=self.hub.event_id(item))
        finally:
            self.hub.unsubscribe(subscriber)


class CustomerStream(Stream):
    """`GET /c/v1/stream`: a car owner's own changes (their cars' events, which name them), with a customer
    token (`gateway.auth`: a separate audience from staff tokens; a link's token too)."""

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        owner = await asyncio.to_thread(self.auth.customer, req)
        if owner.document is not None:
            raise falcon.HTTPForbidden(title="forbidden", description="This link opens one document only.")
        self.open(req, resp, customer_id=owner.id)


class Healthz:
    """Alive, and whether the bus consumer is connected (503 while not: no stream would hear anything)."""

    def __init__(self, hub: Hub):
        self.hub = hub

    async def on_get(self, req, resp) -> None:
        resp.media = {"status": "ok" if self.hub.live else "no_bus", "streams": len(self.hub.subscribers)}
        if not self.hub.live:
            resp.status = falcon.HTTP_503
            resp.set_header("Retry-After", "5")


class Metrics:
    async def on_get(self, req, resp) -> None:
        resp.content_type, resp.data = exposition()


class Elsewhere:
    """Any other path reached this process on a connection a same-origin front (deploy/front.py) routed here
    by its first request: sent again (307) on a new connection, which the front routes by that request."""

    async def __call__(self, req, resp, **_params) -> None:
        resp.status = falcon.HTTP_307
        resp.set_header("Location", req.relative_uri)
        resp.set_header("Connection", "close")


class RequestId:
    async def process_request(self, req, resp) -> None:
        req.context.request_id = uuid.uuid4().hex
        resp.set_header("X-Request-ID", req.context.request_id)


async def _domain(req, resp, exc: DomainError, params) -> None:
    errors.handle_domain(req, resp, exc, params)


def create_app(hub: Hub, auth: Authenticator, heartbeat: float = 15.0) -> falcon.asgi.App:
    app = falcon.asgi.App(middleware=[RequestId()])
    app.set_error_serializer(errors.serialize_http_error)
    app.add_error_handler(DomainError, _domain)
    app.add_route(PATH, Stream(hub, auth, heartbeat))
    app.add_route(CUSTOMER_PATH, CustomerStream(hub, auth, heartbeat))
    app.add_route("/healthz", Healthz(hub))
    app.add_route("/metrics", Metrics())
    app.add_sink(Elsewhere(), "/")
    return app
