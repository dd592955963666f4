"""Webhooks in process (SQLite identity, no broker): subscriptions scoped to the caller's stores and refused
for private addresses unless allowed; an event fans out once per subscription of its type and store, however
often the bus hands it over; attempts back off, are given up on after a day, and a subscription that keeps
failing is disabled; redelivery sends again; signatures verify within the replay window only."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, update
from sqlalchemy.orm import sessionmaker

from cryptography.fernet import Fernet, InvalidToken

from gateway.models import WebhookDelivery, WebhookSubscription
from gateway.partners import signing, webhooks
from gateway.partners.deliverer import LEASE, Deliverer, DelivererSettings, queue
from gateway.partners.vault import Vault
from services.common.db import utcnow
from services.common.errors import Invalid
from tests.support.receiver import Receiver


def store(app, code: str) -> str:
    return app.simulate_post("/v1/stores", json={"code": code, "name": f"门店{code}"}).json["id"]


@pytest.fixture
def stores(app):
    return store(app, "WA"), store(app, "WB")


def subscribe(app, store_ids, **body):
    app.deps.settings = dataclasses.replace(app.deps.settings, webhook_allow_private=True)
    reply = app.simulate_post("/v1/webhooks", json={
        "url": "http://127.0.0.1:9/hook", "event_types": ["crm.customer_registered"], "store_ids": store_ids, **body})
    assert reply.status_code == 201, reply.text
    return reply.json


def envelope(store_id: str, event_id: str = "evt-1") -> dict:
    return {"event_id": event_id, "type": "crm.customer_registered", "version": 1, "store_id": store_id,
            "occurred_at": "2026-12-06T08:00:00+00:00",
            "payload": {"customer_id": "C1", "name": "王车主", "home_store_id": store_id, "source": None,
                        "marketing_consent": False, "tags": []}}


def test_a_private_address_is_refused_unless_allowed(app, stores):
    reply = app.simulate_post("/v1/webhooks", json={
        "url": "http://169.254.169.254/latest", "event_types": ["crm.customer_registered"], "store_ids": [stores[0]]})
    assert reply.status_code == 422 and reply.json["error"]["code"] == "webhook_url_refused"
    for url in ("http://127.0.0.1/x", "http://10.0.0.8/x", "http://[::1]/x", "http://localhost/x"):
        with pytest.raises(Invalid):
            webhooks.check_url(url, allow_private=False)
    webhooks.check_url("http://127.0.0.1/x", allow_private=True)


def test_the_secret_is_answered_once_and_types_come_from_the_contracts(app, stores):
    created = subscribe(app, [stores[0]])
    assert len(created["secret"]) >= 32 and created["status"] == "active"
    assert "secret" not in app.simulate_get("/v1/webhooks").json["items"][0]
    bad = app.simulate_post("/v1/webhooks", json={"url": "http://127.0.0.1/x", "event_types": ["crm.nothing"],
                                                  "store_ids": [stores[0]]})
    assert bad.status_code == 422
    assert "sales.order_confirmed" in webhooks.EVENT_TYPES and "finance.payment_received" in webhooks.EVENT_TYPES
    bound = {(b.exchange.name, b.routing_key) for b in queue().bindings}
    assert ("crm.events", "customer_registered") in bound and ("inventory.events", "stock_low") in bound


def test_an_event_reaches_its_stores_subscriptions_once(app, stores):
    a, b = subscribe(app, [stores[0]]), subscribe(app, [stores[1]])
    other_type = subscribe(app, [stores[0]], event_types=["sales.order_confirmed"])
    with app.deps.identity_db() as session, session.begin():
        assert webhooks.fan_out(session, envelope(stores[0])) == 1
        assert webhooks.fan_out(session, envelope(stores[0])) == 0  # handed over twice: still one delivery
    rows = {s["id"]: app.simulate_get(f"/v1/webhooks/{s['id']}/deliveries").json["items"] for s in (a, b, other_type)}
    assert len(rows[a["id"]]) == 1 and rows[b["id"]] == [] and rows[other_type["id"]] == []
    body = json.loads(rows[a["id"]][0]["request_body"])
    assert body["id"] == "evt-1" and body["type"] == "crm.customer_registered" and body["data"]["name"] == "王车主"


def test_attempts_back_off_then_are_given_up_and_the_subscription_disabled(app, stores):
    created = subscribe(app, [stores[0]])
    with app.deps.identity_db() as session, session.begin():
        for n in range(webhooks.DISABLE_AFTER):
            webhooks.fan_out(session, envelope(stores[0], f"evt-{n}"))
    with app.deps.identity_db() as session, session.begin():
        deliveries = session.query(WebhookDelivery).all()
        first = deliveries[0]
        webhooks.record(session, first, 500, "no", None, 12, base_seconds=10, now=first.created_at)
        assert first.status == "pending" and first.next_attempt_at - first.created_at == timedelta(seconds=10)
        webhooks.record(session, first, None, None, "ConnectTimeout", 5000, base_seconds=10, now=first.created_at)
        assert first.next_attempt_at - first.created_at == timedelta(seconds=20)
        for delivery in deliveries:  # a day later
            webhooks.record(session, delivery, 503, "down", None, 3, base_seconds=10,
                            now=delivery.created_at + timedelta(days=1))
            assert delivery.status == "failed"
    listed = app.simulate_get("/v1/webhooks").json["items"][0]
    assert listed["status"] == "disabled" and listed["failures"] == webhooks.DISABLE_AFTER
    told = app.simulate_get("/v1/webhooks", params={"owner": "me", "status": "disabled"}).json["items"]
    assert [w["id"] for w in told] == [created["id"]]  # what the console tells its owner
    assert app.simulate_get("/v1/webhooks", params={"status": "active"}).json["items"] == []
    log = app.simulate_get(f"/v1/webhooks/{created['id']}/deliveries", params={"status": "failed"})
    delivery = log.json["items"][0]
    assert delivery["response_status"] == 503 and delivery["response_body"] == "down"
    again = app.simulate_post(f"/v1/webhooks/{created['id']}/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 200 and again.json["status"] == "pending"
    assert app.simulate_get("/v1/webhooks").json["items"][0]["status"] == "active"


def test_the_secret_is_kept_sealed_and_a_key_rotation_reseals_it(app, stores):
    created = subscribe(app, [stores[0]], secret="the-partners-own-secret-0123")
    assert created["secret"] == "the-partners-own-secret-0123"
    with app.deps.identity_db() as session:
        sealed = session.get(WebhookSubscription, created["id"]).secret
    assert "the-partners-own-secret" not in sealed
    old = app.deps.settings.webhook_secret_keys
    assert Vault(old).open(sealed) == created["secret"]
    new = Fernet.generate_key().decode()
    with app.deps.identity_db() as session, session.begin():
        assert Vault((new, *old)).rotate(session) == 1
    with app.deps.identity_db() as session:
        resealed = session.get(WebhookSubscription, created["id"]).secret
    assert Vault((new,)).open(resealed) == created["secret"]
    with pytest.raises(InvalidToken):
        Vault(old).open(resealed)


def test_store_less_events_reach_chain_wide_subscriptions_only(app, stores):
    of_store = subscribe(app, [stores[0]], event_types=["crm.customer_erased", "crm.customer_registered"])
    chain = subscribe(app, [], chain_wide=True, event_types=["crm.customer_erased", "crm.customer_registered"])
    assert chain["chain_wide"] and chain["store_ids"] == []
    erased = {"event_id": "evt-erased", "type": "crm.customer_erased", "version": 1, "store_id": None,
              "occurred_at": "2026-12-06T08:00:00+00:00",
              "payload": {"customer_id": "C1", "erased_at": "2026-12-06T08:00:00+00:00"}}
    registered = {**envelope(stores[1]), "event_id": "evt-b"}  # a store no store subscription names
    with app.deps.identity_db() as session, session.begin():
        assert webhooks.fan_out(session, erased) == 1 and webhooks.fan_out(session, registered) == 1
    assert [d["event_id"] for d in app.simulate_get(f"/v1/webhooks/{chain['id']}/deliveries").json["items"]] == \
        ["evt-b", "evt-erased"]
    assert app.simulate_get(f"/v1/webhooks/{of_store['id']}/deliveries").json["items"] == []
    body = {"url": "http://127.0.0.1/x", "event_types": ["crm.customer_erased"]}
    refused = app.simulate_post("/v1/webhooks", json=body)
    assert refused.status_code == 422 and list(refused.json["error"]["fields"]) == ["store_ids"]


def test_a_store_manager_sees_and_makes_webhooks_of_their_stores_only(app, stores):
    theirs = subscribe(app, [stores[1]])
    app.simulate_post("/v1/users", json={"username": "mgr-w", "password": "Pa55-word-1", "role": "store_manager",
                                         "store_ids": [stores[0]]})
    token = app.simulate_post("/v1/auth/login", json={"username": "mgr-w", "password": "Pa55-word-1"},
                              headers={"Authorization": ""}).json["access_token"]
    manager = {"Authorization": f"Bearer {token}"}
    body = {"url": "http://127.0.0.1/x", "event_types": ["crm.customer_registered"], "store_ids": [stores[1]]}
    assert app.simulate_post("/v1/webhooks", json=body, headers=manager).status_code == 403
    assert app.simulate_get(f"/v1/webhooks/{theirs['id']}/deliveries", headers=manager).status_code == 403
    assert app.simulate_get("/v1/webhooks", headers=manager).json["items"] == []
    chain = subscribe(app, [], chain_wide=True)
    assert app.simulate_post("/v1/webhooks", json={**body, "store_ids": [stores[0]], "chain_wide": True},
                             headers=manager).status_code == 403
    assert app.simulate_get(f"/v1/webhooks/{chain['id']}/deliveries", headers=manager).status_code == 403


def test_a_signature_verifies_within_the_replay_window_only():
    body = b'{"id":"evt-1"}'
    header = signing.sign("s3cret", body, timestamp=1_700_000_000)
    assert signing.verify("s3cret", body, header, now=1_700_000_100)
    assert not signing.verify("s3cret", body + b" ", header, now=1_700_000_100)
    assert not signing.verify("other", body, header, now=1_700_000_100)
    assert not signing.verify("s3cret", body, header, now=1_700_000_000 + signing.REPLAY_WINDOW_SECONDS + 1)


def test_the_openapi_document_publishes_each_events_payload_from_its_contract(app):
    document = app.simulate_get("/openapi.json").json
    hook = document["x-webhooks"]["crm.customer_registered"]["post"]
    data = hook["requestBody"]["content"]["application/json"]["schema"]["properties"]["data"]["$ref"]
    component = document["components"]["schemas"][data.rsplit("/", 1)[1]]
    assert {"customer_id", "name", "home_store_id"} <= set(component["properties"])
    assert set(document["x-webhooks"]) == set(webhooks.EVENT_TYPES)
    assert hook["parameters"][0]["name"] == signing.HEADER


def test_the_deliverer_posts_signed_and_retries_a_refused_delivery(app, stores):
    receiver = Receiver(fail_first=1)
    try:
        created = subscribe(app, [stores[0]], url=receiver.url)
        receiver.secret = created["secret"]
        deliverer = Deliverer(DelivererSettings(amqp_uri="amqp://unused", database_url=app.deps.settings.database_url,
                                                allow_private=True))
        with app.deps.identity_db() as session, session.begin():
            webhooks.fan_out(session, envelope(stores[0]))
        assert deliverer.send_due() == 1 and deliverer.send_due() == 0  # refused once: due again after the backoff
        with app.deps.identity_db() as session, session.begin():
            session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
        assert deliverer.send_due() == 1
        assert [a["status"] for a in receiver.of("evt-1")] == [500, 200]
        assert all(a["verified"] for a in receiver.of("evt-1")) and receiver.events["evt-1"]["data"]["name"] == "王车主"
        delivered = app.simulate_get(f"/v1/webhooks/{created['id']}/deliveries").json["items"][0]
        assert delivered["status"] == "delivered" and delivered["attempts"] == 2 and delivered["response_status"] == 200
    finally:
        receiver.close()


def test_the_deliverer_is_ready_only_while_consuming_with_its_database_answering(app):
    deliverer = Deliverer(DelivererSettings(amqp_uri="amqp://unused", database_url=app.deps.settings.database_url,
                                            health_port=0))
    assert not deliverer.ready()  # not consuming yet
    deliverer.consuming.set()
    assert deliverer.ready()
    deliverer.sessions = sessionmaker(bind=create_engine("sqlite:////nonexistent/dir/gateway.db"))
    assert not deliverer.ready()


class Message:
    """A kombu message as the deliverer's consumer sees it."""

    def __init__(self):
        self.acked = threading.Event()

    def ack(self):
        self.acked.set()


