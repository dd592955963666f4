"""The customer channel's test world: a store, its advisor, a customer with a car checked in and a
presented three-line quote (set up by staff through the staff API), and the customer's sign-in with
the code read from what the stack's SMS sandbox received (deploy/sandboxes/messaging.py)."""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass

import requests

from services.common.operations import OIL_CHANGE
from tests.support import data
from tests.support.accounts import make_user
from tests.support.one_car import ALL_DAY
from tests.support.stack import Stack

PASSWORD = "Advisor-pass-1"
SIGNATURE_PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
                 b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND"
                 b"\xaeB`\x82")
"""A 1×1 PNG: a signature drawn on screen."""


def ok(reply: requests.Response, status: int | None = None) -> dict:
    assert reply.status_code == (status or reply.status_code) and reply.status_code < 300, \
        f"{reply.request.method} {reply.request.url}: {reply.status_code} {reply.text}"
    return reply.json()


@dataclass
class Car:
    store: dict
    advisor: requests.Session
    advisor_name: str
    customer: dict
    vehicle: dict
    visit: dict
    quote: dict


def staff_world(stack: Stack, admin: requests.Session,
                store_name: str = "广州天河店") -> tuple[dict, requests.Session, str]:
    """A new store and its service advisor (logged in)."""
    store = ok(admin.post(f"{stack.url}/v1/stores", json={"code": f"C{uuid.uuid4().hex[:6]}", "name": store_name}))
    username = f"advisor-{uuid.uuid4().hex[:8]}"
    ok(admin.post(f"{stack.url}/v1/users", json={"username": username, "password": PASSWORD,
                                                 "role": "service_advisor", "store_ids": [store["id"]]}))
    return store, stack.login(username, PASSWORD), username


def car_with_quote(stack: Stack, store: dict, advisor: requests.Session, advisor_name: str = "",
                   name: str = "王车主", oil_op: str | None = None) -> Car:
    """A customer and their car checked in at `store`, with a presented quote of three lines (the oil
    change as the catalogue's operation `oil_op` when given: crm then knows when it is next due)."""
    url = stack.url
    customer = ok(advisor.post(f"{url}/v1/customers", json={"name": name, "mobile": data.mobile(),
                                                            "home_store_id": store["id"]}))
    vehicle = ok(advisor.post(f"{url}/v1/customers/{customer['id']}/vehicles",
                              json={"plate": data.plate(), "make": "丰田", "model": "卡罗拉"}))
    visit = ok(advisor.post(f"{url}/v1/visits", json={"store_id": store["id"], "customer_id": customer["id"],
                                                      "vehicle_id": vehicle["id"], "mileage_km": 42000,
                                                      "needs": ["保养"]}))
    quote = ok(advisor.post(f"{url}/v1/quotes", json={"visit_id": visit["id"], "lines": [
        {"kind": "labour", "description": "更换机油机滤", "flat_price_fen": 12000, "op_code": oil_op},
        {"kind": "labour", "description": "四轮定位", "flat_price_fen": 19800},
        {"kind": "fee", "description": "空调清洗", "unit_price_fen": 8800}]}))
    quote = ok(advisor.post(f"{url}/v1/quotes/{quote['id']}/present"))
    return Car(store, advisor, advisor_name, customer, vehicle, visit, quote)


def oil_change(stack: Stack, admin: requests.Session) -> str:
    """The catalogue's oil change (crm's default interval: 6 months or 5,000 km), made if missing."""
    reply = admin.post(f"{stack.url}/v1/labour-operations", json={
        "code": OIL_CHANGE, "name": "更换机油机滤", "category": "maintenance", "standard_hours": 0.5,
        "skill": "maintenance"})
    assert reply.status_code in (201, 409), reply.text
    return OIL_CHANGE


def sms_sent(stack: Stack, mobile: str, template: str) -> list[dict]:
    """Every text of `template` (sign_in, quote_ready …) the SMS sandbox took for this number, oldest first."""
    reply = requests.get(f"{stack.messaging_url}/sandbox/sms", params={"to": mobile}, timeout=10)
    return [line for line in ok(reply)["items"] if line["template"] == template]


