"""A customer's record (客户) in the console shows every message to them in one list, UI alone (setup through the
API): the text of their car's check-in and the store's care campaign (营销 with the campaign's name), each with its
channel and status in Chinese."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to
from tests.browser.test_messages import check_in
from tests.support import data
from tests.support.accounts import without_quiet_hours
from tests.support.one_car import ok


def test_the_customer_record_shows_a_campaign_message_beside_the_outboxs_with_its_status(console, stack, shop):
    without_quiet_hours(stack, shop.manager, shop.id)  # the campaign goes now at any hour in Beijing
    mobile, tag, name = data.mobile(), f"记录{data.digits(6)}", f"冬季关怀{data.digits(4)}"
    owner = check_in(stack, shop.store, shop.advisor, "郑营销", mobile)
    ok(shop.advisor.patch(f"{stack.url}/v1/customers/{owner['id']}", json={"marketing_consent": True,
                                                                            "tags": [tag]}))
    campaign = ok(shop.manager.post(f"{stack.url}/v1/campaigns", json={
        "name": name, "channel": "sms", "store_id": shop.id, "template": "{name}您好，冬季检测免费。",
        "segment": {"tags": [tag]}}))
    deadline = time.monotonic() + 60
    while ok(shop.manager.get(f"{stack.url}/v1/campaigns/{campaign['id']}"))["status"] != "completed":
        assert time.monotonic() < deadline, "the campaign never went out"
        time.sleep(0.5)

    page = console.open(shop.login["service_advisor"])
    go_to(page, "crm")
    page.fill("[name=q]", mobile)
    page.locator("button:has-text('查找')").click()
    page.locator(f"li[data-customer='{owner['id']}']").click()
    rows = page.locator("#customer-messages tr[data-message]")
    expect(rows).to_have_count(2)
    sent = page.locator("#customer-messages tr[data-kind=campaign]")
    expect(sent).to_contain_text(f"营销 {name}")
    expect(sent).to_contain_text("短信")
    expect(sent.locator("td").nth(3)).to_contain_text(re.compile("已发送|已送达"))  # 已送达: the receipt came
    assert sent.get_attribute("data-status") in ("sent", "delivered")
    expect(rows.first).to_have_attribute("data-kind", "campaign")  # newest first
    expect(page.locator("#customer-messages tr[data-kind=outbox]")).to_contain_text("到店接车")
    assert_all_chinese(page, *shop.login.values(), name, tag, mobile)
    console.shot(page, "customer-record-messages")
