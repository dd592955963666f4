"""Paying inside WeChat's own browser by WeChat Pay JSAPI, through the gateway against the real services, the
WeChat Pay sandbox and the messaging sandbox's WeChat (网页授权): without an openid the payment asks for WeChat's
web authorization first; the round trip's state is the owner's own (another's, or a forged one, is refused); the
code gives the openid, kept by crm; the intent then answers getBrandWCPayRequest's parameters, whose paySign the
sandbox verifies (a tampered one pays nothing); paid, the notification records the payment as for H5."""
from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from deploy.sandboxes import messaging, wechatpay
from tests.support.customer import SIGNATURE_PNG, car_with_quote, finish, oil_change, ok, sign_in, staff_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(stack, admin):
    return staff_world(stack, admin, "佛山南海店")


def owed_invoice(stack, admin, world) -> tuple[requests.Session, dict, dict]:
    store, advisor, name = world
    car = car_with_quote(stack, store, advisor, name, oil_op=oil_change(stack, admin))
    customer = sign_in(stack, car.customer["mobile"])
    ok(customer.post(f"{stack.url}/c/v1/quotes/{car.quote['id']}/decision", json={
        "approved_line_ids": [line["id"] for line in car.quote["lines"]], "declined_line_ids": [],
        "signature_png": base64.b64encode(SIGNATURE_PNG).decode()}))
    return customer, finish(stack, admin, car).invoice, car.customer


