"""The dashboard's campaign results (营销活动效果) from the console alone: the store manager's campaign sent to two
of the store's customers, read on the dashboard by its name and its store's, as the API counts it (no one came in
yet: 0 and ¥0.00 shown, not blank), the window changed on screen, and downloaded as CSV in words."""
from __future__ import annotations

import csv
import io

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese
from tests.support import data
from tests.support.accounts import without_quiet_hours
from tests.support.one_car import eventually, ok


def test_the_manager_reads_a_campaigns_sends_and_visits_on_the_dashboard(console, stack, shop):
    without_quiet_hours(stack, shop.manager, shop.id)  # sent now at any hour in Beijing
    tag = f"活动{data.digits(6)}"
    for name in ("冯活动", "陈活动"):
        ok(shop.advisor.post(f"{stack.url}/v1/customers", json={
            "name": name, "mobile": data.mobile(), "home_store_id": shop.id, "marketing_consent": True,
            "tags": [tag]}))
    name = f"秋季保养{data.digits(4)}"
    campaign = ok(shop.manager.post(f"{stack.url}/v1/campaigns", json={
        "store_id": shop.id, "name": name, "channel": "sms", "template": "{name}您好，秋季保养八折。",
        "segment": {"tags": [tag]}}))
    eventually(lambda: ok(shop.manager.get(f"{stack.url}/v1/campaigns/{campaign['id']}")),
               lambda found: found["status"] == "completed", "the campaign sent", timeout=40)

    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/dashboard")
    card = manager.locator("#campaigns")
    row = card.locator(f"tr[data-campaign='{name}']")
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text(name)
    expect(cells.nth(1)).to_have_text(shop.store["name"])
    expect(row.locator("[data-field=messages_sent]")).to_have_text("2")
    expect(row.locator("[data-field=messages_skipped]")).to_have_text("0")  # none over the weekly allowance
    expect(row.locator("[data-field=customers_visited]")).to_have_text("0")
    expect(row.locator("[data-field=invoices]")).to_have_text("0")
    expect(row.locator("[data-field=revenue_fen]")).to_have_text("¥0.00")
    card.locator("[name=within_days]").fill("7")
    card.locator("button[type=submit]").click()
    expect(row.locator("[data-field=messages_sent]")).to_have_text("2")
    expect(card.locator("tr[data-campaign=total] td").first).to_have_text("合计")
    assert_all_chinese(manager, *shop.login.values(), name)
    console.shot(manager, "dashboard-campaigns")

    with manager.expect_download() as download:
        card.locator("[data-export=csv]").click()
    assert download.value.suggested_filename == "营销活动效果.csv"
    with open(download.value.path(), encoding="utf-8-sig") as handle:
        table = list(csv.reader(io.StringIO(handle.read())))
    header = table[0]
    [line] = [line for line in table[1:] if name in line]
    assert line[header.index("发送条数")] == "2" and line[header.index("渠道")] == "短信"
    assert line[header.index("超出每周上限未发条数")] == "0"
