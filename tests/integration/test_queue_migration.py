"""A deployment whose queues are still classic (as the code declared them before quorum queues) is moved
by `deploy/rabbitmq/migrate_queues.py`: every durable queue becomes a quorum queue with its messages and
bindings, a second run changes nothing, and `--to classic` moves them back."""
from __future__ import annotations

import subprocess

import pika
import pytest

from deploy.rabbitmq import migrate_queues
from tests.support.infra import Vhost

pytestmark = pytest.mark.integration


@pytest.fixture
def old_vhost():
    host = Vhost().create()
    yield host
    host.drop()


def queue_types(vhost: Vhost) -> dict[str, str]:
    listed = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost.name, "--no-table-headers",
                             "name", "type"], check=True, capture_output=True, text=True).stdout
    return dict(line.split("\t") for line in listed.splitlines() if line.strip())


def waiting(vhost: Vhost, queue: str) -> int:
    """Messages in `queue` now (rabbitmqctl's counts of a quorum queue lag by seconds)."""
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()


def run(vhost: Vhost, monkeypatch, *args: str) -> None:
    monkeypatch.setenv("AMQP_URI", vhost.uri)
    assert migrate_queues.main(list(args)) == 0


def test_classic_queues_become_quorum_with_their_messages_and_bindings(old_vhost, monkeypatch, capsys):
    every_spec = migrate_queues.declared_queues()
    assert {"rpc-crm", "deadletter.finance"} <= {spec.name for spec in every_spec}
    assert all(spec.arguments["x-queue-type"] == "quorum" for spec in every_spec)
    # one service's queues (its RPC, handler, delay and dead-letter queues) are moved: all 172 twice over made
    # and dropped 688 quorum queues, during which the shared broker answered nobody for 44 s
    specs = [spec for spec in every_spec if spec.name.endswith("inventory") or "--inventory." in spec.name]
    monkeypatch.setattr(migrate_queues, "declared_queues", lambda: specs)
    handler = next(spec for spec in specs if spec.name.startswith("evt-sales-order_confirmed--inventory."))
    connection = pika.BlockingConnection(pika.URLParameters(old_vhost.uri))
    channel = connection.channel()
    channel.confirm_delivery()
    broker = migrate_queues.Broker(old_vhost.uri)
    for spec in specs:  # the old deployment: classic queues, one message waiting in a handler's queue
        broker.declare(migrate_queues.as_classic(spec))
    broker.close()
    [(exchange, key)] = handler.bindings
    channel.basic_publish(exchange, key, b'{"event_id": "e-waiting"}', pika.BasicProperties(delivery_mode=2))
    connection.close()
    assert queue_types(old_vhost)[handler.name] == "classic" and waiting(old_vhost, handler.name) == 1

    run(old_vhost, monkeypatch)
    assert queue_types(old_vhost) == {spec.name: "quorum" for spec in specs}  # no `.migrating` queue left
    assert waiting(old_vhost, handler.name) == 1  # the waiting message kept
    assert f"{handler.name}: migrated (1 messages, 1 back)" in capsys.readouterr().out

    connection = pika.BlockingConnection(pika.URLParameters(old_vhost.uri))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(exchange, key, b'{"event_id": "e-after"}', pika.BasicProperties(delivery_mode=2))
    connection.close()
    assert waiting(old_vhost, handler.name) == 2  # still bound to its exchange

    run(old_vhost, monkeypatch)  # idempotent
    assert capsys.readouterr().out == ""
    run(old_vhost, monkeypatch, "--to", "classic")
    assert set(queue_types(old_vhost).values()) == {"classic"} and waiting(old_vhost, handler.name) == 2
