"""The workshop through the gateway against the real services, RabbitMQ and PostgreSQL: sales' and
inventory's events are published to their exchanges as those services would."""
from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from services.contracts.workshop import VehicleDelivered, WorkOrderCompleted
from tests.support import data
from tests.support.accounts import create_store, make_user
from tests.support.bus import bind, publish

pytestmark = pytest.mark.e2e

ALL_DAY = [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(7)]


@pytest.fixture(scope="module")
def store(stack, admin):
    return create_store(stack, admin, "广州天河店")


@pytest.fixture(scope="module")
def other_store(stack, admin):
    return create_store(stack, admin, "深圳南山店")


@pytest.fixture(scope="module")
def manager(stack, admin, store):
    return make_user(stack, admin, "store_manager", [store["id"]])


@pytest.fixture(scope="module")
def advisor(stack, admin, store):
    return make_user(stack, admin, "service_advisor", [store["id"]])


@pytest.fixture(scope="module")
def outsider(stack, admin, other_store):
    return make_user(stack, admin, "service_advisor", [other_store["id"]])


def add_technician(stack, manager, store, name, skills, user=None, shifts=ALL_DAY):
    reply = manager.post(f"{stack.url}/v1/technicians", json={
        "store_id": store["id"], "name": name, "level": "senior", "hourly_cost_fen": 6000, "skills": skills,
        "shifts": shifts, "user_id": user.user_id if user else None})
    assert reply.status_code == 201, reply.text
    return reply.json()


@pytest.fixture(scope="module")
def crew(stack, admin, manager, store):
    """Three technicians with accounts, one QC technician, one off shift."""
    users = {key: make_user(stack, admin, "technician", [store["id"]]) for key in ("li", "wang", "zhao", "sun")}
    records = {
        "li": add_technician(stack, manager, store, "李师傅", ["maintenance", "brakes"], users["li"]),
        "wang": add_technician(stack, manager, store, "王师傅", ["maintenance"], users["wang"]),
        "zhao": add_technician(stack, manager, store, "赵师傅", ["brakes"], users["zhao"]),
        "sun": add_technician(stack, manager, store, "孙质检", ["maintenance"], users["sun"]),
        "qian": add_technician(stack, manager, store, "钱师傅", ["brakes"], shifts=[]),
    }
    return {key: {"record": records[key], "session": users.get(key)} for key in records}


def line(kind, **fields):
    base = {"line_id": str(uuid.uuid4()), "kind": kind, "description": fields.pop("description", kind),
            "op_code": None, "skill": None, "hours": None, "sku": None, "qty": 1, "unit_price_fen": 10000,
            "discount_fen": 0, "tax_rate": "0.06", "tax_fen": 566, "total_fen": 10000}
    return {**base, **fields}


def order_payload(store, vehicle_id=None):
    order_id = str(uuid.uuid4())
    return {"order_id": order_id, "order_number": f"SO{order_id[:8]}", "store_id": store["id"], "visit_id": None,
            "quote_id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4()),
            "vehicle_id": vehicle_id or str(uuid.uuid4()),
            "advisor_id": None, "promised_at": (datetime.now(timezone.utc) + timedelta(hours=3)).isoformat(),
            "lines": [line("labour", description="更换机油机滤", op_code="OIL-CHG", skill="maintenance", hours=1),
                      line("labour", description="更换前刹车片", op_code="BRK-PAD", skill="brakes", hours="1.5"),
                      line("part", description="全合成机油 4L", sku="OIL-5W30", qty=4),
                      line("part", description="刹车片", sku="PAD-F", qty=1),
                      line("fee", description="环保处理费")],
            "totals": {"subtotal_fen": 50000, "discount_fen": 0, "tax_fen": 2830, "total_fen": 50000,
                       "currency": "CNY"},
            "deposit": None, "confirmed_at": datetime.now(timezone.utc).isoformat()}


