"""AMQP delivery choices for RPC, and the reply path of every service's RPC entrypoints.

An RPC reply is only useful to a caller that is still waiting: if the broker loses it,
the caller times out and retries. So replies are published transient and without
publisher confirms, which halves the cost of a hop (see shared notes/rpc-latency.md).
Events are different: they go through the outbox, persistent and confirmed.

nameko's own responder builds a kombu `Connection`, borrows a pooled producer and serialises
the result twice for every reply; that is about a quarter of a service's time per RPC
(tests/bench/README.md). Here each service process keeps one reply connection for its whole
life, serialises once, and still retries a publish over a reconnect (kombu's `ensure`, nameko's
retry policy), then acks the request only after its reply left, as nameko does.
"""
from __future__ import annotations

import sys
import threading

import kombu.serialization
from kombu import Connection, Producer
from nameko import messaging as nameko_messaging
from nameko import rpc as nameko_rpc
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_RETRY_POLICY, DEFAULT_TRANSPORT_OPTIONS,
                              LOGIN_METHOD_CONFIG_KEY, NON_PERSISTENT, TRANSPORT_OPTIONS_CONFIG_KEY)
from nameko.exceptions import UnserializableValueError, serialize

from .queues import replicated


class ReplyPublisher:
    """One broker connection per service process for RPC replies: transient, no confirms,
    retried over a reconnect. Workers take turns on it (frames of two replies never interleave)."""

    def __init__(self, config: dict):
        self.connection = Connection(
            config[AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            transport_options=config.get(TRANSPORT_OPTIONS_CONFIG_KEY) or DEFAULT_TRANSPORT_OPTIONS.copy())
        self.exchange = nameko_rpc.get_rpc_exchange(config)
        self.producer = Producer(self.connection, exchange=self.exchange, auto_declare=False)
        self._turn = threading.Lock()  # green under eventlet's monkey patching

    def publish(self, body: bytes, content_type: str, content_encoding: str, routing_key: str,
                correlation_id: str | None) -> None:
        with self._turn:
            self.producer.publish(body, content_type=content_type, content_encoding=content_encoding,
                                  exchange=self.exchange, routing_key=routing_key, correlation_id=correlation_id,
                                  delivery_mode=NON_PERSISTENT, retry=True, retry_policy=DEFAULT_RETRY_POLICY)

    def close(self) -> None:
        self.connection.release()


def encode_reply(result, exc_info, content_type: str):
    """The reply body `{"result", "error"}` in the request's encoding, serialised once; a result
    that cannot be serialised becomes an `UnserializableValueError` (nameko's rule).
    Returns (result, exc_info, (content_type, content_encoding, body))."""
    serializer = kombu.serialization.registry.type_to_name[content_type]
    error = serialize(exc_info[1]) if exc_info is not None else None
    try:
        encoded = kombu.serialization.dumps({"result": result, "error": error}, serializer)
    except Exception:
        exc_info = sys.exc_info()
        error, result = serialize(UnserializableValueError(result)), None
        encoded = kombu.serialization.dumps({"result": None, "error": error}, serializer)
    return result, exc_info, encoded


class RpcQueueConsumer(nameko_messaging.QueueConsumer):
    """nameko's queue consumer for the RPC queue alone (its own connection: requests never wait behind
    event deliveries). nameko hands each message to a new green thread whose only job is to spawn the
    worker, a second switch per call; here a request goes straight to its worker while the worker
    pool has room, and through that thread only when it is full (the consume loop never blocks)."""

    def handle_message(self, provider, body, message):
        if self.container._worker_pool.free():
            provider.handle_message(body, message)
        else:
            super().handle_message(provider, body, message)


class RpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's RPC consumer with the reply path above, on its own queue consumer; its queue a quorum queue."""

    queue_consumer = RpcQueueConsumer()

    def setup(self):
        super().setup()
        replicated(self.queue)  # declared when the queue consumer starts, after every setup
        self.replies = ReplyPublisher(self.container.config)

    def stop(self):
        super().stop()
        self.replies.close()

    def handle_result(self, message, result, exc_info):
        result, exc_info, (content_type, content_encoding, body) = encode_reply(
            result, exc_info, message.properties["content_type"])
        self.replies.publish(body, content_type, content_encoding, message.properties["reply_to"],
                             message.properties.get("correlation_id"))
        self.queue_consumer.ack_message(message)
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator
