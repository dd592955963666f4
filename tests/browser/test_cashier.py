"""The cashier in the console: an invoice with its lines and amount due, paid in two methods
(a mistyped amount is shown next to its field and the part already taken is not taken
again), a partial refund, and the day's close; a QR code scanned with WeChat Pay or Alipay and
refunded back through the provider; money paid by scan when nothing was due listed to refund."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, confirmed_order, go_to, yuan
from tests.support.one_car import eventually, ok


def completed_work(stack, shop, part) -> dict:
    """A confirmed order taken through the workshop over the API, and its invoice."""
    url = stack.url
    car = confirmed_order(stack, shop, part)
    w = f"{url}/v1/work-orders/{car['work_order']['id']}"
    (li, li_session), _ = shop.techs
    [job] = car["work_order"]["jobs"]
    ok(shop.advisor.post(f"{w}/dispatch", json={"jobs": [{"job_id": job["id"],
                                                          "technicians": [{"technician_id": li["id"]}]}]}))
    ok(li_session.post(f"{w}/jobs/{job['id']}/clock-in", json={}), 201)
    ok(li_session.post(f"{w}/jobs/{job['id']}/clock-out", json={"job_finished": True}))
    ok(li_session.post(f"{w}/ready-for-qc", json={}))
    ok(shop.manager.post(f"{w}/qc", json={"passed": True}))
    ok(shop.advisor.post(f"{w}/complete", json={"labour": [{"job_id": job["id"], "technician_id": li["id"],
                                                            "hours": 1}]}))
    invoices = eventually(lambda: ok(shop.cashier.get(f"{url}/v1/invoices", params={
                              "store_id": shop.id, "order_id": car["order"]["id"]}))["items"],
                          bool, "invoice issued")
    return invoices[0]


def test_cashier_takes_a_split_payment_and_refunds_part_of_it(console, stack, shop, part):
    invoice = completed_work(stack, shop, part)
    due = invoice["due_fen"]
    first = due // 2
    cashier = console.open(shop.login["cashier"])
    expect(cashier.locator("[data-screen=cashier]")).to_be_visible()
    cashier.locator(f"li[data-invoice='{invoice['id']}']").click()
    expect(cashier.locator("[data-due]")).to_have_text(yuan(due))
    expect(cashier.locator("#invoice table").first).to_contain_text("更换机油机滤")

    parts = cashier.locator(".pay-part")
    parts.nth(0).locator("[name=method]").select_option("wechat")
    parts.nth(0).locator("[name=amount_yuan]").fill(f"{first / 100:.2f}")
    parts.nth(0).locator("[name=reference]").fill("WX-778")
    cashier.locator("button:has-text('再加一种付款方式')").click()
    parts.nth(1).locator("[name=method]").select_option("cash")
    parts.nth(1).locator("[name=amount_yuan]").fill("abc")
    cashier.locator("#payment-form button[type=submit]").click()
    expect(parts.nth(1).locator("[data-field=amount_fen] .field-error")).to_contain_text("金额格式不对")
    expect(parts.nth(0)).to_contain_text("已收")  # the WeChat part went through once
    console.shot(cashier, "cashier-split-payment")
    parts.nth(1).locator("[name=amount_yuan]").fill(f"{(due - first) / 100:.2f}")
    cashier.locator("#payment-form button[type=submit]").click()
    expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")
    expect(cashier.locator("#payment-form")).to_have_count(0)
    assert_all_chinese(cashier, shop.login["cashier"], "WX-778")  # once printed a literal `null` here
    paid = ok(shop.cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}"))
    taken = sorted((p["method"], p["amount_fen"]) for p in paid["payments"] if p["kind"] == "payment")
    assert paid["status"] == "paid" and taken == sorted([("wechat", first), ("cash", due - first)])

    # a partial refund of the cash part
    cash = next(p for p in paid["payments"] if p["method"] == "cash")
    row = cashier.locator(f"tr[data-payment='{cash['id']}']")
    row.locator("button:has-text('退款')").click()
    row.locator("[name=amount_yuan]").fill("1.00")
    row.locator("[name=reason]").fill("找零差额")
    row.locator("button[type=submit]").click()
    expect(cashier.locator(f"tr[data-payment='{cash['id']}']")).to_contain_text("¥1.00")
    assert ok(shop.cashier.get(f"{stack.url}/v1/payments/{cash['id']}"))["refunded_fen"] == 100
    expect(cashier.locator("#daily-close")).to_contain_text("现金")
    assert_all_chinese(cashier, shop.login["cashier"], "WX-778")
    console.shot(cashier, "cashier-refund-and-daily-close")


def test_cashier_takes_part_in_cash_and_the_rest_by_wechat_qr(console, stack, shop, part):
    invoice = completed_work(stack, shop, part)
    due, cash = invoice["due_fen"], 1_000
    cashier = console.open(shop.login["cashier"])
    cashier.locator(f"li[data-invoice='{invoice['id']}']").click()
    expect(cashier.locator("[data-due]")).to_have_text(yuan(due))
    parts = cashier.locator(".pay-part")
    parts.nth(0).locator("[name=method]").select_option("cash")
    parts.nth(0).locator("[name=amount_yuan]").fill(f"{cash / 100:.2f}")
    cashier.locator("#payment-form button[type=submit]").click()
    expect(cashier.locator("[data-due]")).to_have_text(yuan(due - cash))

    cashier.locator("#wechat-qr-button").click()  # the rest, which the form now proposes
    qr = cashier.locator("#wechat-qr")
    expect(qr).to_contain_text("请顾客用微信扫码支付")
    expect(qr).to_contain_text("等待支付")
    assert qr.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    console.shot(cashier, "cashier-wechat-qr")
    code_url = qr.get_attribute("data-code-url")
    scanned = requests.post(f"{stack.wechatpay_url}/sandbox/pay", json={"url": code_url}, timeout=30)  # the phone
    assert scanned.status_code == 200 and scanned.json()["deliveries"] == [204], scanned.text

    expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")
    expect(cashier.locator("#payment-form")).to_have_count(0)
    expect(cashier.locator("#payments")).to_contain_text("微信")
    assert_all_chinese(cashier, shop.login["cashier"])
    console.shot(cashier, "cashier-wechat-paid")
    paid = ok(shop.cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}"))
    taken = sorted((p["method"], p["amount_fen"]) for p in paid["payments"] if p["kind"] == "payment")
    assert paid["status"] == "paid" and taken == [("cash", cash), ("wechat", due - cash)]

    # a refund of the WeChat part goes back through WeChat Pay: recorded when its REFUND.SUCCESS arrives
    wechat = next(p for p in paid["payments"] if p["method"] == "wechat")
    row = cashier.locator(f"tr[data-payment='{wechat['id']}']")
    row.locator("button:has-text('退款')").click()
    row.locator("[name=amount_yuan]").fill("2.00")
    row.locator("[name=reason]").fill("多收")
    row.locator("button[type=submit]").click()
    expect(cashier.locator(f"tr[data-payment='{wechat['id']}'] td").nth(2)).to_have_text("¥2.00", timeout=20_000)
    assert ok(shop.cashier.get(f"{stack.url}/v1/payments/{wechat['id']}"))["refunded_fen"] == 200


def test_cashier_takes_an_alipay_qr_payment_and_refunds_part_of_it_through_alipay(console, stack, shop, part):
    invoice = completed_work(stack, shop, part)
    due = invoice["due_fen"]
    cashier = console.open(shop.login["cashier"])
    cashier.locator(f"li[data-invoice='{invoice['id']}']").click()
    expect(cashier.locator("[data-due]")).to_have_text(yuan(due))
    cashier.locator("#alipay-qr-button").click()
    qr = cashier.locator("#alipay-qr")
    expect(qr).to_contain_text("请顾客用支付宝扫码支付")
    expect(qr).to_contain_text("等待支付")
    assert qr.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    console.shot(cashier, "cashier-alipay-qr")
    scanned = requests.post(f"{stack.alipay_url}/sandbox/pay", json={"url": qr.get_attribute("data-code-url")},
                            timeout=30)  # the customer's phone
    assert scanned.status_code == 200 and scanned.json()["deliveries"] == [200], scanned.text

    expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")
    expect(cashier.locator("#payments")).to_contain_text("支付宝")
    [payment] = ok(shop.cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}"))["payments"]
    assert (payment["method"], payment["amount_fen"], payment["reference"]) == (
        "alipay", due, scanned.json()["order"]["trade_no"])
    row = cashier.locator(f"tr[data-payment='{payment['id']}']")
    row.locator("button:has-text('退款')").click()
    row.locator("[name=amount_yuan]").fill("3.00")
    row.locator("[name=reason]").fill("工时多算")
    row.locator("button[type=submit]").click()
    expect(cashier.locator(f"tr[data-payment='{payment['id']}'] td").nth(2)).to_have_text("¥3.00")
    order = ok(requests.get(f"{stack.alipay_url}/sandbox/orders/{scanned.json()['order']['out_trade_no']}",
                            timeout=5))
    assert (order["trade_status"], order["refunded_fen"]) == ("TRADE_SUCCESS", 300)  # refunded at Alipay, once
    console.shot(cashier, "cashier-alipay-refunded")
    cashier.reload()  # the day's close, read again: Alipay beside cash
    expect(cashier.locator("#daily-close")).to_contain_text("支付宝")
    assert_all_chinese(cashier, shop.login["cashier"])


def test_money_paid_by_scan_when_nothing_was_due_is_listed_for_the_cashier(console, stack, shop, part):
    invoice = completed_work(stack, shop, part)
    cashier = console.open(shop.login["cashier"])
    cashier.locator(f"li[data-invoice='{invoice['id']}']").click()
    cashier.locator("#alipay-qr-button").click()
    code_url = cashier.locator("#alipay-qr").get_attribute("data-code-url")
    cashier.locator(".pay-part [name=method]").select_option("cash")  # the customer pays cash after all
    cashier.locator("#payment-form button[type=submit]").click()
    expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")
    late = requests.post(f"{stack.alipay_url}/sandbox/pay", json={"url": code_url}, timeout=30)  # then scans
    assert late.status_code == 200, late.text
    cashier.reload()
    listed = cashier.locator("#unapplied-intents")
    expect(listed).to_contain_text(invoice["number"])
    expect(listed).to_contain_text("支付宝")
    expect(listed).to_contain_text(late.json()["order"]["trade_no"])
    expect(listed).to_contain_text(yuan(invoice["due_fen"]))
    assert_all_chinese(cashier, shop.login["cashier"], late.json()["order"]["trade_no"])


def test_a_refund_above_the_limit_is_asked_of_the_manager_who_approves_it_in_the_queue(console, stack, shop, part):
    """The cashier's refund above the store's limit is refused at the till: asked of the manager, it waits in
    审批 (invoice, customer, car, amount, method, reason, who asked); approved there, the cashier's invoice
    shows it refunded."""
    settings = f"{stack.url}/v1/stores/{shop.id}/finance-settings"
    limit = ok(shop.manager.get(settings))["refund_approval_limit_fen"]
    ok(shop.manager.patch(settings, json={"refund_approval_limit_fen": 100}))  # ¥1.00: this store's rule
    try:
        invoice = completed_work(stack, shop, part)
        cashier = console.open(shop.login["cashier"])
        cashier.locator(f"li[data-invoice='{invoice['id']}']").click()
        cashier.locator(".pay-part [name=method]").first.select_option("cash")
        cashier.locator("#payment-form button[type=submit]").click()
        expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")
        [cash] = ok(shop.cashier.get(f"{stack.url}/v1/invoices/{invoice['id']}"))["payments"]
        row = cashier.locator(f"tr[data-payment='{cash['id']}']")
        row.locator("button:has-text('退款')").click()
        row.locator("[name=amount_yuan]").fill("2.50")
        row.locator("[name=reason]").fill("工时多算")
        row.locator("button[type=submit]").click()
        expect(row.locator(".refund-ask")).to_contain_text("超过 ¥1.00 的退款须店长审批")
        row.locator("button:has-text('提交店长审批')").click()
        asked = cashier.locator("#refund-requests [data-refund-request]")
        expect(asked).to_contain_text("待店长审批")
        expect(asked).to_contain_text("¥2.50")
        assert_all_chinese(cashier, shop.login["cashier"])

        manager = console.open(shop.login["store_manager"])
        expect(manager.locator('#nav a[href="#/approvals"] .count')).to_have_text("1")
        go_to(manager, "approvals")
        card = manager.locator("[data-refund-request]")
        expect(card.locator("[data-amount]")).to_have_text("¥2.50")
        expect(card.locator("[data-reason]")).to_have_text("工时多算")
        expect(card.locator("[data-plate]")).not_to_have_text("—")
        expect(card.locator("[data-customer]")).not_to_have_text("—")
        expect(card.locator("[data-asked-by]")).not_to_have_text("—")
        expect(card).to_contain_text(invoice["number"])
        expect(card).to_contain_text("现金")
        assert_all_chinese(manager, shop.login["store_manager"])
        console.shot(manager, "approvals-refund")
        card.locator(".approve-refund-form button[type=submit]").click()
        expect(manager.locator("#refund-approvals-empty")).to_be_visible()
        expect(manager.locator('#nav a[href="#/approvals"] .count')).to_have_count(0)

        expect(asked).to_contain_text("已退款")  # live on the cashier's invoice
        expect(cashier.locator(f"tr[data-payment='{cash['id']}']")).to_contain_text("¥2.50")
        assert ok(shop.cashier.get(f"{stack.url}/v1/payments/{cash['id']}"))["refunded_fen"] == 250
    finally:
        ok(shop.manager.patch(settings, json={"refund_approval_limit_fen": limit}))
