"""Insurance claims (保险理赔, 事故车, issue 23) in the console alone: the manager sets up an insurer; at the till the
cashier puts an accident repair's share on it under the claim's number (报案号) with the assessed amount, and the
customer pays the deductible (免赔额) in cash, which settles the invoice; the manager opens the insurer on the
保险理赔 screen, sees the open claim on its statement, records the insurer's remittance (赔款到账) against it and
sees the claim closed (已结清) with nothing open. The invoice is made over the API by the fixture; the books are
checked after."""
from __future__ import annotations


from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to, yuan
from tests.browser.test_cashier import completed_work
from tests.support.one_car import ok
from tests.support import data


def test_an_accident_repair_is_shared_with_the_insurer_which_pays_its_claim(console, stack, shop, part):
    url = stack.url
    invoice = completed_work(stack, shop, part)
    plate = ok(shop.cashier.get(f"{url}/v1/vehicles/{invoice['vehicle_id']}"))["plate"]
    total = invoice["total_fen"]
    deductible = min(10_000, total // 4)
    share = total - deductible
    insurer = f"平安产险{data.digits(4)}"  # unique on the shared stack
    number = f"RDAA{data.digits(12)}"

    manager = console.open(shop.login["store_manager"])
    go_to(manager, "claims")
    setting_up = manager.locator("#insurer-form")
    setting_up.locator("[name=name]").fill(insurer)
    setting_up.locator("[name=contact_name]").fill("李定损")
    setting_up.locator("[name=contact_phone]").fill("13800138000")
    setting_up.locator("button[type=submit]").click()
    expect(manager.locator(f"tr[data-insurer='{insurer}']")).to_be_visible()
    assert_all_chinese(manager, insurer)

    # at the till: the insurer's share on the insurer, the deductible paid by the customer
    cashier = console.open(shop.login["cashier"])
    cashier.locator(f"#invoices li[data-invoice='{invoice['id']}']").click()
    claim = cashier.locator("#insurance-claim-form")
    claim.locator("[name=insurer_id]").select_option(label=insurer)
    claim.locator("[name=claim_number]").fill(number)
    claim.locator("[name=amount]").fill(f"{share / 100:.2f}")
    claim.locator("[name=assessed]").fill(f"{total / 100:.2f}")
    assert_all_chinese(cashier, insurer, number)
    console.shot(cashier, "insurance-claim-at-the-till")
    claim.locator("button[type=submit]").click()
    expect(cashier.locator("[data-due]")).to_have_text(yuan(deductible))
    expect(cashier.locator(f"#invoice-claims li[data-claim='{number}']")).to_contain_text(insurer)
    part_row = cashier.locator(".pay-part").first
    part_row.locator("[name=method]").select_option("cash")
    expect(part_row.locator("[name=amount_yuan]")).to_have_value(f"{deductible / 100:.2f}")
    cashier.locator("#payment-form button[type=submit]").click()
    expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")
    assert_all_chinese(cashier, insurer, number)

    # the manager: the open claim on the insurer's statement, the remittance recorded, the claim closed
    go_to(manager, "cashier")
    go_to(manager, "claims")
    expect(manager.locator(f"#open-claims tr[data-claim='{number}']")).to_contain_text(plate)
    manager.locator(f"tr[data-insurer='{insurer}']").click()
    statement = manager.locator("#insurer-statement")
    row = statement.locator(f"tr[data-claim='{number}']")
    expect(row).to_contain_text(plate)
    expect(row).to_contain_text(invoice["number"])
    expect(row).to_contain_text("未结")
    expect(statement.locator("[data-open]")).to_have_text(yuan(share))
    expect(manager.locator("#insurer [data-fact=insurer_owes]")).to_have_text(yuan(share))
    remit = manager.locator("#remittance-form")
    remit.locator(f"[data-claim='{number}'] input").fill(f"{share / 100:.2f}")
    remit.locator("[name=reference]").fill("PA-20261207")
    assert_all_chinese(manager, insurer, number, plate, invoice["number"], "PA-20261207")
    console.shot(manager, "insurer-remittance")
    remit.locator("button[type=submit]").click()
    expect(statement.locator(f"tr[data-claim='{number}']")).to_have_attribute("data-status", "paid")
    expect(statement.locator(f"tr[data-claim='{number}']")).to_contain_text("已结清")
    expect(statement.locator("[data-open]")).to_have_text(yuan(0))
    expect(manager.locator("#insurer [data-fact=insurer_owes]")).to_have_text(yuan(0))
    expect(manager.locator("#remittance-form")).to_have_count(0)
    assert_all_chinese(manager, insurer, number, plate, invoice["number"])

    books = ok(shop.manager.get(f"{url}/v1/ledger/reconciliation", params={"store_id": shop.id}))
    [store] = books["stores"]
    owed = next(i for i in store["invariants"] if i["code"] == "receivables_equal_open_invoices")
    assert owed["difference_fen"] == 0


def test_a_manager_voids_a_claim_put_on_the_wrong_insurer_and_downloads_the_insurers_statement(console, stack, shop,
                                                                                                part):
    """Put on the insurer at the till over the API (the fixture), with the deductible paid: the cashier has the
    settled invoice open; the manager voids the claim on the 保险理赔 screen with the reason typed — the claim reads
    已作废 with the reason, the insurer owes nothing, and the cashier's invoice follows live: the share is due at
    the till again. Then 下载对账单 saves the insurer's month as a PDF whose 本月作废 is the claim."""
    import io
    import re

    from pypdf import PdfReader

    url = stack.url
    invoice = completed_work(stack, shop, part)
    total = invoice["total_fen"]
    deductible = min(10_000, total // 4)
    share = total - deductible
    insurer = ok(shop.admin.post(f"{url}/v1/insurers", json={
        "name": f"人保财险{data.digits(4)}", "store_ids": [shop.id]}), 201)
    number = f"RDAA{data.digits(12)}"
    claim = ok(shop.cashier.post(f"{url}/v1/invoices/{invoice['id']}/insurance-claims", json={
        "insurer_id": insurer["id"], "claim_number": number, "amount_fen": share}), 201)["claim"]
    ok(shop.cashier.post(f"{url}/v1/invoices/{invoice['id']}/payments",
                         json={"method": "cash", "amount_fen": deductible}), 201)

    cashier = console.open(shop.login["cashier"])
    cashier.locator(f"#paid-invoices li[data-invoice='{invoice['id']}']").click()
    expect(cashier.locator("[data-due]")).to_have_text(yuan(0))
    expect(cashier.locator("#void-claim-form")).to_have_count(0)

    manager = console.open(shop.login["store_manager"])
    go_to(manager, "claims")
    manager.locator(f"tr[data-insurer='{insurer['name']}']").click()
    voiding = manager.locator("#void-claim-form")
    voiding.locator("[name=claim_id]").select_option(value=claim["id"])
    voiding.locator("[name=reason]").fill("保险公司选错")
    assert_all_chinese(manager, insurer["name"], number, invoice["number"], "保险公司选错")
    console.shot(manager, "void-claim")
    voiding.locator("button[type=submit]").click()
    row = manager.locator(f"#insurer-statement tr[data-claim='{number}']")
    expect(row).to_have_attribute("data-status", "voided")
    expect(row).to_contain_text("已作废")
    expect(row).to_contain_text("保险公司选错")
    expect(manager.locator("#insurer [data-fact=insurer_owes]")).to_have_text(yuan(0))
    expect(manager.locator("#void-claim-form")).to_have_count(0)
    expect(manager.locator(f"#open-claims tr[data-claim='{number}']")).to_have_count(0)
    assert_all_chinese(manager, insurer["name"], number, invoice["number"], "保险公司选错")

    # the cashier's invoice follows the void live: the share is due at the till again
    expect(cashier.locator("[data-due]")).to_have_text(yuan(share))
    expect(cashier.locator(f"#invoice-claims li[data-claim='{number}']")).to_contain_text("已作废")

    month = claim["business_date"][:7]
    expect(manager.locator("#insurer-monthly [name=month]")).to_have_value(month)
    with manager.expect_download() as download:
        manager.locator("#download-insurer-statement").click()
    assert download.value.suggested_filename == f"理赔对账单-{insurer['name']}-{month}.pdf"
    with open(download.value.path(), "rb") as saved:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(saved.read())).pages)
    assert "保险理赔对账单" in text and insurer["name"] in text and number in text and "保险公司选错" in text
    assert re.search(rf"本月作废\s*{re.escape(yuan(share))}", text), text


