"""The console's message log (消息记录) in Chromium, UI alone: an advisor's store checked in two cars (setup
through the API: one owner's number is out of service at the operator); the advisor opens 消息记录 and
sees to whom each text went (name, masked mobile), what it said, by which channel, that one was delivered
and why the other failed, in Chinese, narrows the log to the failed ones, and finds the same message on
that customer's record (客户)."""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to
from tests.support import data
from tests.support.customer import PASSWORD, ok, staff_world

pytestmark = pytest.mark.e2e


def check_in(stack, store, advisor, name: str, mobile: str) -> dict:
    owner = ok(advisor.post(f"{stack.url}/v1/customers", json={"name": name, "mobile": mobile,
                                                                "home_store_id": store["id"]}))
    car = ok(advisor.post(f"{stack.url}/v1/customers/{owner['id']}/vehicles", json={"plate": data.plate()}))
    ok(advisor.post(f"{stack.url}/v1/visits", json={"store_id": store["id"], "customer_id": owner["id"],
                                                    "vehicle_id": car["id"], "mileage_km": 500, "needs": ["保养"]}))
    return owner


def test_the_message_log_shows_delivered_and_failed_texts_with_the_reason_in_chinese(stack, admin, console):
    store, advisor, username = staff_world(stack, admin, "广州天河店")
    lost = data.mobile()
    ok(requests.post(f"{stack.messaging_url}/sandbox/fail", json={"provider": "sms", "undeliverable": [lost]},
                     timeout=10))
    delivered = check_in(stack, store, advisor, "周送达", data.mobile())
    failed = check_in(stack, store, advisor, "吴停机", lost)

    page = console.open(username, password=PASSWORD)
    go_to(page, "messages")
    log = page.locator("#messages")
    row_of = {owner["id"]: log.locator("tr", has_text=owner["name"]) for owner in (delivered, failed)}

    def refresh_until(owner: dict, status: str) -> None:
        for _ in range(60):
            if row_of[owner["id"]].get_attribute("data-status", timeout=15_000) == status:
                return
            page.click("[data-action=refresh]")
            page.wait_for_timeout(500)
        raise AssertionError(f"{owner['name']}'s message never became {status}")

    refresh_until(delivered, "delivered")
    refresh_until(failed, "failed")
    mobile = delivered["mobile"]
    ok_row, bad_row = row_of[delivered["id"]], row_of[failed["id"]]
    expect(ok_row).to_contain_text(f"{mobile[:3]}****{mobile[-4:]}")
    expect(ok_row).to_contain_text("到店接车")
    expect(ok_row).to_contain_text("短信")
    expect(ok_row).to_contain_text("已送达")
    expect(bad_row).to_contain_text("失败")
    expect(bad_row.locator("[data-reason]")).to_have_text("运营商未能送达（停机、空号等）")
    assert mobile not in page.locator("body").inner_text()  # masked, never in full
    assert_all_chinese(page, username)
    console.shot(page, "messages")

    page.select_option("[name=status]", "failed")
    expect(log.locator("tr[data-message]")).to_have_count(1)
    expect(log.locator("tr[data-message]")).to_contain_text("吴停机")

    go_to(page, "crm")  # the same message on the customer's record
    page.fill("[name=q]", lost)
    page.locator("button:has-text('查找')").click()
    page.locator(f"li[data-customer='{failed['id']}']").click()
    on_record = page.locator("#customer-messages tr[data-message]")
    expect(on_record).to_have_count(1)
    expect(on_record).to_contain_text("到店接车")
    expect(on_record.locator("[data-reason]")).to_have_text("运营商未能送达（停机、空号等）")
    assert_all_chinese(page, username, lost)
