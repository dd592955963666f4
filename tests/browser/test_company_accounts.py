"""Company accounts (挂账, issue 23) in the console alone: the manager opens an account (a tax number
with a wrong check character is refused at its field) and adds two cars found like at reception;
the cashier charges one car's invoice to the account, the second is refused above the credit limit
(worded with the limit and what is left) and charged by the manager with a reason; the cashier reads
the month's statement (each car and invoice), prints it (PDF) and receives the company's payment, which clears the
oldest charge. The two invoices are made over the API by the fixture; the books are checked after."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to, yuan
from tests.browser.test_cashier import completed_work
from tests.support import data
from tests.support.one_car import ok

COMPANY = "广州顺达物流有限公司"


def test_a_company_account_is_opened_charged_at_the_till_and_paid(console, stack, shop, part):
    url = stack.url
    first, second = completed_work(stack, shop, part), completed_work(stack, shop, part)
    plates = [ok(shop.cashier.get(f"{url}/v1/vehicles/{i['vehicle_id']}"))["plate"] for i in (first, second)]
    limit = first["total_fen"] + second["total_fen"] // 2
    tax_number = data.credit_code()

    manager = console.open(shop.login["store_manager"])
    go_to(manager, "accounts")
    opening = manager.locator("#company-account-form")
    opening.locator("[name=name]").fill(COMPANY)
    opening.locator("[name=tax_number]").fill(tax_number[:-1] + ("0" if tax_number[-1] != "0" else "1"))
    opening.locator("[name=contact_name]").fill("陈主管")
    opening.locator("[name=contact_phone]").fill("13912345678")
    opening.locator("[name=credit_limit]").fill(f"{limit / 100:.2f}")
    opening.locator("[name=payment_terms_days]").fill("30")
    opening.locator("button[type=submit]").click()
    expect(opening.locator("[data-field=tax_number] .field-error")).to_contain_text(
        f"统一社会信用代码校验位（第 18 位）应为 {tax_number[-1]}")
    assert_all_chinese(manager, COMPANY, tax_number[-1])  # the check character the code needs
    opening.locator("[name=tax_number]").fill(tax_number.lower())
    opening.locator("button[type=submit]").click()
    row = manager.locator(f"tr[data-account='{COMPANY}']")
    expect(row).to_contain_text(tax_number)
    expect(row).to_contain_text(yuan(limit))
    row.click()
    members = manager.locator("#account-members")
    for plate in plates:
        members.locator("[name=q]").fill(plate)
        members.locator("button[type=submit]").click()
        members.locator(f"button[data-plate='{plate}']").click()
        expect(members.locator(f"li[data-member='{plate}']")).to_be_visible()
    expect(manager.locator("#account [data-fact=payment_terms_days]")).to_have_text("月结 30 天")
    assert_all_chinese(manager, COMPANY, tax_number, *plates)
    console.shot(manager, "company-account-members")

    # at the till: the first invoice charged in full; the second refused above the limit
    cashier = console.open(shop.login["cashier"])
    cashier.locator(f"#invoices li[data-invoice='{first['id']}']").click()
    charge = cashier.locator("#account-charge-form")
    expect(charge.locator("[name=account_id] option")).to_have_text(
        f"{COMPANY} · 可用额度 {yuan(limit)}")
    charge.locator("button[type=submit]").click()
    expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")
    expect(cashier.locator(f"#invoices li[data-invoice='{first['id']}']")).to_have_count(0)
    cashier.locator(f"#invoices li[data-invoice='{second['id']}']").click()
    charge = cashier.locator("#account-charge-form")
    charge.locator("button[type=submit]").click()
    left = limit - first["total_fen"]
    expect(charge.locator(".form-error")).to_have_text(
        f"超出信用额度：额度 {yuan(limit)}，已挂账 {yuan(first['total_fen'])}，可用 {yuan(left)}；超额需经理填写原因")
    assert_all_chinese(cashier, COMPANY)
    console.shot(cashier, "account-charge-over-limit")

    go_to(manager, "cashier")
    manager.locator(f"li[data-invoice='{second['id']}']").click()
    charge = manager.locator("#account-charge-form")
    charge.locator("[name=over_limit_reason]").fill("月底一并结清")
    charge.locator("button[type=submit]").click()
    expect(manager.locator("#invoice .badge").first).to_have_text("已付清")

    # the statement and the company's payment
    go_to(cashier, "accounts")
    cashier.locator(f"tr[data-account='{COMPANY}']").click()
    statement = cashier.locator("#account-statement")
    owed = first["total_fen"] + second["total_fen"]
    for invoice, plate in zip((first, second), plates, strict=True):
        expect(statement.locator(f"tr[data-invoice='{invoice['number']}']")).to_contain_text(plate)
    expect(statement.locator("[data-closing]")).to_have_text(yuan(owed))
    expect(cashier.locator("#company-account-form")).to_have_count(0)  # cashiers do not open accounts
    assert_all_chinese(cashier, COMPANY, tax_number, *plates, first["number"], second["number"])
    console.shot(cashier, "company-account-statement")
    with cashier.expect_popup() as printed:  # 打印对账单: the month's statement as a PDF, with the cashier's token
        cashier.locator("#print-statement").click()
    assert printed.value.url.startswith("blob:")
    expect(cashier.locator(f"tr[data-account='{COMPANY}'] td.overdue")).to_have_text("—")  # nothing overdue yet
    pay = cashier.locator("#account-payment-form")
    pay.locator("[name=amount]").fill(f"{first['total_fen'] / 100:.2f}")
    pay.locator("[name=reference]").fill("DG-0001")
    pay.locator("button[type=submit]").click()
    expect(cashier.locator("#account [data-fact=account_balance]")).to_have_text(yuan(second["total_fen"]))
    expect(cashier.locator("#account-statement tr[data-line=payment]")).to_contain_text("DG-0001")
    expect(cashier.locator("#account-statement [data-closing]")).to_have_text(yuan(second["total_fen"]))
    assert_all_chinese(cashier, COMPANY, tax_number, *plates, first["number"], second["number"], "DG-0001")

    books = ok(shop.manager.get(f"{url}/v1/ledger/reconciliation", params={"store_id": shop.id}))
    [store] = books["stores"]
    owed_check = next(i for i in store["invariants"] if i["code"] == "receivables_equal_open_invoices")
    assert owed_check["difference_fen"] == 0 and owed_check["right_fen"] >= second["total_fen"]
