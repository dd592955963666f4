"""Inventory end to end: the real gateway, inventory service, RabbitMQ and PostgreSQL.
Purchasing and receipts, reservations driven by sales/workshop events, shortage filled by a
receipt, issue at moving average cost, a transfer received in part, a stocktake with
variances, bad input, store scope, a race for the last units, and the ledger check after it all."""
from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import pika
import pytest

from services.contracts import EVENTS
from tests.support.accounts import create_store, make_user

pytestmark = pytest.mark.e2e


# -- helpers -------------------------------------------------------------------------------------------
def ok(reply, status=200) -> dict:
    assert reply.status_code == status, reply.text
    return reply.json()


class Events:
    """A private queue bound to `inventory.events`: what the service published, by fact."""

    def __init__(self, amqp_uri: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.exchange_declare("inventory.events", exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, "inventory.events", routing_key="#")
        self.seen: list[dict] = []

    def _drain(self):
        while True:
            method, _props, body = self.channel.basic_get(self.queue, auto_ack=True)
            if not method:
                return
            envelope = json.loads(body)
            EVENTS[(*envelope["type"].split("."), envelope["version"])]().load(envelope["payload"])  # its contract
            self.seen.append(envelope)

    def wait_for(self, fact: str, timeout: float = 15.0, **match) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._drain()
            for envelope in self.seen:
                if envelope["type"] == f"inventory.{fact}" and all(
                        envelope["payload"].get(k) == v for k, v in match.items()):
                    return envelope
            time.sleep(0.2)
        raise AssertionError(f"no inventory.{fact} {match}; seen {[e['type'] for e in self.seen]}")

    def all(self, fact: str, **match) -> list[dict]:
        self._drain()
        return [e for e in self.seen if e["type"] == f"inventory.{fact}"
                and all(e["payload"].get(k) == v for k, v in match.items())]

    def close(self):
        self.connection.close()


def publish(amqp_uri: str, source: str, fact: str, payloads: list[dict]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare(f"{source}.events", exchange_type="topic", durable=True)
    for payload in payloads:
        envelope = {"event_id": str(uuid.uuid4()), "type": f"{source}.{fact}", "version": 1,
                    "occurred_at": datetime.now(timezone.utc).isoformat(), "store_id": payload["store_id"],
                    "request_id": None, "payload": payload}
        channel.basic_publish(f"{source}.events", fact, json.dumps(envelope),
                              pika.BasicProperties(content_type="application/json", delivery_mode=2))
    connection.close()


def order_confirmed(order_id, store_id, lines, promised_at=None) -> dict:
    now = datetime.now(timezone.utc).isoformat()
    return {"order_id": order_id, "order_number": f"SO-{order_id[-6:]}", "store_id": store_id, "quote_id": "q-1",
            "customer_id": "c-1", "promised_at": promised_at, "confirmed_at": now,
            "totals": {"subtotal_fen": 0, "discount_fen": 0, "tax_fen": 0, "total_fen": 0},
            "lines": [{"line_id": f"l{i}", "kind": "part", "description": sku, "sku": sku, "qty": qty,
                       "unit_price_fen": 9900, "discount_fen": 0, "tax_rate": "0.13", "tax_fen": 0,
                       "total_fen": 9900} for i, (sku, qty) in enumerate(lines)]}


def stock_line(stack, session, store_id, sku) -> dict:
    [line] = ok(session.get(f"{stack.url}/v1/stock", params={"store_id": store_id, "sku": sku}))["items"]
    return line


def wait_until(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


# -- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chain(stack, admin):
    gz, sz = create_store(stack, admin, "广州天河店"), create_store(stack, admin, "深圳南山店")
    return {"gz": gz, "sz": sz,
            "gz_manager": make_user(stack, admin, "store_manager", [gz["id"]]),
            "sz_manager": make_user(stack, admin, "store_manager", [sz["id"]]),
            "gz_technician": make_user(stack, admin, "technician", [gz["id"]])}


@pytest.fixture
def events(vhost):
    listener = Events(vhost.uri)
    yield listener
    listener.close()


def new_part(stack, admin, **extra) -> dict:
    body = {"sku": f"E2E-{uuid.uuid4().hex[:8]}", "name": "博世 机油滤清器", "brand": "博世", "category": "filter",
            "oe_number": f"OE{uuid.uuid4().hex[:8]}", "unit": "piece", "list_price_fen": 6800, **extra}
    return ok(admin.post(f"{stack.url}/v1/parts", json=body), 201)


@pytest.fixture(scope="module")
def supplier(stack, admin):
    return ok(admin.post(f"{stack.url}/v1/suppliers", json={
        "code": f"SUP-{uuid.uuid4().hex[:6]}", "name": "广州博世汽配", "contact_name": "陈经理",
        "phone": "020-38881234",
        "lead_time_days": 2}), 201)


def purchase(stack, session, store_id, supplier_id, lines, **extra) -> dict:
    return ok(session.post(f"{stack.url}/v1/purchase-orders", json={
        "store_id": store_id, "supplier_id": supplier_id, "submit": True,
        "lines": [{"sku": sku, "qty": qty, "unit_cost_fen": cost} for sku, qty, cost in lines], **extra}), 201)


def receive(stack, session, po_id, lines, **extra) -> dict:
    return ok(session.post(f"{stack.url}/v1/purchase-orders/{po_id}/receipts", json={"lines": lines, **extra}), 201)


# -- the journey ---------------------------------------------------------------------------------------
def test_purchase_reserve_shortage_fill_issue_transfer_stocktake_and_ledger(stack, admin, vhost, chain, supplier,
                                                                            events):
    gz, sz, manager = chain["gz"]["id"], chain["sz"]["id"], chain["gz_manager"]
    part = new_part(stack, admin)
    sku = part["sku"]
    found = ok(manager.get(f"{stack.url}/v1/parts", params={"q": part["oe_number"]}))["items"]
    assert [p["id"] for p in found] == [part["id"]]

    # PO → receipts raise stock and the moving average cost
    po = purchase(stack, manager, gz, supplier["id"], [(sku, 10, 2000)])
    assert po["status"] == "ordered" and stock_line(stack, manager, gz, sku)["on_order"] == 10
    ok(manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts",
                    json={"lines": [{"sku": sku, "qty": 6}], "delivery_note": "送货单 0001"}), 201)
    ok(manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts",
                    json={"lines": [{"sku": sku, "qty": 4, "unit_cost_fen": 2500}]}), 201)
    assert ok(manager.get(f"{stack.url}/v1/purchase-orders/{po['id']}"))["status"] == "received"
    level = stock_line(stack, manager, gz, sku)
    assert (level["on_hand"], level["on_order"], level["value_fen"], level["avg_cost_fen"]) == (10, 0, 22000, 2200)

    # a confirmed order reserves; a second one is short, then filled by the next receipt
    first, second = f"ord-{uuid.uuid4().hex}", f"ord-{uuid.uuid4().hex}"
    publish(vhost.uri, "sales", "order_confirmed", [order_confirmed(first, gz, [(sku, 7)])])
    reserved = events.wait_for("stock_reserved", order_id=first)
    assert reserved["store_id"] == gz and reserved["payload"]["lines"][0]["qty_reserved"] == 7
    publish(vhost.uri, "sales", "order_confirmed", [order_confirmed(second, gz, [(sku, 5)])])
    shortage = events.wait_for("stock_shortage", order_id=second)
    assert shortage["payload"]["lines"][0] == {"sku": sku, "qty_requested": 5, "qty_reserved": 3, "qty_short": 2}
    level = stock_line(stack, manager, gz, sku)
    assert (level["reserved"], level["available"]) == (10, 0)
    waiting = ok(manager.get(f"{stack.url}/v1/stock/reservations", params={"store_id": gz, "waiting": "true"}))
    assert [r["order_id"] for r in waiting["items"]] == [second]

    refill = purchase(stack, manager, gz, supplier["id"], [(sku, 4, 2200)])
    receive(stack, manager, refill["id"], [{"sku": sku, "qty": 4}])
    events.wait_for("stock_reserved", order_id=second)
    level = stock_line(stack, manager, gz, sku)
    assert (level["on_hand"], level["reserved"], level["available"]) == (14, 12, 2)

    # the completed work order issues what was used at cost and releases the rest
    publish(vhost.uri, "workshop", "work_order_completed", [{
        "work_order_id": f"wo-{first}", "order_id": first, "store_id": gz, "customer_id": "c-1", "jobs": [],
        "parts_used": [{"sku": sku, "qty": 5}], "comeback": False,
        "completed_at": datetime.now(timezone.utc).isoformat()}])
    issued = events.wait_for("stock_issued", order_id=first)["payload"]
    assert issued["lines"] == [{"sku": sku, "qty": 5, "unit_cost_fen": 2200, "cost_fen": 11000}]
    assert issued["cost_fen"] == 11000 and issued["work_order_id"] == f"wo-{first}"
    level = wait_until(lambda: (lv := stock_line(stack, manager, gz, sku))["reserved"] == 5 and lv)
    assert (level["on_hand"], level["reserved"], level["available"]) == (9, 5, 4)

    # the cancelled order releases everything it held
    publish(vhost.uri, "sales", "order_cancelled", [{"order_id": second, "store_id": gz, "reason": "客户改期",
                                                     "cancelled_at": datetime.now(timezone.utc).isoformat()}])
    level = wait_until(lambda: (lv := stock_line(stack, manager, gz, sku))["reserved"] == 0 and lv)
    assert (level["on_hand"], level["available"]) == (9, 9)

    # a transfer to Shenzhen, received in part: the difference is a discrepancy, cost moves with the goods
    sz_manager = chain["sz_manager"]
    transfer = ok(sz_manager.post(f"{stack.url}/v1/transfers", json={
        "from_store_id": gz, "to_store_id": sz, "lines": [{"sku": sku, "qty": 3}]}), 201)
    assert sz_manager.post(f"{stack.url}/v1/transfers/{transfer['id']}/ship", json={}).status_code == 403
    shipped = ok(manager.post(f"{stack.url}/v1/transfers/{transfer['id']}/ship", json={}))
    assert shipped["status"] == "shipped" and shipped["lines"][0]["shipped_value_fen"] == 6600
    received = ok(sz_manager.post(f"{stack.url}/v1/transfers/{transfer['id']}/receive",
                                  json={"lines": [{"sku": sku, "qty": 2}], "notes": "少到一件"}))
    assert received["status"] == "partially_received"
    assert (received["lines"][0]["discrepancy_qty"], received["lines"][0]["discrepancy_value_fen"]) == (1, 2200)
    there = stock_line(stack, sz_manager, sz, sku)
    assert (there["on_hand"], there["value_fen"]) == (2, 4400)
    assert stock_line(stack, manager, gz, sku)["on_hand"] == 6

    # a stocktake finds one missing; goods received after the count are not a variance
    stocktake = ok(manager.post(f"{stack.url}/v1/stocktakes", json={"store_id": gz, "category": "filter"}), 201)
    ok(chain["gz_technician"].post(f"{stack.url}/v1/stocktakes/{stocktake['id']}/counts",
                                   json={"counts": [{"sku": sku, "qty": 5, "location": "A-01"}]}))
    late = purchase(stack, manager, gz, supplier["id"], [(sku, 2, 2200)])
    receive(stack, manager, late["id"], [{"sku": sku, "qty": 2}])
    posted = ok(manager.post(f"{stack.url}/v1/stocktakes/{stocktake['id']}/post", json={}))
    [line] = [line for line in posted["lines"] if line["sku"] == sku]
    assert (line["variance_qty"], line["variance_value_fen"]) == (-1, -2200)
    assert stock_line(stack, manager, gz, sku)["on_hand"] == 7
    kinds = [m["kind"] for m in ok(manager.get(f"{stack.url}/v1/stock/movements",
                                               params={"store_id": gz, "sku": sku}))["items"]]
    assert kinds == ["stocktake_variance", "receipt", "transfer_out", "issue", "receipt", "receipt", "receipt"]

    # valuation and the ledger check after all of it
    value = ok(manager.get(f"{stack.url}/v1/stock/valuation", params={"store_id": gz}))
    assert value["stores"][0]["value_fen"] == stock_line(stack, manager, gz, sku)["value_fen"] == 7 * 2200
    check = ok(admin.get(f"{stack.url}/v1/stock/ledger-check"))
    assert check["ok"], check["problems"]
    assert check["movements"] >= 8


def test_bad_input_is_refused_clearly_and_changes_nothing(stack, admin, chain, supplier):
    gz, manager = chain["gz"]["id"], chain["gz_manager"]
    sku = new_part(stack, admin)["sku"]
    po = purchase(stack, manager, gz, supplier["id"], [(sku, 5, 1000)])
    before = ok(manager.get(f"{stack.url}/v1/stock/movements", params={"store_id": gz}))["items"]

    negative = manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts",
                            json={"lines": [{"sku": sku, "qty": -2}]})
    assert negative.status_code == 422 and "qty" in negative.json()["error"]["fields"]["lines"]["0"]
    too_precise = manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts",
                               json={"lines": [{"sku": sku, "qty": 1.0005}]})
    assert too_precise.status_code == 422
    unknown = manager.post(f"{stack.url}/v1/purchase-orders", json={
        "store_id": gz, "supplier_id": supplier["id"], "lines": [{"sku": "NO-SUCH-SKU", "qty": 1, "unit_cost_fen": 1}]})
    assert unknown.status_code == 422
    assert "NO-SUCH-SKU" in unknown.json()["error"]["fields"]["lines"]["0"]["sku"][0]
    over = manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts",
                        json={"lines": [{"sku": sku, "qty": 6}]})
    assert over.status_code == 409 and "more than ordered" in over.json()["error"]["message"]
    float_money = manager.post(f"{stack.url}/v1/parts", json={"sku": "X-1", "name": "x", "category": "c",
                                                               "list_price_fen": 12.5})
    assert float_money.status_code == 422 and "list_price_fen" in float_money.json()["error"]["fields"]
    duplicate = admin.post(f"{stack.url}/v1/parts", json={"sku": sku.lower(), "name": "重复", "category": "filter",
                                                          "list_price_fen": 1})
    assert duplicate.status_code == 409 and "sku" in duplicate.json()["error"]["fields"]
    assert manager.get(f"{stack.url}/v1/purchase-orders/nope").status_code == 404

    after = ok(manager.get(f"{stack.url}/v1/stock/movements", params={"store_id": gz}))["items"]
    assert after == before
    level = stock_line(stack, manager, gz, sku)
    assert (level["on_hand"], level["on_order"]) == (0, 5)
    assert ok(manager.get(f"{stack.url}/v1/purchase-orders/{po['id']}"))["status"] == "ordered"


