"""A handler that keeps failing: bounded retries with backoff, then the dead-letter queue,
where it is listed and can be replayed; nothing is dropped or retried in a hot loop."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

import pika
import pytest

from services.common.deadletters import list_dead_letters, replay_dead_letters
from tests.support import data
from tests.support.metrics import service_metrics, value

pytestmark = pytest.mark.faults


def wait_for_dead_letter(vhost, event_id, replays, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [d for d in list_dead_letters("crm", vhost.uri) if d["event_id"] == event_id]
        if found and found[0]["replays"] == replays:
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"{event_id} not dead-lettered (replays={replays})")


def test_poison_event_is_dead_lettered_listed_and_replayable(stack, vhost, admin, monkeypatch):
    monkeypatch.setenv("RABBITMQ_QUEUE_TYPE", stack.env["RABBITMQ_QUEUE_TYPE"])  # its queues, as the stack has them
    customer = admin.post(f"{stack.url}/v1/customers", json={"name": "毒", "mobile": data.mobile()}).json()
    poison = {"event_id": str(uuid.uuid4()), "type": "sales.visit_checked_in", "version": 1,
              "occurred_at": datetime.now(timezone.utc).isoformat(), "store_id": None, "request_id": None,
              "payload": {"visit_id": "v-poison", "customer_id": customer["id"], "vehicle_id": None,
                          "store_id": None, "mileage_km": None, "needs": []}}  # no checked_in_at: the handler fails
    before = service_metrics(stack, "crm")
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    channel = connection.channel()
    channel.exchange_declare("sales.events", exchange_type="topic", durable=True)
    channel.basic_publish("sales.events", "visit_checked_in", json.dumps(poison),
                          pika.BasicProperties(content_type="application/json", delivery_mode=2))
    connection.close()

    dead = wait_for_dead_letter(vhost, poison["event_id"], replays=0)
    assert dead["attempts"] == 3  # the first try and the two retries of EVENT_RETRY_DELAYS_MS
    assert "checked_in_at" in dead["error"] and dead["queue"].startswith("evt-sales-visit_checked_in--crm.")
    assert list_dead_letters("crm", vhost.uri)  # listing does not consume
    handler, deadline = {"service": "crm", "handler": "on_visit_checked_in"}, time.monotonic() + 5
    while True:  # the counter moves once the broker confirmed the dead letter, a moment after it is listable
        after = service_metrics(stack, "crm")
        if value(after, "service_event_dead_letters_total", **handler) > \
                value(before, "service_event_dead_letters_total", **handler) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for name, moved in (("service_event_retries_total", 2), ("service_event_dead_letters_total", 1),
                        ("service_event_seconds_count", 3)):
        labels = handler | ({"outcome": "error"} if name == "service_event_seconds_count" else {})
        assert value(after, name, **labels) - value(before, name, **labels) == moved, name

    assert replay_dead_letters("crm", vhost.uri) >= 1
    again = wait_for_dead_letter(vhost, poison["event_id"], replays=1)  # went through the handler again
    assert again["attempts"] == 3
    history = admin.get(f"{stack.url}/v1/customers/{customer['id']}/history").json()["items"]
    assert history == []  # a failed handler leaves no half-applied effect
