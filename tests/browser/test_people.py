"""人员绩效 in the console alone (issue 29): after a car of the month (made over the API: a job shared 60/40 by 李师傅
and 王师傅, a red finding quoted and approved, the follow-up rated 1 with a complaint), the manager opens the screen
from 经营管理, reads the technicians by name with a total row that is the sum of the rows, switches to the advisors
and reads the advisor's row; 李师傅 opens it and sees his own card only."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import amount, assert_all_chinese, go_to
from tests.support.one_car import new_part, one_car


def minutes(text: str) -> int:
    """时:分 as minutes."""
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def test_the_manager_reads_the_scorecards_with_totals_and_a_technician_his_own_card(console, stack, admin, shop):
    one_car(stack, admin, shop, new_part(stack, admin, shop))
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/board")
    go_to(manager, "people")
    report = manager.locator("#people-report")
    li, wang = report.locator("tr[data-employee=李师傅]"), report.locator("tr[data-employee=王师傅]")
    expect(li).to_be_visible()
    expect(li.locator("[data-figure=billed_hours]")).to_have_text("0:36")  # 0.6 h: 60 % of the 1 h job
    expect(wang.locator("[data-figure=billed_hours]")).to_have_text("0:24")
    expect(li.locator("[data-figure=first_time_qc_pass_pct]")).to_have_text("0.0%")  # failed QC once
    total = report.locator("tr.total")
    expect(total.locator("[data-figure=billed_hours]")).to_have_text("1:00")
    expect(total.locator("[data-figure=efficiency_pct]")).to_have_text("100.0%")
    rows = report.locator("tbody tr:not(.total)").all()
    for name in ("labour_revenue_fen", "commission_fen"):
        cells = [amount(row.locator(f"[data-figure={name}]").inner_text()) for row in rows]
        assert amount(total.locator(f"[data-figure={name}]").inner_text()) == sum(cells) > 0, name
    for name in ("jobs", "work_orders"):
        assert int(total.locator(f"[data-figure={name}]").inner_text()) == sum(
            int(row.locator(f"[data-figure={name}]").inner_text()) for row in rows)
    assert sum(minutes(row.locator("[data-figure=clocked_hours]").inner_text()) for row in rows) == minutes(
        total.locator("[data-figure=clocked_hours]").inner_text()) == 60
    assert_all_chinese(manager, shop.login["store_manager"])
    console.shot(manager, "people-technicians")

    advisor_name = shop.login["service_advisor"]
    manager.locator("#people-period [name=role]").select_option("advisor")
    selling = report.locator(f"tr[data-employee='{advisor_name}']")
    expect(selling.locator("[data-figure=close_ratio_pct]")).to_have_text("100.0%")
    expect(selling.locator("[data-figure=average_satisfaction]")).to_have_text("1.00 / 5")
    expect(selling.locator("[data-figure=complaints]")).to_have_text("1")
    expect(selling.locator("[data-figure=inspection_approval_pct]")).to_have_text("100.0%")
    expect(report.locator("tr.total [data-figure=quotes_presented]")).to_have_text("2")
    assert_all_chinese(manager, shop.login["store_manager"], advisor_name)
    console.shot(manager, "people-advisors")

    technician = console.open(shop.login["technician"])
    go_to(technician, "people")
    own = technician.locator("#people-own")
    expect(own).to_be_visible()
    expect(own).to_have_attribute("data-employee", "李师傅")
    expect(own.locator("[data-figure=billed_hours]")).to_have_text("0:36")
    expect(technician.locator("#people-period [name=role]")).to_be_hidden()
    expect(technician.locator("#people-report tr[data-employee=王师傅]")).to_have_count(0)
    assert_all_chinese(technician, shop.login["technician"])
