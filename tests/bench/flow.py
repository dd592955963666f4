"""A store set up through the gateway, and the steps of one car up to its work order, for the
benchmarks that need real documents (gateway_read, gateway_write, event_propagation, memory)."""
from __future__ import annotations

import time
import uuid

import requests

from tests.support import data
from tests.support.stack import Stack

PARTS = 10  # distinct parts, so a 10-line quote asks inventory for ten SKUs


def ok(reply: requests.Response) -> dict:
    if reply.status_code not in (200, 201):
        raise RuntimeError(f"{reply.request.method} {reply.url}: {reply.status_code} {reply.text[:300]}")
    return reply.json()


class Shop:
    """A store, its advisor, and PARTS parts in stock."""

    def __init__(self, stack: Stack):
        self.url = stack.url
        self.admin = stack.login()
        self.store_id = ok(self.admin.post(f"{self.url}/v1/stores", json={
            "code": f"B-{uuid.uuid4().hex[:6]}", "name": "广州天河店", "address": "天河路 385 号"}))["id"]
        username = f"advisor-{uuid.uuid4().hex[:6]}"
        ok(self.admin.post(f"{self.url}/v1/users", json={
            "username": username, "password": "Secret-pass-1", "role": "service_advisor",
            "store_ids": [self.store_id]}))
        self.advisor = stack.login(username, "Secret-pass-1")
        self.skus = [f"BENCH-{uuid.uuid4().hex[:6].upper()}" for _ in range(PARTS)]
        for number, sku in enumerate(self.skus):
            ok(self.admin.post(f"{self.url}/v1/parts", json={
                "sku": sku, "name": f"配件 {number}", "category": "oil", "unit": "piece",
                "list_price_fen": 1000 + 100 * number}))
        supplier = ok(self.admin.post(f"{self.url}/v1/suppliers", json={
            "code": f"SUP-{uuid.uuid4().hex[:8]}", "name": "美孚华南"}))
        lines = [{"sku": sku, "qty": 100_000, "unit_cost_fen": 500} for sku in self.skus]
        po = ok(self.admin.post(f"{self.url}/v1/purchase-orders", json={
            "store_id": self.store_id, "supplier_id": supplier["id"], "submit": True, "lines": lines}))
        ok(self.admin.post(f"{self.url}/v1/purchase-orders/{po['id']}/receipts", json={"lines": lines}))

    def visit(self) -> dict:
        """A new customer with a car, checked in."""
        customer = ok(self.advisor.post(f"{self.url}/v1/customers", json={
            "name": "张伟", "mobile": data.mobile(), "marketing_consent": True}))
        vehicle = ok(self.advisor.post(f"{self.url}/v1/customers/{customer['id']}/vehicles", json={
            "plate": data.plate(), "vin": data.vin(), "make": "丰田", "model": "凯美瑞", "mileage_km": 42000}))
        return ok(self.advisor.post(f"{self.url}/v1/visits", json={
            "store_id": self.store_id, "customer_id": customer["id"], "vehicle_id": vehicle["id"],
            "mileage_km": 45000, "needs": ["maintenance"]}))

    def part_lines(self, count: int) -> list[dict]:
        return [{"kind": "part", "sku": self.skus[n % PARTS], "qty": 1} for n in range(count)]

    def approved_quote(self, lines: list[dict]) -> dict:
        """A quote for a new visit with these lines, presented and approved in full."""
        quote = ok(self.advisor.post(f"{self.url}/v1/quotes", json={"visit_id": self.visit()["id"], "lines": lines}))
        q = f"{self.url}/v1/quotes/{quote['id']}"
        ok(self.advisor.post(f"{q}/present"))
        return ok(self.advisor.post(f"{q}/decision", json={
            "approved_line_ids": [line["id"] for line in quote["lines"]], "declined_line_ids": []}))

    def contract(self, quote_id: str) -> dict:
        return ok(self.advisor.post(f"{self.url}/v1/quotes/{quote_id}/contract", json={
            "payment_method": "wechat", "signed_by": "张伟"}))

    def work_order_of(self, order_id: str) -> list[dict]:
        return ok(self.advisor.get(f"{self.url}/v1/work-orders", params={"order_id": order_id}))["items"]

    def wait_work_order(self, order_id: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.work_order_of(order_id)
            if found:
                return found[0]
            time.sleep(0.05)
        raise RuntimeError(f"no work order for order {order_id} within {timeout:g}s")

    def close(self) -> None:
        self.admin.close()
        self.advisor.close()
