"""The one-car loop of ARCHITECTURE.md as reusable steps: every step over HTTP through the
gateway, each by the role that does it in a store. `one_car` walks the loop, checks that stock,
ledger, commissions, KPIs, history and order status agree, and returns those figures (without
ids or clock times) so a loop run under faults can be compared with an undisturbed one.
`during(moment)` wraps the steps named in MOMENTS, where a fault test injects its fault."""
from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Callable, ContextManager
from zoneinfo import ZoneInfo

from tests.support import data
from tests.support.accounts import create_store, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_DAY = [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(7)]
MOMENTS = ("contract", "complete", "payment", "deliver")
"""Steps whose events other services must handle: the contract (workshop opens the work order,
inventory reserves), completion (inventory issues stock, finance invoices), the payment that
settles the invoice (sales, crm), the delivery (crm history and follow-up, sales closes)."""

Moment = Callable[[str], ContextManager]
DETERMINISTIC_KPIS = ("car_count", "sales_fen", "labour_fen", "parts_fen", "fees_fen", "parts_cost_fen",
                      "billed_hours", "labour_cost_fen", "close_ratio_pct", "first_time_qc_pass_pct",
                      "comeback_rate_pct", "average_satisfaction")
"""KPIs that do not depend on how long the loop took (clocked hours and productivity do)."""


def undisturbed(_moment: str) -> ContextManager:
    return contextlib.nullcontext()


def ok(reply, status: int | tuple[int, ...] = (200, 201)) -> dict:
    assert reply.status_code in ((status,) if isinstance(status, int) else status), reply.text
    return reply.json()


def every(session, url: str, **params) -> list[dict]:
    """Every item of a list, its pages followed (the shared stack holds every test's stores and users)."""
    items: list[dict] = []
    cursor = None
    while True:
        reply = ok(session.get(url, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})}))
        items += reply["items"]
        cursor = reply["next_cursor"]
        if not cursor:
            return items


def eventually(fetch: Callable, predicate: Callable, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value):
            return value
        assert time.monotonic() < deadline, f"{what}: last seen {value}"
        time.sleep(0.2)


class Store:
    """A store with one account per role and a crew of two technicians."""

    def __init__(self, stack, admin):
        self.url = stack.url
        self.admin = admin
        self.store = create_store(stack, admin, "广州天河店", address="天河路 385 号")
        self.id = self.store["id"]
        self.users = {role: make_user(stack, admin, role.rstrip("2"), [self.id])
                      for role in ("store_manager", "service_advisor", "cashier", "technician", "technician2")}
        self.manager = self.users["store_manager"]
        self.advisor = self.users["service_advisor"]
        self.cashier = self.users["cashier"]
        self.techs = []
        for name, session in (("李师傅", self.users["technician"]), ("王师傅", self.users["technician2"])):
            record = ok(self.manager.post(f"{self.url}/v1/technicians", json={
                "store_id": self.id, "name": name, "level": "senior", "hourly_cost_fen": 6000,
                "skills": ["maintenance", "brakes"], "shifts": ALL_DAY, "user_id": session.user_id}))
            self.techs.append((record, session))


def receive(stack, admin, shop: Store, sku: str) -> None:
    """20 units of the part received at the store at ¥40 each."""
    supplier = ok(admin.post(f"{stack.url}/v1/suppliers", json={"code": f"SUP-{uuid.uuid4().hex[:8]}",
                                                                "name": "美孚华南"}))
    po = ok(shop.manager.post(f"{stack.url}/v1/purchase-orders", json={
        "store_id": shop.id, "supplier_id": supplier["id"], "submit": True,
        "lines": [{"sku": sku, "qty": 20, "unit_cost_fen": 4000}]}))
    ok(shop.manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts", json={
        "lines": [{"sku": sku, "qty": 20, "unit_cost_fen": 4000}]}))


def part_and_supplier(url: str, admin, part: dict, supplier_name: str) -> tuple[str, dict]:
    """A chain-wide part of its own (`part`: name, category, unit, list_price_fen; its sku made here
    from the category) and a supplier of its own: the sku and the supplier."""
    sku = f"{part['category'][:3].upper()}-{uuid.uuid4().hex[:8].upper()}"
    ok(admin.post(f"{url}/v1/parts", json={"sku": sku, **part}))
    supplier = ok(admin.post(f"{url}/v1/suppliers", json={"code": f"SUP-{uuid.uuid4().hex[:8]}",
                                                          "name": supplier_name}))
    return sku, supplier


