"""HQ keeps the chain's labour operations (工时项目) in the console alone: adds one, changes its
standard hours and skill, deactivates it (quoted no more) and offers it again."""
from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to
from tests.support.one_car import ok
from tests.support.stack import ADMIN_PASSWORD


def test_hq_adds_changes_and_deactivates_a_labour_operation(console, stack, admin, shop):
    # (`shop`: the console opens on a store; a chain with none shows HQ no screens yet)
    code = f"WASH-{uuid.uuid4().hex[:5].upper()}"
    hq = console.open("admin", password=ADMIN_PASSWORD)
    go_to(hq, "catalogue")
    editor = hq.locator("#operation-form")
    editor.locator("[name=code]").fill(code)
    editor.locator("[name=name]").fill("发动机舱清洗")
    editor.locator("[name=category]").select_option("car_care")
    editor.locator("[name=standard_hours]").fill("abc")
    editor.locator("button[type=submit]").click()
    expect(editor.locator("[data-field=standard_hours] .field-error")).not_to_be_empty()  # the API's words
    editor.locator("[name=standard_hours]").fill("0.75")
    editor.locator("button[type=submit]").click()
    row = hq.locator(f"tr[data-op='{code}']")
    expect(row).to_contain_text("发动机舱清洗")
    expect(row).to_contain_text("美容")
    expect(row.locator("[data-hours]")).to_have_text("0:45")
    # every operation's code is typed by whoever entered it (the demo's OIL-CHG and other tests' among them)
    assert_all_chinese(hq, "admin", "Administrator", *hq.locator("tr[data-op]").evaluate_all(
        "rows => rows.map((row) => row.dataset.op)"))
    console.shot(hq, "catalogue")

    row.locator("[data-action=edit]").click()
    editor = hq.locator("#operation-form")
    editor.locator("[name=standard_hours]").fill("1.5")
    editor.locator("[name=skill]").select_option("engine")
    editor.locator("button[type=submit]").click()
    expect(row.locator("[data-hours]")).to_have_text("1:30")
    expect(row).to_contain_text("发动机")
    saved = ok(admin.get(f"{stack.url}/v1/labour-operations/{code}"))
    assert float(saved["standard_hours"]) == 1.5 and saved["skill"] == "engine" and saved["category"] == "car_care"

    row.locator("[data-action=deactivate]").click()
    expect(row).to_contain_text("已停用")
    assert ok(admin.get(f"{stack.url}/v1/labour-operations/{code}"))["active"] is False
    row.locator("[data-action=reactivate]").click()
    expect(row).to_contain_text("在售")
    assert ok(admin.get(f"{stack.url}/v1/labour-operations/{code}"))["active"] is True


def test_a_store_manager_has_no_catalogue_screen(console, stack, shop):
    manager = console.open(shop.login["store_manager"])
    expect(manager.locator('#nav a[href="#/catalogue"]')).to_have_count(0)
