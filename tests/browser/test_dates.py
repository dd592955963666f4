"""Days and times of day are typed and shown one way, 2026-12-06 and 14:30, whatever the browser's
language: an English browser's own date and time inputs would show 12/06/2026 and 02:30 PM."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
NOT_A_DAY = "请按 年-月-日 填写日历上的日期，例如 2026-12-06"


def test_a_day_and_a_time_look_the_same_in_an_english_browser(console, stack, shop):
    manager = console.open(shop.login["store_manager"], locale="en-US")
    manager.goto(f"{stack.url}/console/#/dashboard")
    period = manager.locator("#period")
    start, end = period.locator("[name=from]"), period.locator("[name=to]")
    expect(manager.locator("[data-kpi]").first).to_be_visible()
    assert DAY.fullmatch(start.input_value()) and DAY.fullmatch(end.input_value())
    expect(start).to_have_attribute("placeholder", "年-月-日")
    assert start.evaluate("el => el.type") == "text"
    last = end.input_value()

    for typed in ("12/06/2026", "2026-02-30", "2026-13-01"):
        start.fill(typed)
        assert start.evaluate("el => el.validationMessage") == NOT_A_DAY, typed
        expect(period.locator("[data-field=from] .field-error")).to_have_text(NOT_A_DAY)
    start.fill(" 2026-11-01 ")
    start.dispatch_event("change")
    assert start.input_value() == "2026-11-01" and start.evaluate("el => el.validity.valid")
    expect(period.locator("[data-field=from] .field-error")).to_have_text("")
    period.locator("button[type=submit]").click()
    expect(end).to_have_value(last)
    assert_all_chinese(manager, shop.login["store_manager"])

    manager.goto(f"{stack.url}/console/#/technicians")
    manager.locator("[data-action=edit]").first.click()
    editor = manager.locator("#technician-form")
    shift = editor.locator(".shift").first
    expect(shift.locator("[name=start]")).to_have_value(re.compile(r"^([01]\d|2[0-3]):[0-5]\d$"))
    expect(shift.locator("[name=start]")).to_have_attribute("placeholder", "时:分")
    shift.locator("[name=end]").fill("6:30 PM")
    assert shift.locator("[name=end]").evaluate("el => el.validationMessage") == "请按 24 小时制 时:分 填写，例如 08:30"
    shift.locator("[name=end]").fill("18:30")
    assert shift.locator("[name=end]").evaluate("el => el.validity.valid")