def wait_for_work_order(stack, session, order_id, timeout=10.0, predicate=lambda wo: True):
    deadline = time.monotonic() + timeout
    while True:
        items = session.get(f"{stack.url}/v1/work-orders", params={"order_id": order_id}).json()["items"]
        if items and predicate(items[0]):
            return items
        assert time.monotonic() < deadline, f"no work order for {order_id} in {timeout}s: {items}"
        time.sleep(0.1)


def next_event(channel, queue, event_type, work_order_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, _props, body = channel.basic_get(queue, auto_ack=True)
        if method:
            envelope = json.loads(body)
            if envelope["type"] == event_type and envelope["payload"]["work_order_id"] == work_order_id:
                return envelope
        else:
            time.sleep(0.1)
    raise AssertionError(f"no {event_type} for {work_order_id}")


def test_confirmed_order_to_delivery_through_the_gateway(stack, vhost, advisor, manager, crew, store):
    payload = order_payload(store)
    started = time.monotonic()
    publish(vhost, "sales", "order_confirmed", payload, times=2)  # redelivered
    [wo] = wait_for_work_order(stack, advisor, payload["order_id"])
    assert time.monotonic() - started < 5  # "within a second", generous for a loaded machine
    time.sleep(1.0)  # give the duplicate every chance
    listed = advisor.get(f"{stack.url}/v1/work-orders", params={"order_id": payload["order_id"]}).json()["items"]
    assert len(listed) == 1
    assert wo["status"] == "open" and [j["op_code"] for j in wo["jobs"]] == ["OIL-CHG", "BRK-PAD"]
    assert [(p["sku"], p["qty"]) for p in wo["parts"]] == [("OIL-5W30", 4), ("PAD-F", 1)]
    url = f"{stack.url}/v1/work-orders/{wo['id']}"
    oil, brakes = wo["jobs"]

    publish(vhost, "inventory", "stock_shortage", {"order_id": payload["order_id"], "store_id": store["id"], "lines": [
        {"sku": "PAD-F", "qty_requested": 1, "qty_reserved": 0, "qty_short": 1}]})
    wait_for_work_order(stack, advisor, payload["order_id"], predicate=lambda w: w["waiting_parts"])
    publish(vhost, "inventory", "stock_reserved", {"order_id": payload["order_id"], "store_id": store["id"], "lines": [
        {"sku": "PAD-F", "qty_requested": 1, "qty_reserved": 1, "qty_short": 0}]})
    wait_for_work_order(stack, advisor, payload["order_id"], predicate=lambda w: not w["waiting_parts"])

    # suggestion: with the skill and on shift (钱 has brakes but no shift; 王 has no brakes)
    suggested = advisor.get(f"{url}/jobs/{brakes['id']}/suggestions").json()
    names = [s["name"] for s in suggested["items"]]
    assert set(names) == {"李师傅", "赵师傅"} and suggested["skill"] == "brakes"

    li, wang, zhao, sun = (crew[k]["record"]["id"] for k in ("li", "wang", "zhao", "sun"))
    bad = advisor.post(f"{url}/dispatch", json={"jobs": [{"job_id": oil["id"], "technicians": [
        {"technician_id": li, "split_pct": 60}, {"technician_id": wang, "split_pct": 30}]}]})
    assert bad.status_code == 422 and "split_pct" in bad.json()["error"]["fields"]
    unskilled = advisor.post(f"{url}/dispatch", json={"jobs": [{"job_id": brakes["id"], "technicians": [
        {"technician_id": wang, "split_pct": 100}]}]})
    assert unskilled.status_code == 422
    early = crew["li"]["session"].post(f"{url}/jobs/{oil['id']}/clock-in", json={})
    assert early.status_code == 409 and "open" in early.json()["error"]["message"]
    dispatched = advisor.post(f"{url}/dispatch", json={"jobs": [
        {"job_id": oil["id"], "technicians": [{"technician_id": li, "split_pct": 60},
                                              {"technician_id": wang, "split_pct": 40}]},
        {"job_id": brakes["id"], "technicians": [{"technician_id": zhao, "split_pct": 100}]}]})
    assert dispatched.status_code == 200, dispatched.text
    assert dispatched.json()["status"] == "dispatched"
    assert crew["li"]["session"].post(f"{url}/dispatch", json={"jobs": []}).status_code == 403  # technicians don't

    board = crew["li"]["session"].get(f"{stack.url}/v1/technicians/me/jobs").json()
    assert [item["job_id"] for item in board["items"] if item["work_order_id"] == wo["id"]] == [oil["id"]]

    retry = {"Idempotency-Key": uuid.uuid4().hex}  # a phone on shaky Wi-Fi sends the tap twice
    clock_in = crew["li"]["session"].post(f"{url}/jobs/{oil['id']}/clock-in", json={}, headers=retry)
    assert clock_in.status_code == 201, clock_in.text
    replay = crew["li"]["session"].post(f"{url}/jobs/{oil['id']}/clock-in", json={}, headers=retry)
    assert replay.status_code == 201 and replay.json()["id"] == clock_in.json()["id"]
    assert crew["li"]["session"].post(f"{url}/jobs/{oil['id']}/clock-in", json={}).status_code == 409
    assert crew["li"]["session"].post(f"{url}/jobs/{oil['id']}/clock-in",
                                      json={"technician_id": wang}).status_code == 403
    progress = advisor.get(url).json()
    assert progress["status"] == "in_progress"
    assert [c["name"] for c in progress["jobs"][0]["clocked_in"]] == ["李师傅"]
    assert crew["zhao"]["session"].post(f"{url}/jobs/{brakes['id']}/clock-in", json={}).status_code == 201
    board = advisor.get(f"{stack.url}/v1/crew-board", params={"store_id": store["id"]})
    assert board.status_code == 200, board.text
    clocked = {row["name"]: (row["clocked_into"] or {}).get("job_id") for row in board.json()["items"]}
    assert clocked["李师傅"] == oil["id"] and clocked["赵师傅"] == brakes["id"]

    inspection = crew["li"]["session"].post(f"{url}/inspections", json={"mileage_km": 45000, "findings": [
        {"area": "tyres", "item": "左后轮胎", "condition": "red", "notes": "胎纹 1.5mm", "photo_refs": ["dvi/1.jpg"]},
        {"area": "lights", "item": "刹车灯", "condition": "yellow"},
        {"area": "fluids", "item": "防冻液", "condition": "green"}]})
    assert inspection.status_code == 201, inspection.text
    assert inspection.json()["summary"] == {"green": 1, "yellow": 1, "red": 1}
    attention = advisor.get(f"{url}/inspections").json()["attention"]
    assert [(f["item"], f["condition"], f["photo_refs"]) for f in attention] == [
        ("左后轮胎", "red", ["dvi/1.jpg"]), ("刹车灯", "yellow", [])]

    time.sleep(0.1)
    for key, job in (("li", oil), ("zhao", brakes)):
        out = crew[key]["session"].post(f"{url}/jobs/{job['id']}/clock-out", json={"job_finished": True})
        assert out.status_code == 200 and out.json()["hours"] is not None
    assert [j["status"] for j in advisor.get(url).json()["jobs"]] == ["done", "done"]
    assert crew["li"]["session"].post(f"{url}/ready-for-qc", json={}).json()["status"] == "qc"

    assert crew["zhao"]["session"].post(f"{url}/qc", json={"passed": True}).status_code == 403  # worked on it
    failed = advisor.post(f"{url}/qc", json={"passed": False, "checklist": [{"item": "刹车异响", "passed": False}],
                                             "reasons": ["试车刹车异响"], "rework_job_ids": [brakes["id"]]})
    assert failed.status_code == 200, failed.text
    assert failed.json()["status"] == "in_progress" and failed.json()["rework_count"] == 1
    assert [j["status"] for j in failed.json()["jobs"]] == ["done", "assigned"]
    assert advisor.post(f"{url}/complete", json={}).status_code == 409
    crew["zhao"]["session"].post(f"{url}/jobs/{brakes['id']}/clock-in", json={})
    crew["zhao"]["session"].post(f"{url}/jobs/{brakes['id']}/clock-out", json={"note": "重新调整卡钳"})
    advisor.post(f"{url}/ready-for-qc", json={})
    passed = crew["sun"]["session"].post(f"{url}/qc", json={"passed": True, "checklist": [
        {"item": "刹车异响", "passed": True}]})
    assert passed.status_code == 200 and passed.json()["qc_passed"] is True

    connection, channel, queue = bind(vhost, "workshop.events", "work_order_completed", "vehicle_delivered")
    try:
        completed = advisor.post(f"{url}/complete", json={
            "labour": [{"job_id": oil["id"], "technician_id": wang, "hours": "0.5"}],
            "parts_used": [{"sku": "OIL-5W30", "qty": "3.5"}, {"sku": "PAD-F", "qty": 1}]})
        assert completed.status_code == 200, completed.text
        event = next_event(channel, queue, "workshop.work_order_completed", wo["id"])
        handover = {"mileage_out_km": 45012, "accepted_by": "张伟", "satisfied": True, "comment": "满意"}
        unpaid = advisor.post(f"{url}/deliver", json=handover)  # finance has no paid invoice for it
        assert unpaid.status_code == 409 and unpaid.json()["error"]["code"] == "delivery_balance_open"
        delivered = manager.post(f"{url}/deliver", json={**handover, "override_reason": "协议客户月结"})
        assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
        delivered_event = next_event(channel, queue, "workshop.vehicle_delivered", wo["id"])
    finally:
        connection.close()
    body = WorkOrderCompleted().load(event["payload"])
    assert body["order_id"] == payload["order_id"] and event["store_id"] == store["id"]
    hours = {t["technician_id"]: (t["hours"], t["split_pct"]) for j in body["jobs"] for t in j["technicians"]}
    assert hours[wang][0] == 0.5 and hours[li][1] == 60 and hours[zhao][1] == 100 and hours[zhao][0] >= 0
    assert {t["user_id"] for j in body["jobs"] for t in j["technicians"]} >= {crew["li"]["session"].user_id}
    assert [(p["sku"], float(p["qty"])) for p in body["parts_used"]] == [("OIL-5W30", 3.5), ("PAD-F", 1.0)]
    assert VehicleDelivered().load(delivered_event["payload"])["mileage_out_km"] == 45012
    final = advisor.get(url).json()
    assert [h["to_status"] for h in final["history"]] == [
        "open", "dispatched", "in_progress", "qc", "in_progress", "qc", "completed", "delivered"]
    again = advisor.post(f"{url}/deliver", json={"mileage_out_km": 1, "accepted_by": "x", "satisfied": True})
    assert again.status_code == 409 and "delivered" in again.json()["error"]["message"]


def test_cancelled_order_cancels_the_work_order(stack, vhost, advisor, store):
    payload = order_payload(store)
    publish(vhost, "sales", "order_confirmed", payload)
    [wo] = wait_for_work_order(stack, advisor, payload["order_id"])
    publish(vhost, "sales", "order_cancelled", {"order_id": payload["order_id"], "store_id": store["id"],
                                                "reason": "客户改期",
                                                "cancelled_at": datetime.now(timezone.utc).isoformat()})
    [cancelled] = wait_for_work_order(stack, advisor, payload["order_id"],
                                      predicate=lambda w: w["status"] == "cancelled")
    assert cancelled["cancel_reason"] == "客户改期"
    refused = advisor.post(f"{stack.url}/v1/work-orders/{wo['id']}/dispatch", json={"jobs": []})
    assert refused.status_code == 409 and "cancelled" in refused.json()["error"]["message"]


def test_work_orders_of_another_store_are_forbidden(stack, vhost, advisor, outsider, store):
    payload = order_payload(store)
    publish(vhost, "sales", "order_confirmed", payload)
    [wo] = wait_for_work_order(stack, advisor, payload["order_id"])
    assert outsider.get(f"{stack.url}/v1/work-orders/{wo['id']}").status_code == 403
    assert outsider.post(f"{stack.url}/v1/work-orders/{wo['id']}/dispatch", json={"jobs": []}).status_code == 403
    assert outsider.get(f"{stack.url}/v1/work-orders", params={"store_id": store["id"]}).status_code == 403
    mine = outsider.get(f"{stack.url}/v1/work-orders", params={"order_id": payload["order_id"]}).json()["items"]
    assert mine == []
    assert outsider.get(f"{stack.url}/v1/technicians", params={"store_id": store["id"]}).status_code == 403
    assert advisor.get(f"{stack.url}/v1/work-orders/nope").status_code == 404


def test_comeback_is_flagged_for_the_same_vehicle_and_repair(stack, vhost, advisor, crew, store):
    vehicle_id = str(uuid.uuid4())
    first = order_payload(store, vehicle_id)
    first["lines"] = [line("labour", op_code="AC-LEAK", op_category="repair", skill="maintenance", hours=1)]
    publish(vhost, "sales", "order_confirmed", first)
    [wo] = wait_for_work_order(stack, advisor, first["order_id"])
    url = f"{stack.url}/v1/work-orders/{wo['id']}"
    wang = crew["wang"]
    advisor.post(f"{url}/dispatch", json={"jobs": [{"job_id": wo["jobs"][0]["id"], "technicians": [
        {"technician_id": wang["record"]["id"], "split_pct": 100}]}]})
    assert wang["session"].post(f"{url}/jobs/{wo['jobs'][0]['id']}/clock-in", json={}).status_code == 201
    wang["session"].post(f"{url}/jobs/{wo['jobs'][0]['id']}/clock-out", json={})
    advisor.post(f"{url}/ready-for-qc", json={})
    assert advisor.post(f"{url}/qc", json={"passed": True}).status_code == 200
    assert advisor.post(f"{url}/complete", json={}).status_code == 200

    second = order_payload(store, vehicle_id)
    second["lines"] = [line("labour", op_code="AC-LEAK", op_category="repair", skill="maintenance", hours=1)]
    publish(vhost, "sales", "order_confirmed", second)
    [again] = wait_for_work_order(stack, advisor, second["order_id"])
    assert again["comeback"] is True and again["comeback_of_id"] == wo["id"]
    flagged = advisor.get(f"{stack.url}/v1/work-orders", params={"comeback": "true", "store_id": store["id"]}).json()
    assert again["id"] in [w["id"] for w in flagged["items"]]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    numbers = advisor.get(f"{stack.url}/v1/workshop-stats",
                          params={"store_id": store["id"], "from": today, "to": today})
    assert numbers.status_code == 200, numbers.text
    assert numbers.json()["completed"] >= 1 and numbers.json()["time_zone"] == "Asia/Shanghai"


def test_bays_and_the_days_plan(stack, manager, advisor, store):
    code = f"B{uuid.uuid4().hex[:4]}"
    bay = manager.post(f"{stack.url}/v1/bays", json={"store_id": store["id"], "code": code, "kind": "lift"})
    assert bay.status_code == 201, bay.text
    assert manager.post(f"{stack.url}/v1/bays", json={"store_id": store["id"], "code": code}).status_code == 409
    assert advisor.post(f"{stack.url}/v1/bays", json={"store_id": store["id"], "code": "X"}).status_code == 403
    today = datetime.now(timezone.utc).date().isoformat()
    plan = advisor.get(f"{stack.url}/v1/bay-plan", params={"store_id": store["id"], "date": today})
    assert plan.status_code == 200 and plan.json()["time_zone"] == "Asia/Shanghai"
    assert bay.json()["id"] in [row["bay"]["id"] for row in plan.json()["bays"]]


def test_simultaneous_clock_ins_through_the_gateway_let_one_in(stack, vhost, advisor, admin, manager, store):
    user = make_user(stack, admin, "technician", [store["id"]])
    tech = add_technician(stack, manager, store, "周师傅", ["maintenance"], user)
    urls = []
    for _ in range(4):
        payload = order_payload(store)
        payload["lines"] = [line("labour", op_code="OIL-CHG", skill="maintenance", hours=1)]
        publish(vhost, "sales", "order_confirmed", payload)
        [wo] = wait_for_work_order(stack, advisor, payload["order_id"])
        assert advisor.post(f"{stack.url}/v1/work-orders/{wo['id']}/dispatch", json={"jobs": [
            {"job_id": wo["jobs"][0]["id"], "technicians": [{"technician_id": tech["id"], "split_pct": 100}]}]}
        ).status_code == 200
        urls.append(f"{stack.url}/v1/work-orders/{wo['id']}/jobs/{wo['jobs'][0]['id']}/clock-in")
    token = user.headers["Authorization"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(lambda u: requests.post(u, json={}, headers={"Authorization": token},
                                                           timeout=10).status_code, urls))
    assert statuses == [201, 409, 409, 409]


def test_a_technician_is_linked_only_to_an_account_of_their_store(stack, admin, manager, store, other_store):
    elsewhere = make_user(stack, admin, "technician", [other_store["id"]])
    body = {"store_id": store["id"], "name": "错店", "level": "junior", "hourly_cost_fen": 3000}
    wrong_store = manager.post(f"{stack.url}/v1/technicians", json={**body, "user_id": elsewhere.user_id})
    assert wrong_store.status_code == 422 and "user_id" in wrong_store.json()["error"]["fields"]
    unknown = manager.post(f"{stack.url}/v1/technicians", json={**body, "user_id": "no-such-user"})
    assert unknown.status_code == 422
    created = manager.post(f"{stack.url}/v1/technicians", json=body)
    assert created.status_code == 201 and created.json()["time_zone"] == "Asia/Shanghai"
    assert manager.patch(f"{stack.url}/v1/technicians/{created.json()['id']}",
                         json={"user_id": elsewhere.user_id}).status_code == 422
    assert manager.post(f"{stack.url}/v1/technicians", json={**body, "store_id": other_store["id"]}).status_code == 403


def test_openapi_documents_the_workshop(stack):
    spec = requests.get(f"{stack.url}/openapi.json", timeout=5).json()
    assert {"/v1/technicians", "/v1/work-orders", "/v1/work-orders/{work_order_id}/dispatch",
            "/v1/work-orders/{work_order_id}/jobs/{job_id}/clock-in", "/v1/work-orders/{work_order_id}/qc",
            "/v1/work-orders/{work_order_id}/complete", "/v1/work-orders/{work_order_id}/deliver",
            "/v1/work-orders/{work_order_id}/inspections", "/v1/bay-plan"} <= set(spec["paths"])
    assert "technician_id" in spec["components"]["schemas"]["Share"]["required"]


def test_an_order_contracted_in_sales_is_worked_and_delivered_and_sales_follows(stack, advisor, manager, crew, store):
    """The real sales service: quote → contract → work order → … → delivered, and sales' order follows."""
    customer = advisor.post(f"{stack.url}/v1/customers", json={"name": "陈静", "mobile": data.mobile()}).json()
    vehicle = advisor.post(f"{stack.url}/v1/customers/{customer['id']}/vehicles",
                           json={"plate": data.plate(), "mileage_km": 30000}).json()
    visit = advisor.post(f"{stack.url}/v1/visits", json={
        "store_id": store["id"], "customer_id": customer["id"], "vehicle_id": vehicle["id"], "mileage_km": 30500,
        "needs": ["保养"], "budget_fen": 50000})
    assert visit.status_code == 201, visit.text
    quote = advisor.post(f"{stack.url}/v1/quotes", json={"visit_id": visit.json()["id"]}).json()
    url = f"{stack.url}/v1/quotes/{quote['id']}"
    quote = advisor.post(f"{url}/lines", json={"kind": "labour", "description": "小保养", "hours": 0.8}).json()
    assert advisor.post(f"{url}/present", json={}).status_code == 200
    assert advisor.post(f"{url}/decision", json={"approved_line_ids": [line["id"] for line in quote["lines"]],
                                                  "declined_line_ids": []}).status_code == 200
    contracted = advisor.post(f"{url}/contract", json={"payment_method": "wechat", "signed_by": "陈静"})
    assert contracted.status_code == 201, contracted.text
    order = contracted.json()
    started = time.monotonic()
    [wo] = wait_for_work_order(stack, advisor, order["id"])
    assert time.monotonic() - started < 5  # within a second when the machine is not loaded
    assert wo["vehicle_id"] == vehicle["id"] and len(wo["jobs"]) == 1

    wo_url, job = f"{stack.url}/v1/work-orders/{wo['id']}", wo["jobs"][0]
    wang = crew["wang"]
    assert advisor.post(f"{wo_url}/dispatch", json={"jobs": [{"job_id": job["id"], "technicians": [
        {"technician_id": wang["record"]["id"], "split_pct": 100}]}]}).status_code == 200
    assert wang["session"].post(f"{wo_url}/jobs/{job['id']}/clock-in", json={}).status_code == 201
    assert wang["session"].post(f"{wo_url}/jobs/{job['id']}/clock-out", json={}).status_code == 200
    assert wang["session"].post(f"{wo_url}/ready-for-qc", json={}).status_code == 200
    assert crew["sun"]["session"].post(f"{wo_url}/qc", json={"passed": True}).status_code == 200
    assert advisor.post(f"{wo_url}/complete", json={}).status_code == 200

    def order_state():
        reply = advisor.get(f"{stack.url}/v1/orders/{order['id']}")
        return reply.json()["state"] if reply.status_code == 200 else f"HTTP {reply.status_code}: {reply.text}"

    deadline = time.monotonic() + 15
    while order_state() != "completed":
        assert time.monotonic() < deadline, order_state()
        time.sleep(0.2)
    assert manager.post(f"{wo_url}/deliver", json={"mileage_out_km": 30510, "accepted_by": "陈静", "satisfied": True,
                                                   "override_reason": "协议客户月结"}).status_code == 200
    deadline = time.monotonic() + 15
    while order_state() not in ("delivered", "closed"):
        assert time.monotonic() < deadline, order_state()
        time.sleep(0.2)


def test_demo_seed_gives_a_store_bays_and_a_crew_with_the_technician_login_linked(stack, admin):
    from services.workshop import demo
    fresh = create_store(stack, admin, "演示店")
    username = f"technician.{uuid.uuid4().hex[:6]}"
    user = admin.post(f"{stack.url}/v1/users", json={"username": username, "password": "Secret-pass-1",
                                                      "role": "technician", "store_ids": [fresh["id"]]}).json()
    demo.seed(admin, stack.url, [fresh["id"]])
    demo.seed(admin, stack.url, [fresh["id"]])  # a second run adds nothing
    bays = admin.get(f"{stack.url}/v1/bays", params={"store_id": fresh["id"]}).json()["items"]
    crew = admin.get(f"{stack.url}/v1/technicians", params={"store_id": fresh["id"]}).json()["items"]
    assert len(bays) == len(demo.BAYS) and len(crew) == len(demo.CREW)
    assert [t["name"] for t in crew if t["user_id"] == user["id"]] == [demo.CREW[0][0]]
    me = stack.login(username, "Secret-pass-1").get(f"{stack.url}/v1/technicians/me/jobs")
    assert me.status_code == 200 and me.json()["items"] == []
