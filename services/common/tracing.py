"""OpenTelemetry traces: one trace per gateway request, through nameko RPC and through events.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) names a collector; then
spans go there by OTLP over HTTP (the SDK reads its other `OTEL_*` variables itself). The W3C trace context
travels beside the request id: as nameko context data (AMQP headers `nameko.traceparent`, `nameko.tracestate`)
on every RPC, and for an event in its outbox envelope (`trace`), because the relay publishes it after the
commit or from a later sweep; the relay copies it into the message headers, the handler continues it.
Database statements are spans of the worker that runs them (SQLAlchemy's instrumentation); a statement
outside any request (a timer's sweep) starts no trace of its own.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextvars import Token
from contextlib import contextmanager

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from . import config

log = logging.getLogger(__name__)

tracer = trace.get_tracer("autoservice")
HEADER_PREFIX = "nameko."  # nameko's context data headers: a service forwards them on its own calls
_enabled = False


class EntriesOnly(Sampler):
    """A trace starts only where work enters (a request, a consumed message); a database statement or a
    call made outside any (a timer's outbox sweep) is not a trace of its own."""

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None):
        if kind in (SpanKind.SERVER, SpanKind.CONSUMER):
            return ALWAYS_ON.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)
        return SamplingResult(Decision.DROP)

    def get_description(self) -> str:
        return "EntriesOnly"


def configure_tracing(component: str, exporter: SpanExporter | None = None) -> bool:
    """Install the SDK for this process (`component` is its `service.name`): with `exporter`, or OTLP over
    HTTP when an endpoint is configured; otherwise nothing, and every helper here costs next to nothing."""
    global _enabled
    if exporter is None:
        if not config.otlp_endpoint():
            return False
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        exporter = OTLPSpanExporter()
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    provider = TracerProvider(resource=Resource.create({"service.name": component}),
                              sampler=ParentBased(root=EntriesOnly()))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    SQLAlchemyInstrumentor().instrument(tracer_provider=provider)  # engines made from now on
    _enabled = True
    log.info("traces exported", extra={"exporter": type(exporter).__name__})
    return True


def enabled() -> bool:
    return _enabled


def carrier() -> dict[str, str] | None:
    """The current trace context as W3C fields (`traceparent`, `tracestate`), or None outside a trace."""
    if not _enabled:
        return None
    fields: dict[str, str] = {}
    propagate.inject(fields)
    return fields or None


def headers(fields: dict[str, str] | None) -> dict[str, str]:
    """`fields` as nameko context headers."""
    return {HEADER_PREFIX + key: value for key, value in (fields or {}).items()}


def server_span(method: str, request_headers: Mapping[str, str], request_id: str) -> tuple[Span, Token]:
    """The span of one HTTP request at the gateway, current until `end_server_span`; named by its route then."""
    span = tracer.start_span(method, context=propagate.extract(request_headers), kind=SpanKind.SERVER,
                             attributes={"http.request.method": method, "request.id": request_id})
    return span, context.attach(trace.set_span_in_context(span))


def end_server_span(active: tuple[Span, Token], name: str, status: int) -> None:
    span, token = active
    span.update_name(name)
    span.set_attribute("http.route", name.split(" ", 1)[1])
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        fail(span, str(status))
    span.end()
    context.detach(token)


@contextmanager
def client_span(service: str, method: str) -> Iterator[tuple[Span, dict[str, str]]]:
    """A span around one RPC the gateway makes, and the context fields that carry it to the service (sent
    like the request id, as nameko context data)."""
    with tracer.start_as_current_span(f"{service}.{method}", kind=SpanKind.CLIENT, attributes={
            "rpc.system": "nameko", "rpc.service": service, "rpc.method": method},
            record_exception=False, set_status_on_exception=False) as span:
        yield span, carrier() or {}


@contextmanager
def producer_span(event_type: str, fields: dict[str, str] | None) -> Iterator[dict[str, str]]:
    """A span for publishing an event, the child of the work that recorded it (`fields`, kept in its
    envelope); yields the headers that carry it to the handlers."""
    if not _enabled:
        yield headers(fields)
        return
    with tracer.start_as_current_span(f"{event_type} publish", context=propagate.extract(fields or {}),
                                      kind=SpanKind.PRODUCER, attributes={
                                          "messaging.system": "rabbitmq", "messaging.destination.name": event_type}):
        yield headers(carrier())


def fail(span: Span, description: str) -> None:
    span.set_status(Status(StatusCode.ERROR, description))
