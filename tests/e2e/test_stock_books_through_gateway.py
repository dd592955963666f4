"""The books follow the stock, end to end (gateway, inventory, finance, RabbitMQ, PostgreSQL): stock
moves every way a store moves it — purchase receipt, issue to a completed work order, adjustments
out and in, a customer return, a stocktake with a loss and a gain, a transfer shipped to another
store and received short — and after each move, once the events are booked,
`GET /v1/ledger/reconciliation` shows every store's inventory account equal to its stock valuation,
its goods in transit equal to what is shipped to it, and its debits equal to its credits."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from tests.e2e.test_inventory_through_gateway import order_confirmed, publish
from tests.support.accounts import create_store, make_user
from tests.support.one_car import eventually, ok

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stores(stack, admin):
    gz, sz = create_store(stack, admin, "广州天河店")["id"], create_store(stack, admin, "深圳南山店")["id"]
    return {"gz": gz, "sz": sz, "gz_manager": make_user(stack, admin, "store_manager", [gz]),
            "sz_manager": make_user(stack, admin, "store_manager", [sz])}


def reconciled(stack, session, store_id: str, what: str) -> dict:
    """The store's reconciliation once every difference is zero (the events booked), and its
    trial balance balanced."""
    def read():
        return ok(session.get(f"{stack.url}/v1/ledger/reconciliation", params={"store_id": store_id}))

    result = eventually(read, lambda r: r["ok"] and [s["store_id"] for s in r["stores"]] == [store_id],
                        f"books reconciled with the stock after {what}")
    balance = ok(session.get(f"{stack.url}/v1/ledger/trial-balance", params={"store_id": store_id}))
    assert balance["balanced"] and balance["total_debit_fen"] == balance["total_credit_fen"]
    return {item["code"]: item for item in result["stores"][0]["invariants"]}


def value_of(stack, session, store_id: str) -> int:
    [row] = ok(session.get(f"{stack.url}/v1/stock/valuation", params={"store_id": store_id}))["stores"]
    return row["value_fen"]


def test_every_stock_movement_is_booked_and_the_reconciliation_holds_after_each(stack, admin, vhost, stores):
    url, gz, sz = stack.url, stores["gz"], stores["sz"]
    gz_manager, sz_manager = stores["gz_manager"], stores["sz_manager"]
    skus = [f"BOOK-{uuid.uuid4().hex[:8].upper()}" for _ in range(2)]
    for sku in skus:
        ok(admin.post(f"{url}/v1/parts", json={"sku": sku, "name": "前刹车片", "category": "brake", "unit": "set",
                                               "list_price_fen": 68_000}))
    filters, pads = skus
    supplier = ok(admin.post(f"{url}/v1/suppliers", json={"code": f"SUP-{uuid.uuid4().hex[:6]}",
                                                          "name": "广州博世汽配"}))

    def both(what: str) -> tuple[dict, dict]:
        return reconciled(stack, gz_manager, gz, what), reconciled(stack, sz_manager, sz, what)

    # a purchase receipt: Dr 1405 · Cr 2209 goods received not invoiced, at the receipt's cost
    po = ok(gz_manager.post(f"{url}/v1/purchase-orders", json={
        "store_id": gz, "supplier_id": supplier["id"], "submit": True,
        "lines": [{"sku": filters, "qty": 10, "unit_cost_fen": 1_234},
                  {"sku": pads, "qty": 3, "unit_cost_fen": 33_333}]}))
    ok(gz_manager.post(f"{url}/v1/purchase-orders/{po['id']}/receipts", json={
        "lines": [{"sku": filters, "qty": 10}, {"sku": pads, "qty": 3}]}))
    here, _there = both("a receipt")
    stock_value = value_of(stack, gz_manager, gz)
    assert here["inventory_account_equals_stock_value"]["left_fen"] == 12_340 + 99_999 == stock_value

    # issued to a completed work order: the cost of sale, booked once
    order_id = f"ord-{uuid.uuid4().hex}"
    publish(vhost.uri, "sales", "order_confirmed", [order_confirmed(order_id, gz, [(filters, 3)])])
    eventually(lambda: ok(gz_manager.get(f"{url}/v1/stock", params={"store_id": gz, "sku": filters}))["items"][0],
               lambda line: line["reserved"] == 3, "parts reserved")
    publish(vhost.uri, "workshop", "work_order_completed", [{
        "work_order_id": f"wo-{order_id}", "order_id": order_id, "store_id": gz, "customer_id": "c-1", "jobs": [],
        "parts_used": [{"sku": filters, "qty": 3}], "comeback": False,
        "completed_at": datetime.now(timezone.utc).isoformat()}])
    eventually(lambda: value_of(stack, gz_manager, gz), lambda value: value == 12_340 + 99_999 - 3_702, "issued")
    both("an issue to a work order")

    # adjustments out and in, and a customer's return
    for qty, reason in ((-1, "damaged"), (2, "found"), (1, "customer_return")):
        ok(gz_manager.post(f"{url}/v1/stock/adjustments", json={"store_id": gz, "sku": filters, "qty": qty,
                                                                 "reason": reason}), (200, 201))
        both(f"an adjustment ({reason})")

    # a stocktake: one filter missing, one set of pads found
    take = ok(gz_manager.post(f"{url}/v1/stocktakes", json={"store_id": gz}))
    ok(gz_manager.post(f"{url}/v1/stocktakes/{take['id']}/counts", json={
        "counts": [{"sku": filters, "qty": 8}, {"sku": pads, "qty": 4}]}))
    posted = ok(gz_manager.post(f"{url}/v1/stocktakes/{take['id']}/post", json={}))
    assert sorted(line["variance_qty"] for line in posted["lines"] if line["sku"] in skus) == [-1, 1]
    both("a stocktake")

    # a transfer to Shenzhen: shipped (in transit at Shenzhen), then received one short
    transfer = ok(sz_manager.post(f"{url}/v1/transfers", json={"from_store_id": gz, "to_store_id": sz, "lines": [
        {"sku": filters, "qty": 4}, {"sku": pads, "qty": 2}]}))
    shipped = ok(gz_manager.post(f"{url}/v1/transfers/{transfer['id']}/ship", json={}))
    in_transit = sum(line["shipped_value_fen"] for line in shipped["lines"])
    _here, there = both("a transfer shipped")
    assert there["in_transit_account_equals_stock_in_transit"]["left_fen"] == in_transit > 0
    ok(sz_manager.post(f"{url}/v1/transfers/{transfer['id']}/receive", json={
        "lines": [{"sku": filters, "qty": 3}, {"sku": pads, "qty": 2}]}))
    here, there = both("a transfer received short")
    assert there["in_transit_account_equals_stock_in_transit"]["left_fen"] == 0
    assert there["inventory_account_equals_stock_value"]["left_fen"] == value_of(stack, sz_manager, sz) > 0
    assert here["inventory_account_equals_stock_value"]["right_fen"] == value_of(stack, gz_manager, gz)

    # HQ reads every store in one request; a store manager only their own
    chain = ok(admin.get(f"{url}/v1/ledger/reconciliation"))
    assert {gz, sz} <= {store["store_id"] for store in chain["stores"]}
    assert gz_manager.get(f"{url}/v1/ledger/reconciliation", params={"store_id": sz}).status_code == 403
    assert "/v1/ledger/reconciliation" in ok(admin.get(f"{url}/openapi.json"))["paths"]
