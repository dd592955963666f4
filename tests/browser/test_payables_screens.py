"""Accounts payable in the console alone (issue 23): the manager sends one set back to the supplier
from the inventory screen, enters a supplier's invoice for the rest of that purchase order (it
matches and is booked), a second one billed above the ordered price (held, with the mismatch worded),
approves the held one, pays the supplier over both invoices in part, and reads the ageing, the
supplier's statement and the books' reconciliation (every check holds, the balance sheet balances);
then reads the payments made, sends one more set back after the invoice was booked and records the
supplier's credit note (红字发票) against it: the invoice owes less and the books still hold.
The goods are ordered and received over the API by the fixture."""
from __future__ import annotations


import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to, yuan
from tests.support.accounts import PASSWORD
from tests.support.one_car import ok, part_and_supplier
from tests.support import data


@pytest.fixture(scope="module")
def received(stack, admin, shop) -> dict:
    url = stack.url
    sku, supplier = part_and_supplier(url, admin, {"name": "前刹车片", "category": "brake", "unit": "set",
                                                   "list_price_fen": 38_000}, "广州博世汽配")
    orders = []
    for qty, cost in ((4, 20_000), (5, 10_000)):
        po = ok(shop.manager.post(f"{url}/v1/purchase-orders", json={
            "store_id": shop.id, "supplier_id": supplier["id"], "submit": True,
            "lines": [{"sku": sku, "qty": qty, "unit_cost_fen": cost}]}))
        ok(shop.manager.post(f"{url}/v1/purchase-orders/{po['id']}/receipts",
                             json={"lines": [{"sku": sku, "qty": qty}]}))
        orders.append(po)
    return {"sku": sku, "supplier": supplier, "orders": orders}


def send_back_one(manager, number: str, reason: str) -> None:
    """One set of the purchase order sent back to the supplier from the inventory screen (¥200.00)."""
    go_to(manager, "inventory")
    manager.locator("[data-tab=purchase_orders]").click()
    send_back = manager.locator(f".return-form[data-po='{number}']")
    send_back.locator("[name='returns.0.qty']").fill("1")
    send_back.locator("[name=reason]").fill(reason)
    send_back.locator("button[type=submit]").click()
    expect(manager.locator(f"[data-returned='{number}']")).to_have_text(f"{number} · 已退货 {yuan(20_000)}")


def test_the_manager_matches_approves_and_pays_supplier_invoices_and_the_books_hold(console, shop, received):
    first, second = received["orders"]
    manager = console.open(shop.login["store_manager"])
    send_back_one(manager, first["number"], "包装破损")
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
    expect(manager.locator("#reconciliation .badge.ok")).to_have_count(9)  # every invariant holds, the sheet balances
    assert_all_chinese(manager)
    console.shot(manager, "reconciliation")

    # the payments made, listed with the invoices they paid
    manager.locator("[data-tab=supplier_payments]").click()
    made = manager.locator("tr[data-payment]")
    expect(made).to_have_count(1)
    expect(made).to_contain_text("广州博世汽配")
    expect(made).to_contain_text("BANK-2026-1201")
    expect(made).to_contain_text(f"FP-0001 {yuan(30_000)}、FP-0002 {yuan(60_000)}")
    expect(made.locator("td").nth(4)).to_have_text(yuan(90_000))
    assert_all_chinese(manager, "FP-0001", "FP-0002", "BANK-2026-1201")

    # one more set sent back after FP-0001 was booked: the supplier's credit note (红字发票) takes it off
    send_back_one(manager, first["number"], "质量问题")
    go_to(manager, "payables")
    manager.locator("[data-tab=supplier_credit_notes]").click()
    note = manager.locator("#credit-note-form")
    note.locator("[name=supplier_invoice_id]").select_option(label=f"FP-0001 · 广州博世汽配 · 未付金额 {yuan(30_000)}")
    note.locator("[name=number]").fill("HZ-0001")
    note.locator("[name=total]").fill("200.00")
    note.locator("[name=reason]").fill("退货一套")
    assert_all_chinese(manager, "FP-0001", "FP-0002", "HZ-0001")
    console.shot(manager, "supplier-credit-note")
    note.locator("button[type=submit]").click()
    listed = manager.locator("tr[data-credit-note='HZ-0001']")
    expect(listed).to_contain_text("FP-0001")
    expect(listed.locator("td").nth(5)).to_have_text(yuan(20_000))  # taken off the invoice
    note.locator("[name=number]").fill("HZ-0001")
    note.locator("[name=total]").fill("1.00")
    note.locator("button[type=submit]").click()
    expect(note.locator(".form-error").last).to_contain_text("红字发票 HZ-0001 已登记过")
    assert_all_chinese(manager, "FP-0001", "FP-0002", "HZ-0001")

    manager.locator("[data-tab=supplier_invoices]").click()
    expect(manager.locator("[data-invoice='FP-0001'] td").nth(5)).to_have_text(yuan(10_000))
    manager.locator("[data-tab=reconciliation]").click()
    payables = manager.locator("[data-invariant=payables_equal_open_supplier_invoices]")
    expect(payables.locator("td").nth(1)).to_have_text(yuan(10_000))
    expect(manager.locator("#reconciliation .badge.bad")).to_have_count(0)
    expect(manager.locator("#reconciliation .badge.ok")).to_have_count(9)  # every invariant holds, the sheet balances


