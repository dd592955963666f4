"""Move the suite's durable queues to the type the code declares them with (`services/common/queues.py`:
quorum), keeping their messages and bindings; `--to classic` moves them back (before running older code).

    AMQP_URI=amqp://user:pass@rabbitmq:5672/vhost python -m deploy.rabbitmq.migrate_queues [--to classic] [--dry-run]

Run it with every service stopped (the gateway may stay: its calls answer 503 meanwhile), then start the
new version; `make run` runs it before it starts the services. It is idempotent and prints what it
changed: a queue already of the right type is left alone, a missing handler or RPC queue is created with
its bindings (so events published before the services start are kept). The queues are those the code
declares (each service's RPC queue and event handler queues, their retry delay queues, its dead-letter
queue), found by setting up the services' entrypoints without a broker; a queue the code no longer
declares is not touched, nor are retry and dead-letter queues created before they are needed.

A queue of the wrong type is moved through `<name>.migrating`: that queue is declared with the target type
and the same bindings, the messages are moved into it (each acknowledged only once the broker confirmed
its copy), the old queue is unbound, emptied and deleted, declared again with the target type and bindings,
and the messages moved back the same way. While both are bound a message reaches both and may be handled
twice (the handlers are idempotent); a retry that expires in the instant the handler's queue is gone would
be dropped, which is why the services (and so their retries) are stopped first.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass

import pika
from pika.exceptions import ChannelClosedByBroker

from services.common import config, queues
from services.common.retries import dead_letter_queue, delay_queue, retry_delays_ms

PRECONDITION_FAILED, NOT_FOUND = 406, 404


@dataclass(frozen=True)
class QueueSpec:
    name: str
    arguments: dict
    bindings: tuple[tuple[str, str], ...]  # (topic exchange, routing key)


def declared_queues() -> list[QueueSpec]:
    """Every durable queue the services declare, with the arguments and bindings the code gives it."""
    from nameko.containers import ServiceContainer
    from nameko.events import EventHandler
    from nameko.rpc import RpcConsumer

    found: dict[str, QueueSpec] = {}

    def add(queue, bound: bool = True) -> None:
        bindings = ((queue.exchange.name, queue.routing_key),) if bound else ()
        found[queue.name] = QueueSpec(queue.name, dict(queue.queue_arguments or {}), bindings)

    for service in config.SERVICES:
        service_class = importlib.import_module(f"services.{service}.service").SERVICE
        container = ServiceContainer(service_class, config={"AMQP_URI": "memory://"})
        for extension in [*container.entrypoints, *container.subextensions]:
            if isinstance(extension, (EventHandler, RpcConsumer)):
                extension.setup()  # computes the queue; nothing connects
                if not extension.queue.durable or extension.queue.exclusive or extension.queue.auto_delete:
                    continue
                add(extension.queue)
                if isinstance(extension, EventHandler):
                    for delay in retry_delays_ms():
                        add(delay_queue(extension.queue.name, delay), bound=False)
        add(dead_letter_queue(service), bound=False)
    return list(found.values())


def as_classic(spec: QueueSpec) -> QueueSpec:
    arguments = {key: value for key, value in spec.arguments.items()
                 if key not in queues.QUORUM and key not in queues.DEAD_LETTERING}
    return QueueSpec(spec.name, arguments, spec.bindings)


class Broker:
    """One connection; a channel the broker closed (a refused declare) is replaced on the next use."""

    def __init__(self, amqp_uri: str):
        self.connection = pika.BlockingConnection(
            [pika.URLParameters(address) for address in config.amqp_addresses(amqp_uri)])
        self._channel = None

    @property
    def channel(self):
        if self._channel is None or not self._channel.is_open:
            self._channel = self.connection.channel()
            self._channel.confirm_delivery()
        return self._channel

    def exists(self, name: str) -> bool:
        try:
            self.channel.queue_declare(name, passive=True)
            return True
        except ChannelClosedByBroker as exc:
            if exc.reply_code != NOT_FOUND:
                raise
            return False

    def has_type(self, spec: QueueSpec) -> bool:
        """Whether the existing queue was declared with these arguments (a declare that differs is refused)."""
        try:
            self.channel.queue_declare(spec.name, durable=True, arguments=spec.arguments)
            return True
        except ChannelClosedByBroker as exc:
            if exc.reply_code != PRECONDITION_FAILED:
                raise
            return False

    def declare(self, spec: QueueSpec, name: str | None = None) -> None:
        self.channel.queue_declare(name or spec.name, durable=True, arguments=spec.arguments)
        for exchange, routing_key in spec.bindings:
            self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
            self.channel.queue_bind(name or spec.name, exchange, routing_key=routing_key)

    def move(self, source: str, destination: str) -> int:
        moved = 0
        while True:
            method, properties, body = self.channel.basic_get(source, auto_ack=False)
            if method is None:
                return moved
            self.channel.basic_publish("", destination, body, properties, mandatory=True)  # confirmed
            self.channel.basic_ack(method.delivery_tag)
            moved += 1

    def drain_and_delete(self, source: str, destination: str, bindings: tuple[tuple[str, str], ...]) -> int:
        """Unbind `source`, move its messages into `destination` until it is empty, then delete it (quorum
        queues know no `if-empty` delete: the count is read right before)."""
        for exchange, routing_key in bindings:
            self.channel.queue_unbind(source, exchange, routing_key=routing_key)
        moved = 0
        while True:
            moved += self.move(source, destination)
            if self.channel.queue_declare(source, passive=True).method.message_count == 0:
                self.channel.queue_delete(source)
                self._channel.close()  # a channel remembers a queue's type by name (RabbitMQ 3.10 fails a
                self._channel = None   # publish to the new queue of the old name on it): the next one is new
                return moved

    def close(self) -> None:
        self.connection.close()


def settle(broker: Broker, spec: QueueSpec, dry_run: bool = False) -> str:
    """Make `spec.name` a queue of the target type; what was done, in a word."""
    if not broker.exists(spec.name):
        if not spec.bindings:  # a retry or dead-letter queue is declared when first needed
            return "kept"
        if not dry_run:
            broker.declare(spec)
        return "created"
    if broker.has_type(spec):
        broker.declare(spec)  # the bindings, idempotent
        return "kept"
    if dry_run:
        return "to migrate"
    holding = f"{spec.name}.migrating"
    broker.declare(spec, holding)
    moved = broker.drain_and_delete(spec.name, holding, spec.bindings)
    broker.declare(spec)
    moved_back = broker.drain_and_delete(holding, spec.name, spec.bindings)
    return f"migrated ({moved} messages, {moved_back} back)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.rabbitmq.migrate_queues", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--to", choices=("quorum", "classic"), default="quorum")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
    args = parser.parse_args(argv)
    specs = declared_queues()
    if args.to == "classic":
        specs = [as_classic(spec) for spec in specs]
    broker = Broker(config.amqp_uri())
    try:
        outcomes = {spec.name: settle(broker, spec, args.dry_run) for spec in specs}
    finally:
        broker.close()
    for name, outcome in outcomes.items():
        if outcome != "kept":
            print(f"{name}: {outcome}")
    print(f"{len(outcomes)} queues {args.to}: {sum(o == 'kept' for o in outcomes.values())} already were",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
