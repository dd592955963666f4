"""Electronic fapiao (数电票) in the console, with the UI alone: the cashier takes the payment, asks for a
专用发票 on the paid invoice (a tax number with a wrong check character is shown next to its field), sees it
issued by the provider with its number and a PDF that downloads, then reverses it by a red one after a refund:
the 红字确认单 waits for the buyer (confirmed at the 诺诺 sandbox, the buyer's side), then the red one is issued
and the blue one shows 已红冲; the 电子发票 screen lists them by status."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to, yuan
from tests.browser.test_cashier import completed_work

BUYER = "广州某某物流有限公司"
TAX_NO = "91110108MA01AB2C3T"


def test_cashier_asks_for_a_special_fapiao_downloads_it_and_reverses_it(console, stack, shop, part):
    invoice = completed_work(stack, shop, part)
    cashier = console.open(shop.login["cashier"])
    cashier.locator(f"#invoices li[data-invoice='{invoice['id']}']").click()
    expect(cashier.locator("[data-due]")).to_have_text(yuan(invoice["due_fen"]))
    parts = cashier.locator(".pay-part")
    parts.nth(0).locator("[name=method]").select_option("cash")
    cashier.locator("#payment-form button[type=submit]").click()
    expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")

    ask = cashier.locator("#fapiao-form")
    ask.locator("[name=type]").select_option("special")
    ask.locator("[name=buyer_title]").fill(BUYER)
    ask.locator("[name=buyer_tax_no]").fill(TAX_NO[:-1] + "X")
    ask.locator("button[type=submit]").click()
    expect(ask.locator("[data-field=buyer_tax_no] .field-error")).to_contain_text("校验位")
    ask.locator("[name=buyer_tax_no]").fill(TAX_NO)
    ask.locator("button[type=submit]").click()
    row = cashier.locator("#invoice-fapiao-list tr[data-fapiao]").first
    expect(row).to_contain_text(BUYER)
    expect(row).to_contain_text("已开具", timeout=20_000)
    expect(row).to_contain_text("专用发票")
    number = row.locator("td").nth(5).inner_text()
    assert len(number) == 20 and number.isdigit()
    pdf_url = row.locator("a.pdf-link").get_attribute("href")
    assert requests.get(pdf_url, timeout=10).content.startswith(b"%PDF")
    ofd_url = row.locator("a.ofd-link").get_attribute("href")
    assert requests.get(ofd_url, timeout=10).content.startswith(b"PK")  # the OFD package (a zip)
    assert_all_chinese(cashier, shop.login["cashier"], BUYER)
    console.shot(cashier, "fapiao-issued")
    # the customer's title is offered again: one tap fills the (emptied) form, nothing typed twice
    expect(ask.locator("[name=buyer_title]")).to_have_value("")
    ask.locator(f"#fapiao-titles [data-title='{BUYER}']").click()
    expect(ask.locator("[name=buyer_title]")).to_have_value(BUYER)
    expect(ask.locator("[name=buyer_tax_no]")).to_have_value(TAX_NO)
    expect(ask.locator("[name=type]")).to_have_value("special")

    # the customer gets the money back; the fapiao is reversed by a red one
    row.locator("button:has-text('红冲')").click()
    row.locator("[name=reason]").select_option("refund")
    row.locator("button[type=submit]").click()
    red = cashier.locator("#invoice-fapiao-list tr[data-fapiao]:has-text('红字')")
    expect(red).to_contain_text("红字确认单待购方确认", timeout=20_000)
    assert_all_chinese(cashier, shop.login["cashier"], BUYER)
    confirmed = requests.post(f"{stack.nuonuo_url}/sandbox/confirm", json={"blue_number": number, "accept": True},
                              timeout=10)
    assert confirmed.status_code == 200
    expect(red).to_contain_text("已开具", timeout=20_000)
    expect(cashier.locator(f"#invoice-fapiao-list tr[data-fapiao]:has-text('{number}')")).to_contain_text("已红冲")
    console.shot(cashier, "fapiao-reversed")

    go_to(cashier, "fapiao")
    screen = cashier.locator("[data-screen=fapiao]")
    screen.locator("[name=status]").select_option("reversed")
    reversed_here = screen.locator(f"tr[data-fapiao]:has-text('{invoice['number']}')")  # the store's others too
    expect(reversed_here).to_have_count(1)
    expect(screen.locator("tr[data-fapiao]").first).to_contain_text("已红冲")
    assert_all_chinese(cashier, shop.login["cashier"], BUYER)
    console.shot(cashier, "fapiao-list")


def test_a_fapiao_queued_while_the_provider_is_down_is_cancelled_by_a_full_refund(console, stack, shop, part):
    """The provider down: the fapiao asked for waits, 排队待开; the manager refunds the whole payment at the till and
    it shows 已取消（未开具）, and stays so once the provider is back (never issued, nothing to reverse)."""
    invoice = completed_work(stack, shop, part)
    manager = console.open(shop.login["store_manager"])
    go_to(manager, "cashier")
    manager.locator(f"#invoices li[data-invoice='{invoice['id']}']").click()
    manager.locator(".pay-part").nth(0).locator("[name=method]").select_option("cash")
    manager.locator("#payment-form button[type=submit]").click()
    expect(manager.locator("#invoice .badge").first).to_have_text("已付清")
    requests.post(f"{stack.nuonuo_url}/sandbox/down", json={"down": True}, timeout=10)
    try:
        ask = manager.locator("#fapiao-form")
        ask.locator("[name=type]").select_option("normal")
        ask.locator("[name=buyer_title]").fill("钱先生")
        ask.locator("button[type=submit]").click()
        row = manager.locator("#invoice-fapiao-list tr[data-fapiao]").first
        expect(row).to_contain_text("开票平台暂不可用", timeout=20_000)
        expect(row).to_contain_text("排队待开")
        payment = manager.locator("tr[data-payment]").first
        payment.locator("button:has-text('退款')").click()
        payment.locator("[name=reason]").fill("整单退款")
        payment.locator("button[type=submit]").click()
        expect(manager.locator("#invoice-fapiao-list tr[data-fapiao]").first).to_contain_text("已取消（未开具）",
                                                                                               timeout=20_000)
    finally:
        requests.post(f"{stack.nuonuo_url}/sandbox/down", json={"down": False}, timeout=10)
    assert_all_chinese(manager, shop.login["store_manager"], "钱先生")
    console.shot(manager, "fapiao-cancelled")
    manager.wait_for_timeout(3000)  # the worker's sweeps with the provider back
    go_to(manager, "fapiao")
    screen = manager.locator("[data-screen=fapiao]")
    screen.locator("[name=status]").select_option("cancelled")
    expect(screen.locator("tr[data-fapiao]", has_text=invoice["number"])).to_have_count(1)
    expect(screen.locator("tr[data-fapiao]", has_text=invoice["number"])).to_contain_text("已取消（未开具）")