def test_receipt_retried_with_the_same_idempotency_key_is_booked_once(stack, admin, chain, supplier):
    gz, manager = chain["gz"]["id"], chain["gz_manager"]
    sku = new_part(stack, admin)["sku"]
    po = purchase(stack, manager, gz, supplier["id"], [(sku, 5, 1000)])
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    url = f"{stack.url}/v1/purchase-orders/{po['id']}/receipts"
    first = ok(manager.post(url, json={"lines": [{"sku": sku, "qty": 3}]}, headers=headers), 201)
    again = ok(manager.post(url, json={"lines": [{"sku": sku, "qty": 3}]}, headers=headers), 201)
    assert first["id"] == again["id"]
    assert stock_line(stack, manager, gz, sku)["on_hand"] == 3


def test_stores_see_and_change_only_their_own_stock(stack, admin, chain, supplier):
    gz, sz = chain["gz"]["id"], chain["sz"]["id"]
    sz_manager, technician = chain["sz_manager"], chain["gz_technician"]
    sku = new_part(stack, admin)["sku"]
    po = purchase(stack, chain["gz_manager"], gz, supplier["id"], [(sku, 1, 1000)])
    assert sz_manager.get(f"{stack.url}/v1/stock", params={"store_id": gz}).status_code == 403
    assert sz_manager.get(f"{stack.url}/v1/purchase-orders/{po['id']}").status_code == 403
    assert sz_manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts",
                           json={"lines": [{"sku": sku, "qty": 1}]}).status_code == 403
    assert technician.post(f"{stack.url}/v1/purchase-orders", json={
        "store_id": gz, "supplier_id": supplier["id"], "lines": [{"sku": sku, "qty": 1, "unit_cost_fen": 1}]
    }).status_code == 403
    part_id = ok(admin.get(f"{stack.url}/v1/parts", params={"sku": sku}))["items"][0]["id"]
    assert sz_manager.patch(f"{stack.url}/v1/parts/{part_id}", json={"list_price_fen": 1}).status_code == 403
    assert ok(admin.patch(f"{stack.url}/v1/parts/{part_id}", json={"list_price_fen": 7200}))["list_price_fen"] == 7200
    own = ok(sz_manager.get(f"{stack.url}/v1/stock"))  # defaults to the manager's one store
    assert all(line["store_id"] == sz for line in own["items"])
    assert sz_manager.get(f"{stack.url}/v1/stock/ledger-check", params={"store_id": sz}).json()["ok"]