def new_part(stack, admin, shop: Store) -> str:
    """A chain-wide part of its own with 20 units received at `shop`: its sku."""
    sku = f"OIL-{uuid.uuid4().hex[:6].upper()}"
    ok(admin.post(f"{stack.url}/v1/parts", json={
        "sku": sku, "name": "全合成机油 5W-30 1L", "category": "oil", "unit": "litre", "list_price_fen": 8800}))
    receive(stack, admin, shop, sku)
    return sku


def confirmed_order(stack, shop, part, skill: str = "maintenance") -> dict:
    """A car checked in, quoted (labour asking for `skill` + the part), approved and contracted over
    the API; its work order once the workshop has opened it."""
    url, advisor = stack.url, shop.advisor
    customer = ok(advisor.post(f"{url}/v1/customers", json={"name": "周杰", "mobile": data.mobile()}))
    vehicle = ok(advisor.post(f"{url}/v1/customers/{customer['id']}/vehicles", json={"plate": data.plate()}))
    visit = ok(advisor.post(f"{url}/v1/visits", json={"store_id": shop.id, "customer_id": customer["id"],
                                                      "vehicle_id": vehicle["id"], "needs": ["maintenance"]}))
    quote = ok(advisor.post(f"{url}/v1/quotes", json={"visit_id": visit["id"]}))
    q = f"{url}/v1/quotes/{quote['id']}"
    ok(advisor.post(f"{q}/lines", json={"kind": "labour", "description": "更换机油机滤", "hours": 1,
                                        "skill": skill}))
    quote = ok(advisor.post(f"{q}/lines", json={"kind": "part", "sku": part, "qty": 4}))
    ok(advisor.post(f"{q}/present"))
    ok(advisor.post(f"{q}/decision", json={"approved_line_ids": [line["id"] for line in quote["lines"]],
                                           "declined_line_ids": []}))
    order = ok(advisor.post(f"{q}/contract", json={"payment_method": "wechat", "signed_by": "周杰"}), 201)
    [work_order] = eventually(lambda: ok(advisor.get(f"{url}/v1/work-orders",
                                                     params={"order_id": order["id"]}))["items"],
                              bool, "work order opened")
    eventually(lambda: ok(advisor.get(f"{url}/v1/work-orders/{work_order['id']}")),
               lambda wo: not wo["waiting_parts"], "parts reserved")
    return {"quote": quote, "order": order, "work_order": work_order, "plate": vehicle["plate"]}


def timed_loop(stack, admin, during: Moment = undisturbed) -> tuple[dict, float]:
    """The loop in a new store with a new part: (its figures, its wall time in seconds)."""
    shop = Store(stack, admin)
    part = new_part(stack, admin, shop)
    started = time.monotonic()
    figures = one_car(stack, admin, shop, part, during)
    return figures, time.monotonic() - started


def stock_of(stack, session, store_id: str, sku: str) -> dict:
    items = ok(session.get(f"{stack.url}/v1/stock", params={"store_id": store_id, "sku": sku}))["items"]
    return items[0]


