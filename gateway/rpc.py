"""A thread-safe nameko RPC client for the gateway, speaking nameko's AMQP wire format
with pika (see shared notes/rpc-latency.md for why not `ClusterRpcProxy`).

A pool of long-lived connections, each with its own exclusive reply queue; a request
thread borrows one for the duration of a call, so many calls are in flight at once and no
request ever opens a connection of its own. Requests are transient with a TTL equal to
the timeout: a request nobody took in time expires instead of running late. A dead
connection is dropped and replaced on the next call, so the gateway recovers by itself
when RabbitMQ comes back.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass

import pika
from pika.adapters.utils.connection_workflow import AMQPConnectorException
from pika.exceptions import AMQPError, StreamLostError
from prometheus_client import Counter, Histogram

from services.common import tracing
from services.common.config import amqp_addresses
from services.common.errors import DOMAIN_ERRORS

log = logging.getLogger(__name__)

RPC_SECONDS = Histogram("gateway_rpc_seconds", "RPC round trip from the gateway, by service, method and outcome",
                        ["service", "method", "outcome"],
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
RPC_UNAVAILABLE = Counter("gateway_rpc_unavailable_total",
                          "RPCs unanswered: timeout, no instance running, or broker unreachable",
                          ["service", "reason"])

RPC_EXCHANGE = "nameko-rpc"
CLOSE_SECONDS = 1.0
"""How long closing a connection waits for the broker's answer before the socket is dropped (pika's close has no
timeout of its own: a broker that stopped answering would hold the request thread for ever)."""


class ServiceUnavailable(Exception):
    """The service did not answer in time, or the broker cannot be reached. `kind` (a metric label):
    `timeout`, `no_instance` or `broker`."""

    def __init__(self, service: str, reason: str, kind: str = "broker"):
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason
        self.kind = kind


@dataclass
class RemoteError(Exception):
    """An exception raised inside the service, as nameko serialised it."""
    service: str
    exc_type: str
    message: str
    args_: list

    def __str__(self) -> str:
        return f"{self.service}: {self.exc_type}: {self.message}"


class _NotSent(Exception):
    """Publishing failed: the request never left, so it is safe to try another connection."""


class _Connection:
    """One broker connection, its channel and reply queue; used by one thread at a time."""

    def __init__(self, parameters: list[pika.ConnectionParameters], setup_seconds: float):
        self.connection = pika.BlockingConnection(parameters)  # the handshake is bounded by stack_timeout
        deadline = self._drop_after(setup_seconds)  # so are the channel and its queue
        try:
            self.channel = self.connection.channel()
            self.channel.exchange_declare(RPC_EXCHANGE, exchange_type="topic", durable=True)
            self.reply_queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            self.channel.queue_bind(self.reply_queue, RPC_EXCHANGE, routing_key=self.reply_queue)
            self.channel.basic_consume(self.reply_queue, self._on_reply, auto_ack=True)
        except BaseException:
            self.close()
            raise
        self.connection._impl.ioloop.remove_timeout(deadline)
        self.channel.add_on_return_callback(self._on_return)
        self.replies: dict[str, dict] = {}
        self.expected: str | None = None

    @property
    def usable(self) -> bool:
        return self.connection.is_open and self.channel.is_open

    def _on_reply(self, _channel, _method, properties, body: bytes) -> None:
        if properties.correlation_id == self.expected:  # a late reply to an abandoned call is dropped
            self.replies[properties.correlation_id] = json.loads(body)

    def _on_return(self, _channel, _method, properties, _body) -> None:
        if properties.correlation_id == self.expected:
            self.replies[properties.correlation_id] = {"unroutable": True}

    def call(self, service: str, method: str, kwargs: dict, headers: dict, timeout: float) -> dict:
        correlation_id = uuid.uuid4().hex
        self.expected = correlation_id
        deadline = time.monotonic() + timeout  # from the call, not from when the publish returned: a thread
        try:                                   # that waited after publishing would wait a reply late too
            self._publish(service, method, kwargs, headers, timeout, correlation_id)
        except (AMQPError, OSError) as exc:
            raise _NotSent from exc
        try:
            while correlation_id not in self.replies:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ServiceUnavailable(service, f"no answer within {timeout:g}s", "timeout")
                self.connection.process_data_events(time_limit=min(remaining, 0.5))
            reply = self.replies.pop(correlation_id)
        except (AMQPError, OSError) as exc:
            self.close()
            raise ServiceUnavailable(service, f"broker connection lost ({exc.__class__.__name__})") from exc
        finally:
            self.expected = None
            self.replies.clear()
        if reply.get("unroutable"):
            raise ServiceUnavailable(service, "no instance is running", "no_instance")
        return reply

    def _publish(self, service, method, kwargs, headers, timeout, correlation_id) -> None:
        self.channel.basic_publish(
            RPC_EXCHANGE, f"{service}.{method}",
            json.dumps({"args": [], "kwargs": kwargs}, ensure_ascii=False, default=str).encode(),
            pika.BasicProperties(
                reply_to=self.reply_queue, correlation_id=correlation_id,
                content_type="application/json", content_encoding="utf-8", delivery_mode=1,
                expiration=str(int(timeout * 1000)), headers=headers, timestamp=int(time.time())),
            mandatory=True)

    def close(self) -> None:
        """Closed gracefully if the broker answers within CLOSE_SECONDS, else dropped."""
        try:
            if self.connection.is_open:
                self._drop_after(CLOSE_SECONDS)
                self.connection.close()
        except Exception:  # closing a broken connection may raise; it is gone either way
            pass

    def _drop_after(self, seconds: float) -> object:
        """Drop the socket without a word to the broker unless the wait in progress (a close, a channel's opening)
        ended within `seconds`: it then ends as on a lost connection. The timer is the I/O loop's own (a
        BlockingConnection's `call_later` fires only in `process_data_events`, never inside a blocking wait) and
        pika's call to drop a socket is its heartbeat checker's, not public: tests/integration/test_rpc_client.py
        holds both to their word against a broker that stops answering."""
        impl = self.connection._impl

        def drop() -> None:  # as pika's own heartbeat checker ends a silent connection
            if not impl.is_closed:
                impl._terminate_stream(StreamLostError(f"the broker did not answer within {seconds:g}s"))
        return impl.ioloop.call_later(seconds, drop)


class RpcClient:
    """`client.call("crm", "get_customer", context, customer_id=...)` -> the method's result."""

    def __init__(self, amqp_uri: str, *, timeout: float = 3.0, max_idle: int = 32,
                 connect_timeout: float = 2.0):
        self.parameters = [pika.URLParameters(address) for address in amqp_addresses(amqp_uri)]  # tried in turn
        for parameters in self.parameters:
            parameters.heartbeat = 0  # idle pooled connections must not be dropped by the broker
            parameters.connection_attempts = 1
            parameters.socket_timeout = connect_timeout
            parameters.stack_timeout = connect_timeout  # TCP and the AMQP handshake together
            parameters.blocked_connection_timeout = timeout
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._idle: queue.LifoQueue[_Connection] = queue.LifoQueue(maxsize=max_idle)
        self._opened = 0
        self._lock = threading.Lock()

    def _borrow(self, service: str) -> _Connection:
        while True:
            try:
                connection = self._idle.get_nowait()
            except queue.Empty:
                break
            if connection.usable:
                return connection
            connection.close()
        try:
            connection = _Connection(self.parameters, self.connect_timeout)
        except (AMQPError, AMQPConnectorException, OSError) as exc:  # the latter: no handshake within stack_timeout
            raise ServiceUnavailable(service, f"message broker unreachable ({exc.__class__.__name__})") from exc
        with self._lock:
            self._opened += 1
        return connection

    def _give_back(self, connection: _Connection) -> None:
        if not connection.usable:
            connection.close()
            return
        try:
            self._idle.put_nowait(connection)
        except queue.Full:
            connection.close()

    def call(self, service: str, method: str, context: dict | None = None,
             timeout: float | None = None, **kwargs):
        started, outcome = time.perf_counter(), "error"
        with tracing.client_span(service, method) as (span, trace_fields):
            try:
                result = self._call(service, method, {**(context or {}), **trace_fields}, timeout, **kwargs)
                outcome = "ok"
                return result
            except ServiceUnavailable as exc:
                outcome = "unavailable"
                RPC_UNAVAILABLE.labels(service, exc.kind).inc()
                tracing.fail(span, exc.kind)
                raise
            except RemoteError as exc:
                outcome = "rejected" if exc.exc_type in DOMAIN_ERRORS else "error"
                if outcome == "error":
                    tracing.fail(span, exc.exc_type)
                raise
            finally:
                span.set_attribute("rpc.outcome", outcome)
                RPC_SECONDS.labels(service, method, outcome).observe(time.perf_counter() - started)

    def _call(self, service: str, method: str, headers_data: dict, timeout: float | None, **kwargs):
        headers = {f"nameko.{key}": value for key, value in headers_data.items() if value is not None}
        limit = timeout or self.timeout
        for attempt in (1, 2):
            connection = self._borrow(service)
            try:
                reply = connection.call(service, method, kwargs, headers, limit)
            except _NotSent as exc:  # a pooled connection died while idle: the broker dropped them all
                connection.close()
                self._discard_idle()
                if attempt == 2:
                    raise ServiceUnavailable(service, "message broker unreachable") from exc
                continue
            except ServiceUnavailable:
                # Not reused: a channel opened while a cluster node was going down can keep sending to a queue
                # leader that is gone, losing every request without an error (RabbitMQ 3.10, seen in
                # tests/faults/test_cluster_node_killed.py); a new connection reaches the new leader.
                connection.close()
                raise
            self._give_back(connection)
            break
        error = reply.get("error")
        if error:
            raise RemoteError(service, error.get("exc_type", "Exception"), error.get("value", ""),
                              error.get("exc_args") or [])
        return reply.get("result")

    def _discard_idle(self) -> None:
        """A broker restart or a dropped network kills every pooled connection at once, so
        after one fails to send, none of the idle ones is trusted: the retry opens a fresh one."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    @property
    def connections_opened(self) -> int:
        return self._opened

    def close(self) -> None:
        self._discard_idle()
