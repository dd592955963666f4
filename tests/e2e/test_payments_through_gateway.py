"""WeChat Pay and Alipay through the gateway against the real services and the sandboxes the stack
starts (as `make run` does): a QR code paid and recorded once although the provider tells it twice;
a notification right in all but its signature is refused and changes nothing; a provider down is a
503 for the cashier with nothing recorded; a payment whose notification never comes is found by
polling; a link (H5 / wap) is paid like a QR code; refunds go back through each provider and are
recorded when it confirms, a payment's notification told again after its refund changes nothing.
After each, the store's books balance."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from deploy.sandboxes import alipay as alipay_sandbox
from deploy.sandboxes import wechatpay as sandbox
from tests.e2e.test_finance_through_gateway import (
    balanced,
    create_store,
    invoice_for,
    make_user,
    wait_for,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def store(stack, admin):
    return create_store(stack, admin, "广州天河店")


@pytest.fixture(scope="module")
def manager(stack, admin, store):
    return make_user(stack, admin, "store_manager", [store["id"]])


@pytest.fixture(scope="module")
def cashier(stack, admin, store):
    return make_user(stack, admin, "cashier", [store["id"]])


def ask(stack, cashier, invoice, amount, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payment-intents",
                        json={"provider": "wechat", "channel": "qr", "amount_fen": amount}, headers=headers)


def scan(stack, url, deliveries=1) -> dict:
    reply = requests.post(f"{stack.wechatpay_url}/sandbox/pay", json={"url": url, "deliveries": deliveries},
                          timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_qr_code_is_paid_once_although_wechat_pay_tells_it_twice(stack, vhost, store, manager, cashier):
    invoice = invoice_for(stack, vhost, manager, store["id"])
    cash = cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payments",
                        json={"method": "cash", "amount_fen": 1_000})
    assert cash.status_code == 201, cash.text
    rest = invoice["due_fen"] - 1_000
    created = ask(stack, cashier, invoice, rest, key="qr-1")
    assert created.status_code == 201, created.text
    intent = created.json()
    assert created.headers["Location"] == f"/v1/payment-intents/{intent['id']}"
    assert intent["status"] == "pending" and intent["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    assert intent["qr_svg"].startswith("data:image/svg+xml")
    assert ask(stack, cashier, invoice, rest, key="qr-1").json()["id"] == intent["id"]  # a retried click
    paid = scan(stack, intent["code_url"], deliveries=2)
    assert paid["deliveries"] == [204, 204]
    shown = cashier.get(f"{stack.url}/v1/payment-intents/{intent['id']}").json()
    assert (shown["status"], shown["transaction_id"]) == ("paid", paid["order"]["transaction_id"])
    full = cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}").json()
    taken = sorted((p["method"], p["amount_fen"], p["reference"]) for p in full["payments"])
    assert (full["status"], full["due_fen"]) == ("paid", 0)
    assert taken == [("cash", 1_000, None), ("wechat", rest, paid["order"]["transaction_id"])]
    balanced(stack, manager, store["id"])


def test_a_notification_right_in_all_but_its_signature_changes_nothing(stack, vhost, store, manager, cashier):
    invoice = invoice_for(stack, vhost, manager, store["id"])
    intent = ask(stack, cashier, invoice, invoice["due_fen"]).json()
    folder = Path(stack.log_dir) / "wechatpay"
    apiv3_key = (folder / "apiv3_key").read_text().strip()
    platform_serial = sandbox.serial((folder / "platform_cert.pem").read_bytes())
    transaction = {"appid": sandbox.APPID, "mchid": sandbox.MCHID, "out_trade_no": intent["id"],
                   "transaction_id": "4200000000000000000000000001", "trade_type": "NATIVE", "trade_state": "SUCCESS",
                   "amount": {"total": intent["amount_fen"], "payer_total": intent["amount_fen"], "currency": "CNY"}}
    body = json.dumps({"id": "forged-1", "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
                       "summary": "支付成功", "resource": {"original_type": "transaction", **sandbox.encrypt(
                           apiv3_key, json.dumps(transaction), "transaction")}})
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = {**sandbox.signed_headers(forger, platform_serial, body), "Content-Type": "application/json"}
    reply = requests.post(f"{stack.url}/v1/payments/notify/wechat", data=body.encode(), headers=headers, timeout=10)
    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "notification_rejected")
    assert cashier.get(f"{stack.url}/v1/payment-intents/{intent['id']}").json()["status"] == "pending"
    after = cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}").json()
    assert (after["status"], after["payments"]) == ("issued", [])
    log = (Path(stack.log_dir) / "finance.log").read_text()
    assert "notification from wechat rejected" in log and intent["id"] not in log.split("rejected")[-1][:200]


def test_wechat_pay_down_is_a_503_for_the_cashier_and_nothing_is_recorded(stack, vhost, store, manager, cashier):
    invoice = invoice_for(stack, vhost, manager, store["id"])
    requests.post(f"{stack.wechatpay_url}/sandbox/down", json={"down": True}, timeout=5).raise_for_status()
    try:
        reply = ask(stack, cashier, invoice, invoice["due_fen"])
    finally:
        requests.post(f"{stack.wechatpay_url}/sandbox/down", json={"down": False}, timeout=5).raise_for_status()
    assert reply.status_code == 503, reply.text
    assert reply.json()["error"]["code"] == "payment_provider_unavailable" and reply.headers["Retry-After"]
    after = cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}").json()
    assert (after["status"], after["due_fen"], after["payments"]) == ("issued", invoice["due_fen"], [])
    assert ask(stack, cashier, invoice, invoice["due_fen"]).status_code == 201  # up again


def test_a_payment_whose_notification_never_comes_is_found_by_polling(stack, vhost, store, manager, cashier):
    invoice = invoice_for(stack, vhost, manager, store["id"])
    intent = ask(stack, cashier, invoice, invoice["due_fen"]).json()
    scan(stack, intent["code_url"], deliveries=0)
    found = wait_for(lambda: cashier.get(f"{stack.url}/v1/payment-intents/{intent['id']}").json()["status"] == "paid",
                     timeout=30)
    assert found, "the poller did not find the payment"
    assert cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}").json()["status"] == "paid"
    balanced(stack, manager, store["id"])


def test_a_link_is_paid_in_the_customers_phone_browser(stack, vhost, store, manager, cashier):
    invoice = invoice_for(stack, vhost, manager, store["id"])
    reply = cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payment-intents",
                         json={"provider": "wechat", "channel": "h5", "amount_fen": invoice["due_fen"]})
    assert reply.status_code == 201, reply.text
    intent = reply.json()
    assert intent["pay_url"].startswith(stack.wechatpay_url) and (intent["code_url"], intent["qr_svg"]) == (None, None)
    assert scan(stack, intent["pay_url"])["order"]["trade_type"] == "H5"
    assert cashier.get(f"{stack.url}/v1/payment-intents/{intent['id']}").json()["status"] == "paid"
    assert cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}").json()["status"] == "paid"


def alipay_scan(stack, url, deliveries=1) -> dict:
    reply = requests.post(f"{stack.alipay_url}/sandbox/pay", json={"url": url, "deliveries": deliveries}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_an_alipay_qr_code_is_paid_once_although_alipay_tells_it_twice(stack, vhost, store, manager, cashier):
    invoice = invoice_for(stack, vhost, manager, store["id"])
    created = cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payment-intents",
                           json={"provider": "alipay", "channel": "qr", "amount_fen": invoice["due_fen"]})
    assert created.status_code == 201, created.text
    intent = created.json()
    assert intent["code_url"].startswith("https://qr.alipay.com/") and intent["qr_svg"].startswith("data:image/svg")
    paid = alipay_scan(stack, intent["code_url"], deliveries=2)
    assert paid["deliveries"] == [200, 200]  # the gateway answered Alipay's `success` both times
    shown = cashier.get(f"{stack.url}/v1/payment-intents/{intent['id']}").json()
    assert (shown["status"], shown["transaction_id"]) == ("paid", paid["order"]["trade_no"])
    full = cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}").json()
    assert (full["status"], [(p["method"], p["amount_fen"]) for p in full["payments"]]) == (
        "paid", [("alipay", invoice["due_fen"])])
    balanced(stack, manager, store["id"])


def test_a_forged_alipay_notification_is_refused_and_alipay_down_is_a_503(stack, vhost, store, manager, cashier):
    invoice = invoice_for(stack, vhost, manager, store["id"])
    intent = cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payment-intents",
                          json={"provider": "alipay", "channel": "qr", "amount_fen": invoice["due_fen"]}).json()
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fields = {"notify_type": "trade_status_sync", "notify_id": "forged-1", "app_id": alipay_sandbox.APPID,
              "trade_no": "2026120622001400000000000001", "out_trade_no": intent["id"],
              "trade_status": "TRADE_SUCCESS", "total_amount": f"{intent['amount_fen'] / 100:.2f}"}
    reply = requests.post(f"{stack.url}/v1/payments/notify/alipay",
                          data=alipay_sandbox.signed_notification(forger, fields), timeout=10)
    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "notification_rejected")
    assert cashier.get(f"{stack.url}/v1/payment-intents/{intent['id']}").json()["status"] == "pending"
    requests.post(f"{stack.alipay_url}/sandbox/down", json={"down": True}, timeout=5).raise_for_status()
    try:
        down = cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payment-intents",
                            json={"provider": "alipay", "channel": "qr", "amount_fen": invoice["due_fen"]})
    finally:
        requests.post(f"{stack.alipay_url}/sandbox/down", json={"down": False}, timeout=5).raise_for_status()
    assert down.status_code == 503 and down.json()["error"]["code"] == "payment_provider_unavailable"
    assert down.headers["Retry-After"]
    after = cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}").json()
    assert (after["status"], after["payments"]) == ("issued", [])


def test_refunds_go_back_through_wechat_pay_and_alipay_and_are_recorded_when_confirmed(
        stack, vhost, store, manager, cashier):
    invoice = invoice_for(stack, vhost, manager, store["id"])
    half = invoice["due_fen"] // 2
    by_wechat = ask(stack, cashier, invoice, half).json()
    by_alipay = cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payment-intents", json={
        "provider": "alipay", "channel": "h5", "amount_fen": invoice["due_fen"] - half}).json()
    assert by_alipay["pay_url"].startswith(f"{stack.alipay_url}/gateway.do?")
    scan(stack, by_wechat["code_url"])
    alipay_scan(stack, by_alipay["pay_url"])
    full = cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}").json()
    assert full["status"] == "paid"
    payment = {p["method"]: p for p in full["payments"]}
    wechat = cashier.post(f"{stack.url}/v1/payments/{payment['wechat']['id']}/refunds",
                          json={"amount_fen": 1_000, "reason": "多收"}, headers={"Idempotency-Key": "wx-refund-1"})
    assert wechat.status_code == 201 and wechat.json()["status"] == "pending", wechat.text
    alipay = cashier.post(f"{stack.url}/v1/payments/{payment['alipay']['id']}/refunds",
                          json={"amount_fen": 500, "reason": "多收"})
    assert alipay.status_code == 201 and alipay.json()["status"] == "issued", alipay.text

    def refunded() -> dict:
        shown = cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}").json()
        return {p["method"]: p["refunded_fen"] for p in shown["payments"]}

    assert wait_for(lambda: refunded() == {"wechat": 1_000, "alipay": 500}, timeout=20), refunded()
    order = requests.get(f"{stack.alipay_url}/sandbox/orders/{by_alipay['id']}", timeout=5).json()
    assert order["trade_status"] == "TRADE_SUCCESS"
    replay = requests.post(f"{stack.alipay_url}/sandbox/replay", json={"out_trade_no": by_alipay["id"],
                                                                       "kind": "pay"}, timeout=10)
    assert replay.json()["deliveries"] == [200]  # the payment told again after its refund: nothing changes
    assert refunded() == {"wechat": 1_000, "alipay": 500}
    balanced(stack, manager, store["id"])