def test_the_manager_closes_last_month_and_it_shows_closed(console, stack, admin):
    """月结 on the books' tab, the screen alone: this month is under way (no button), last month is closed with one
    click; closing it again is refused, worded. A store of its own: no other test's past day falls in that month."""
    store = ok(admin.post(f"{stack.url}/v1/stores", json={"code": f"M{data.digits(6)}", "name": "月结测试店"}))
    username = f"manager-{data.digits(8)}"
    ok(admin.post(f"{stack.url}/v1/users", json={"username": username, "password": PASSWORD,
                                                 "role": "store_manager", "store_ids": [store["id"]]}))
    manager = console.open(username)
    go_to(manager, "payables")
    manager.locator("[data-tab=reconciliation]").click()
    months = ok(stack.login(username, PASSWORD).get(f"{stack.url}/v1/ledger/month-closes",
                                                   params={"store_id": store["id"]}))["items"]
    this, last = months[0]["month"], months[1]["month"]
    expect(manager.locator(f"#month-close tr[data-month='{this}']")).to_contain_text("本月进行中")
    expect(manager.locator(f"#month-close tr[data-month='{this}'] button")).to_have_count(0)
    manager.locator(f"#month-close [data-close='{last}']").click()
    expect(manager.locator(f"#month-close tr[data-month='{last}']")).to_contain_text("已结账")
    expect(manager.locator(f"#month-close [data-close='{last}']")).to_have_count(0)
    assert_all_chinese(manager, username, store["name"])
    again = stack.login(username, PASSWORD).post(f"{stack.url}/v1/ledger/month-closes",
                                                 json={"store_id": store["id"], "month": last})
    assert again.status_code == 409 and again.json()["error"]["code"] == "month_closed"


@pytest.fixture(scope="module")
def credited(stack, admin, shop) -> dict:
    """A supplier's invoice for five sets (¥500.00) and, for one more set sent back that was never billed, its
    credit note against the order (¥113.00) left wholly as a credit: both over the API."""
    url = stack.url
    sku, supplier = part_and_supplier(url, admin, {"name": "空气滤清器", "category": "filter", "unit": "piece",
                                                   "list_price_fen": 18_000}, "上海马勒汽配")
    po = ok(shop.manager.post(f"{url}/v1/purchase-orders", json={
        "store_id": shop.id, "supplier_id": supplier["id"], "submit": True,
        "lines": [{"sku": sku, "qty": 6, "unit_cost_fen": 10_000}]}))
    ok(shop.manager.post(f"{url}/v1/purchase-orders/{po['id']}/receipts", json={"lines": [{"sku": sku, "qty": 6}]}))
    sent_back = ok(shop.manager.post(f"{url}/v1/purchase-orders/{po['id']}/returns", json={
        "lines": [{"sku": sku, "qty": 1}], "reason": "型号不符"}), 201)
    invoice = ok(shop.manager.post(f"{url}/v1/supplier-invoices", json={
        "purchase_order_id": po["id"], "number": f"FP-{data.digits(6)}", "issued_on": "2026-11-01",
        "lines": [{"sku": sku, "qty": 5, "unit_price_fen": 10_000}]}), 201)
    note = ok(shop.manager.post(f"{url}/v1/supplier-credit-notes", json={
        "store_id": shop.id, "supplier_id": supplier["id"], "purchase_order_id": po["id"],
        "return_id": sent_back["id"], "number": f"HZ-{data.digits(6)}", "issued_on": "2026-11-02",
        "total_fen": 11_300, "vat_fen": 1_300, "returned_value_fen": 10_000}), 201)
    assert (invoice["status"], note["unapplied_fen"]) == ("open", 11_300)
    return {"supplier": supplier, "invoice": invoice, "note": note}


