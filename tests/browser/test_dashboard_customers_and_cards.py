"""The dashboard's customer and card reports from the console alone. Customer source (客户来源): the advisor
registers a customer saying where they came from (老客推荐), and the store manager reads the store's new customers
by source, as the API counts them, and downloads them as Excel in words. Card liabilities (储值卡负债): the store's
open cards beside the books."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, yuan
from tests.support import data
from tests.support.one_car import eventually, ok


def test_the_advisor_records_a_source_and_the_manager_sees_it_on_the_dashboard(console, stack, shop):
    advisor = console.open(shop.login["service_advisor"])
    new = advisor.locator("#new-customer")
    new.locator("[name=name]").fill("李推荐")
    new.locator("[name=mobile]").fill(data.mobile())
    new.locator("[name=source]").select_option(label="老客推荐")
    new.locator("[name=plate]").fill(data.plate())
    new.locator("button[type=submit]").click()
    expect(advisor.locator("#picked h2").first).to_contain_text("李推荐")
    assert_all_chinese(advisor, *shop.login.values())

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()  # the store's day, the card's default end
    report = eventually(lambda: ok(shop.manager.get(f"{stack.url}/v1/reports/customer-sources", params={
        "store_id": shop.id, "from": today, "to": today})),
        lambda found: any(row["source"] == "referral" and row["new_customers"] for row in found["items"]),
        "the referral in the report")
    referral = next(row for row in report["items"] if row["source"] == "referral")
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/dashboard")
    sources = manager.locator("#sources")
    sources.locator("[name=from]").fill(today)
    sources.locator("button[type=submit]").click()
    row = sources.locator("tr[data-source=referral]")
    expect(row.locator("td").first).to_have_text("老客推荐")
    expect(row.locator("[data-field=new_customers]")).to_have_text(str(referral["new_customers"]))
    expect(sources.locator("tr[data-source=total] [data-field=new_customers]")).to_have_text(
        str(report["total"]["new_customers"]))
    expect(sources.locator("tr[data-source]")).to_have_count(9)  # seven sources, 未填写, the total
    expect(sources.locator("svg[data-chart=sources] rect")).to_have_count(8)  # a bar per source, 未填写 too
    assert_all_chinese(manager, *shop.login.values())
    console.shot(manager, "dashboard-customer-sources")

    with manager.expect_download() as download:
        sources.locator("[data-export=xlsx]").click()
    assert download.value.suggested_filename == "客户来源.xlsx"
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    header = [cell.value for cell in sheet[1]]
    assert header == ["来源", "新客户数", "到店客户数", "发票数", "营业收入"]
    lines = {line[0].value: line for line in sheet.iter_rows(min_row=2)}
    assert lines["老客推荐"][1].value == referral["new_customers"] and "未填写" in lines


def test_the_manager_reads_the_card_liabilities_beside_the_books(console, stack, shop):
    """A stored-value card sold at the till (¥500 paid, ¥50 bonus): the manager's dashboard shows the store's open
    cards' principal and bonus apart, the liability as the API and the books have it, no difference, and downloads
    it as CSV."""
    customer = ok(shop.advisor.post(f"{stack.url}/v1/customers", json={"name": "储小值", "mobile": data.mobile(),
                                                                        "home_store_id": shop.id}))
    ok(shop.cashier.post(f"{stack.url}/v1/member-cards", json={
        "kind": "stored_value", "customer_id": customer["id"], "store_id": shop.id,
        "top_up": {"amount_fen": 50_000, "bonus_fen": 5_000, "method": "cash"}}))
    [row] = ok(shop.manager.get(f"{stack.url}/v1/reports/card-liabilities", params={"store_id": shop.id}))["items"]
    assert row["paid_balance_fen"] >= 50_000 and row["difference_fen"] == 0
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/dashboard")
    mine = manager.locator(f"#card-liabilities tr[data-store='{shop.id}']")
    expect(mine.locator("td").first).to_have_text(shop.store["name"])
    expect(mine.locator("[data-field=paid_balance_fen]")).to_have_text(yuan(row["paid_balance_fen"]))
    expect(mine.locator("[data-field=bonus_balance_fen]")).to_have_text(yuan(row["bonus_balance_fen"]))
    expect(mine.locator("[data-field=liability_fen]")).to_have_text(yuan(row["liability_fen"]))
    expect(mine.locator("[data-field=ledger_fen]")).to_have_text(yuan(row["ledger_fen"]))
    expect(mine.locator("[data-field=difference_fen]")).to_have_text("¥0.00")
    assert_all_chinese(manager, *shop.login.values())
    console.shot(manager, "dashboard-card-liabilities")
    with manager.expect_download() as download:
        manager.locator("#card-liabilities [data-export=csv]").click()
    assert download.value.suggested_filename == "储值卡负债.csv"
    with open(download.value.path(), encoding="utf-8-sig") as handle:
        table = list(csv.reader(io.StringIO(handle.read())))
    assert table[0][0] == "门店" and [line[0] for line in table[1:]] == [shop.store["name"]]
