"""The customer channel after the work (车主端), through the gateway against the real services, RabbitMQ,
PostgreSQL and the WeChat Pay sandbox: the owner sees the invoice of the lines they approved, pays the
balance by WeChat Pay H5 (recorded once the notification comes, never more than due), accepts the car
(the staff's delivery), rates the visit 2 (the follow-up staff see, and a complaint they resolve), and
sees the resolution; complaints, consent, reminders and moving a booking."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.support.customer import (SIGNATURE_PNG, car_with_quote, finish, oil_change, ok, sign_in, staff_world,
                                    until)

pytestmark = pytest.mark.e2e
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def world(stack, admin):
    return staff_world(stack, admin, "佛山禅城店")


def test_the_owner_pays_by_wechat_h5_accepts_the_car_and_a_low_rating_opens_a_complaint(stack, admin, world):
    store, advisor, name = world
    car = car_with_quote(stack, store, advisor, name, oil_op=oil_change(stack, admin))
    customer = sign_in(stack, car.customer["mobile"])
    oil, alignment, aircon = (line["id"] for line in car.quote["lines"])
    ok(customer.post(f"{stack.url}/c/v1/quotes/{car.quote['id']}/decision", json={
        "approved_line_ids": [oil, aircon], "declined_line_ids": [alignment],
        "signature_png": base64.b64encode(SIGNATURE_PNG).decode()}))
    done = finish(stack, admin, car)

    # the invoice of the two approved lines: lines that add up, nothing paid yet
    [listed] = ok(customer.get(f"{stack.url}/c/v1/invoices", params={"vehicle_id": car.vehicle["id"]}))["items"]
    invoice = ok(customer.get(f"{stack.url}/c/v1/invoices/{listed['id']}"))
    assert invoice["number"] == done.invoice["number"] and invoice["work_order_id"] == done.work_order["id"]
    assert [(line["description"], line["total_fen"]) for line in invoice["lines"]] == [
        ("更换机油机滤", 12000), ("空调清洗", 8800)]
    assert sum(line["total_fen"] for line in invoice["lines"]) == invoice["total_fen"] == 20800
    assert (invoice["status"], invoice["paid_fen"], invoice["due_fen"], invoice["payments"]) == ("issued", 0, 20800, [])
    assert "advisor_id" not in invoice and "unbilled_parts" not in invoice

    # accepting before paying is refused; the work order waits for the owner
    [waiting] = ok(customer.get(f"{stack.url}/c/v1/work-orders", params={"vehicle_id": car.vehicle["id"]}))["items"]
    assert waiting["status"] == "completed"
    early = customer.post(f"{stack.url}/c/v1/work-orders/{waiting['id']}/acceptance", json={"satisfied": True})
    assert early.status_code == 409 and early.json()["error"]["code"] == "delivery_balance_open"

    # pay the whole balance by WeChat Pay H5; a second tap is the same link
    asked = customer.post(f"{stack.url}/c/v1/invoices/{invoice['id']}/payment-intents")
    assert asked.status_code == 201, asked.text
    intent = asked.json()
    assert (intent["amount_fen"], intent["channel"], intent["status"]) == (20800, "h5", "pending")
    assert intent["pay_url"].startswith(f"{stack.wechatpay_url}/sandbox/h5/checkmweb?prepay_id=")
    assert ok(customer.post(f"{stack.url}/c/v1/invoices/{invoice['id']}/payment-intents"))["id"] == intent["id"]
    paid = requests.post(f"{stack.wechatpay_url}/sandbox/pay", json={"url": intent["pay_url"]}, timeout=30)
    assert paid.status_code == 200 and paid.json()["deliveries"] == [204], paid.text
    assert ok(customer.get(f"{stack.url}/c/v1/payment-intents/{intent['id']}"))["status"] == "paid"
    invoice = ok(customer.get(f"{stack.url}/c/v1/invoices/{invoice['id']}"))
    assert (invoice["status"], invoice["paid_fen"], invoice["due_fen"]) == ("paid", 20800, 0)
    assert [(p["method"], p["amount_fen"]) for p in invoice["payments"]] == [("wechat", 20800)]
    again = customer.post(f"{stack.url}/c/v1/invoices/{invoice['id']}/payment-intents")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invoice_state"
    staff_invoice = ok(advisor.get(f"{stack.url}/v1/invoices/{invoice['id']}"))
    assert (staff_invoice["status"], staff_invoice["due_fen"]) == ("paid", 0)

    # 验收: the staff's delivery, signed with the owner's name
    accepted = ok(customer.post(f"{stack.url}/c/v1/work-orders/{waiting['id']}/acceptance",
                                json={"satisfied": True, "comment": "洗得很干净"}))
    assert (accepted["status"], accepted["accepted_by"]) == ("delivered", "王车主")
    staff_view = ok(advisor.get(f"{stack.url}/v1/work-orders/{waiting['id']}"))
    assert (staff_view["status"], staff_view["accepted_by"], staff_view["customer_comment"]) == (
        "delivered", "王车主", "洗得很干净")
    until(lambda: ok(advisor.get(f"{stack.url}/v1/orders/{done.order['id']}"))["state"] == "closed",
          "the order closed: delivered and paid")
    steps = [s["step"] for s in ok(customer.get(f"{stack.url}/c/v1/timeline",
                                                params={"vehicle_id": car.vehicle["id"]}))["items"]]
    assert steps[-4:] == ["work_started", "qc_passed", "ready", "delivered"], steps

    # the follow-up the store would phone for, answered by the owner: 2 opens a complaint
    follow_up = until(lambda: ok(customer.get(f"{stack.url}/c/v1/follow-ups"))["items"], "follow-up scheduled")[0]
    assert follow_up["status"] == "scheduled" and follow_up["work_order_id"] == waiting["id"]
    rated = ok(customer.post(f"{stack.url}/c/v1/follow-ups/{follow_up['id']}/rating",
                             json={"satisfaction": 2, "comment": "等车太久"}))
    assert (rated["status"], rated["satisfaction"]) == ("completed", 2) and rated["complaint_id"]
    twice = customer.post(f"{stack.url}/c/v1/follow-ups/{follow_up['id']}/rating", json={"satisfaction": 5})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "follow_up_state"
    staff_follow_ups = ok(advisor.get(f"{stack.url}/v1/follow-ups", params={"store_id": store["id"],
                                                                            "status": "completed"}))["items"]
    mine = next(item for item in staff_follow_ups if item["id"] == follow_up["id"])
    assert (mine["satisfaction"], mine["comment"], mine["completed_by"]) == (2, "等车太久", car.customer["id"])
    complaint = ok(done.manager.get(f"{stack.url}/v1/complaints/{rated['complaint_id']}"))
    assert (complaint["customer_id"], complaint["channel"], complaint["status"]) == (
        car.customer["id"], "follow_up", "open")
    ok(done.manager.patch(f"{stack.url}/v1/complaints/{complaint['id']}", json={"status": "in_progress"}))
    ok(done.manager.patch(f"{stack.url}/v1/complaints/{complaint['id']}", json={
        "status": "resolved", "resolution": "致歉并赠送洗车一次"}))
    [seen] = ok(customer.get(f"{stack.url}/c/v1/complaints"))["items"]
    assert (seen["status"], seen["resolution"]) == ("resolved", "致歉并赠送洗车一次")

    # the oil change is next due within six months; the history lists the invoice
    reminders = until(lambda: ok(customer.get(f"{stack.url}/c/v1/reminders"))["items"], "service due")
    assert [(r["vehicle_id"], r["service_type"]) for r in reminders] == [(car.vehicle["id"], "OIL-CHG")]
    due_on = datetime.fromisoformat(reminders[0]["due_on"]).date()
    assert datetime.now(SHANGHAI).date() < due_on <= datetime.now(SHANGHAI).date() + timedelta(days=186)


def test_a_complaint_reaches_the_store_and_consent_is_the_customers_to_switch(stack, admin, world):
    store, advisor, name = world
    car = car_with_quote(stack, store, advisor, name, "吴车主")
    customer = sign_in(stack, car.customer["mobile"])
    me = ok(customer.get(f"{stack.url}/c/v1/me"))
    mobile = car.customer["mobile"]
    assert me == {"id": car.customer["id"], "name": "吴车主", "mobile": f"{mobile[:3]}****{mobile[-4:]}",
                  "marketing_consent": False, "tier": "standard", "points": 0}
    assert ok(customer.patch(f"{stack.url}/c/v1/me", json={"marketing_consent": True}))["marketing_consent"]
    assert ok(advisor.get(f"{stack.url}/v1/customers/{car.customer['id']}"))["marketing_consent"] is True
    filed = customer.post(f"{stack.url}/c/v1/complaints", json={
        "store_id": store["id"], "vehicle_id": car.vehicle["id"], "description": "前台态度不好"})
    assert filed.status_code == 201, filed.text
    listed = ok(advisor.get(f"{stack.url}/v1/complaints", params={"store_id": store["id"]}))["items"]
    staff = next(item for item in listed if item["id"] == filed.json()["id"])
    assert (staff["customer_id"], staff["vehicle_id"], staff["channel"], staff["status"]) == (
        car.customer["id"], car.vehicle["id"], "online", "open")
    unknown = customer.post(f"{stack.url}/c/v1/complaints", json={"store_id": "no-such-store", "description": "x"})
    assert unknown.status_code == 422 and "store_id" in unknown.json()["error"]["fields"]


def test_a_booking_moves_to_a_free_slot_and_a_full_one_changes_nothing(stack, admin, world):
    store, advisor, name = world
    ok(admin.put(f"{stack.url}/v1/sales-settings/{store['id']}", json={"slot_capacity": 1, "slot_minutes": 60}))
    first, second = (car_with_quote(stack, store, advisor, name, who) for who in ("郑车主", "冯车主"))
    day = datetime.now(SHANGHAI).date() + timedelta(days=4)

    def slot(hour: int) -> str:
        return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).isoformat()

    ok(advisor.post(f"{stack.url}/v1/appointments", json={
        "store_id": store["id"], "customer_id": second.customer["id"], "vehicle_id": second.vehicle["id"],
        "slot_start": slot(15)}))
    customer = sign_in(stack, first.customer["mobile"])
    booked = ok(customer.post(f"{stack.url}/c/v1/appointments", json={
        "store_id": store["id"], "vehicle_id": first.vehicle["id"], "slot_start": slot(10), "services": ["保养"]}))
    full = customer.post(f"{stack.url}/c/v1/appointments/{booked['id']}/reschedule", json={"slot_start": slot(15)})
    assert full.status_code == 409 and full.json()["error"]["code"] == "slot_full"
    assert ok(advisor.get(f"{stack.url}/v1/appointments/{booked['id']}"))["state"] == "booked"
    assert datetime.fromisoformat(ok(advisor.get(f"{stack.url}/v1/appointments/{booked['id']}"))["slot_start"]) \
        == datetime.fromisoformat(slot(10))
    moved = ok(customer.post(f"{stack.url}/c/v1/appointments/{booked['id']}/reschedule", json={"slot_start": slot(11)}))
    assert moved["id"] == booked["id"] and moved["state"] == "booked"  # the same booking, moved in place
    assert datetime.fromisoformat(moved["slot_start"]) == datetime.fromisoformat(slot(11))
    assert moved["services"] == ["保养"] and moved["vehicle_id"] == first.vehicle["id"]
    staff_view = ok(advisor.get(f"{stack.url}/v1/appointments/{booked['id']}"))
    assert datetime.fromisoformat(staff_view["slot_start"]) == datetime.fromisoformat(slot(11))
    back = ok(customer.post(f"{stack.url}/c/v1/appointments/{booked['id']}/reschedule", json={"slot_start": slot(10)}))
    assert back["id"] == booked["id"]  # its own old slot is free to it again (it does not count itself)
    ok(customer.post(f"{stack.url}/c/v1/appointments/{booked['id']}/reschedule", json={"slot_start": slot(11)}))
    listed = ok(advisor.get(f"{stack.url}/v1/appointments", params={"store_id": store["id"],
                                                                     "date": day.isoformat()}))["items"]
    hours = sorted((a["customer_id"], datetime.fromisoformat(a["slot_start"]).astimezone(SHANGHAI).hour)
                   for a in listed if a["state"] == "booked")
    assert hours == sorted([(first.customer["id"], 11), (second.customer["id"], 15)])
