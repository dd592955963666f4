"""Payment reconciliation (支付对账) in the console: two customers pay by QR through the WeChat Pay sandbox, the
provider's statement of the day leaves one of them out and lists a third order the store never heard was
paid; the manager opens 支付对账, reconciles the day, sees both differences in Chinese with what to do, and
resolves one with a note. The till's 日结 shows the statement beside the takings. Chinese throughout."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import requests
from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to
from tests.e2e.test_finance_through_gateway import invoice_for
from tests.support.one_car import ok

NOTE = "商户平台已核对，款项次日到账"


def qr(stack, shop, vhost, amount: int) -> dict:
    invoice = invoice_for(stack, vhost, shop.manager, shop.id)
    return ok(shop.cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payment-intents",
                                json={"provider": "wechat", "channel": "qr", "amount_fen": amount}), 201)


def test_a_manager_sees_the_differences_in_chinese_and_resolves_one(console, stack, vhost, shop):
    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    paid, dropped, unpaid = (qr(stack, shop, vhost, 8_800 + n) for n in range(3))
    for intent in (paid, dropped):
        requests.post(f"{stack.wechatpay_url}/sandbox/pay", json={"url": intent["code_url"]},
                      timeout=30).raise_for_status()
    added = {"out_trade_no": unpaid["id"], "amount_fen": unpaid["amount_fen"]}
    for change in ({"drop": dropped["id"]}, {"add": added}):
        requests.post(f"{stack.wechatpay_url}/sandbox/statement", json={"date": today, **change},
                      timeout=10).raise_for_status()

    manager = console.open(shop.login["store_manager"])
    go_to(manager, "reconcile")
    screen = manager.locator("[data-screen=reconcile]")
    expect(screen.locator("h1")).to_have_text("支付对账（对账单）")
    controls = screen.locator("#reconcile-form")
    controls.locator("[name=date]").fill(today)
    controls.locator("[name=provider]").select_option("wechat")
    controls.locator("button.primary").click()
    run = screen.locator("section[data-provider=wechat]")
    missing = run.locator("tr[data-kind=missing_here]", has_text=unpaid["id"])
    extra = run.locator("tr[data-kind=extra_here]", has_text=dropped["id"])
    expect(missing).to_contain_text("收款：平台有、系统未记录", timeout=20_000)
    expect(missing.locator(".action")).to_contain_text("顾客已付款但系统未入账")
    expect(extra).to_contain_text("收款：系统有、对账单没有")
    expect(extra.locator(".action")).to_contain_text("在商户平台按交易号核对是否到账")
    expect(run.locator("tr[data-status=open]")).to_have_count(2)
    expect(run).to_contain_text("待处理差异")

    extra.locator("[name=note]").fill(NOTE)
    extra.locator("button[type=submit]").click()
    resolved = run.locator("tr[data-kind=extra_here][data-status=resolved]", has_text=dropped["id"])
    expect(resolved).to_contain_text("已处理")
    expect(resolved).to_contain_text(NOTE)
    expect(run.locator("tr[data-status=open]")).to_have_count(1)
    assert_all_chinese(manager, shop.login["store_manager"], NOTE)
    console.shot(manager, "reconciliation")

    go_to(manager, "cashier")
    wechat = manager.locator("#daily-close tr[data-method=wechat]")
    expect(wechat.locator(".statement")).to_have_text(f"¥{(paid['amount_fen'] + unpaid['amount_fen']) / 100:,.2f}")
    expect(manager.locator("#close-differences")).to_contain_text("对账差异 1 笔待处理")
