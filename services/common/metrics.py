"""Prometheus metrics of a service process, measured where the work is.

`WorkerMetrics` (a nameko dependency every service has through `ServiceBase`) times each RPC and
event-handler worker and counts its outcome, and how long each event waited before its handler took it;
`retries.py` counts retries and dead letters; the outbox sweep sets the backlog gauges (`relay.py`);
`PoolCollector` reads the database pool at scrape time. `app` exposes them, with a process-only liveness
answer, on `METRICS_PORT` (`runner.py`). A service is one process (eventlet workers in it), so one port is
its whole picture.
"""
from __future__ import annotations

import time
from datetime import datetime

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from .errors import DomainError

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

RPC_SECONDS = Histogram("service_rpc_seconds", "RPC handling time, by method and outcome",
                        ["service", "method", "outcome"], buckets=BUCKETS)
EVENT_SECONDS = Histogram("service_event_seconds", "Event handling time, by handler and outcome",
                          ["service", "handler", "outcome"], buckets=BUCKETS)
EVENT_DELAY_SECONDS = Histogram(
    "service_event_delay_seconds", "From an event's occurred_at to its handler starting on it, by handler: what the "
    "event waited in the outbox and in the queue (and its retries' delays); a quorum queue reports no head age",
    ["service", "handler"], buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))
EVENT_RETRIES = Counter("service_event_retries_total", "Failed events sent to a delay queue for a retry",
                        ["service", "handler"])
EVENT_DEAD_LETTERS = Counter("service_event_dead_letters_total", "Events dead-lettered after the last retry",
                             ["service", "handler"])
EVENT_DUPLICATES = Counter("service_event_duplicates_total", "Redelivered events skipped (already processed)",
                           ["service", "handler"])
OUTBOX_BACKLOG = Gauge("service_outbox_backlog", "Outbox rows not yet confirmed by the broker", ["service"])
OUTBOX_OLDEST_SECONDS = Gauge("service_outbox_oldest_seconds", "Age of the oldest unsent outbox row (0: none)",
                              ["service"])
PRUNED_ROWS = Counter("service_pruned_rows_total", "Rows removed by the retention job", ["service", "table"])

OK, REJECTED, ERROR = "ok", "rejected", "error"
"""Outcomes: `rejected` is a DomainError (the caller's mistake, answered 4xx); `error` is anything else."""


def outcome(exc: BaseException | None) -> str:
    if exc is None:
        return OK
    return REJECTED if isinstance(exc, DomainError) else ERROR


class WorkerMetrics(DependencyProvider):
    """Times every RPC and event-handler worker of the service, labelled with its outcome."""

    def worker_setup(self, worker_ctx) -> None:
        worker_ctx.__dict__["metrics_started"] = time.perf_counter()
        if isinstance(worker_ctx.entrypoint, EventHandler) and (delay := event_delay(worker_ctx.args)) is not None:
            EVENT_DELAY_SECONDS.labels(self.container.service_name, worker_ctx.entrypoint.method_name).observe(delay)

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = worker_ctx.__dict__.get("metrics_started")
        if started is None:
            return
        elapsed = time.perf_counter() - started
        entrypoint = worker_ctx.entrypoint
        service = self.container.service_name
        result_of = outcome(exc_info[1] if exc_info else None)
        if isinstance(entrypoint, Rpc):
            RPC_SECONDS.labels(service, entrypoint.method_name, result_of).observe(elapsed)
        elif isinstance(entrypoint, EventHandler):
            EVENT_SECONDS.labels(service, entrypoint.method_name, result_of).observe(elapsed)


def event_delay(args: tuple) -> float | None:
    """Seconds since the envelope's `occurred_at` (none for a payload without one)."""
    envelope = args[0] if args else None
    occurred = envelope.get("occurred_at") if isinstance(envelope, dict) else None
    try:
        return max(time.time() - datetime.fromisoformat(occurred).timestamp(), 0.0) if occurred else None
    except (TypeError, ValueError):
        return None


class PoolCollector:
    """Database pool use at scrape time: connections checked out, pool size, overflow in use."""

    def __init__(self):
        self.engines: dict[str, Engine] = {}

    def watch(self, service: str, engine: Engine) -> None:
        self.engines[service] = engine

    def collect(self):
        families = {
            "checked_out": GaugeMetricFamily("service_db_pool_checked_out", "Connections in use", labels=["service"]),
            "size": GaugeMetricFamily("service_db_pool_size", "Pool size (connections kept)", labels=["service"]),
            "max": GaugeMetricFamily("service_db_pool_max", "Pool size plus allowed overflow", labels=["service"]),
            "overflow": GaugeMetricFamily("service_db_pool_overflow", "Connections opened above the pool size",
                                          labels=["service"]),
        }
        for service, engine in list(self.engines.items()):
            pool = engine.pool
            if not isinstance(pool, QueuePool):  # StaticPool in tests
                continue
            families["checked_out"].add_metric([service], pool.checkedout())
            families["size"].add_metric([service], pool.size())
            families["max"].add_metric([service], pool.size() + max(getattr(pool, "_max_overflow", 0), 0))
            families["overflow"].add_metric([service], max(pool.overflow(), 0))
        yield from families.values()


POOLS = PoolCollector()
REGISTRY.register(POOLS)


def app():
    """WSGI: `/healthz` is liveness, answered by the process alone (no broker, no database: an outage
    of either must not restart every pod); a wedged process, whose event loop no longer runs, does
    not answer. Any other path is the Prometheus exposition."""
    metrics = make_wsgi_app()

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        return metrics(environ, start_response)

    return application
