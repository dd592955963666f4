"""The customer channel (车主端) through the gateway against the real services, RabbitMQ and PostgreSQL:
sign-in by one-time code (as the SMS sandbox received it), the customer's own cars, the quote and its
per-line decision reaching sales as the staff's does, the car's timeline, and booking a slot."""
from __future__ import annotations

import base64
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.support import data
from tests.support.customer import (SIGNATURE_PNG, car_with_quote, latest_code, ok, sign_in, sms_codes,
                                    staff_world)

pytestmark = pytest.mark.e2e
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def world(stack, admin):
    store, advisor, name = staff_world(stack, admin)
    return store, advisor, name


@pytest.fixture
def car(stack, world):
    """A customer of their own per test (a number asks for one code a minute)."""
    return car_with_quote(stack, *world)


def code_for(stack, mobile: str) -> requests.Response:
    return requests.post(f"{stack.url}/c/v1/auth/code", json={"mobile": mobile}, timeout=10)


def login(stack, mobile: str, code: str) -> requests.Response:
    return requests.post(f"{stack.url}/c/v1/auth/login", json={"mobile": mobile, "code": code}, timeout=10)


def test_a_code_is_202_for_any_number_and_sent_only_to_a_customers(stack, car):
    stranger = data.mobile()
    answer = code_for(stack, stranger)
    assert answer.status_code == 202 and answer.json() == {"expires_in": 300, "resend_after": 60}
    assert sms_codes(stack, stranger) == []
    assert login(stack, stranger, "000000").status_code == 401
    mobile = car.customer["mobile"]
    assert code_for(stack, mobile).status_code == 202
    code = latest_code(stack, mobile)
    assert len(code) == 6 and code.isdigit()
    # asked again at once: the same answer for both numbers (limited, never telling which is a customer's)
    again, stranger_again = code_for(stack, mobile), code_for(stack, stranger)
    assert again.status_code == stranger_again.status_code == 429
    assert again.json()["error"]["code"] == "code_requests_limited" and int(again.headers["Retry-After"]) > 0
    signed_in = login(stack, mobile, code)
    assert signed_in.status_code == 200, signed_in.text
    body = signed_in.json()
    assert body["customer"] == {"id": car.customer["id"], "name": "王车主"} and body["token_type"] == "bearer"
    used = login(stack, mobile, code)  # single use
    assert used.status_code == 401 and used.json()["error"]["code"] == "code_invalid"


def test_customer_and_staff_tokens_are_refused_on_each_others_routes(stack, car, world):
    customer = sign_in(stack, car.customer["mobile"])
    assert customer.get(f"{stack.url}/c/v1/vehicles").status_code == 200
    assert customer.get(f"{stack.url}/v1/me").status_code == 401
    assert customer.get(f"{stack.url}/v1/quotes/{car.quote['id']}").status_code == 401
    advisor = world[1]
    assert advisor.get(f"{stack.url}/c/v1/vehicles").status_code == 401
    assert advisor.get(f"{stack.url}/c/v1/quotes/{car.quote['id']}").status_code == 401


def test_wrong_guesses_lock_the_code_even_against_the_right_one(stack, world):
    car = car_with_quote(stack, *world, name="李车主")
    mobile = car.customer["mobile"]
    assert code_for(stack, mobile).status_code == 202
    code = latest_code(stack, mobile)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        refused = login(stack, mobile, wrong)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "code_invalid"
    locked = login(stack, mobile, code)
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "code_locked"
    assert int(locked.headers["Retry-After"]) > 60
    cooling = code_for(stack, mobile)  # a new code only after the cool-down
    assert cooling.status_code == 429 and int(cooling.headers["Retry-After"]) > 60


