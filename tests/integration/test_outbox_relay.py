"""The outbox against real PostgreSQL and RabbitMQ: an event whose publish failed at commit
(broker unreachable) stays in the outbox and is delivered by the sweep once the broker is
back, exactly once."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pika
import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from services.common.db import make_engine
from services.common.outbox import OUTBOX, record_event
from services.common.relay import OutboxRelay

UNREACHABLE = "amqp://guest:guest@127.0.0.1:1/"


@pytest.fixture
def engine(migrated):
    engine = make_engine(migrated.urls["inventory"])
    yield engine
    engine.dispose()


def commit_event(engine, payload: dict) -> str:
    session = sessionmaker(bind=engine)()
    session.info.update({"service": "inventory", "context": {"request_id": "req-9"}, "outbox": []})
    envelope = record_event(session, "stock_low", payload, store_id="s1")
    session.commit()
    session.close()
    return envelope["event_id"]


def row(engine, event_id):
    with engine.connect() as conn:
        return conn.execute(select(OUTBOX).where(OUTBOX.c.event_id == event_id)).one()


def drain(channel, queue, wait: float = 1.5) -> list[dict]:
    messages, deadline = [], time.monotonic() + wait
    while time.monotonic() < deadline:
        method, _props, body = channel.basic_get(queue, auto_ack=True)
        if method:
            messages.append(json.loads(body))
        else:
            time.sleep(0.05)
    return messages


def test_event_left_behind_by_a_dead_broker_is_delivered_once_by_the_sweep(engine, vhost):
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    channel = connection.channel()
    channel.exchange_declare("inventory.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "inventory.events", routing_key="stock_low")
    try:
        event_id = commit_event(engine, {"sku": "OIL-5W30"})
        down = OutboxRelay(engine, UNREACHABLE, "inventory", publish_timeout=1)
        assert down.publish_pending([event_id]) == 0
        stuck = row(engine, event_id)
        assert stuck.sent_at is None and stuck.attempts == 1 and stuck.last_error

        up = OutboxRelay(engine, vhost.uri, "inventory")
        assert up.sweep(older_than=timedelta(0)) >= 1
        assert row(engine, event_id).sent_at is not None
        assert up.sweep(older_than=timedelta(0)) == 0  # nothing is sent twice
        delivered = [m for m in drain(channel, queue) if m["event_id"] == event_id]
    finally:
        connection.close()
    assert len(delivered) == 1
    assert delivered[0]["type"] == "inventory.stock_low" and delivered[0]["request_id"] == "req-9"
    assert delivered[0]["payload"] == {"sku": "OIL-5W30"}


def test_just_committed_events_are_relayed_at_once(engine, vhost):
    event_id = commit_event(engine, {"sku": "FILTER-1"})
    relay = OutboxRelay(engine, vhost.uri, "inventory")
    assert relay.publish_pending([event_id]) == 1
    assert relay.publish_pending([event_id]) == 0
    assert row(engine, event_id).sent_at is not None


def test_duplicate_delivery_switch_publishes_every_event_twice(engine, vhost):
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    channel = connection.channel()
    channel.exchange_declare("inventory.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "inventory.events", routing_key="stock_low")
    try:
        event_id = commit_event(engine, {"sku": "TWICE"})
        assert OutboxRelay(engine, vhost.uri, "inventory", copies=2).publish_pending([event_id]) == 1
        delivered = [m for m in drain(channel, queue) if m["event_id"] == event_id]
    finally:
        connection.close()
    assert len(delivered) == 2
