"""The stream process's one consumer of the bus: a thread that takes every contracted event from a queue of
its own (exclusive, gone with the process; no queue per client) and hands it to the hub on the event loop."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
import uuid

from kombu import Connection, Exchange, Queue, binding

from services.contracts import EVENTS

from .hub import Hub

log = logging.getLogger(__name__)


def queue() -> Queue:
    """This process's queue, bound to every contracted event of every source; transient notices, no acks."""
    facts = sorted({(source, fact) for source, fact, _version in EVENTS})
    return Queue(f"gateway.stream.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}", durable=False,
                 exclusive=True, auto_delete=True, no_ack=True, bindings=[
                     binding(Exchange(f"{source}.events", type="topic", durable=True), routing_key=fact)
                     for source, fact in facts])


class BusConsumer:
    def __init__(self, amqp_uri: str, hub: Hub, loop: asyncio.AbstractEventLoop):
        self.amqp_uri = amqp_uri
        self.hub = hub
        self.loop = loop
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="stream-bus", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)

    def on_message(self, body, message) -> None:
        envelope = body if isinstance(body, dict) else json.loads(body)
        self.loop.call_soon_threadsafe(self.hub.publish, envelope)

    @staticmethod
    def drain(connection) -> None:
        """What arrived within a second, then a heartbeat if one is due: after every drain, not only a quiet one —
        this consumer sends nothing else, and a broker that hears no heartbeat for two intervals (60 s) while
        events keep coming closes the connection (every stream ended, a bench saw it)."""
        try:
            connection.drain_events(timeout=1)
        except socket.timeout:
            pass
        connection.heartbeat_check()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                with Connection(self.amqp_uri, heartbeat=30) as connection, connection.Consumer(
                        queue(), callbacks=[self.on_message], accept=["json"], no_ack=True):
                    self.loop.call_soon_threadsafe(self.hub.connected, True)
                    while not self.stopping.is_set():
                        self.drain(connection)
            except Exception as exc:  # the broker went away: every stream ends, then connect again
                log.warning("stream consumer lost the broker", extra={"error": repr(exc)})
                self.loop.call_soon_threadsafe(self.hub.connected, False)
                self.stopping.wait(2)
