"""The manager's back-office screens: stock and a stocktake count posted, the customer 360
with the chain-wide history, and the KPI dashboard, switched to English."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, confirmed_order
from tests.support.one_car import eventually, new_part, ok, one_car, stock_of
from tests.support.stack import ADMIN_PASSWORD


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

    manager.goto(f"{stack.url}/console/#/dashboard")  # one store: its trend of 30 days, no ranking of one
    expect(manager.locator("#kpis svg.chart")).to_have_count(2)
    expect(manager.locator("svg[data-chart=revenue] rect")).to_have_count(30)
    expect(manager.locator("#ranking")).to_have_count(0)
    revenue = manager.locator("[data-kpi=kpi_revenue]")
    expect(revenue.locator("[data-compare=previous]")).to_contain_text("较上期")
    expect(revenue.locator("[data-compare=last_year]")).to_contain_text("同比")
    assert_all_chinese(manager, *shop.login.values())
    manager.locator("#lang").click()
    expect(manager.locator("[data-kpi=kpi_car_count]")).to_contain_text("Car count")
    expect(manager.locator("#nav")).to_contain_text("Dashboard")
    console.shot(manager, "dashboard-english")


def amount(text: str) -> int:
    """¥1,234.56 as fen."""
    yuan, fen = text.replace("¥", "").replace(",", "").split(".")
    return int(yuan) * 100 + int(fen)


def test_hq_ranks_the_stores_by_revenue_over_the_chain_total(console, stack, admin, shop):
    one_car(stack, admin, shop, new_part(stack, admin, shop))  # an invoice today in this store
    hq = console.open("admin", password=ADMIN_PASSWORD)
    hq.select_option("#store", shop.id)
    hq.goto(f"{stack.url}/console/#/dashboard")
    ranking = hq.locator("#ranking")
    expect(ranking.locator(f"tr[data-store='{shop.id}']")).to_be_visible()
    rows = ranking.locator("tbody tr:not([data-store=chain])")
    revenues = [amount(row.locator("td.num").nth(1).inner_text()) for row in rows.all()]
    assert revenues == sorted(revenues, reverse=True) and revenues[0] > 0
    assert [row.locator("td.num").first.inner_text() for row in rows.all()] == [
        str(rank) for rank in range(1, len(revenues) + 1)]
    total = ranking.locator("tr[data-store=chain]")
    expect(total).to_contain_text("全连锁合计")
    assert amount(total.locator("td.num").first.inner_text()) == sum(revenues)

    hq.locator("#period [name=group]").select_option("week")
    hq.locator("#period button[type=submit]").click()
    first, last = (date.fromisoformat(hq.locator(f"#period [name={name}]").input_value()) for name in ("from", "to"))
    weeks = {(first + timedelta(days=n)).isocalendar()[:2] for n in range((last - first).days + 1)}
    expect(hq.locator("svg[data-chart=revenue] rect")).to_have_count(len(weeks))
    assert_all_chinese(hq, "admin", "Administrator")
    console.shot(hq, "dashboard-hq-ranking")


def test_the_dashboard_shows_this_months_new_customers_and_windows_not_over(console, stack, admin, shop):
    """Customer retention by the month of the first visit: this month's new customers as the API counts them, and
    its windows not over yet (未满), never a 0 % that would read as customers lost."""
    this_month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")  # the store's month

    def first_visits() -> int:
        return ok(shop.manager.get(f"{stack.url}/v1/reports/retention", params={
            "store_id": shop.id, "from": this_month, "to": this_month}))["items"][0]["new_customers"]
    if not first_visits():  # no other test of this store has invoiced anyone this month yet
        one_car(stack, admin, shop, new_part(stack, admin, shop))
    month = eventually(lambda: ok(shop.manager.get(f"{stack.url}/v1/reports/retention", params={
        "store_id": shop.id, "from": this_month, "to": this_month})),
        lambda report: report["items"][0]["new_customers"] >= 1, "this month's first visits")["items"][0]
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/dashboard")
    row = manager.locator(f"#retention tr[data-month='{month['month']}']")
    expect(row.locator("td").nth(1)).to_have_text(str(month["new_customers"]))
    expect(row.locator("[data-window='90']")).to_have_text("未满")
    expect(manager.locator("#retention tr[data-month]")).to_have_count(12)
    assert_all_chinese(manager, *shop.login.values())
