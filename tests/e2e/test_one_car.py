"""One car, end to end (ARCHITECTURE.md): every step over HTTP through the gateway, each by
the role that does it in a store, against the five real services, RabbitMQ and PostgreSQL.
At the end stock, ledger, commissions, KPIs, customer history and order status agree."""
from __future__ import annotations

from datetime import datetime

import pytest

from tests.support import data
from tests.support.one_car import SHANGHAI, Store, eventually, new_part, ok, stock_of, timed_loop

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(stack, admin):
    return Store(stack, admin)


@pytest.fixture(scope="module")
def part(stack, admin, shop):
    """A part with stock received on a purchase order at a known cost."""
    return new_part(stack, admin, shop)


def test_one_car_from_appointment_to_resolved_complaint(stack, admin, record_property):
    _figures, seconds = timed_loop(stack, admin)
    record_property("loop_seconds", round(seconds, 1))


def test_a_cancellation_midway_releases_parts_refunds_the_deposit_and_cancels_the_work(stack, shop, part):
    url, advisor = stack.url, shop.advisor
    customer = ok(advisor.post(f"{url}/v1/customers", json={"name": "李娜", "mobile": data.mobile()}))
    vehicle = ok(advisor.post(f"{url}/v1/customers/{customer['id']}/vehicles", json={"plate": data.plate()}))
    visit = ok(advisor.post(f"{url}/v1/visits", json={
        "store_id": shop.id, "customer_id": customer["id"], "vehicle_id": vehicle["id"], "mileage_km": 60000,
        "needs": ["maintenance"]}))
    quote = ok(advisor.post(f"{url}/v1/quotes", json={"visit_id": visit["id"]}))
    q = f"{url}/v1/quotes/{quote['id']}"
    ok(advisor.post(f"{q}/lines", json={"kind": "labour", "description": "更换机油", "hours": 0.5}))
    quote = ok(advisor.post(f"{q}/lines", json={"kind": "part", "sku": part, "qty": 2}))
    ok(advisor.post(f"{q}/present"))
    ok(advisor.post(f"{q}/decision", json={"approved_line_ids": [line["id"] for line in quote["lines"]],
                                           "declined_line_ids": []}))
    before = float(stock_of(stack, shop.manager, shop.id, part)["reserved"])
    order = ok(advisor.post(f"{q}/contract", json={"payment_method": "alipay", "deposit_fen": 5000,
                                                   "deposit_reference": "ALI-DEP", "signed_by": "李娜"}), 201)
    [wo] = eventually(lambda: ok(advisor.get(f"{url}/v1/work-orders", params={"order_id": order["id"]}))["items"],
                      bool, "work order opened")
    eventually(lambda: float(stock_of(stack, shop.manager, shop.id, part)["reserved"]), lambda r: r == before + 2,
               "parts reserved")

    cancelled = ok(advisor.post(f"{url}/v1/orders/{order['id']}/cancel", json={"reason": "客户改期"}))
    assert cancelled["state"] == "cancelled"
    eventually(lambda: ok(advisor.get(f"{url}/v1/work-orders/{wo['id']}"))["status"], lambda s: s == "cancelled",
               "work order cancelled")
    eventually(lambda: float(stock_of(stack, shop.manager, shop.id, part)["reserved"]), lambda r: r == before,
               "reservation released")
    balance = ok(shop.manager.get(f"{url}/v1/ledger/trial-balance", params={"store_id": shop.id}))
    assert balance["balanced"] is True
    refunds = eventually(
        lambda: ok(shop.manager.get(f"{url}/v1/reports/daily-close", params={
            "store_id": shop.id, "date": datetime.now(SHANGHAI).date().isoformat()})),
        lambda close: close["refunds"].get("alipay", 0) == 5000, "deposit refunded to the original method")
    assert refunds["takings"]["alipay"] == 5000 and refunds["open_receivables_fen"] == 0
