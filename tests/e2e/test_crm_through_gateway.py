"""The foundation's vertical slice, driven over HTTP through the gateway against the real
services, RabbitMQ and PostgreSQL."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

import pika
import pytest
import requests

from services.contracts.crm import CustomerRegistered
from tests.support import data
from tests.support.accounts import create_store, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def store(stack, admin):
    return create_store(stack, admin, "广州天河店")


@pytest.fixture(scope="module")
def other_store(stack, admin):
    return create_store(stack, admin, "深圳南山店")


@pytest.fixture(scope="module")
def advisor(stack, admin, store):
    return make_user(stack, admin, "service_advisor", [store["id"]])


@pytest.fixture(scope="module")
def technician(stack, admin, store):
    return make_user(stack, admin, "technician", [store["id"]])


def new_customer(stack, session, **extra) -> dict:
    body = {"name": "张伟", "mobile": data.mobile(), "gender": "male", "birthday": "1985-04-12",
            "tags": ["vip"], "marketing_consent": True, **extra}
    reply = session.post(f"{stack.url}/v1/customers", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_customer_with_vehicle_round_trip(stack, advisor, store):
    customer = new_customer(stack, advisor)
    assert customer["home_store_id"] == store["id"]  # defaults to the advisor's store
    vin, plate = data.vin(), data.plate(new_energy=True)
    reply = advisor.post(f"{stack.url}/v1/customers/{customer['id']}/vehicles",
                         json={"plate": plate, "vin": vin.lower(), "make": "比亚迪", "model": "汉", "year": 2023,
                               "mileage_km": 12000})
    assert reply.status_code == 201, reply.text
    vehicle = reply.json()
    assert vehicle["vin"] == vin and vehicle["plate"] == plate

    fetched = advisor.get(f"{stack.url}/v1/customers/{customer['id']}").json()
    assert fetched["mobile"] == customer["mobile"] and not fetched["mobile_masked"]
    assert [v["id"] for v in fetched["vehicles"]] == [vehicle["id"]]
    assert advisor.get(f"{stack.url}/v1/vehicles/{vehicle['id']}").json()["customer_id"] == customer["id"]

    by_plate = advisor.get(f"{stack.url}/v1/vehicles", params={"plate": plate}).json()["items"]
    by_vin = advisor.get(f"{stack.url}/v1/vehicles", params={"vin": vin}).json()["items"]
    assert [v["id"] for v in by_plate] == [v["id"] for v in by_vin] == [vehicle["id"]]
    by_plate_search = advisor.get(f"{stack.url}/v1/customers", params={"q": plate}).json()["items"]
    assert [c["id"] for c in by_plate_search] == [customer["id"]]

    patched = advisor.patch(f"{stack.url}/v1/vehicles/{vehicle['id']}", json={"mileage_km": 15000})
    assert patched.status_code == 200 and patched.json()["mileage_km"] == 15000


def test_customer_list_pages_with_a_cursor(stack, advisor):
    tag = f"page-{uuid.uuid4().hex[:6]}"
    created = [new_customer(stack, advisor, tags=[tag])["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        params = {"tag": tag, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = advisor.get(f"{stack.url}/v1/customers", params=params).json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))  # newest first, no gaps, no repeats


def test_search_by_phone_and_name_prefix(stack, advisor):
    name = f"欧阳{uuid.uuid4().hex[:4]}"
    customer = new_customer(stack, advisor, name=name)
    by_phone = advisor.get(f"{stack.url}/v1/customers", params={"phone": customer["mobile"]}).json()["items"]
    by_name = advisor.get(f"{stack.url}/v1/customers", params={"q": name[:4]}).json()["items"]
    assert [c["id"] for c in by_phone] == [customer["id"]]
    assert customer["id"] in [c["id"] for c in by_name]


def test_bad_input_gets_clear_errors(stack, advisor):
    url = f"{stack.url}/v1/customers"
    malformed = advisor.post(url, data=b'{"name": "x",', headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_json"

    bad_phone = advisor.post(url, json={"name": "李雷", "mobile": "12345"})
    assert bad_phone.status_code == 422 and "mobile" in bad_phone.json()["error"]["fields"]

    customer = new_customer(stack, advisor)
    duplicate = advisor.post(url, json={"name": "韩梅梅", "mobile": customer["mobile"]})
    assert duplicate.status_code == 409 and "mobile" in duplicate.json()["error"]["fields"]

    vehicles = f"{url}/{customer['id']}/vehicles"
    bad_plate = advisor.post(vehicles, json={"plate": "粤I12345"})
    assert bad_plate.status_code == 422 and "plate" in bad_plate.json()["error"]["fields"]
    good_vin = data.vin()
    wrong_check = good_vin[:8] + ("1" if good_vin[8] != "1" else "2") + good_vin[9:]
    bad_vin = advisor.post(vehicles, json={"plate": data.plate(), "vin": wrong_check})
    assert bad_vin.status_code == 422 and "check digit" in bad_vin.json()["error"]["fields"]["vin"][0]

    assert requests.get(url, timeout=5).status_code == 401
    unknown = advisor.get(f"{url}/does-not-exist")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert advisor.get(f"{stack.url}/v1/vehicles/does-not-exist").status_code == 404

    huge = advisor.post(url, json={"name": "x" * 2_000_000, "mobile": data.mobile()})
    assert huge.status_code == 413
    for reply in (malformed, bad_phone, duplicate, unknown, huge):
        body = reply.json()
        assert set(body) == {"error", "request_id"} and body["request_id"] == reply.headers["X-Request-ID"]


def test_technician_sees_masked_phone_and_cannot_register(stack, advisor, technician):
    customer = new_customer(stack, advisor)
    seen = technician.get(f"{stack.url}/v1/customers/{customer['id']}").json()
    assert seen["mobile"] == customer["mobile"][:3] + "****" + customer["mobile"][-4:]
    assert seen["mobile_masked"] is True
    listed = technician.get(f"{stack.url}/v1/customers", params={"phone": customer["mobile"]}).json()["items"]
    assert listed[0]["mobile"] == seen["mobile"]
    assert technician.post(f"{stack.url}/v1/customers", json={"name": "x", "mobile": data.mobile()}).status_code == 403


def test_store_scope_is_enforced(stack, advisor, other_store):
    reply = advisor.post(f"{stack.url}/v1/customers",
                         json={"name": "越权", "mobile": data.mobile(), "home_store_id": other_store["id"]})
    assert reply.status_code == 403
    assert advisor.get(f"{stack.url}/v1/users", params={"store_id": other_store["id"]}).status_code == 403
    stores = advisor.get(f"{stack.url}/v1/stores").json()["items"]
    assert other_store["id"] not in [s["id"] for s in stores]


def test_idempotency_key_replays_the_first_answer(stack, advisor):
    body = {"name": "重试", "mobile": data.mobile()}
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = advisor.post(f"{stack.url}/v1/customers", json=body, headers=headers)
    second = advisor.post(f"{stack.url}/v1/customers", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    other_body = advisor.post(f"{stack.url}/v1/customers", json={**body, "name": "别的"}, headers=headers)
    assert other_body.status_code == 409
    found = advisor.get(f"{stack.url}/v1/customers", params={"phone": body["mobile"]}).json()["items"]
    assert len(found) == 1


def test_request_id_is_echoed(stack, advisor):
    reply = advisor.get(f"{stack.url}/v1/me", headers={"X-Request-ID": "req-abc-123"})
    assert reply.status_code == 200 and reply.headers["X-Request-ID"] == "req-abc-123"
    assert reply.json()["role"] == "service_advisor"


def test_disabled_user_token_is_refused(stack, admin, store):
    username = f"cashier-{uuid.uuid4().hex[:6]}"
    created = admin.post(f"{stack.url}/v1/users", json={
        "username": username, "password": "Secret-pass-1", "role": "cashier", "store_ids": [store["id"]]}).json()
    cashier = stack.login(username, "Secret-pass-1")
    assert cashier.get(f"{stack.url}/v1/me").status_code == 200
    assert admin.patch(f"{stack.url}/v1/users/{created['id']}", json={"active": False}).status_code == 200
    # at once, on every gateway worker (each of these may land on either)
    assert {cashier.get(f"{stack.url}/v1/me").status_code for _ in range(8)} == {401}
    assert requests.post(f"{stack.url}/v1/auth/login", json={"username": username, "password": "Secret-pass-1"},
                         timeout=5).status_code == 401


def _bind_queue(amqp_uri: str, exchange: str, routing_key: str):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, exchange, routing_key=routing_key)
    return connection, channel, queue


def _next_message(channel, queue, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method:
            return properties, json.loads(body)
        time.sleep(0.1)
    raise AssertionError("no message arrived")


def test_registration_is_published_as_an_event(stack, vhost, advisor, store):
    connection, channel, queue = _bind_queue(vhost.uri, "crm.events", "customer_registered")
    try:
        reply = advisor.post(f"{stack.url}/v1/customers", json={"name": "事件", "mobile": data.mobile()},
                             headers={"X-Request-ID": "evt-req-1"})
        properties, envelope = _next_message(channel, queue)
    finally:
        connection.close()
    assert envelope["type"] == "crm.customer_registered" and envelope["version"] == 1
    assert envelope["payload"]["customer_id"] == reply.json()["id"]
    assert envelope["store_id"] == store["id"] and envelope["request_id"] == "evt-req-1"
    assert properties.headers["nameko.request_id"] == "evt-req-1"
    assert {"event_id", "occurred_at"} <= set(envelope)
    CustomerRegistered().load(envelope["payload"])  # the payload honours crm's event contract


def test_redelivered_event_is_applied_once(stack, vhost, advisor, store):
    customer = new_customer(stack, advisor)
    vehicle = advisor.post(f"{stack.url}/v1/customers/{customer['id']}/vehicles",
                           json={"plate": data.plate(), "mileage_km": 1000}).json()
    envelope = {"event_id": str(uuid.uuid4()), "type": "sales.visit_checked_in", "version": 1,
                "occurred_at": datetime.now(timezone.utc).isoformat(), "store_id": store["id"], "request_id": None,
                "payload": {"visit_id": "v1", "customer_id": customer["id"], "vehicle_id": vehicle["id"],
                            "store_id": store["id"], "mileage_km": 23456, "needs": ["保养"],
                            "checked_in_at": datetime.now(timezone.utc).isoformat()}}
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    channel = connection.channel()
    channel.exchange_declare("sales.events", exchange_type="topic", durable=True)
    for _ in range(2):
        channel.basic_publish("sales.events", "visit_checked_in", json.dumps(envelope),
                              pika.BasicProperties(content_type="application/json", delivery_mode=2))
    connection.close()
    deadline = time.monotonic() + 10
    while True:
        history = advisor.get(f"{stack.url}/v1/customers/{customer['id']}/history").json()["items"]
        if history or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(1.0)  # give the duplicate every chance to be applied
    history = advisor.get(f"{stack.url}/v1/customers/{customer['id']}/history").json()["items"]
    assert len(history) == 1 and history[0]["kind"] == "visit" and history[0]["summary"] == "保养"
    assert advisor.get(f"{stack.url}/v1/vehicles/{vehicle['id']}").json()["mileage_km"] == 23456


def test_health_metrics_and_openapi(stack):
    assert requests.get(f"{stack.url}/healthz", timeout=5).json()["status"] == "ok"
    ready = requests.get(f"{stack.url}/readyz", timeout=10).json()
    assert ready["services"] == {**dict.fromkeys(("crm", "sales", "workshop", "inventory", "finance"), "ok"),
                                 "identity_db": "ok"}
    metrics = requests.get(f"{stack.url}/metrics", timeout=5).text
    assert "gateway_http_requests_total" in metrics
    spec = requests.get(f"{stack.url}/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.")
    assert {"/v1/customers", "/v1/customers/{customer_id}/vehicles", "/v1/vehicles"} <= set(spec["paths"])
    create = spec["paths"]["/v1/customers"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CustomerCreate"}
    assert "mobile" in spec["components"]["schemas"]["CustomerCreate"]["required"]


def test_service_down_gives_503_quickly_and_recovers(stack, advisor):
    customer = new_customer(stack, advisor)
    stack.stop_service("crm")
    try:
        started = time.monotonic()
        reply = advisor.get(f"{stack.url}/v1/customers/{customer['id']}")
        assert reply.status_code == 503 and time.monotonic() - started < 5
        assert reply.headers["Retry-After"] and reply.json()["error"]["code"] == "service_unavailable"
        ready = requests.get(f"{stack.url}/readyz", timeout=10)
        assert ready.status_code == 503 and "crm" in ready.json()["status"]
    finally:
        stack.start_service("crm")
    stack.wait_ready()
    assert advisor.get(f"{stack.url}/v1/customers/{customer['id']}").status_code == 200


def test_concurrent_registrations_of_one_phone_create_one_customer(stack, advisor):
    from concurrent.futures import ThreadPoolExecutor
    mobile = data.mobile()
    token = advisor.headers["Authorization"]

    def register(i):
        return requests.post(f"{stack.url}/v1/customers", json={"name": f"并发{i}", "mobile": mobile},
                             headers={"Authorization": token}, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(register, range(8)))
    assert statuses == [201] + [409] * 7
    found = advisor.get(f"{stack.url}/v1/customers", params={"phone": mobile}).json()["items"]
    assert len(found) == 1


def test_concurrent_retries_with_one_idempotency_key_create_one_customer(stack, advisor):
    from concurrent.futures import ThreadPoolExecutor
    body = {"name": "双击", "mobile": data.mobile()}
    headers = {"Authorization": advisor.headers["Authorization"], "Idempotency-Key": uuid.uuid4().hex}

    def post(_):
        return requests.post(f"{stack.url}/v1/customers", json=body, headers=headers, timeout=10)

    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(post, range(6)))
    assert {r.status_code for r in replies} <= {201, 409}
    assert len({r.json()["id"] for r in replies if r.status_code == 201}) == 1
    assert len(advisor.get(f"{stack.url}/v1/customers", params={"phone": body["mobile"]}).json()["items"]) == 1
