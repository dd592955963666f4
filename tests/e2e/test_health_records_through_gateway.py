"""Repair health records (汽车维修电子健康档案) through the gateway against the real services and the
provincial system's sandbox the stack starts (as `make run` does): a repair settled at the till is uploaded
with the car's VIN and plate (crm), the reception's mileage and the customer's words (sales), the items and
parts and the settlement number (finance) under the store's 许可证号; a car without a VIN is failed with that
reason, shown to the manager, and uploaded once the VIN is entered and the manager sends it again; with the
system down the record waits, queued, and goes once it is back; the list is the store's managers' and HQ's.
A store that is not a 一类/二类/三类 repair shop uploads nothing; once it is one, the manager backfills its
earlier settlements (once each); a refund after the upload leaves the manager a notice."""
from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
import requests

from tests.support import data
from tests.support.accounts import make_user
from tests.support.customer import car_with_quote, finish, ok, staff_world

pytestmark = pytest.mark.e2e

LICENCE = "440106000987"


@pytest.fixture(scope="module")
def world(stack, admin):
    store, advisor, _name = staff_world(stack, admin, "广州档案店")
    manager = make_user(stack, admin, "store_manager", [store["id"]])
    cashier = make_user(stack, admin, "cashier", [store["id"]])
    ok(manager.patch(f"{stack.url}/v1/stores/{store['id']}/finance-settings", json={
        "repair_category": "class_2", "repair_licence_no": LICENCE, "repair_company_name": "广州档案汽车服务有限公司"}))
    return store, advisor, manager, cashier


def settled(stack, admin, world, vin: str | None) -> dict:
    """A car checked in (42,000 km, 保养), its VIN entered or not, worked, invoiced and paid in cash."""
    store, advisor, _manager, cashier = world
    car = car_with_quote(stack, store, advisor)
    if vin:
        ok(advisor.patch(f"{stack.url}/v1/vehicles/{car.vehicle['id']}", json={"vin": vin}))
    done = finish(stack, admin, car)
    paid = ok(cashier.post(f"{stack.url}/v1/invoices/{done.invoice['id']}/payments", json={
        "method": "cash", "amount_fen": done.invoice["due_fen"]}))
    return {"invoice": done.invoice, "vehicle": car.vehicle, "payment_id": paid["payment"]["id"]}


