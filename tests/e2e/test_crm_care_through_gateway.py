"""Customer care end to end: other services' facts published on the real broker, the real crm
service and the gateway over HTTP (acceptance of issue 4)."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.test_crm_through_gateway import new_customer
from tests.support.accounts import create_store, make_user, without_quiet_hours
from tests.support import data
from tests.support.bus import publish

pytestmark = pytest.mark.e2e
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def store(stack, admin):
    return create_store(stack, admin, "佛山禅城店")


@pytest.fixture(scope="module")
def advisor(stack, admin, store):
    return make_user(stack, admin, "service_advisor", [store["id"]])


@pytest.fixture(scope="module")
def manager(stack, admin, store):
    return make_user(stack, admin, "store_manager", [store["id"]])


@pytest.fixture(scope="module")
def stranger(stack, admin):
    return make_user(stack, admin, "service_advisor", [create_store(stack, admin, "珠海店")["id"]])


def eventually(probe, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def with_vehicle(stack, session, mileage=10_000, **extra):
    customer = new_customer(stack, session, **extra)
    vehicle = session.post(f"{stack.url}/v1/customers/{customer['id']}/vehicles",
                           json={"plate": data.plate(), "mileage_km": mileage})
    assert vehicle.status_code == 201, vehicle.text
    return customer, vehicle.json()


def confirm_order(stack, session, vhost, store, customer, vehicle, order_id, op_code, at):
    """Publish the order and wait until crm has projected it (deliveries come days later in real life)."""
    publish(vhost, "sales", "order_confirmed", {
        "order_id": order_id, "order_number": f"SO-{order_id[-6:]}", "store_id": store["id"], "visit_id": None,
        "quote_id": f"q-{order_id}", "customer_id": customer["id"], "vehicle_id": vehicle["id"], "advisor_id": None,
        "promised_at": None,
        "lines": [{"line_id": "l1", "kind": "labour", "description": "保养", "op_code": op_code, "skill": None,
                   "hours": 1, "sku": None, "qty": 1, "unit_price_fen": 30_000, "discount_fen": 0, "tax_rate": "0.06",
                   "tax_fen": 1_698, "total_fen": 30_000}],
        "totals": {"subtotal_fen": 30_000, "discount_fen": 0, "tax_fen": 1_698, "total_fen": 30_000},
        "deposit": None, "confirmed_at": at.isoformat()}, store["id"])
    assert eventually(lambda: any(h["reference_id"] == order_id for h in history(stack, session, customer["id"])))


def deliver(vhost, store, customer, vehicle, order_id, mileage, at):
    publish(vhost, "workshop", "vehicle_delivered", {
        "work_order_id": f"wo-{order_id}", "order_id": order_id, "store_id": store["id"],
        "customer_id": customer["id"], "vehicle_id": vehicle["id"], "mileage_out_km": mileage, "satisfied": True,
        "delivered_at": at.isoformat()}, store["id"])


def history(stack, session, customer_id):
    return session.get(f"{stack.url}/v1/customers/{customer_id}/history").json()["items"]


def test_a_delivery_shows_in_history_and_a_score_of_one_opens_a_complaint(stack, vhost, advisor, manager, stranger,
                                                                          store):
    customer, vehicle = with_vehicle(stack, advisor)
    order_id = f"o-{uuid.uuid4().hex[:10]}"
    now = datetime.now(timezone.utc)
    confirm_order(stack, advisor, vhost, store, customer, vehicle, order_id, "OIL-CHG", now - timedelta(hours=2))
    deliver(vhost, store, customer, vehicle, order_id, 12_000, now)
    lines = eventually(lambda: [h for h in history(stack, advisor, customer["id"]) if h["kind"] == "delivery"])
    assert lines and lines[0]["mileage_km"] == 12_000 and lines[0]["amount_fen"] == 30_000
    assert [h["kind"] for h in history(stack, advisor, customer["id"])] == ["delivery", "order"]
    assert advisor.get(f"{stack.url}/v1/vehicles/{vehicle['id']}").json()["mileage_km"] == 12_000

    listed = advisor.get(f"{stack.url}/v1/follow-ups",
                         params={"store_id": store["id"], "customer_id": customer["id"]}).json()["items"]
    [follow_up] = listed
    assert follow_up["status"] == "scheduled"
    assert datetime.fromisoformat(follow_up["due_at"]) == datetime.fromisoformat(
        lines[0]["occurred_at"]) + timedelta(days=3)
    assert stranger.get(f"{stack.url}/v1/follow-ups", params={"store_id": store["id"]}).status_code == 403
    assert stranger.post(f"{stack.url}/v1/follow-ups/{follow_up['id']}/complete",
                         json={"satisfaction": 5}).status_code == 403

    done = advisor.post(f"{stack.url}/v1/follow-ups/{follow_up['id']}/complete",
                        json={"satisfaction": 1, "comment": "车内有油污"})
    assert done.status_code == 200, done.text
    complaint_id = done.json()["complaint_id"]
    assert complaint_id
    again = advisor.post(f"{stack.url}/v1/follow-ups/{follow_up['id']}/complete", json={"satisfaction": 1})
    assert again.status_code == 409
    url = f"{stack.url}/v1/complaints/{complaint_id}"
    assert advisor.get(url).json()["status"] == "open"
    assert advisor.patch(url, json={"status": "closed"}).status_code == 409
    assert advisor.patch(url, json={"status": "in_progress"}).json()["status"] == "in_progress"
    assert advisor.patch(url, json={"status": "resolved"}).status_code == 422
    resolved = advisor.patch(url, json={"status": "resolved", "resolution": "免费内饰清洁", "compensation_fen": 5_000})
    assert resolved.status_code == 200 and resolved.json()["compensation_fen"] == 5_000
    assert advisor.patch(url, json={"status": "closed"}).json()["status"] == "closed"
    open_ones = advisor.get(f"{stack.url}/v1/complaints", params={"customer_id": customer["id"]}).json()["items"]
    assert [c["status"] for c in open_ones] == ["closed"]
    stats = manager.get(f"{stack.url}/v1/follow-ups/satisfaction", params={
        "store_id": store["id"], "from": (now - timedelta(days=1)).date().isoformat(),
        "to": (now + timedelta(days=1)).date().isoformat()}).json()
    assert stats["total"]["complaints"] >= 1 and stats["total"]["distribution"]["1"] >= 1


def test_reminders_by_date_and_by_mileage(stack, vhost, advisor, store):
    now = datetime.now(timezone.utc)
    # by date: oil changed 170 days ago on a car that barely moves (10 km a day) -> due in about 10 days
    slow, slow_car = with_vehicle(stack, advisor, mileage=49_000)
    publish(vhost, "sales", "visit_checked_in", {
        "visit_id": "v-slow", "store_id": store["id"], "customer_id": slow["id"], "vehicle_id": slow_car["id"],
        "mileage_km": 49_100, "needs": [], "checked_in_at": (now - timedelta(days=270)).isoformat()}, store["id"])
    assert eventually(lambda: history(stack, advisor, slow["id"]))
    order_a = f"o-{uuid.uuid4().hex[:10]}"
    confirm_order(stack, advisor, vhost, store, slow, slow_car, order_a, "OIL-CHG", now - timedelta(days=171))
    deliver(vhost, store, slow, slow_car, order_a, 50_100, now - timedelta(days=170))
    # by mileage: 150 km a day since the tyres were rotated 60 days ago -> 10,000 km in about 67 days
    fast, fast_car = with_vehicle(stack, advisor, mileage=20_000)
    publish(vhost, "sales", "visit_checked_in", {
        "visit_id": "v-fast", "store_id": store["id"], "customer_id": fast["id"], "vehicle_id": fast_car["id"],
        "mileage_km": 20_000, "needs": ["换位"], "checked_in_at": (now - timedelta(days=60)).isoformat()}, store["id"])
    assert eventually(lambda: history(stack, advisor, fast["id"]))
    order_b = f"o-{uuid.uuid4().hex[:10]}"
    confirm_order(stack, advisor, vhost, store, fast, fast_car, order_b, "TYRE-ROT", now - timedelta(days=1))
    deliver(vhost, store, fast, fast_car, order_b, 29_000, now)

    def reminders(due_before):
        return advisor.get(f"{stack.url}/v1/reminders", params={"store_id": store["id"],
                                                                "due_before": due_before.isoformat()}).json()["items"]

    soon = eventually(lambda: [r for r in reminders((now + timedelta(days=30)).date())
                               if r["customer_id"] == slow["id"]])
    assert soon and soon[0]["reason"] == "date" and soon[0]["service_type"] == "OIL-CHG"
    later = eventually(lambda: [r for r in reminders((now + timedelta(days=90)).date())
                                if r["customer_id"] == fast["id"]])
    assert later and later[0]["reason"] == "mileage" and later[0]["due_km"] == 39_000
    assert fast["id"] not in [r["customer_id"] for r in reminders((now + timedelta(days=30)).date())]


def test_paid_invoices_earn_points(stack, vhost, advisor, store):
    customer = new_customer(stack, advisor)
    publish(vhost, "finance", "invoice_paid", {
        "invoice_id": f"inv-{uuid.uuid4().hex[:8]}", "order_id": f"o-{uuid.uuid4().hex[:8]}", "store_id": store["id"],
        "customer_id": customer["id"], "total_fen": 650_050, "paid_at": datetime.now(timezone.utc).isoformat()},
        store["id"])
    seen = eventually(lambda: advisor.get(f"{stack.url}/v1/customers/{customer['id']}").json()["points"] == 6_500)
    assert seen
    member = advisor.get(f"{stack.url}/v1/customers/{customer['id']}").json()
    assert member["tier"] == "silver" and member["spend_fen"] == 650_050


def test_a_birthday_campaign_reaches_consenting_customers_once(stack, admin, manager, advisor, store):
    without_quiet_hours(stack, manager, store["id"])  # sent now at any hour in Beijing
    month = datetime.now(SHANGHAI).month
    birthday = f"1988-{month:02d}-15"
    yes = new_customer(stack, advisor, birthday=birthday, marketing_consent=True, home_store_id=store["id"])
    no = new_customer(stack, advisor, birthday=birthday, marketing_consent=False, home_store_id=store["id"])
    audience = manager.post(f"{stack.url}/v1/campaigns/audience", json={"segment": {"birthday_this_month": True}})
    assert audience.status_code == 200 and audience.json()["audience_count"] >= 1
    reply = manager.post(f"{stack.url}/v1/campaigns", json={
        "name": "生日关怀", "channel": "sms", "template": "{name}您好，祝您生日快乐！",
        "segment": {"birthday_this_month": True}})
    assert reply.status_code == 201, reply.text
    campaign = reply.json()
    assert campaign["store_id"] == store["id"] and campaign["status"] == "scheduled"
    url = f"{stack.url}/v1/campaigns/{campaign['id']}"
    finished = eventually(lambda: manager.get(url).json()["status"] == "completed", timeout=30)
    assert finished, manager.get(url).json()
    messages = manager.get(f"{url}/messages").json()["items"]
    recipients = [m["customer_id"] for m in messages]
    assert yes["id"] in recipients and no["id"] not in recipients
    assert len(recipients) == len(set(recipients))
    assert all(m["status"] in ("sent", "delivered") for m in messages)  # the sandbox's receipt may have come
    time.sleep(3)  # more timer ticks change nothing
    assert len(manager.get(f"{url}/messages").json()["items"]) == len(messages)
    assert advisor.get(f"{stack.url}/v1/campaigns").status_code == 403  # managers run campaigns


def test_merge_keeps_history_and_erase_anonymises(stack, vhost, advisor, manager, store):
    survivor, car_a = with_vehicle(stack, advisor)
    duplicate, car_b = with_vehicle(stack, advisor)
    publish(vhost, "sales", "visit_checked_in", {
        "visit_id": "v-dup", "store_id": store["id"], "customer_id": duplicate["id"], "vehicle_id": car_b["id"],
        "mileage_km": 15_000, "needs": ["洗车"], "checked_in_at": datetime.now(timezone.utc).isoformat()}, store["id"])
    assert eventually(lambda: history(stack, advisor, duplicate["id"]))
    merged = manager.post(f"{stack.url}/v1/customers/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]})
    assert merged.status_code == 200, merged.text
    assert sorted(v["id"] for v in merged.json()["vehicles"]) == sorted([car_a["id"], car_b["id"]])
    assert [h["kind"] for h in history(stack, advisor, survivor["id"])] == ["merge", "visit"]
    assert advisor.get(f"{stack.url}/v1/customers/{duplicate['id']}").json()["merged_into_id"] == survivor["id"]
    assert advisor.post(f"{stack.url}/v1/customers/{survivor['id']}/erase").status_code == 403  # managers only
    assert advisor.get(f"{stack.url}/v1/customers/{survivor['id']}").json()["mobile"] == survivor["mobile"]

    erased = manager.post(f"{stack.url}/v1/customers/{survivor['id']}/erase")
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["name"] == "已删除客户" and body["mobile"] != survivor["mobile"] and body["birthday"] is None
    assert advisor.get(f"{stack.url}/v1/customers", params={"phone": survivor["mobile"]}).json()["items"] == []
    assert [h["kind"] for h in history(stack, advisor, survivor["id"])] == ["merge", "visit"]  # records kept
    audit = manager.get(f"{stack.url}/v1/customers/{survivor['id']}/audit").json()["items"]
    assert [e["action"] for e in audit][:3] == ["erase", "read_contact", "merge"]
    assert audit[1]["role"] == "service_advisor"