def running(deliverer: Deliverer) -> threading.Thread:
    """The deliverer's senders' loop in a thread of its own (as `run` starts it), ready."""
    thread = threading.Thread(target=lambda: asyncio.run(deliverer.send_forever()), daemon=True)
    thread.start()
    assert deliverer.sending.wait(10)
    return thread


def stop(deliverer: Deliverer, thread: threading.Thread) -> None:
    deliverer.stopping.set()
    deliverer.loop.call_soon_threadsafe(deliverer.wake.set)
    thread.join(15)


def test_an_event_is_posted_at_once_by_the_deliverer_that_fanned_it_out_and_held_from_the_others(app, stores):
    receiver = Receiver()
    try:
        created = subscribe(app, [stores[0]], url=receiver.url)
        receiver.secret = created["secret"]
        with app.deps.identity_db() as session, session.begin():  # what another replica made and holds
            taken = webhooks.fan_out_held(session, [envelope(stores[0], "evt-held")], LEASE)
            assert [t.event_id for t in taken] == ["evt-held"] and webhooks.claim_due(session, 10, LEASE) == []
        deliverer = Deliverer(DelivererSettings(amqp_uri="amqp://unused", database_url=app.deps.settings.database_url,
                                                allow_private=True, health_port=0))
        thread = running(deliverer)
        try:
            message = Message()
            deliverer.on_message(envelope(stores[0]), message)  # the consumer's callback and its take, no broker
            deliverer.take()
            assert message.acked.is_set()
            deadline = time.monotonic() + 10
            while not [d for d in app.simulate_get(f"/v1/webhooks/{created['id']}/deliveries").json["items"]
                       if d["event_id"] == "evt-1" and d["status"] == "delivered"]:
                assert time.monotonic() < deadline, "never delivered"
                time.sleep(0.05)
            assert [a["status"] for a in receiver.of("evt-1")] == [200] and receiver.of("evt-1")[0]["verified"]
            assert receiver.of("evt-held") == []  # held by the other one until its lease ends
            deliverer.on_message(envelope(stores[0]), Message())  # handed over again: no second post
            deliverer.on_message(envelope(stores[0]), Message())
            deliverer.take()
        finally:
            stop(deliverer, thread)
        assert len(receiver.of("evt-1")) == 1 and deliverer.in_flight == 0
    finally:
        receiver.close()


