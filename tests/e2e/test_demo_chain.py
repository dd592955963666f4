"""The demo chain `make run` seeds (deploy/demo.py, through the gateway) completes the README's walk
with its own logins in every demo store: every demo package and labour operation quoted, contracted,
opened as a work order, dispatched to the technician the `technician.<store>` login clocks as, clocked
in and out, inspected (a finding quoted with the parts its operation needs), passed by QC, completed,
paid at the till by a WeChat Pay QR code (深圳南山店's on its own sub-merchant, whose 收款与开票账户 shows its own
accounts; the others' on the chain's merchant) and delivered; the delivered oil change then shows as a
service-due reminder of the demo car, and the call-back is made. Then every grouping of the KPI report
carries every KPI of what the walks did."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from deploy import demo as chain
from deploy.sandboxes import alipay, wechatpay
from services.common import operations as ops
from services.common.periods import period_of
from services.sales import demo as catalogue
from tests.support.one_car import eventually, ok
from tests.support.stack import demo_stack

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]
SATISFACTION = (5, 4, 2)
"""The call-back's score in each demo store."""
JOINED = ("close_ratio_pct", "comeback_rate_pct", "first_time_qc_pass_pct", "technician_productivity_pct",
          "labour_cost_fen", "labour_gross_profit_pct", "average_satisfaction")