def test_the_cashier_issues_the_insurers_fapiao_for_its_claim_and_downloads_it(console, stack, shop, part):
    """The manager sets the insurer up with its tax number on the 保险理赔 screen; the claim is put on it and the
    deductible paid over the API (the fixture); the cashier opens the insurer, taps 开具发票 on the claim and sees
    the fapiao issued by the provider (the 诺诺 sandbox) with its number and a PDF that downloads."""
    import requests

    url = stack.url
    invoice = completed_work(stack, shop, part)
    share = invoice["total_fen"] - min(10_000, invoice["total_fen"] // 4)
    insurer = f"太平洋产险{data.digits(4)}"
    number = f"RDAA{data.digits(12)}"

    manager = console.open(shop.login["store_manager"])
    go_to(manager, "claims")
    setting_up = manager.locator("#insurer-form")
    setting_up.locator("[name=name]").fill(insurer)
    setting_up.locator("[name=tax_number]").fill("91310000132211707B")
    setting_up.locator("button[type=submit]").click()
    expect(manager.locator(f"tr[data-insurer='{insurer}']")).to_be_visible()
    made = next(i for i in ok(shop.cashier.get(f"{url}/v1/insurers", params={"store_id": shop.id}))["items"]
                if i["name"] == insurer)
    ok(shop.cashier.post(f"{url}/v1/invoices/{invoice['id']}/insurance-claims", json={
        "insurer_id": made["id"], "claim_number": number, "amount_fen": share}), 201)

    cashier = console.open(shop.login["cashier"])
    go_to(cashier, "claims")
    cashier.locator(f"tr[data-insurer='{insurer}']").click()
    row = cashier.locator(f"#insurer-statement tr[data-claim='{number}']")
    assert_all_chinese(cashier, insurer, number, invoice["number"])
    row.locator("button.claim-fapiao-request").click()
    row = cashier.locator(f"#insurer-statement tr[data-claim='{number}']")
    expect(row.locator(".claim-fapiao")).to_contain_text("已开具", timeout=20_000)
    expect(row.locator("button.claim-fapiao-request")).to_have_count(0)
    pdf_url = row.locator("a.pdf-link").get_attribute("href")
    assert requests.get(pdf_url, timeout=10).content.startswith(b"%PDF")
    expect(row.locator("a.ofd-link")).to_have_count(1)
    assert_all_chinese(cashier, insurer, number, invoice["number"])
    console.shot(cashier, "claim-fapiao-issued")