def test_the_consumer_takes_no_event_while_every_sender_is_busy(app, stores):
    subscribe(app, [stores[0]])
    deliverer = Deliverer(DelivererSettings(amqp_uri="amqp://unused", database_url=app.deps.settings.database_url,
                                            allow_private=True, health_port=0, senders=2))
    thread = running(deliverer)
    try:
        deliverer.in_flight = 2  # two posts under way
        message = Message()
        deliverer.on_message(envelope(stores[0]), message)
        threading.Thread(target=deliverer.take, daemon=True).start()
        assert not message.acked.wait(0.5)  # the event waits in the broker
        with app.deps.identity_db() as session:
            assert session.query(WebhookDelivery).count() == 0
        with deliverer.room:  # one of them answered
            deliverer.in_flight -= 1
            deliverer.room.notify()
        assert message.acked.wait(10)
        with app.deps.identity_db() as session:
            assert session.query(WebhookDelivery).count() == 1
    finally:
        stop(deliverer, thread)
    assert deliverer.in_flight == 1  # its post answered (refused: nobody listens on port 9)


def test_a_batch_of_answers_is_recorded_each_with_its_own(app, stores):
    subscribe(app, [stores[0]])
    with app.deps.identity_db() as session, session.begin():
        for n in range(3):
            webhooks.fan_out(session, envelope(stores[0], f"evt-{n}"))
        ids = [d.id for d in session.query(WebhookDelivery).order_by(WebhookDelivery.event_id)]
        webhooks.record_delivered(session, [(ids[0], 200, "fine", 7), (ids[1], 204, None, 12),
                                            (ids[2], 202, "x" * 900, 3)])
    with app.deps.identity_db() as session:
        rows = {d.id: d for d in session.query(WebhookDelivery)}
        assert [(rows[i].status, rows[i].attempts, rows[i].response_status, rows[i].duration_ms) for i in ids] == [
            ("delivered", 1, 200, 7), ("delivered", 1, 204, 12), ("delivered", 1, 202, 3)]
        assert rows[ids[0]].response_body == "fine" and rows[ids[1]].response_body is None
        assert rows[ids[2]].response_body == "x" * webhooks.RESPONSE_KEPT


def test_the_deliverer_never_posts_to_a_private_address_unless_allowed(app, stores):
    receiver = Receiver()
    try:
        written, named = receiver.url, receiver.url.replace("127.0.0.1", "localhost")  # an address, a name
        for store_id, url in zip(stores, (written, named), strict=True):
            created = subscribe(app, [store_id], url=url)
            with app.deps.identity_db() as session, session.begin():
                webhooks.fan_out(session, envelope(store_id, f"evt-{store_id}"))
            deliverer = Deliverer(DelivererSettings(amqp_uri="amqp://unused",
                                                    database_url=app.deps.settings.database_url, allow_private=False))
            assert deliverer.send_due() == 1
            attempt = app.simulate_get(f"/v1/webhooks/{created['id']}/deliveries").json["items"][0]
            assert attempt["status"] == "pending" and attempt["response_status"] is None and attempt["error"]
        assert receiver.attempts == []
    finally:
        receiver.close()