"""The KPIs the gateway joins from sales, workshop and crm."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """This module's own suite seeded like `make run` (the demo's SKUs and stores stay out of the
    shared stack, where other tests seed and count their own)."""
    with demo_stack(tmp_path_factory.mktemp("demo-chain")) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack):
    return stack.login()


@pytest.fixture(scope="module")
def seeded(stack, admin):
    chain.seed(admin, stack.url, history_days=0)  # a second `make run` on the same data seeds nothing twice
    return {s["code"]: s for s in ok(admin.get(f"{stack.url}/v1/stores", params={"limit": 200}))["items"]}


def login(stack, role: str, code: str):
    return stack.login(f"{role}.{code.lower()}", chain.STAFF_PASSWORD)


@pytest.mark.parametrize("index", range(len(chain.STORES)), ids=[s[0] for s in chain.STORES])
def test_every_demo_package_and_operation_is_worked_and_delivered_by_the_demo_logins(stack, seeded, index):
    code = chain.STORES[index][0]
    store_id, url = seeded[code]["id"], stack.url
    advisor, technician, manager, cashier = (login(stack, role, code)
                                             for role in ("advisor", "technician", "manager", "cashier"))
    plate, mileage = chain.CUSTOMERS[index][3], chain.CUSTOMERS[index][8]  # a demo car of this store
    [vehicle] = ok(advisor.get(f"{url}/v1/vehicles", params={"plate": plate}))["items"]
    mileage_in = max(mileage, vehicle.get("mileage_km") or 0) + 100

    visit = ok(advisor.post(f"{url}/v1/visits", json={
        "store_id": store_id, "customer_id": vehicle["customer_id"], "vehicle_id": vehicle["id"],
        "mileage_km": mileage_in, "needs": ["保养", "刹车"]}))
    quote = ok(advisor.post(f"{url}/v1/quotes", json={"visit_id": visit["id"]}))
    q = f"{url}/v1/quotes/{quote['id']}"
    for package in catalogue.PACKAGES:
        ok(advisor.post(f"{q}/packages", json={"package": package[0]}), 201)
    for operation in catalogue.OPERATIONS:
        quote = ok(advisor.post(f"{q}/lines", json={"kind": "labour", "op_code": operation[0]}), 201)
    labour_codes = [line["op_code"] for line in quote["lines"] if line["kind"] == "labour"]
    assert {o[0] for o in catalogue.OPERATIONS} <= set(labour_codes)
    ok(advisor.post(f"{q}/present"))
    ok(advisor.post(f"{q}/decision", json={"approved_line_ids": [line["id"] for line in quote["lines"]],
                                           "declined_line_ids": []}))
    order = ok(advisor.post(f"{q}/contract", json={"payment_method": "wechat", "signed_by": "客户"},
                            headers={"Idempotency-Key": uuid.uuid4().hex}), 201)

    [wo] = eventually(lambda: ok(advisor.get(f"{url}/v1/work-orders", params={"order_id": order["id"]}))["items"],
                      bool, "work order opened")
    w = f"{url}/v1/work-orders/{wo['id']}"
    assert sorted(job["op_code"] for job in wo["jobs"]) == sorted(labour_codes)
    eventually(lambda: ok(advisor.get(w)), lambda x: not x["waiting_parts"], "the demo stock covers the parts")
    mine = ok(technician.get(f"{url}/v1/technicians/me/jobs"))["technician"]
    dispatched = advisor.post(f"{w}/dispatch", json={"jobs": [
        {"job_id": job["id"], "technicians": [{"technician_id": mine["id"], "split_pct": 100}]}
        for job in wo["jobs"]]})
    assert dispatched.status_code == 200, (code, dispatched.text)
    for job in wo["jobs"]:
        ok(technician.post(f"{w}/jobs/{job['id']}/clock-in", json={}), 201)
        ok(technician.post(f"{w}/jobs/{job['id']}/clock-out", json={"job_finished": True}))
    ok(technician.post(f"{w}/inspections", json={"mileage_km": mileage_in, "findings": [
        {"area": "brakes", "item": "前刹车片", "condition": "red", "recommended_op_code": ops.FRONT_BRAKE_PADS}]}), 201)
    findings = ok(advisor.post(f"{w}/inspections/quote", json={}), 201)
    assert [(line["kind"], line["op_code"] or line["sku"]) for line in findings["lines"]] == [
        ("labour", ops.FRONT_BRAKE_PADS), ("part", "BRK-PAD-FR")]  # the pads come with the brake job
    ok(technician.post(f"{w}/ready-for-qc", json={}))
    ok(manager.post(f"{w}/qc", json={"passed": True}))
    ok(advisor.post(f"{w}/complete", json={}))

    invoices = eventually(lambda: ok(cashier.get(f"{url}/v1/invoices", params={"store_id": store_id}))["items"],
                          lambda items: any(i["order_id"] == order["id"] for i in items), "invoice issued")
    invoice = next(i for i in invoices if i["order_id"] == order["id"])
    intent = ok(cashier.post(f"{url}/v1/invoices/{invoice['id']}/payment-intents", json={
        "provider": "wechat", "channel": "qr", "amount_fen": invoice["due_fen"]},
        headers={"Idempotency-Key": uuid.uuid4().hex}), 201)  # the owner scans the till's WeChat Pay code
    at_sandbox = ok(requests.get(f"{stack.wechatpay_url}/sandbox/orders/{intent['id']}", timeout=5))
    own = code == chain.OWN_ACCOUNTS_STORE  # its own sub-merchant; the others the chain's merchant
    assert at_sandbox.get("sub_mchid") == (wechatpay.SUB_MCHIDS[0] if own else None), at_sandbox
    ok(requests.post(f"{stack.wechatpay_url}/sandbox/pay", json={"url": intent["code_url"]}, timeout=30))
    eventually(lambda: ok(cashier.get(f"{url}/v1/payment-intents/{intent['id']}")), lambda i: i["status"] == "paid",
               "the QR payment recorded")
    accounts = ok(manager.get(f"{url}/v1/stores/{store_id}/provider-accounts"))  # 门店信息 → 收款与开票账户
    shown = {account["provider"]: account for account in accounts["payments"]}
    assert (shown["wechat"]["own"], shown["wechat"]["merchant_id"]) == (
        (True, wechatpay.SUB_MCHIDS[0]) if own else (False, wechatpay.MCHID))
    assert (shown["alipay"]["own"], shown["alipay"]["merchant_id"]) == (
        (True, next(iter(alipay.MERCHANTS))) if own else (False, alipay.APPID))
    ok(advisor.post(f"{w}/deliver", json={"mileage_out_km": mileage_in + 2, "accepted_by": "客户",
                                          "satisfied": True}))

    def reminders():
        return ok(advisor.get(f"{url}/v1/reminders", params={
            "store_id": store_id, "customer_id": vehicle["customer_id"],
            "due_before": (date.today() + timedelta(days=800)).isoformat()}))["items"]
    due = eventually(reminders, lambda items: any(r["service_type"] == ops.OIL_CHANGE for r in items),
                     "the oil change's next due date")
    oil = next(r for r in due if r["service_type"] == ops.OIL_CHANGE)
    assert oil["vehicle_id"] == vehicle["id"] and oil["last_done_km"] == mileage_in + 2
    assert oil["due_km"] == mileage_in + 2 + 5000

    follow_ups = eventually(lambda: ok(advisor.get(f"{url}/v1/follow-ups", params={"store_id": store_id}))["items"],
                            lambda items: any(f["customer_id"] == vehicle["customer_id"] for f in items),
                            "the call-back scheduled")
    call = next(f for f in follow_ups if f["customer_id"] == vehicle["customer_id"])
    ok(advisor.post(f"{url}/v1/follow-ups/{call['id']}/complete", json={"reached": True,
                                                                        "satisfaction": SATISFACTION[index]}))


def test_every_kpi_grouping_carries_every_kpi_of_the_demo_stores(stack, admin, seeded):
    """After the walks above: per store, per day / week / month and for the three stores as a chain,
    every KPI, the owners' included, with the values the walks made."""
    ids = [seeded[code]["id"] for code, _name, _address in chain.STORES]
    username = f"area.{uuid.uuid4().hex[:8]}"
    ok(admin.post(f"{stack.url}/v1/users", json={"username": username, "password": chain.STAFF_PASSWORD,
                                                 "role": "store_manager", "store_ids": ids}))
    area = stack.login(username, chain.STAFF_PASSWORD)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    def kpis(group):
        return ok(area.get(f"{stack.url}/v1/reports/kpis", params={
            "from": today.isoformat(), "to": today.isoformat(), "group": group}))["items"]
    by_store = {row["store_id"]: row for row in kpis("store")}
    for index, store_id in enumerate(ids):
        row = by_store[store_id]
        assert all(row[name] is not None for name in JOINED), row
        assert (row["close_ratio_pct"], row["comeback_rate_pct"], row["first_time_qc_pass_pct"]) == (100, 0, 100)
        assert row["average_satisfaction"] == SATISFACTION[index] and row["technician_productivity_pct"] >= 0
    for group in ("day", "week", "month"):
        rows = {row["store_id"]: row for row in kpis(group)}
        for store_id in ids:
            assert rows[store_id]["period"] == period_of(today, group)
            assert {name: rows[store_id][name] for name in JOINED} == {name: by_store[store_id][name]
                                                                       for name in JOINED}, group
    [whole] = kpis("chain")
    assert whole["store_id"] is None and all(whole[name] is not None for name in JOINED), whole
    assert (whole["close_ratio_pct"], whole["comeback_rate_pct"], whole["first_time_qc_pass_pct"]) == (100, 0, 100)
    assert whole["average_satisfaction"] == round(sum(SATISFACTION) / len(SATISFACTION), 2)
    assert whole["labour_cost_fen"] == sum(by_store[store_id]["labour_cost_fen"] for store_id in ids)
    assert whole["car_count"] == sum(by_store[store_id]["car_count"] for store_id in ids)
