"""The partner API through the gateway (two gunicorn workers) against the real services, RabbitMQ and
PostgreSQL, with the webhook deliverer as its own process: a revoked key is refused at once on every
worker; a read-scoped key cannot write; a key over its rate is answered 429 with the headers; a webhook
for store A gets A's events signed, retried after each 500 until its receiver takes it, once per event
id, and never store B's; the delivery log shows the attempts and a redelivery sends it again."""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.support import data
from tests.support.accounts import create_store
from tests.support.one_car import ok
from tests.support.receiver import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stores(stack, admin):
    return (create_store(stack, admin, f"合作A{uuid.uuid4().hex[:4]}")["id"],
            create_store(stack, admin, f"合作B{uuid.uuid4().hex[:4]}")["id"])


def key(stack, admin, store_id: str, scopes: list[str], **extra) -> dict:
    return ok(admin.post(f"{stack.url}/v1/api-keys", json={
        "name": "车队对接", "scopes": scopes, "store_ids": [store_id], **extra}))


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def until(fetch, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (value := fetch()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)
    return value


def test_a_revoked_key_is_refused_at_once_on_every_worker(stack, admin, stores):
    created = key(stack, admin, stores[0], ["customers:read"])
    fresh = [requests.get(f"{stack.url}/v1/customers", headers=bearer(created["secret"]), timeout=10)
             for _ in range(6)]
    assert {reply.status_code for reply in fresh} == {200}
    ok(admin.post(f"{stack.url}/v1/api-keys/{created['id']}/revoke"))
    # new connections each time: gunicorn hands them to either worker
    after = [requests.get(f"{stack.url}/v1/customers", headers=bearer(created["secret"]), timeout=10)
             for _ in range(12)]
    assert {reply.status_code for reply in after} == {401}


def test_a_read_key_cannot_write_and_a_key_over_its_rate_waits(stack, admin, stores):
    reader = key(stack, admin, stores[0], ["customers:read"], rate_per_minute=2)["secret"]
    refused = requests.post(f"{stack.url}/v1/customers", headers=bearer(reader), timeout=10, json={
        "name": "车队客户", "mobile": data.mobile(), "home_store_id": stores[0]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "api_key_scope"
    replies = [requests.get(f"{stack.url}/v1/customers", headers=bearer(reader), timeout=10) for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert int(replies[-1].headers["Retry-After"]) >= 1 and replies[-1].headers["RateLimit-Remaining"] == "0"
    writer = key(stack, admin, stores[0], ["customers:write"])["secret"]
    assert requests.post(f"{stack.url}/v1/customers", headers=bearer(writer), timeout=10, json={
        "name": "车队客户", "mobile": data.mobile(), "home_store_id": stores[1]}).status_code == 403  # not its store
    usage = [k for k in ok(admin.get(f"{stack.url}/v1/api-keys"))["items"] if k["prefix"] == reader[:12]][0]["usage"]
    assert {"method": "GET", "route": "/v1/customers", "calls": 2} == {
        name: usage[0][name] for name in ("method", "route", "calls")}


def test_a_webhook_gets_its_stores_events_signed_retried_and_once(stack, admin, stores):
    receiver = Receiver(fail_first=3)
    try:
        hook = ok(admin.post(f"{stack.url}/v1/webhooks", json={
            "url": receiver.url, "event_types": ["crm.customer_registered"], "store_ids": [stores[0]]}))
        receiver.secret = hook["secret"]
        ours = ok(admin.post(f"{stack.url}/v1/customers", json={
            "name": "合作客户", "mobile": data.mobile(), "home_store_id": stores[0]}))
        theirs = ok(admin.post(f"{stack.url}/v1/customers", json={
            "name": "别店客户", "mobile": data.mobile(), "home_store_id": stores[1]}))
        event = until(lambda: next((e for e in receiver.events.values() if e["data"]["customer_id"] == ours["id"]),
                                   None), "the customer's event received")
        attempts = receiver.of(event["id"])
        assert [a["status"] for a in attempts] == [500, 500, 500, 200] and all(a["verified"] for a in attempts)
        assert event["type"] == "crm.customer_registered" and event["version"] == 1
        assert event["store_id"] == stores[0] and event["data"]["name"] == "合作客户"
        log = until(lambda: [d for d in ok(admin.get(f"{stack.url}/v1/webhooks/{hook['id']}/deliveries"))["items"]
                             if d["event_id"] == event["id"] and d["status"] == "delivered"], "the delivery logged")
        assert log[0]["attempts"] == 4 and log[0]["response_status"] == 200
        ok(admin.post(f"{stack.url}/v1/webhooks/{hook['id']}/deliveries/{log[0]['id']}/redeliver"))
        until(lambda: len(receiver.of(event["id"])) == 5, "the redelivery")
        assert len([e for e in receiver.events if e == event["id"]]) == 1  # de-duplicated by its id
        time.sleep(2)
        assert not [a for a in receiver.attempts if a["body"]["data"].get("customer_id") == theirs["id"]]
    finally:
        receiver.close()


def test_the_deliverer_answers_its_probes(stack):
    """What compose's healthcheck and the kubelet ask: alive, and ready while it consumes and its database
    answers (this stack's deliverer, started with its own WEBHOOK_HEALTH_PORT)."""
    probes = f"http://127.0.0.1:{stack.webhooks_health_port}"
    deadline = time.monotonic() + 30
    while requests.get(f"{probes}/readyz", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, "the deliverer never became ready"
        time.sleep(0.5)
    assert requests.get(f"{probes}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{probes}/metrics", timeout=5).status_code == 404
