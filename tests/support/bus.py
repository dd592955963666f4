"""Talking to the suite's RabbitMQ directly from tests: publish another service's fact (as if it
had happened) and listen on a service's event exchange."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pika


def publish(vhost, source: str, fact: str, payload: dict, store_id: str | None = None, *,
            event_id: str | None = None, times: int = 1) -> dict:
    """`<source>.<fact>` with a fresh envelope (store_id defaults to the payload's), `times` times."""
    envelope = {"event_id": event_id or str(uuid.uuid4()), "type": f"{source}.{fact}", "version": 1,
                "occurred_at": datetime.now(timezone.utc).isoformat(),
                "store_id": store_id or payload.get("store_id"), "request_id": None, "payload": payload}
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    try:
        channel = connection.channel()
        channel.exchange_declare(f"{source}.events", exchange_type="topic", durable=True)
        for _ in range(times):
            channel.basic_publish(f"{source}.events", fact, json.dumps(envelope),
                                  pika.BasicProperties(content_type="application/json", delivery_mode=2))
    finally:
        connection.close()
    return envelope


def bind(vhost, exchange: str, *keys: str):
    """An exclusive queue bound to `exchange` for `keys`: (connection, channel, queue name)."""
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    channel = connection.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    for key in keys:
        channel.queue_bind(queue, exchange, routing_key=key)
    return connection, channel, queue
