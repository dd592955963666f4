"""The cashier refunds money paid by scan when nothing was due, with the console alone: an invoice is paid in
cash while the car owner also pays its WeChat Pay QR code in the sandbox; the cashier sees it listed under
扫码已付但无需收款（待原路退回）, clicks 原路退款, confirms, sees it waiting for WeChat Pay and then gone from the
list when WeChat Pay confirms; the refund is at the provider, once, and the books reconcile."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, yuan
from tests.browser.test_cashier import completed_work
from tests.support.one_car import ok


def test_the_cashier_refunds_a_scan_paid_when_nothing_was_due(console, stack, shop, part):
    invoice = completed_work(stack, shop, part)
    cashier = console.open(shop.login["cashier"])
    cashier.locator(f"li[data-invoice='{invoice['id']}']").click()
    cashier.locator("#wechat-qr-button").click()
    qr = cashier.locator("#wechat-qr")
    code_url, intent_id = qr.get_attribute("data-code-url"), qr.get_attribute("data-intent")
    cashier.locator(".pay-part [name=method]").select_option("cash")  # the owner pays cash after all ...
    cashier.locator("#payment-form button[type=submit]").click()
    expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")
    late = requests.post(f"{stack.wechatpay_url}/sandbox/pay", json={"url": code_url}, timeout=30)  # ... and scans
    assert late.status_code == 200, late.text
    cashier.reload()
    row = cashier.locator(f"#unapplied-intents tr[data-intent='{intent_id}']")
    expect(row).to_contain_text(invoice["number"])
    expect(row).to_contain_text("微信")
    expect(row).to_contain_text(yuan(invoice["due_fen"]))
    row.locator("button:has-text('原路退款')").click()
    expect(row).to_contain_text(f"确认将 {yuan(invoice['due_fen'])} 原路退回顾客的微信账户")
    assert_all_chinese(cashier, shop.login["cashier"], late.json()["order"]["transaction_id"])
    row.locator("button:has-text('确认退款')").click()
    expect(row).to_have_count(0, timeout=30_000)  # gone when WeChat Pay confirms the refund
    intent = ok(shop.cashier.get(f"{stack.url}/v1/payment-intents/{intent_id}"))
    assert intent["status"] == "refunded"
    order = ok(requests.get(f"{stack.wechatpay_url}/sandbox/orders/{intent_id}", timeout=5))
    assert order["refunded"] == invoice["due_fen"]  # refunded whole at WeChat Pay, once
    books = ok(shop.manager.get(f"{stack.url}/v1/ledger/reconciliation", params={"store_id": shop.id}))
    assert books["ok"], books
    balance = ok(shop.manager.get(f"{stack.url}/v1/ledger/trial-balance", params={"store_id": shop.id}))
    assert balance["balanced"], balance
    assert {a["code"]: a["balance_credit_fen"] - a["balance_debit_fen"]
            for a in balance["accounts"]}.get("2241", 0) == 0