def through_wechat(customer: requests.Session, stack) -> tuple[str, str]:
    """WeChat's 网页授权 as the phone does it: the authorize URL, WeChat's redirect back; (code, state)."""
    started = customer.post(f"{stack.url}/c/v1/wechat/authorizations")
    assert started.status_code == 201, started.text
    url = urlsplit(started.json()["authorize_url"])
    assert url.fragment == "wechat_redirect"
    asked = parse_qs(url.query)
    assert (asked["appid"], asked["scope"], asked["response_type"]) == ([messaging.PAY_APPID], ["snsapi_base"],
                                                                        ["code"])
    assert asked["redirect_uri"][0].endswith("/m/") and asked["state"] == [started.json()["state"]]
    back = requests.get(started.json()["authorize_url"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    query = parse_qs(urlsplit(back.headers["Location"]).query)
    return query["code"][0], query["state"][0]


def test_inside_wechat_the_owner_pays_by_jsapi_after_web_authorization(stack, admin, world):
    customer, invoice, owner = owed_invoice(stack, admin, world)
    pay = f"{stack.url}/c/v1/invoices/{invoice['id']}/payment-intents"
    assert ok(customer.get(f"{stack.url}/c/v1/wechat"))["appid"] == messaging.PAY_APPID

    first = customer.post(pay, json={"channel": "jsapi"})
    assert first.status_code == 409 and first.json()["error"]["code"] == "wechat_openid_needed", first.text

    code, state = through_wechat(customer, stack)
    someone, _, _ = owed_invoice(stack, admin, world)
    for who, given in ((customer, "1x2x3"), (someone, state)):  # a forged state; the owner's state in another's hands
        refused = who.post(f"{stack.url}/c/v1/wechat/openid", json={"code": code, "state": given})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "wechat_oauth_state", refused.text
    assert ok(customer.post(f"{stack.url}/c/v1/wechat/openid", json={"code": code, "state": state})) == {
        "appid": messaging.PAY_APPID, "known": True}
    again = customer.post(f"{stack.url}/c/v1/wechat/openid", json={"code": code, "state": state})
    assert again.status_code == 409 and again.json()["error"]["code"] == "wechat_oauth_refused"  # a code is used once

    asked = customer.post(pay, json={"channel": "jsapi"})
    assert asked.status_code == 201, asked.text
    intent = asked.json()
    assert (intent["channel"], intent["status"], intent["amount_fen"], intent["pay_url"]) == (
        "jsapi", "pending", invoice["due_fen"], None)
    params = intent["jsapi"]
    assert params["appId"] == messaging.PAY_APPID and params["package"].startswith("prepay_id=wx")
    assert params["signType"] == "RSA" and params["timeStamp"].isdigit()
    order = requests.get(f"{stack.wechatpay_url}/sandbox/orders/{intent['id']}", timeout=10).json()
    assert (order["trade_type"], order["payer_appid"]) == ("JSAPI", messaging.PAY_APPID)
    assert ok(customer.post(pay, json={"channel": "jsapi"}))["id"] == intent["id"]  # a second tap: the same order

    bridge = f"{stack.wechatpay_url}/sandbox/jsapi/pay"
    forged = requests.post(bridge, json={**params, "package": params["package"], "nonceStr": "0" * 32}, timeout=30)
    assert forged.status_code == 400 and forged.json()["code"] == "SIGN_ERROR"
    assert ok(customer.get(f"{stack.url}/c/v1/payment-intents/{intent['id']}"))["status"] == "pending"
    paid = requests.post(bridge, json=params, timeout=30)
    assert paid.status_code == 200 and paid.json()["deliveries"] == [204], paid.text
    assert ok(customer.get(f"{stack.url}/c/v1/payment-intents/{intent['id']}"))["status"] == "paid"
    settled = ok(customer.get(f"{stack.url}/c/v1/invoices/{invoice['id']}"))
    assert (settled["status"], settled["due_fen"]) == ("paid", 0)
    assert [(p["method"], p["amount_fen"]) for p in settled["payments"]] == [("wechat", invoice["due_fen"])]
    h5 = customer.post(pay, json={"channel": "h5"})
    assert h5.status_code == 409 and h5.json()["error"]["code"] == "invoice_state"


@pytest.fixture(scope="module")
def own_store(stack, admin):
    """A store that is a sub-merchant of the chain's service provider with an official account of its own, the
    sub_appid of its merchant account (its keys files; they go again after)."""
    found = staff_world(stack, admin, "深圳宝安店")
    code = found[0]["code"]
    stack.give_account("wechatpay", code, {**wechatpay.sub_merchant(wechatpay.SUB_MCHIDS[2]),
                                           "sub_appid": messaging.STORE_WECHAT_APPID})
    stack.give_account("wechat_mp", code, {"appid": messaging.STORE_WECHAT_APPID,
                                           "secret": messaging.STORE_WECHAT_SECRET})
    yield found
    stack.give_account("wechatpay", code, None)
    stack.give_account("wechat_mp", code, None)


def test_a_store_with_its_own_official_account_authorizes_and_pays_there(stack, admin, world, own_store):
    customer, invoice, _ = owed_invoice(stack, admin, own_store)
    _, chain_invoice, _ = owed_invoice(stack, admin, world)
    pay = f"{stack.url}/c/v1/invoices/{invoice['id']}/payment-intents"
    setup = f"{stack.url}/c/v1/wechat"
    assert ok(customer.get(setup, params={"invoice_id": invoice["id"]}))["appid"] == messaging.STORE_WECHAT_APPID
    assert ok(customer.get(setup))["appid"] == messaging.PAY_APPID  # without an invoice: the chain's
    assert customer.get(setup, params={"invoice_id": chain_invoice["id"]}).status_code == 404  # another's

    started = ok(customer.post(f"{stack.url}/c/v1/wechat/authorizations", json={"invoice_id": invoice["id"]}))
    assert parse_qs(urlsplit(started["authorize_url"]).query)["appid"] == [messaging.STORE_WECHAT_APPID]
    back = requests.get(started["authorize_url"], allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(back.headers["Location"]).query)
    code, state = query["code"][0], query["state"][0]
    chains = customer.post(f"{stack.url}/c/v1/wechat/openid", json={"code": code, "state": state})
    assert chains.status_code == 409 and chains.json()["error"]["code"] == "wechat_oauth_state"  # not the chain's
    assert ok(customer.post(f"{stack.url}/c/v1/wechat/openid", json={
        "code": code, "state": state, "invoice_id": invoice["id"]})) == {
        "appid": messaging.STORE_WECHAT_APPID, "known": True}

    intent = ok(customer.post(pay, json={"channel": "jsapi"}))
    params = intent["jsapi"]
    assert params["appId"] == messaging.STORE_WECHAT_APPID
    order = requests.get(f"{stack.wechatpay_url}/sandbox/orders/{intent['id']}", timeout=10).json()
    assert (order["trade_type"], order["sub_mchid"], order["payer_appid"]) == (
        "JSAPI", wechatpay.SUB_MCHIDS[2], messaging.STORE_WECHAT_APPID)
    paid = requests.post(f"{stack.wechatpay_url}/sandbox/jsapi/pay", json=params, timeout=30)
    assert paid.status_code == 200, paid.text
    assert ok(customer.get(f"{stack.url}/c/v1/payment-intents/{intent['id']}"))["status"] == "paid"
    assert ok(customer.get(f"{stack.url}/c/v1/invoices/{invoice['id']}"))["status"] == "paid"