def sms_arrived(stack: Stack, mobile: str, template: str, timeout: float = 15) -> list[dict]:
    """The texts of `template` to `mobile` once there is one (crm's outbox sends them a moment later)."""
    deadline = time.monotonic() + timeout
    while not (found := sms_sent(stack, mobile, template)):
        assert time.monotonic() < deadline, f"no {template} text sent to {mobile}"
        time.sleep(0.2)
    return found


def sms_codes(stack: Stack, mobile: str) -> list[str]:
    """Every sign-in code the SMS sandbox took for this number, oldest first."""
    return [re.search(r"\d{6}", line["body"]).group() for line in sms_sent(stack, mobile, "sign_in")]


def latest_code(stack: Stack, mobile: str, after: int = 0, timeout: float = 10) -> str:
    """The newest code sent to `mobile` once more than `after` codes were sent to it."""
    deadline = time.monotonic() + timeout
    while len(codes := sms_codes(stack, mobile)) <= after:
        assert time.monotonic() < deadline, f"no code sent to {mobile}"
        time.sleep(0.1)
    return codes[-1]


def sign_in(stack: Stack, mobile: str) -> requests.Session:
    """A customer's session: ask for a code, read it from the sink, log in."""
    before = len(sms_codes(stack, mobile))
    assert requests.post(f"{stack.url}/c/v1/auth/code", json={"mobile": mobile}, timeout=10).status_code == 202
    reply = ok(requests.post(f"{stack.url}/c/v1/auth/login",
                             json={"mobile": mobile, "code": latest_code(stack, mobile, before)}, timeout=10))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {reply['access_token']}"
    return session


@dataclass
class Finished:
    order: dict
    work_order: dict
    invoice: dict
    manager: requests.Session


def finish(stack: Stack, admin: requests.Session, car: Car) -> Finished:
    """The car's quote contracted (decided by the advisor, all lines, if the customer has not decided),
    its work order dispatched, worked, passed QC and completed: its invoice issued, nothing paid."""
    url, advisor = stack.url, car.advisor
    quote = ok(advisor.get(f"{url}/v1/quotes/{car.quote['id']}"))
    if quote["state"] == "presented":
        ok(advisor.post(f"{url}/v1/quotes/{quote['id']}/decision", json={
            "approved_line_ids": [line["id"] for line in quote["lines"]], "declined_line_ids": []}))
    order = ok(advisor.post(f"{url}/v1/quotes/{quote['id']}/contract",
                            json={"payment_method": "wechat", "signed_by": car.customer["name"]}))
    manager = make_user(stack, admin, "store_manager", [car.store["id"]])
    tech_session = make_user(stack, admin, "technician", [car.store["id"]])
    tech = ok(manager.post(f"{url}/v1/technicians", json={
        "store_id": car.store["id"], "name": "李师傅", "level": "senior", "hourly_cost_fen": 6000,
        "skills": ["maintenance"], "shifts": ALL_DAY, "user_id": tech_session.user_id}))
    work_order = until(lambda: ok(advisor.get(f"{url}/v1/work-orders", params={"order_id": order["id"]}))["items"],
                       "work order opened")[0]
    w = f"{url}/v1/work-orders/{work_order['id']}"
    jobs = [job["id"] for job in work_order["jobs"]]
    ok(advisor.post(f"{w}/dispatch", json={"jobs": [
        {"job_id": job, "technicians": [{"technician_id": tech["id"], "split_pct": 100}]} for job in jobs]}))
    for job in jobs:
        ok(tech_session.post(f"{w}/jobs/{job}/clock-in", json={}))
        ok(tech_session.post(f"{w}/jobs/{job}/clock-out", json={"job_finished": True}))
    ok(tech_session.post(f"{w}/ready-for-qc", json={}))
    ok(manager.post(f"{w}/qc", json={"passed": True}))
    work_order = ok(advisor.post(f"{w}/complete", json={"labour": [
        {"job_id": job, "technician_id": tech["id"], "hours": 0.5} for job in jobs]}))
    invoices = until(lambda: [i for i in ok(advisor.get(f"{url}/v1/invoices", params={
        "store_id": car.store["id"], "order_id": order["id"]}))["items"] if i["order_id"] == order["id"]],
        "invoice issued")
    return Finished(order, work_order, invoices[0], manager)


def until(fetch, what: str, timeout: float = 20.0):
    """`fetch()` once it answers something truthy."""
    deadline = time.monotonic() + timeout
    while not (value := fetch()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.2)
    return value