def upload_of(stack, manager, store, invoice_id: str, status: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        [found] = ok(manager.get(f"{stack.url}/v1/health-record-uploads", params={
            "store_id": store["id"], "invoice_id": invoice_id}))["items"]
        if found["status"] == status or time.monotonic() > deadline:
            assert found["status"] == status, found
            return found
        time.sleep(0.3)


def held(stack, number: str) -> list[dict]:
    items = ok(requests.get(f"{stack.health_record_url}/sandbox/records", timeout=10))["items"]
    return [item for item in items if item["basicInfo"]["costlistcode"] == number]


def test_the_store_registration_is_the_managers_and_checked(stack, world):
    store, advisor, manager, _cashier = world
    url = f"{stack.url}/v1/stores/{store['id']}/finance-settings"
    bad = manager.patch(url, json={"repair_licence_no": "许可 1"})
    assert bad.status_code == 422 and "repair_licence_no" in bad.json()["error"]["fields"]
    bad = manager.patch(url, json={"repair_category": "四类"})
    assert bad.status_code == 422 and "repair_category" in bad.json()["error"]["fields"]
    assert advisor.patch(url, json={"repair_licence_no": LICENCE}).status_code == 403
    saved = ok(manager.patch(url, json={"repair_licence_no": LICENCE,
                                        "repair_company_name": "广州档案汽车服务有限公司"}))
    assert (saved["repair_licence_no"], saved["repair_company_name"]) == (LICENCE, "广州档案汽车服务有限公司")


def test_a_settled_repair_is_uploaded_with_the_facts_of_every_owner(stack, admin, world):
    store, advisor, manager, cashier = world
    vin = data.vin()
    car = settled(stack, admin, world, vin)
    invoice = car["invoice"]
    upload = upload_of(stack, manager, store, invoice["id"], "uploaded")
    assert upload["settlement_no"] == invoice["number"] and upload["plate"] == car["vehicle"]["plate"]
    basic = upload["record"]["basicInfo"]
    assert (basic["vin"], basic["repairmileage"], basic["faultdescription"], basic["costlistcode"]) == (
        vin, "42000", "保养", invoice["number"])
    assert [item["repairproject"] for item in upload["record"]["repairprojectlist"]] == ["更换机油机滤", "四轮定位"]
    [kept] = held(stack, invoice["number"])
    assert kept["companycode"] == LICENCE and kept["basicInfo"]["companyname"] == "广州档案汽车服务有限公司"
    again = manager.post(f"{stack.url}/v1/health-record-uploads/{upload['id']}/retry")
    assert again.status_code == 409 and again.json()["error"]["code"] == "health_record_state"
    assert advisor.get(f"{stack.url}/v1/health-record-uploads", params={"store_id": store["id"]}).status_code == 403
    assert cashier.get(f"{stack.url}/v1/health-record-uploads/{upload['id']}").status_code == 403


def test_a_car_without_a_vin_fails_with_that_reason_and_goes_once_fixed_and_sent_again(stack, admin, world):
    store, advisor, manager, _cashier = world
    car = settled(stack, admin, world, vin=None)
    invoice = car["invoice"]
    failed = upload_of(stack, manager, store, invoice["id"], "failed")
    assert (failed["failure_code"], failed["failure_codes"]) == ("vin_missing", ["vin_missing"])
    assert held(stack, invoice["number"]) == []
    listed = ok(manager.get(f"{stack.url}/v1/health-record-uploads", params={
        "store_id": store["id"], "status": "failed"}))["items"]
    assert failed["id"] in [item["id"] for item in listed]
    ok(advisor.patch(f"{stack.url}/v1/vehicles/{car['vehicle']['id']}", json={"vin": data.vin()}))
    retried = manager.post(f"{stack.url}/v1/health-record-uploads/{failed['id']}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "queued", retried.text
    upload_of(stack, manager, store, invoice["id"], "uploaded")
    assert len(held(stack, invoice["number"])) == 1


def test_with_the_system_down_the_record_waits_and_goes_once_it_is_back(stack, admin, world):
    store, _advisor, manager, _cashier = world
    requests.post(f"{stack.health_record_url}/sandbox/down", json={"down": True}, timeout=10)
    try:
        invoice = settled(stack, admin, world, data.vin())["invoice"]
        deadline = time.monotonic() + 20
        while (found := upload_of(stack, manager, store, invoice["id"], "queued"))["attempts"] < 2:
            assert time.monotonic() < deadline, found
            time.sleep(0.3)
        assert found["last_error"]
    finally:
        requests.post(f"{stack.health_record_url}/sandbox/down", json={"down": False}, timeout=10)
    upload_of(stack, manager, store, invoice["id"], "uploaded", timeout=30)
    assert len(held(stack, invoice["number"])) == 1


def test_a_store_that_is_not_a_repair_shop_uploads_nothing_until_the_manager_backfills(stack, admin, world):
    store, advisor, manager, _cashier = world
    url = f"{stack.url}/v1/stores/{store['id']}/finance-settings"
    assert ok(manager.patch(url, json={"repair_category": "none"}))["uploads_health_records"] is False
    try:
        before = settled(stack, admin, world, data.vin())["invoice"]
    finally:
        ok(manager.patch(url, json={"repair_category": "class_3"}))
    uploads = f"{stack.url}/v1/health-record-uploads"
    assert ok(manager.get(uploads, params={"store_id": store["id"], "invoice_id": before["id"]}))["items"] == []
    today = date.today()  # the store's day may be the next one (UTC+8): the range covers both
    span = {"store_id": store["id"], "from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
    assert advisor.post(f"{uploads}/backfill", json=span).status_code == 403
    bad = manager.post(f"{uploads}/backfill", json={**span, "from": span["to"], "to": span["from"]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "health_record_range"
    answer = ok(manager.post(f"{uploads}/backfill", json=span), 202)
    assert answer["queued"] >= 1 and answer["from"] == span["from"]
    upload = upload_of(stack, manager, store, before["id"], "uploaded")
    assert len(held(stack, before["number"])) == 1 and upload["settlement_no"] == before["number"]
    assert ok(manager.post(f"{uploads}/backfill", json=span), 202)["queued"] == 0  # once each


def test_a_refund_after_the_upload_leaves_a_notice_for_the_manager(stack, admin, world):
    store, _advisor, manager, _cashier = world
    car = settled(stack, admin, world, data.vin())
    upload = upload_of(stack, manager, store, car["invoice"]["id"], "uploaded")
    assert upload["notice"] is None
    ok(manager.post(f"{stack.url}/v1/payments/{car['payment_id']}/refunds", json={
        "amount_fen": car["invoice"]["due_fen"], "reason": "客户退单"}), 201)
    noted = ok(manager.get(f"{stack.url}/v1/health-record-uploads/{upload['id']}"))
    assert (noted["status"], noted["notice"]) == ("uploaded", "refunded_after_upload") and noted["notice_at"]
    assert len(held(stack, car["invoice"]["number"])) == 1  # the record stands at the system
