"""nameko dependency providers every service uses.

`Database`: an engine per container, a session per worker. nameko sends an RPC reply (or
acks an event) *before* dependency providers see the worker's result, so committing in
`worker_result` would let a caller read before the write is durable. The commit therefore
happens inside the entrypoint (`entrypoints.unit_of_work`), and the outbox relay runs
right after it.
"""
from __future__ import annotations

from typing import Any

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import config
from .context import Caller, request_id_var
from .db import make_engine
from .metrics import POOLS
from .relay import OutboxRelay
from .tracing import carrier, enabled, fail, tracer


SESSIONS = "sessions"
"""Where a worker context keeps the sessions `Database` gave it."""


def worker_sessions(worker_ctx) -> list[Session]:
    """The database sessions of a worker (what `upstream.ServiceRpc` checks before a call)."""
    return list(worker_ctx.__dict__.get(SESSIONS, {}).values())


class Database(DependencyProvider):
    """Injects a SQLAlchemy `Session`; `session.info` carries the worker's context
    (request id, caller) and the outbox relay used after commit."""

    def __init__(self, owner: str | None = None):
        self.owner = owner
        self.engine: Engine | None = None
        self.sessionmaker: sessionmaker[Session] | None = None
        self.relay: OutboxRelay | None = None

    def setup(self):
        owner = self.owner or self.container.service_name
        url = config.database_url(owner)
        self.engine = make_engine(url)
        POOLS.watch(owner, self.engine)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.relay = OutboxRelay(
            self.engine, self.container.config["AMQP_URI"], self.container.service_name)

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()

    def get_dependency(self, worker_ctx) -> Session:
        if self.sessionmaker is None:
            raise RuntimeError("Database.get_dependency before setup")
        session = self.sessionmaker()
        session.info["context"] = dict(worker_ctx.context_data)
        session.info["relay"] = self.relay
        session.info["outbox"] = []
        session.info["service"] = self.container.service_name
        worker_ctx.__dict__.setdefault(SESSIONS, {})[self.attr_name] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = worker_ctx.__dict__.get(SESSIONS, {}).pop(self.attr_name, None)
        if session is not None:
            session.close()


class CallerProvider(DependencyProvider):
    """Injects the `Caller` of the current worker and tags its log lines with the request id."""

    def get_dependency(self, worker_ctx) -> Caller:
        return Caller.from_context(worker_ctx.context_data)

    def worker_setup(self, worker_ctx):
        request_id_var.set(worker_ctx.context_data.get("request_id"))

    def worker_teardown(self, worker_ctx):
        request_id_var.set(None)


class Tracing(DependencyProvider):
    """A span for each RPC and event a service handles, continuing the caller's trace from the context
    data; the worker's own calls and events carry this span on."""

    KEY = "trace_span"

    def worker_setup(self, worker_ctx) -> None:
        entrypoint = worker_ctx.entrypoint
        kind = SpanKind.SERVER if isinstance(entrypoint, Rpc) else (
            SpanKind.CONSUMER if isinstance(entrypoint, EventHandler) else None)
        if not enabled() or kind is None:
            return
        service = self.container.service_name
        attributes: dict[str, Any] = {"rpc.system": "nameko", "rpc.service": service,
                                      "rpc.method": entrypoint.method_name}
        if worker_ctx.data.get("request_id"):
            attributes["request.id"] = worker_ctx.data["request_id"]
        parent = propagate.extract(worker_ctx.data)
        span = tracer.start_span(f"{service}.{entrypoint.method_name}", context=parent, kind=kind,
                                 attributes=attributes)
        token = context.attach(trace.set_span_in_context(span, parent))
        worker_ctx.data.update(carrier() or {})  # nested RPCs carry this span
        worker_ctx.__dict__[self.KEY] = (span, token)

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        active = worker_ctx.__dict__.get(self.KEY)
        if active is None or exc_info is None:
            return
        span, error = active[0], exc_info[1]
        expected = getattr(worker_ctx.entrypoint, "expected_exceptions", ())
        span.set_attribute("error.type", type(error).__name__)
        if not (expected and isinstance(error, expected)):  # a domain refusal is an answer, not a fault
            span.record_exception(error)
            fail(span, type(error).__name__)

    def worker_teardown(self, worker_ctx) -> None:
        active = worker_ctx.__dict__.pop(self.KEY, None)
        if active is not None:
            span, token = active
            span.end()
            context.detach(token)
