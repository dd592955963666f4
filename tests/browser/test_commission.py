"""提成与目标 in the console alone (issue 19: "targets and commission rules"): after a car of the day (made over
the API: a job shared 60/40 by 李师傅 and 王师傅, commission 10 % of labour), the manager reads the month's
commission by name with a total row that is the sum of the rows, gives 李师傅 a target and sees its achievement,
gives 王师傅 one too, and adds a sales commission to the rule, which the advisor's row then earns."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import amount, assert_all_chinese, go_to
from tests.support.one_car import new_part, ok, one_car


def figures(row, name: str) -> int:
    return amount(row.locator(f"[data-figure={name}]").inner_text())


def test_the_manager_sets_targets_and_the_rule_and_reads_the_months_commission(console, stack, admin, shop):
    one_car(stack, admin, shop, new_part(stack, admin, shop))
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/board")
    go_to(manager, "commission")
    results = manager.locator("#commission-results")
    li, wang = results.locator("tr[data-employee=李师傅]"), results.locator("tr[data-employee=王师傅]")
    expect(li).to_be_visible()
    expect(manager.locator("[name=month]")).to_have_value(month)
    assert figures(li, "labour_fen") > figures(wang, "labour_fen") > 0  # 60 / 40

    def totals_add_up() -> None:
        rows = results.locator("tbody tr:not(.total)").all()
        total = results.locator("tr.total")
        for name in ("labour_fen", "parts_fen", "sales_fen", "total_fen", "revenue_fen"):
            assert figures(total, name) == sum(figures(row, name) for row in rows), name
        for row in rows:
            assert figures(row, "total_fen") == sum(figures(row, n) for n in ("labour_fen", "parts_fen", "sales_fen"))

    totals_add_up()
    expect(li.locator("[data-figure=achievement]")).to_have_text("—")

    target = manager.locator("#target-form")
    target.locator("[name=employee_id]").select_option(label="李师傅")
    target.locator("[name=target_fen]").fill("1000")
    target.locator("button[type=submit]").click()
    expect(li.locator("[data-figure=target_fen]")).to_have_text("¥1,000.00")
    produced = figures(li, "revenue_fen")
    # finance's figure: the revenue produced over the target, to a tenth of a percent
    achieved = (Decimal(produced) / 1000).quantize(Decimal("0.1"))
    expect(li.locator("[data-figure=achievement]")).to_have_text(f"{achieved}%")
    target.locator("[name=employee_id]").select_option(label="王师傅")
    target.locator("[name=target_fen]").fill("800")
    target.locator("button[type=submit]").click()
    expect(wang.locator("[data-figure=target_fen]")).to_have_text("¥800.00")
    expect(results.locator("tr.total [data-figure=target_fen]")).to_have_text("¥1,800.00")
    totals_add_up()

    advisor = shop.login["service_advisor"]
    rule = manager.locator("#commission-rule-form")
    expect(rule.locator("[name=labour_pct]")).to_have_value("10")
    rule.locator("[name=sales_pct]").fill("1")
    with manager.expect_response(lambda r: r.request.method == "PUT" and "/commission-rule" in r.url) as put:
        rule.locator("button[type=submit]").click()
    assert put.value.ok
    invoices = ok(shop.manager.get(f"{stack.url}/v1/reports/commissions",
                                   params={"store_id": shop.id, "month": month}))["items"]
    [sold] = [item for item in invoices if item["role"] == "advisor"]
    assert sold["sales_fen"] > 0
    selling = results.locator(f"tr[data-employee='{advisor}']")
    expect(selling.locator("[data-figure=sales_fen]")).to_have_text(
        f"¥{sold['sales_fen'] // 100:,}.{sold['sales_fen'] % 100:02d}")
    totals_add_up()
    assert_all_chinese(manager, shop.login["store_manager"], advisor, month)
    console.shot(manager, "commission")


def test_the_manager_sets_the_months_targets_and_the_dashboard_measures_the_period_against_them(
        console, stack, shop):
    """The targets of this month and the last (typed on the dashboard): the revenue tile shows the target of
    the dashboard's 30 days (each month's share of its days, as finance works it out) and how much of it was
    reached; a rate's tile shows the gap in percentage points."""
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/board")
    go_to(manager, "dashboard")
    targets = manager.locator("#targets-form")
    expect(targets).to_be_visible()
    this_month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    for month in (previous_month(this_month), this_month):
        manager.locator("#targets [name=month]").fill(month)
        manager.locator("#targets [name=month]").blur()  # typed, then left: the month's targets are drawn
        expect(manager.locator("#targets h2")).to_contain_text(month)
        targets.locator("[name=sales_fen]").fill("90000")
        targets.locator("[name=car_count]").fill("120")
        targets.locator("[name=parts_gross_profit_pct]").fill("35")
        path = f"/kpi-targets/{month}"
        with manager.expect_response(lambda r, path=path: r.request.method == "PUT" and path in r.url) as put:
            targets.locator("button[type=submit]").click()
        assert put.value.ok
        expect(manager.locator("#toast")).to_have_text("目标已保存")
    period = {name: manager.locator(f"#period [name={name}]").input_value() for name in ("from", "to")}
    report = ok(shop.manager.get(f"{stack.url}/v1/reports/kpis", params={
        **period, "store_id": shop.id, "compare": "target"}))["items"][0]
    aim = report["target"]
    saved = ok(shop.manager.get(f"{stack.url}/v1/stores/{shop.id}/kpi-targets",
                                params={"from": previous_month(this_month), "to": this_month}))["items"]
    assert [(t["month"], t["sales_fen"], t["car_count"]) for t in saved] == [
        (previous_month(this_month), 9_000_000, 120), (this_month, 9_000_000, 120)]
    # the 30 days ending today: a share of each month, less than the two whole months
    assert 0 < aim["sales_fen"] < 2 * 9_000_000 and aim["parts_gross_profit_pct"] == "35.00"
    revenue = manager.locator("[data-kpi=kpi_revenue] [data-compare=target]")
    expect(revenue).to_contain_text(f"目标 ¥{aim['sales_fen'] // 100:,}.{aim['sales_fen'] % 100:02d} · 达成 ")
    expect(manager.locator("[data-kpi=kpi_parts_gp] [data-compare=target]")).to_contain_text("目标 35.0%")
    assert_all_chinese(manager, shop.login["store_manager"], this_month, previous_month(this_month))


def previous_month(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{year - (number == 1)}-{(number - 2) % 12 + 1:02d}"
