"""Counting the RPCs a request makes, on the wire (benchmarks and tests)."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pika

from gateway.rpc import RPC_EXCHANGE


class RpcTap(threading.Thread):
    """Counts every RPC request published to nameko's RPC exchange on the vhost, by `service.method`.

    A queue of its own bound with `#` gets a copy of every message on the exchange; requests are the
    ones with a `reply_to` (replies have none). Nothing is taken from the services' queues."""

    def __init__(self, amqp_uri: str):
        super().__init__(name="rpc-tap", daemon=True)
        self.parameters = pika.URLParameters(amqp_uri)
        self.counts: Counter[str] = Counter()
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        connection = pika.BlockingConnection(self.parameters)
        channel = connection.channel()
        channel.exchange_declare(RPC_EXCHANGE, exchange_type="topic", durable=True)
        queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        channel.queue_bind(queue, RPC_EXCHANGE, routing_key="#")
        channel.basic_consume(queue, self._on_message, auto_ack=True)
        self.ready.set()
        while not self.stopping.is_set():
            connection.process_data_events(time_limit=0.1)
        connection.close()

    def _on_message(self, _channel, method, properties, _body) -> None:
        if properties.reply_to:
            with self._lock:
                self.counts[method.routing_key] += 1

    def __enter__(self) -> "RpcTap":
        self.start()
        if not self.ready.wait(10):
            raise RuntimeError("RPC tap did not start")
        return self

    def __exit__(self, *_exc) -> None:
        self.stopping.set()
        self.join(timeout=5)

    def take(self, settle: float = 0.3) -> Counter[str]:
        """The requests counted since the last take (after letting the broker deliver the copies)."""
        time.sleep(settle)
        with self._lock:
            counts, self.counts = self.counts, Counter()
        return counts
