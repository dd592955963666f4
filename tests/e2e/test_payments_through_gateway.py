"""WeChat Pay through the gateway against the real services and the WeChat Pay sandbox the stack
starts (as `make run` does): a QR code paid and recorded once although WeChat Pay tells it twice;
a notification right in all but its signature is refused and changes nothing; WeChat Pay down is a
503 for the cashier with nothing recorded; a payment whose notification never comes is found by
polling; a link (H5) is paid like a QR code. After each, the store's books balance."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

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
