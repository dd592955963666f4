"""Metrics where the work is: a part created and received through the gateway moves the gateway's
RPC histogram, inventory's RPC histogram, finance's event-handler histogram (stock_valued), and each
service exports its outbox backlog and database pool gauges on its METRICS_PORT."""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.support.metrics import scrape, service_metrics, value

pytestmark = pytest.mark.e2e


def ok(reply, status: int = 200) -> dict:
    assert reply.status_code == status, reply.text
    return reply.json()


def test_a_request_through_the_gateway_moves_the_rpc_event_and_outbox_metrics(stack, admin):
    gateway_before = scrape(f"{stack.url}/metrics")
    inventory_before = service_metrics(stack, "inventory")
    finance_before = service_metrics(stack, "finance")

    store = ok(admin.post(f"{stack.url}/v1/stores", json={"code": f"MT-{uuid.uuid4().hex[:6]}", "name": "指标店"}), 201)
    username = f"mgr-{uuid.uuid4().hex[:8]}"
    ok(admin.post(f"{stack.url}/v1/users", json={"username": username, "password": "Secret-pass-1",
                                                  "role": "store_manager", "store_ids": [store["id"]]}), 201)
    manager = stack.login(username, "Secret-pass-1")
    sku = f"MT-{uuid.uuid4().hex[:8]}"
    ok(admin.post(f"{stack.url}/v1/parts", json={"sku": sku, "name": "机油滤清器", "category": "filter",
                                                 "unit": "piece", "list_price_fen": 6800}), 201)
    supplier = ok(admin.post(f"{stack.url}/v1/suppliers", json={"code": f"SUP-{uuid.uuid4().hex[:6]}",
                                                                "name": "广州汽配"}), 201)
    po = ok(manager.post(f"{stack.url}/v1/purchase-orders", json={
        "store_id": store["id"], "supplier_id": supplier["id"], "submit": True,
        "lines": [{"sku": sku, "qty": 4, "unit_cost_fen": 3000}]}), 201)
    ok(manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts", json={"lines": [{"sku": sku, "qty": 4}]}),
       201)
    assert admin.get(f"{stack.url}/v1/parts/no-such-part").status_code == 404

    gateway = scrape(f"{stack.url}/metrics")
    rpc = {"service": "inventory", "method": "create_part", "outcome": "ok"}
    assert value(gateway, "gateway_rpc_seconds_count", **rpc) >= \
        value(gateway_before, "gateway_rpc_seconds_count", **rpc) + 1
    missing = {"service": "inventory", "method": "get_part", "outcome": "rejected"}
    assert value(gateway, "gateway_rpc_seconds_count", **missing) >= \
        value(gateway_before, "gateway_rpc_seconds_count", **missing) + 1
    assert value(gateway, "gateway_rpc_seconds_bucket", le="+Inf", **rpc) >= 1

    inventory = service_metrics(stack, "inventory")
    assert value(inventory, "service_rpc_seconds_count", **rpc) == value(inventory_before, "service_rpc_seconds_count",
                                                                          **rpc) + 1
    assert value(inventory, "service_rpc_seconds_count", **missing) >= \
        value(inventory_before, "service_rpc_seconds_count", **missing) + 1
    assert ("service_outbox_backlog", frozenset({"service": "inventory"}.items())) in inventory
    assert ("service_outbox_oldest_seconds", frozenset({"service": "inventory"}.items())) in inventory
    assert value(inventory, "service_db_pool_size", service="inventory") >= 1

    handled = {"service": "finance", "handler": "on_stock_valued", "outcome": "ok"}
    deadline = time.monotonic() + 30
    while True:
        finance = service_metrics(stack, "finance")
        if value(finance, "service_event_seconds_count", **handled) > \
                value(finance_before, "service_event_seconds_count", **handled):
            break
        assert time.monotonic() < deadline, "finance never handled the receipt's stock_valued"
        time.sleep(0.3)
    assert ("service_outbox_backlog", frozenset({"service": "finance"}.items())) in finance
    waited = {"service": "finance", "handler": "on_stock_valued"}
    taken = value(finance, "service_event_delay_seconds_count", **waited) - \
        value(finance_before, "service_event_delay_seconds_count", **waited)
    assert taken >= 1  # the event's age when taken: under 60 s here, never negative
    assert value(finance, "service_event_delay_seconds_bucket", le="60.0", **waited) - \
        value(finance_before, "service_event_delay_seconds_bucket", le="60.0", **waited) == taken


def test_a_service_answers_liveness_on_its_metrics_port(stack):
    reply = requests.get(f"http://127.0.0.1:{stack.metrics_ports['crm']}/healthz", timeout=5)
    assert reply.status_code == 200 and reply.text == "ok\n"
