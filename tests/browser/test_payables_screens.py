"""Accounts payable in the console alone (issue 23): the manager sends one set back to the supplier
from the inventory screen, enters a supplier's invoice for the rest of that purchase order (it
matches and is booked), a second one billed above the ordered price (held, with the mismatch worded),
approves the held one, pays the supplier over both invoices in part, and reads the ageing, the
supplier's statement and the books' reconciliation (every check holds, the balance sheet balances).
The goods are ordered and received over the API by the fixture."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to, yuan
from tests.support.one_car import ok


@pytest.fixture(scope="module")
def received(stack, admin, shop) -> dict:
    url = stack.url
    sku = f"PAD-{uuid.uuid4().hex[:6].upper()}"
    ok(admin.post(f"{url}/v1/parts", json={"sku": sku, "name": "前刹车片", "category": "brake", "unit": "set",
                                           "list_price_fen": 38_000}))
    supplier = ok(admin.post(f"{url}/v1/suppliers", json={"code": f"SUP-{uuid.uuid4().hex[:8]}",
                                                          "name": "广州博世汽配"}))
    orders = []
    for qty, cost in ((4, 20_000), (5, 10_000)):
        po = ok(shop.manager.post(f"{url}/v1/purchase-orders", json={
            "store_id": shop.id, "supplier_id": supplier["id"], "submit": True,
            "lines": [{"sku": sku, "qty": qty, "unit_cost_fen": cost}]}))
        ok(shop.manager.post(f"{url}/v1/purchase-orders/{po['id']}/receipts",
                             json={"lines": [{"sku": sku, "qty": qty}]}))
        orders.append(po)
    return {"sku": sku, "supplier": supplier, "orders": orders}


def test_the_manager_matches_approves_and_pays_supplier_invoices_and_the_books_hold(console, shop, received):
    first, second = received["orders"]
    manager = console.open(shop.login["store_manager"])
    go_to(manager, "inventory")
    manager.locator("[data-tab=purchase_orders]").click()
    send_back = manager.locator(f".return-form[data-po='{first['number']}']")
    send_back.locator("[name='returns.0.qty']").fill("1")
    send_back.locator("[name=reason]").fill("包装破损")
    send_back.locator("button[type=submit]").click()
    expect(manager.locator(f"[data-returned='{first['number']}']")).to_have_text(
        f"{first['number']} · 已退货 {yuan(20_000)}")
    assert_all_chinese(manager, first["number"], second["number"], received["sku"])

    go_to(manager, "payables")
    entry = manager.locator("#supplier-invoice-form")
    expect(entry).to_be_visible()

    # the first order as kept (3 of 4): matched and booked
    entry.locator("[name=purchase_order_id]").select_option(label=f"{first['number']} · 广州博世汽配")
    entry.locator("[name=number]").fill("FP-0001")
    entry.locator("[name=vat]").fill("92.04")
    entry.locator("button[type=submit]").click()
    result = manager.locator("#match-result p")
    expect(result).to_have_text(f"FP-0001 · 广州博世汽配 · {yuan(60_000)} · 待付款")

    # the second billed at ¥120.00 a set against ¥100.00 ordered: held, the mismatch in words
    entry.locator("[name=purchase_order_id]").select_option(label=f"{second['number']} · 广州博世汽配")
    entry.locator("[name=number]").fill("FP-0002")
    entry.locator("[name='lines.0.unit_price']").fill("120.00")
    entry.locator("button[type=submit]").click()
    expect(result).to_have_text(f"FP-0002 · 广州博世汽配 · {yuan(60_000)} · 待店长审批")
    expect(manager.locator("#match-result li")).to_have_text(
        f"{received['sku']}：单价 ¥120.00，采购价 ¥100.00，超出允差")
    assert_all_chinese(manager, "FP-0001", "FP-0002", received["sku"])
    console.shot(manager, "supplier-invoices")

    held = manager.locator("[data-invoice='FP-0002']")
    expect(held.locator(".badge")).to_have_text("待店长审批")
    held.locator("[name=reason]").fill("涨价已确认")
    held.locator("button.primary").click()
    expect(manager.locator("[data-invoice='FP-0002'] .badge")).to_have_text("待付款")

    # one bank payment: ¥300.00 of the first, all of the second
    manager.locator("[data-tab=supplier_payments]").click()
    pay = manager.locator("#supplier-payment-form")
    expect(pay.locator("[data-invoice='FP-0001'] td").nth(2)).to_have_text(yuan(60_000))
    pay.locator("[data-invoice='FP-0001'] input").fill("300.00")
    pay.locator("[name=reference]").fill("BANK-2026-1201")
    assert_all_chinese(manager, "FP-0001", "FP-0002", "BANK-2026-1201")
    pay.locator("button[type=submit]").click()
    expect(manager.locator("[data-paid]")).to_have_text(f"广州博世汽配 · 已付 {yuan(30_000 + 60_000)}")

    # what is left is not yet due
    manager.locator("[data-tab=payables_ageing]").click()
    row = manager.locator("[data-supplier='广州博世汽配']")
    expect(row.locator("td").nth(1)).to_have_text(yuan(30_000))
    expect(row.locator("td").nth(6)).to_have_text(yuan(30_000))
    expect(manager.locator("[data-receivables] td").last).to_have_text(yuan(0))  # nothing owed by customers here
    row.locator("button").click()
    statement = manager.locator("#supplier-statement")
    expect(statement.locator("[data-line]")).to_have_count(3)
    expect(statement.locator("[data-line=payment] td").nth(3)).to_have_text(f"-{yuan(90_000)}")
    expect(statement.locator("[data-closing]")).to_have_text(f"期末余额 {yuan(30_000)}")
    assert_all_chinese(manager, "FP-0001", "FP-0002", "BANK-2026-1201")
    console.shot(manager, "payables-ageing")

    # the books: every check holds, the balance sheet balances
    manager.locator("[data-tab=reconciliation]").click()
    payables = manager.locator("[data-invariant=payables_equal_open_supplier_invoices]")
    expect(payables.locator("td").first).to_have_text("应付账款 = 未付供应商发票")
    expect(payables.locator("td").nth(1)).to_have_text(yuan(30_000))
    expect(manager.locator("#reconciliation .badge.bad")).to_have_count(0)
    expect(manager.locator("#reconciliation .badge.ok")).to_have_count(6)
    assert_all_chinese(manager)
    console.shot(manager, "reconciliation")