def test_the_customer_sees_own_car_and_quote_and_decides_per_line_with_a_signature(stack, car, world, admin):
    customer = sign_in(stack, car.customer["mobile"])
    vehicles = ok(customer.get(f"{stack.url}/c/v1/vehicles"))["items"]
    assert [v["id"] for v in vehicles] == [car.vehicle["id"]] and vehicles[0]["plate"] == car.vehicle["plate"]
    quote = ok(customer.get(f"{stack.url}/c/v1/quotes/{car.quote['id']}"))
    assert quote["state"] == "presented" and not quote["signed"]
    assert [(line["description"], line["total_fen"]) for line in quote["lines"]] == [
        ("更换机油机滤", 12000), ("四轮定位", 19800), ("空调清洗", 8800)]
    assert quote["totals"]["total_fen"] == 40600 and "unit_cost_fen" not in quote["lines"][0]
    oil, alignment, aircon = (line["id"] for line in quote["lines"])
    decided = customer.post(f"{stack.url}/c/v1/quotes/{quote['id']}/decision", json={
        "approved_line_ids": [oil, aircon], "declined_line_ids": [alignment],
        "signature_png": "data:image/png;base64," + base64.b64encode(SIGNATURE_PNG).decode()},
        headers={"X-Forwarded-For": "10.9.9.9"})  # not a trusted proxy: the peer's address counts
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "partially_approved" and decided.json()["signed"]
    # the staff see the same decision, the declined work, and who decided from where
    advisor = world[1]
    staff_quote = ok(advisor.get(f"{stack.url}/v1/quotes/{quote['id']}"))
    assert staff_quote["state"] == "partially_approved"
    assert [line["decision"] for line in staff_quote["lines"]] == ["approved", "declined", "approved"]
    declined = ok(advisor.get(f"{stack.url}/v1/declined-work", params={"customer_id": car.customer["id"]}))["items"]
    assert [item["description"] for item in declined] == ["四轮定位"]
    trail = ok(admin.get(f"{stack.url}/v1/audit-trail", params={"document_type": "quote",
                                                                 "document_id": quote["id"]}))["items"]
    entry = next(row for row in trail if row["action"] == "customer_decided")
    assert entry["user_id"] == car.customer["id"] and entry["role"] == "customer" and entry["occurred_at"]
    assert entry["details"]["client_ip"] == "127.0.0.1" and entry["details"]["signature_id"]
    again = customer.post(f"{stack.url}/c/v1/quotes/{quote['id']}/decision",
                          json={"approved_line_ids": [oil, alignment, aircon]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "quote_state"
    # the timeline: checked in, quoted, partially approved
    timeline = ok(customer.get(f"{stack.url}/c/v1/timeline", params={"vehicle_id": car.vehicle["id"]}))["items"]
    assert [step["step"] for step in timeline] == ["checked_in", "quoted", "partially_approved"]
    assert timeline[1]["document_id"] == quote["id"]


def test_another_customers_documents_are_unknown(stack, car, world):
    other = car_with_quote(stack, *world, name="赵车主")
    stranger = sign_in(stack, other.customer["mobile"])
    quote_id, line_ids = car.quote["id"], [line["id"] for line in car.quote["lines"]]
    assert stranger.get(f"{stack.url}/c/v1/quotes/{quote_id}").status_code == 404
    refused = stranger.post(f"{stack.url}/c/v1/quotes/{quote_id}/decision", json={"approved_line_ids": line_ids})
    assert refused.status_code == 404
    assert stranger.get(f"{stack.url}/c/v1/timeline", params={"vehicle_id": car.vehicle["id"]}).status_code == 404
    mine = ok(stranger.get(f"{stack.url}/c/v1/timeline"))["items"]
    assert {step["vehicle_id"] for step in mine} == {other.vehicle["id"]}
    booking = stranger.post(f"{stack.url}/c/v1/appointments", json={
        "store_id": car.store["id"], "vehicle_id": car.vehicle["id"], "slot_start": _slot(1, 10).isoformat()})
    assert booking.status_code == 404


def _slot(days: int, hour: int) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


def test_booking_a_free_slot_shows_on_the_staff_list_and_a_full_slot_is_refused(stack, world, admin):
    store, advisor, _ = world
    ok(admin.put(f"{stack.url}/v1/sales-settings/{store['id']}", json={"slot_capacity": 1, "slot_minutes": 60}))
    first, second = car_with_quote(stack, *world, name="钱车主"), car_with_quote(stack, *world, name="孙车主")
    day: date = _slot(2, 10).date()
    customer = sign_in(stack, first.customer["mobile"])
    stores = ok(customer.get(f"{stack.url}/c/v1/stores"))["items"]
    assert store["id"] in {s["id"] for s in stores}
    slots = ok(customer.get(f"{stack.url}/c/v1/slots", params={"store_id": store["id"], "date": day.isoformat()}))
    ten = next(slot for slot in slots["items"] if datetime.fromisoformat(slot["slot_start"]) == _slot(2, 10))
    assert ten["free"] == 1 and ten["slot_minutes"] == 60
    booked = customer.post(f"{stack.url}/c/v1/appointments", json={
        "store_id": store["id"], "vehicle_id": first.vehicle["id"], "slot_start": _slot(2, 10).isoformat(),
        "services": ["保养"]})
    assert booked.status_code == 201, booked.text
    staff_list = ok(advisor.get(f"{stack.url}/v1/appointments", params={"store_id": store["id"],
                                                                         "date": day.isoformat()}))["items"]
    assert [(a["id"], a["customer_id"]) for a in staff_list] == [(booked.json()["id"], first.customer["id"])]
    slots = ok(customer.get(f"{stack.url}/c/v1/slots", params={"store_id": store["id"], "date": day.isoformat()}))
    assert next(s for s in slots["items"] if s["slot_start"] == ten["slot_start"])["free"] == 0
    other = sign_in(stack, second.customer["mobile"])
    full = other.post(f"{stack.url}/c/v1/appointments", json={
        "store_id": store["id"], "vehicle_id": second.vehicle["id"], "slot_start": _slot(2, 10).isoformat()})
    assert full.status_code == 409 and full.json()["error"]["code"] == "slot_full"
    unknown = other.get(f"{stack.url}/c/v1/slots", params={"store_id": "no-such-store", "date": day.isoformat()})
    assert unknown.status_code == 422