def test_batches_expiring_soon_are_listed_and_issued_first(stack, admin, vhost, chain, supplier, events):
    gz, manager = chain["gz"]["id"], chain["gz_manager"]
    sku = new_part(stack, admin, name="制动液 DOT4", category="fluid", unit="bottle", batch_tracked=True,
                   hazardous=True)["sku"]
    po = purchase(stack, manager, gz, supplier["id"], [(sku, 5, 3000)])
    soon, later = (date.today() + timedelta(days=10)).isoformat(), (date.today() + timedelta(days=500)).isoformat()
    missing = manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts",
                           json={"lines": [{"sku": sku, "qty": 2}]})
    assert missing.status_code == 422 and "batch_no" in missing.json()["error"]["fields"]["lines"]["0"]
    ok(manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts", json={"lines": [
        {"sku": sku, "qty": 3, "batch_no": "L2025A", "expiry_date": later},
        {"sku": sku, "qty": 2, "batch_no": "L2024Z", "expiry_date": soon}]}), 201)
    expiring = ok(manager.get(f"{stack.url}/v1/stock/expiring-batches", params={"store_id": gz, "days": 30}))
    assert [(b["sku"], b["batch_no"], b["qty_on_hand"]) for b in expiring["items"]] == [(sku, "L2024Z", 2)]

    order_id = f"ord-{uuid.uuid4().hex}"
    publish(vhost.uri, "sales", "order_confirmed", [order_confirmed(order_id, gz, [(sku, 3)])])
    events.wait_for("stock_reserved", order_id=order_id)
    publish(vhost.uri, "workshop", "work_order_completed", [{
        "work_order_id": f"wo-{order_id}", "order_id": order_id, "store_id": gz, "customer_id": "c-1", "jobs": [],
        "parts_used": [{"sku": sku, "qty": 3}], "comeback": False,
        "completed_at": datetime.now(timezone.utc).isoformat()}])
    events.wait_for("stock_issued", order_id=order_id)
    issued = ok(manager.get(f"{stack.url}/v1/stock/movements", params={"store_id": gz, "sku": sku, "kind": "issue"}))
    assert sorted((m["batch_no"], m["qty"]) for m in issued["items"]) == [("L2024Z", -2), ("L2025A", -1)]