def test_the_manager_applies_the_suppliers_credit_when_paying_and_it_is_not_offered_again(console, shop, credited):
    invoice, note, supplier = credited["invoice"], credited["note"], credited["supplier"]
    typed = (invoice["number"], note["number"], "BANK-CR-1")
    manager = console.open(shop.login["store_manager"])
    go_to(manager, "payables")
    manager.locator("[data-tab=supplier_payments]").click()
    pay = manager.locator("#supplier-payment-form")
    pay.locator("[name=supplier_id]").select_option(value=supplier["id"])
    offered = pay.locator(f"[data-credit-note='{note['number']}']")
    expect(offered.locator("td").nth(2)).to_have_text(yuan(11_300))
    expect(manager.locator("#payment-net")).to_have_text(f"实付金额 {yuan(50_000)}")

    # ¥200.00 of the invoice settled this time, all of the credit applied: the bank pays ¥87.00
    pay.locator(f"[data-invoice='{invoice['number']}'] input").fill("200.00")
    offered.locator("input").fill("113.00")
    expect(manager.locator("#payment-net")).to_have_text(
        f"结算发票 {yuan(20_000)} − 红字抵扣 {yuan(11_300)} = 实付金额 {yuan(8_700)}")
    pay.locator("[name=reference]").fill("BANK-CR-1")
    assert_all_chinese(manager, *typed)
    console.shot(manager, "supplier-payment-credits")

    # more of the credit than it has left: refused, worded
    offered.locator("input").fill("150.00")
    pay.locator("button[type=submit]").click()
    expect(pay.locator(".form-error").last).to_contain_text(f"红字发票 {note['number']} 只剩 {yuan(11_300)} 可抵扣")
    offered.locator("input").fill("113.00")
    pay.locator("button[type=submit]").click()
    expect(manager.locator("[data-paid]")).to_have_text(f"上海马勒汽配 · 已付 {yuan(8_700)} · 红字抵扣 {yuan(11_300)}")
    made = manager.locator("tr[data-payment]", has_text="BANK-CR-1")
    expect(made.locator("td").nth(4)).to_have_text(yuan(8_700))
    expect(made.locator("[data-credits]")).to_have_text(f"{note['number']} {yuan(11_300)}")
    assert_all_chinese(manager, *typed)

    # the invoice still owes ¥300.00; the credit, used up, is not offered again
    manager.locator("[data-tab=supplier_invoices]").click()
    expect(manager.locator(f"[data-invoice='{invoice['number']}'] td").nth(5)).to_have_text(yuan(30_000))
    manager.locator("[data-tab=supplier_payments]").click()
    pay = manager.locator("#supplier-payment-form")
    pay.locator("[name=supplier_id]").select_option(value=supplier["id"])
    expect(pay.locator(f"[data-invoice='{invoice['number']}'] td").nth(2)).to_have_text(yuan(30_000))
    expect(manager.locator("#payment-net")).to_have_text(f"实付金额 {yuan(30_000)}")
    expect(pay.locator("[data-credit-note]")).to_have_count(0)
    manager.locator("[data-tab=supplier_credit_notes]").click()
    listed = manager.locator(f"tr[data-credit-note='{note['number']}']")
    expect(listed.locator("td").nth(5)).to_have_text(yuan(11_300))
    expect(listed.locator("td").nth(6)).to_have_text(yuan(0))
    manager.locator("[data-tab=reconciliation]").click()
    expect(manager.locator("[data-invariant=payables_equal_open_supplier_invoices] .badge.ok")).to_have_count(1)
    expect(manager.locator("#reconciliation .badge.bad")).to_have_count(0)
    assert_all_chinese(manager, *typed)