def one_car(stack, admin, shop: Store, part: str, during: Moment = undisturbed) -> dict:
    url, advisor, manager, cashier = stack.url, shop.advisor, shop.manager, shop.cashier
    (li, li_session), (wang, wang_session) = shop.techs
    ok(admin.put(f"{url}/v1/stores/{shop.id}/commission-rule", json={"labour_pct": 10}))
    brake_op = f"BRK-PAD-{uuid.uuid4().hex[:5].upper()}"
    ok(admin.post(f"{url}/v1/labour-operations", json={
        "code": brake_op, "name": "更换前刹车片", "category": "repair", "standard_hours": 1.2, "skill": "brakes"}))

    # reception: the customer and the car, an appointment, the check-in
    customer = ok(advisor.post(f"{url}/v1/customers", json={
        "name": "张伟", "mobile": data.mobile(), "marketing_consent": True}))
    vehicle = ok(advisor.post(f"{url}/v1/customers/{customer['id']}/vehicles", json={
        "plate": data.plate(), "vin": data.vin(), "make": "丰田", "model": "凯美瑞", "mileage_km": 42000}))
    slot = (datetime.now(SHANGHAI) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    appointment = ok(advisor.post(f"{url}/v1/appointments", json={
        "store_id": shop.id, "customer_id": customer["id"], "vehicle_id": vehicle["id"],
        "slot_start": slot.isoformat(), "services": ["maintenance"]}))
    visit = ok(advisor.post(f"{url}/v1/visits", json={
        "store_id": shop.id, "customer_id": customer["id"], "vehicle_id": vehicle["id"], "mileage_km": 45000,
        "needs": ["maintenance", "刹车异响"], "budget_fen": 150000, "appointment_id": appointment["id"]}))

    # the quote: labour, the part (priced by inventory), a fee; a discount above the advisor's limit
    quote = ok(advisor.post(f"{url}/v1/quotes", json={"visit_id": visit["id"]}))
    q = f"{url}/v1/quotes/{quote['id']}"
    ok(advisor.post(f"{q}/lines", json={"kind": "labour", "description": "更换机油机滤", "hours": 1,
                                        "skill": "maintenance"}))
    ok(advisor.post(f"{q}/lines", json={"kind": "labour", "description": "刹车检查调整", "hours": 0.5,
                                        "skill": "brakes"}))
    ok(advisor.post(f"{q}/lines", json={"kind": "part", "sku": part, "qty": 4}))
    quote = ok(advisor.post(f"{q}/lines", json={"kind": "fee", "description": "环保处理费", "unit_price_fen": 1000}))
    oil_change, brake_check, oil, fee = quote["lines"]
    assert oil["unit_price_fen"] == 8800 and oil["available"] is True
    quote = ok(advisor.post(f"{q}/discount", json={"kind": "percent", "value": 25, "reason": "老客户回馈"}))
    assert quote["approval_status"] == "pending"
    blocked = advisor.post(f"{q}/present")
    assert blocked.status_code == 409, blocked.text  # the customer sees no price the manager has not agreed to
    assert blocked.json()["error"]["code"] == "discount_approval_pending"
    ok(manager.post(f"{q}/discount/approve", json={"note": "同意"}))
    ok(advisor.post(f"{q}/present"))
    quote = ok(advisor.post(f"{q}/decision", json={
        "approved_line_ids": [oil_change["id"], oil["id"], fee["id"]], "declined_line_ids": [brake_check["id"]]}))
    assert quote["state"] == "partially_approved"
    with during("contract"):
        order = ok(advisor.post(f"{q}/contract", json={
            "payment_method": "wechat", "deposit_fen": 10000, "deposit_reference": "WX-DEP-1",
            "signed_by": "张伟", "promised_at": (datetime.now(SHANGHAI) + timedelta(hours=4)).isoformat()},
            headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    assert order["state"] == "confirmed"
    total = order["totals"]["total_fen"]
    declined = ok(advisor.get(f"{url}/v1/declined-work", params={"customer_id": customer["id"]}))["items"]
    assert [d["description"] for d in declined] == ["刹车检查调整"]

    # the workshop: the work order appears, parts are reserved
    [wo] = eventually(lambda: ok(advisor.get(f"{url}/v1/work-orders", params={"order_id": order["id"]}))["items"],
                      bool, "work order opened from the order")
    w = f"{url}/v1/work-orders/{wo['id']}"
    eventually(lambda: stock_of(stack, manager, shop.id, part), lambda s: float(s["reserved"]) == 4,
               "the order's oil reserved")
    assert eventually(lambda: ok(advisor.get(w)), lambda x: not x["waiting_parts"], "parts ready")
    [job] = wo["jobs"]
    ok(advisor.post(f"{w}/dispatch", json={"jobs": [{"job_id": job["id"], "technicians": [
        {"technician_id": li["id"], "split_pct": 60}, {"technician_id": wang["id"], "split_pct": 40}]}]}))
    ok(li_session.post(f"{w}/jobs/{job['id']}/clock-in", json={}), 201)
    ok(wang_session.post(f"{w}/jobs/{job['id']}/clock-in", json={}), 201)
    eventually(lambda: ok(advisor.get(f"{url}/v1/orders/{order['id']}"))["state"], lambda s: s == "in_progress",
               "the order follows the work order into in_progress")
    inspection = ok(li_session.post(f"{w}/inspections", json={"mileage_km": 45000, "findings": [
        {"area": "brakes", "item": "前刹车片", "condition": "red", "notes": "剩余 2mm",
         "recommended_op_code": brake_op},
        {"area": "fluids", "item": "防冻液", "condition": "green"}]}), 201)
    assert inspection["summary"]["red"] == 1

    # the red finding becomes a second quote for the same visit; the customer approves it
    second = ok(advisor.post(f"{w}/inspections/quote", json={}), 201)
    assert second["visit_id"] == visit["id"] and second["id"] != quote["id"] and "前刹车片" in second["notes"]
    [brake_line] = second["lines"]
    assert brake_line["op_code"] == brake_op and brake_line["total_fen"] > 0
    assert advisor.post(f"{w}/inspections/quote", json={}).status_code == 409  # each finding is quoted once
    ok(advisor.post(f"{url}/v1/quotes/{second['id']}/present"))
    ok(advisor.post(f"{url}/v1/quotes/{second['id']}/decision", json={
        "approved_line_ids": [brake_line["id"]], "declined_line_ids": []}))
    brake_order = ok(advisor.post(f"{url}/v1/quotes/{second['id']}/contract", json={
        "payment_method": "wechat", "signed_by": "张伟"}), 201)
    eventually(lambda: ok(advisor.get(f"{url}/v1/work-orders", params={"order_id": brake_order["id"]}))["items"],
               bool, "a work order for the approved finding")
    ok(li_session.post(f"{w}/jobs/{job['id']}/clock-out", json={"job_finished": True}))
    ok(wang_session.post(f"{w}/jobs/{job['id']}/clock-out", json={}))
    ok(li_session.post(f"{w}/ready-for-qc", json={}))
    failed = ok(manager.post(f"{w}/qc", json={"passed": False, "reasons": ["机滤渗油"],
                                              "rework_job_ids": [job["id"]]}))
    assert failed["status"] == "in_progress" and failed["rework_count"] == 1
    ok(li_session.post(f"{w}/jobs/{job['id']}/clock-in", json={}), 201)
    ok(li_session.post(f"{w}/jobs/{job['id']}/clock-out", json={"job_finished": True}))
    ok(li_session.post(f"{w}/ready-for-qc", json={}))
    ok(manager.post(f"{w}/qc", json={"passed": True}))
    with during("complete"):
        ok(advisor.post(f"{w}/complete", json={"labour": [
            {"job_id": job["id"], "technician_id": li["id"], "hours": 0.6},
            {"job_id": job["id"], "technician_id": wang["id"], "hours": 0.4}]}))

    # finance: the invoice from the completed work order, the deposit already counted, split payment
    invoice = eventually(lambda: ok(cashier.get(f"{url}/v1/invoices", params={"store_id": shop.id}))["items"],
                         lambda items: any(i["order_id"] == order["id"] for i in items), "invoice issued")
    invoice = next(i for i in invoice if i["order_id"] == order["id"])
    assert invoice["total_fen"] == total and invoice["due_fen"] == total - 10000
    i_url = f"{url}/v1/invoices/{invoice['id']}"
    half = invoice["due_fen"] // 2
    ok(cashier.post(f"{i_url}/payments", json={"method": "wechat", "amount_fen": half, "reference": "WX-2"},
                    headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    with during("payment"):
        ok(cashier.post(f"{i_url}/payments", json={"method": "cash", "amount_fen": invoice["due_fen"] - half},
                        headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    assert ok(cashier.get(i_url))["status"] == "paid"

    # delivery, the follow-up, a complaint and its resolution
    with during("deliver"):
        ok(advisor.post(f"{w}/deliver", json={"mileage_out_km": 45003, "accepted_by": "张伟", "satisfied": True}))
    eventually(lambda: ok(advisor.get(f"{url}/v1/orders/{order['id']}"))["state"], lambda s: s == "closed",
               "order closed once delivered and paid")
    follow_ups = eventually(
        lambda: ok(advisor.get(f"{url}/v1/follow-ups", params={"store_id": shop.id}))["items"],
        lambda items: any(f["customer_id"] == customer["id"] for f in items), "follow-up scheduled")
    follow_up = next(f for f in follow_ups if f["customer_id"] == customer["id"])
    done = ok(advisor.post(f"{url}/v1/follow-ups/{follow_up['id']}/complete", json={
        "reached": True, "satisfaction": 1, "comment": "取车等了一小时", "complaint": "交车超时"}))
    complaint_id = done["complaint_id"]
    ok(manager.patch(f"{url}/v1/complaints/{complaint_id}", json={"status": "in_progress"}))
    ok(manager.patch(f"{url}/v1/complaints/{complaint_id}", json={
        "status": "resolved", "resolution": "致歉并赠送洗车一次", "compensation_coupon": "WASH-1"}))

    # everything agrees
    stock = stock_of(stack, manager, shop.id, part)
    assert float(stock["on_hand"]) == 16 and float(stock["reserved"]) == 0
    assert ok(manager.get(f"{url}/v1/stock/ledger-check", params={"store_id": shop.id}))["ok"] is True
    balance = ok(manager.get(f"{url}/v1/ledger/trial-balance", params={"store_id": shop.id}))
    assert balance["balanced"] is True and balance["total_debit_fen"] == balance["total_credit_fen"]
    eventually(lambda: ok(manager.get(f"{url}/v1/ledger/reconciliation", params={"store_id": shop.id})),
               lambda books: books["ok"], "inventory account equal to the stock valuation")
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    commissions = ok(manager.get(f"{url}/v1/reports/commissions", params={"store_id": shop.id, "month": month}))
    earned = {row["employee_id"]: row["labour_fen"] for row in commissions["items"] if row["role"] == "technician"}
    li_fen, wang_fen = earned[li_session.user_id], earned[wang_session.user_id]
    assert abs(li_fen - round((li_fen + wang_fen) * 0.6)) <= 1  # the 60/40 dispatch split, to the fen
    today = datetime.now(SHANGHAI).date().isoformat()
    kpis = ok(manager.get(f"{url}/v1/reports/kpis", params={"store_id": shop.id, "from": today, "to": today}))
    [figures] = kpis["items"]
    assert figures["car_count"] == 1 and figures["parts_cost_fen"] == 4 * 4000  # COGS at the received cost
    # joined at the gateway from the services that own them
    assert figures["close_ratio_pct"] == 100  # both quotes presented were approved (one in part)
    assert figures["first_time_qc_pass_pct"] == 0 and figures["comeback_rate_pct"] == 0  # one rework
    assert figures["labour_cost_fen"] == 6000  # 0.6 h + 0.4 h at ¥60/h
    assert figures["technician_productivity_pct"] > 0 and figures["labour_gross_profit_pct"] is not None
    assert figures["average_satisfaction"] == 1.0 and kpis["owned_elsewhere"] == {}
    history = ok(advisor.get(f"{url}/v1/customers/{customer['id']}/history"))["items"]
    kinds = {entry["kind"] for entry in history}
    assert {"visit", "delivery", "complaint"} <= kinds, kinds
    assert ok(advisor.get(f"{url}/v1/vehicles/{vehicle['id']}"))["mileage_km"] == 45003
    eventually(lambda: ok(advisor.get(f"{url}/v1/messages", params={"store_id": shop.id,  # the owner was told
                                                                    "customer_id": customer["id"]}))["items"],
               lambda items: {"vehicle_checked_in", "car_ready", "payment_receipt"} <= {m["template"] for m in items},
               "the owner's check-in, car-ready and payment-receipt messages")
    return {
        "stock": {"on_hand": stock["on_hand"], "reserved": stock["reserved"]},
        "trial_balance": {row["code"]: (row["debit_fen"], row["credit_fen"]) for row in balance["accounts"]},
        "invoices": [(i["total_fen"], i["paid_fen"], i["due_fen"], i["status"]) for i in ok(cashier.get(
            f"{url}/v1/invoices", params={"store_id": shop.id}))["items"]],
        "commissions": [li_fen, wang_fen],
        "kpis": {key: figures[key] for key in DETERMINISTIC_KPIS},
        "history": sorted(Counter(entry["kind"] for entry in history).items()),
        "customer": {key: ok(advisor.get(f"{url}/v1/customers/{customer['id']}"))[key]
                     for key in ("tier", "points", "spend_fen")},
        "orders": [ok(advisor.get(f"{url}/v1/orders/{o['id']}"))["state"] for o in (order, brake_order)],
        "work_orders": [len(ok(advisor.get(f"{url}/v1/work-orders", params={"order_id": o["id"]}))["items"])
                        for o in (order, brake_order)],
        "follow_ups": len([f for f in follow_ups if f["customer_id"] == customer["id"]]),
    }