def test_parallel_orders_for_the_last_units_reserve_exactly_what_is_there(stack, admin, vhost, chain, supplier,
                                                                          events):
    gz, manager = chain["gz"]["id"], chain["gz_manager"]
    units, orders = 5, 16
    sku = new_part(stack, admin)["sku"]
    po = purchase(stack, manager, gz, supplier["id"], [(sku, units, 1000)])
    receive(stack, manager, po["id"], [{"sku": sku, "qty": units}])
    order_ids = [f"race-{i}-{uuid.uuid4().hex[:8]}" for i in range(orders)]

    def publish_one(order_id):
        publish(vhost.uri, "sales", "order_confirmed", [order_confirmed(order_id, gz, [(sku, 1)])])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(publish_one, order_ids))
    outcomes = wait_until(lambda: (len(found := [e for e in events.all("stock_reserved") + events.all("stock_shortage")
                                                 if e["payload"]["order_id"] in order_ids]) == orders) and found,
                          timeout=30)
    assert outcomes, "not every order was answered"
    full = [e for e in outcomes if e["type"] == "inventory.stock_reserved"]
    assert len(full) == units
    level = stock_line(stack, manager, gz, sku)
    assert (level["on_hand"], level["reserved"], level["available"]) == (units, units, 0)
    check = ok(admin.get(f"{stack.url}/v1/stock/ledger-check", params={"store_id": gz}))
    assert check["ok"], check["problems"]


def test_demo_stock_seeds_through_the_public_api(stack, admin):
    from services.inventory import demo

    store = create_store(stack, admin, "佛山禅城店")["id"]
    demo.seed(admin, stack.url, [store])
    oil = stock_line(stack, admin, store, "OIL-5W30-4L")
    assert (oil["on_hand"], oil["avg_cost_fen"], oil["reorder_point"]) == (24, 29500, 6)
    value = ok(admin.get(f"{stack.url}/v1/stock/valuation", params={"store_id": store}))
    assert value["value_fen"] == sum(p[7] * p[10] for p in demo.PARTS)
    assert ok(admin.get(f"{stack.url}/v1/stock/ledger-check", params={"store_id": store}))["ok"]
