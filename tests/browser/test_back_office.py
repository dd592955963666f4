"""The manager's back-office screens: stock and a stocktake count posted, the customer 360
with the chain-wide history, and the KPI dashboard, switched to English."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import confirmed_order
from tests.support.one_car import eventually, ok, stock_of


def test_stocktake_customer_360_and_dashboard(console, stack, shop, part):
    car = confirmed_order(stack, shop, part)
    customer_id = car["order"]["customer_id"]
    eventually(lambda: ok(shop.manager.get(f"{stack.url}/v1/customers/{customer_id}/history"))["items"],
               lambda items: any(entry["kind"] == "visit" for entry in items), "the visit in the customer's history")
    on_hand = int(float(stock_of(stack, shop.manager, shop.id, part)["on_hand"]))
    manager = console.open(shop.login["store_manager"])

    manager.goto(f"{stack.url}/console/#/inventory")
    expect(manager.locator(f"tr[data-sku='{part}']")).to_contain_text(str(on_hand))
    console.shot(manager, "inventory-stock")
    manager.locator("[data-tab=stocktake]").click()
    manager.locator("button:has-text('开始盘点')").click()
    line = manager.locator(f"#count-form tr[data-sku='{part}']")
    line.locator("input").fill(str(on_hand - 1))
    manager.locator("#count-form button[type=submit]").click()
    expect(manager.locator(f"#count-form tr[data-sku='{part}'] td").nth(1)).to_have_text(str(on_hand - 1))
    console.shot(manager, "inventory-stocktake")
    manager.locator("button:has-text('过账')").click()
    expect(manager.locator("#stocktake")).to_contain_text("已过账")
    assert float(stock_of(stack, shop.manager, shop.id, part)["on_hand"]) == on_hand - 1

    manager.goto(f"{stack.url}/console/#/crm")
    manager.fill("[name=q]", car["plate"])
    manager.locator("button:has-text('查找')").click()
    manager.locator(f"li[data-customer='{customer_id}']").click()
    expect(manager.locator("#customer-360 h2")).to_contain_text("周杰")
    expect(manager.locator("#timeline")).to_contain_text("到店")
    console.shot(manager, "crm-customer-360")

    manager.goto(f"{stack.url}/console/#/dashboard")
    expect(manager.locator(f"tr[data-store='{shop.id}']")).to_be_visible()
    expect(manager.locator("svg.chart")).to_have_count(3)
    manager.locator("#lang").click()
    expect(manager.locator("[data-kpi=kpi_car_count]")).to_contain_text("Car count")
    expect(manager.locator("#nav")).to_contain_text("Dashboard")
    console.shot(manager, "dashboard-english")
