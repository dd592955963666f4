"""What the car owner reads of their own records on the phone (车主端), through the gateway against the real
services: a visit's walk-around (positions and damage marks, at check-in and at delivery) and the contract
they signed with the drawn signature; the settlement statement PDF staff print; the member card's balance
and the points their paid invoice earned; the messages the store sent. Another customer finds none of it,
and complaints from the phone are limited per customer without touching anyone else's."""
from __future__ import annotations

import base64
import io
import json

import pytest
import requests
from pypdf import PdfReader

from tests.support.customer import SIGNATURE_PNG, car_with_quote, finish, ok, sign_in, staff_world, until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(stack, admin):
    return staff_world(stack, admin, "珠海香洲店")


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_owner_reads_the_walk_around_the_signed_contract_the_statement_the_card_and_the_messages(
        stack, admin, world):
    store, advisor, name = world
    url = stack.url
    car = car_with_quote(stack, store, advisor, name, "钱车主")
    other = car_with_quote(stack, store, advisor, name, "孙车主")
    owner, stranger = sign_in(stack, car.customer["mobile"]), sign_in(stack, other.customer["mobile"])
    visit_id = car.visit["id"]

    # the advisor's walk-around at check-in: the front with a scratch, the rear without damage
    front = ok(advisor.post(f"{url}/v1/visits/{visit_id}/photos", data={
        "position": "front", "damage": json.dumps([{"kind": "scratch", "note": "前保险杠"}])},
        files={"file": ("front.png", SIGNATURE_PNG, "image/png")}))
    rear = ok(advisor.post(f"{url}/v1/visits/{visit_id}/photos", data={"position": "rear"},
                           files={"file": ("rear.png", SIGNATURE_PNG, "image/png")}))
    # the contract signed on the counter's pad
    quote = ok(advisor.get(f"{url}/v1/quotes/{car.quote['id']}"))
    ok(advisor.post(f"{url}/v1/quotes/{quote['id']}/decision", json={
        "approved_line_ids": [line["id"] for line in quote["lines"]], "declined_line_ids": []}))
    order = ok(advisor.post(f"{url}/v1/quotes/{quote['id']}/contract", json={
        "payment_method": "wechat", "signed_by": "钱车主",
        "signature_png": base64.b64encode(SIGNATURE_PNG).decode()}))
    assert order["signature"]["matches"] is True

    seen = ok(owner.get(f"{url}/c/v1/visits/{visit_id}"))
    assert (seen["id"], seen["store_id"], seen["vehicle_id"], seen["plate"]) == (
        visit_id, store["id"], car.vehicle["id"], car.vehicle["plate"])
    photos = {shot["id"]: shot for shot in seen["photos"]}
    assert set(photos) == {front["id"], rear["id"]}
    assert (photos[front["id"]]["position"], photos[front["id"]]["stage"], photos[front["id"]]["damage"]) == (
        "front", "check_in", [{"kind": "scratch", "note": "前保险杠"}])
    assert (photos[rear["id"]]["position"], photos[rear["id"]]["damage"]) == ("rear", [])
    assert "uploaded_by" not in photos[front["id"]]
    image = owner.get(f"{url}{photos[front['id']]['url']}")
    assert image.status_code == 200 and image.headers["Content-Type"].startswith("image/"), image.status_code
    [contract] = seen["contracts"]
    assert (contract["id"], contract["number"], contract["total_fen"]) == (
        order["id"], order["number"], order["totals"]["total_fen"])
    signature = contract["signature"]
    assert (signature["id"], signature["signer"], signature["matches"]) == (
        order["signature"]["id"], "钱车主", True)
    drawn = owner.get(f"{url}{signature['url']}")
    assert drawn.status_code == 200 and drawn.content == SIGNATURE_PNG
    assert stranger.get(f"{url}/c/v1/visits/{visit_id}").status_code == 404
    assert stranger.get(f"{url}{signature['url']}").status_code == 404

    # worked, invoiced, paid by the owner on WeChat Pay H5: the statement staff print, and the points it earned
    done = finish(stack, admin, car)
    intent = ok(owner.post(f"{url}/c/v1/invoices/{done.invoice['id']}/payment-intents"))
    assert requests.post(f"{stack.wechatpay_url}/sandbox/pay", json={"url": intent["pay_url"]},
                         timeout=30).json()["deliveries"] == [204]
    statement = owner.get(f"{url}/c/v1/invoices/{done.invoice['id']}/statement")
    assert statement.status_code == 200, statement.text
    assert statement.headers["Content-Type"].startswith("application/pdf")
    assert "no-store" in statement.headers["Cache-Control"]
    text = pdf_text(statement.content)
    staff_text = pdf_text(done.manager.get(f"{url}/v1/invoices/{done.invoice['id']}/pdf").content)
    assert "结算单" in text and done.invoice["number"] in text and car.vehicle["plate"] in text
    assert text == staff_text  # the same sheet the store prints
    assert stranger.get(f"{url}/c/v1/invoices/{done.invoice['id']}/statement").status_code == 404

    points = until(lambda: ok(done.manager.get(f"{url}/v1/customers/{car.customer['id']}"))["points"],
                   "points from the paid invoice")
    me = ok(owner.get(f"{url}/c/v1/me"))
    assert (me["points"], me["tier"]) == (points, ok(advisor.get(f"{url}/v1/customers/{car.customer['id']}"))["tier"])
    assert ok(stranger.get(f"{url}/c/v1/me"))["points"] == 0

    # a stored-value card issued at the till: its balance on the phone, bonus included
    cashier = done.manager
    card = ok(cashier.post(f"{url}/v1/member-cards", json={
        "kind": "stored_value", "customer_id": car.customer["id"], "store_id": store["id"],
        "top_up": {"amount_fen": 50_000, "bonus_fen": 5_000, "method": "cash"}}))
    [mine] = ok(owner.get(f"{url}/c/v1/cards"))["items"]
    assert (mine["id"], mine["number"], mine["kind"], mine["balance_fen"], mine["bonus_balance_fen"],
            mine["store_id"], mine["status"]) == (card["id"], card["number"], "stored_value", 55_000, 5_000,
                                                  store["id"], "active")
    assert "transactions" not in mine and "customer_id" not in mine
    assert ok(stranger.get(f"{url}/c/v1/cards"))["items"] == []

    # the messages the store sent: checked in, car ready, the payment's receipt — worded as sent, newest first
    def texts():
        return [(m["template"], m["text"]) for m in ok(owner.get(f"{url}/c/v1/messages"))["items"]]
    sent = until(lambda: {"vehicle_checked_in", "car_ready"} <= {t for t, _ in texts()} and texts(), "messages")
    plate = car.vehicle["plate"]
    assert ("vehicle_checked_in", f"您的爱车 {plate} 已到店登记，我们会及时告知维修进度。") in sent
    assert ("car_ready", f"您的爱车 {plate} 已完工，欢迎到店取车。") in sent
    staff = ok(done.manager.get(f"{url}/v1/messages", params={"customer_id": car.customer["id"], "limit": 100}))
    assert [m["id"] for m in ok(owner.get(f"{url}/c/v1/messages", params={"limit": 100}))["items"]] == [
        m["id"] for m in staff["items"]]
    first = ok(owner.get(f"{url}/c/v1/messages", params={"limit": 1}))
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = ok(owner.get(f"{url}/c/v1/messages", params={"limit": 1, "cursor": first["next_cursor"]}))
    assert second["items"][0]["id"] == staff["items"][1]["id"]
    assert all(plate not in m["text"] for m in ok(stranger.get(f"{url}/c/v1/messages"))["items"])


def test_complaints_from_the_phone_are_limited_per_customer_and_nobody_spends_anothers(stack, admin, world):
    store, advisor, name = world
    url = stack.url
    first, second = (car_with_quote(stack, store, advisor, name, who) for who in ("周车主", "吴车主"))
    one, two = sign_in(stack, first.customer["mobile"]), sign_in(stack, second.customer["mobile"])
    body = {"store_id": store["id"], "description": "电话一直占线"}
    for n in range(5):  # CUSTOMER_COMPLAINTS_PER_HOUR
        filed = one.post(f"{url}/c/v1/complaints", json=body)
        assert filed.status_code == 201, filed.text
        assert filed.headers["RateLimit-Remaining"] == str(4 - n)
    refused = one.post(f"{url}/c/v1/complaints", json=body)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 60  # five an hour: the next one in about 12 minutes
    assert len(ok(one.get(f"{url}/c/v1/complaints"))["items"]) == 5
    # the other customer's bucket is their own, whatever the first one sent
    assert two.post(f"{url}/c/v1/complaints", json=body).status_code == 201
