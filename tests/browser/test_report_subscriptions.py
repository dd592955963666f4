"""Issue 29: a store manager sets the mobile on their own account and subscribes to the store's daily business
summary on the users screen, with the console alone; a mobile that is not one is refused in words; the manager
then unsubscribes."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to
from tests.support import data


def test_a_manager_sets_their_mobile_and_subscribes_to_the_daily_summary(console, stack, shop):
    manager = console.open(shop.login["store_manager"])
    go_to(manager, "users")
    card = manager.locator("#my-reports")
    expect(card).to_contain_text("我的经营简报")
    card.locator("[name=period]").select_option("daily")
    subscribe = card.locator("button", has_text="订阅").first
    subscribe.click()
    expect(card.locator(".form-error").nth(1)).to_have_text("请先设置您的手机号")  # no mobile yet: nothing to text
    mobile = card.locator("[name=mobile]")
    mobile.fill("12345")
    card.locator("button", has_text="保存手机号").click()
    expect(card.locator("[data-field=mobile] .field-error")).to_have_text("手机号应为 1 开头的 11 位数字")
    number = data.mobile()
    mobile.fill(number)
    card.locator("button", has_text="保存手机号").click()
    expect(manager.locator(f"tr[data-user='{shop.login['store_manager']}']")).to_contain_text(number)
    subscribe.click()
    listed = card.locator("li[data-subscription]")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("每日")
    assert_all_chinese(manager, shop.login["store_manager"], *shop.login.values(), number, listed.inner_text())
    console.shot(manager, "report_subscriptions")
    listed.locator("button", has_text="退订").click()
    expect(card).to_contain_text("尚未订阅")
