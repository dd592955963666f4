"""The care campaign screen (营销活动) from the console alone: the store manager previews a campaign to a tag of the
store's customers (two accept marketing messages, one refuses and is said to be left out), schedules it to send
now, reads it in the list in words (its store, 短信, the tag, its time on the store's clock, 已完成 and two sent);
the messages reach the two who consent only, and the dashboard's results card counts it and links to the screen.
A campaign scheduled for tomorrow shows its local time and is cancelled before it sends. The manager of another
store does not see either."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to, username
from tests.support import data
from tests.support.accounts import create_store, make_user, without_quiet_hours
from tests.support.one_car import every, ok
from tests.support.stack import ADMIN_PASSWORD


def test_a_manager_previews_schedules_and_cancels_campaigns_on_the_campaign_screen(console, stack, admin, shop):
    without_quiet_hours(stack, shop.manager, shop.id)  # sent now at any hour in Beijing
    tag = f"关怀{data.digits(6)}"
    people = {}
    for name, consent in (("冯关怀", True), ("陈关怀", True), ("林拒收", False)):
        people[name] = ok(shop.advisor.post(f"{stack.url}/v1/customers", json={
            "name": name, "mobile": data.mobile(), "home_store_id": shop.id, "marketing_consent": consent,
            "tags": [tag]}))
    name = f"冬季关怀{data.digits(4)}"

    page = console.open(shop.login["store_manager"])
    go_to(page, "campaigns")
    card = page.locator("#campaign-form")
    card.locator("[name=name]").fill(name)
    expect(card.locator("[name=store_id]")).to_have_value(shop.id)
    assert card.locator("[name=store_id] option").all_inner_texts() == [shop.store["name"]]  # their store alone
    card.locator("[name='segment.tags']").fill(tag)
    card.locator("[data-placeholder=name]").click()
    card.locator("[name=template]").press("End")
    card.locator("[name=template]").type("您好，冬季保养八折。")
    expect(card.locator("[name=template]")).to_have_value("{name}您好，冬季保养八折。")
    card.locator("#campaign-preview-button").click()
    preview = card.locator("#campaign-preview")
    expect(preview).to_have_text("将发送给 2 位客户；1 位客户未同意接收营销消息，不发送")
    expect(preview).to_have_attribute("data-without-consent", "1")
    card.locator("button[type=submit]").click()  # no day: sent now

    row = page.locator(f"#campaign-list tr[data-campaign='{name}']")
    expect(row.locator("td").nth(1)).to_have_text(shop.store["name"])
    expect(row.locator("td").nth(2)).to_have_text("短信")
    expect(row.locator("[data-field=segment]")).to_have_text(f"标签：{tag}")
    today = datetime.now(ZoneInfo(shop.store.get("timezone") or "Asia/Shanghai")).date().isoformat()
    expect(row.locator("[data-field=scheduled_at]")).to_contain_text(today)
    expect(row.locator("[data-field=status]")).to_have_text("已完成", timeout=40_000)  # the list follows the sender
    expect(row.locator("[data-field=audience_count]")).to_have_text("2")
    expect(row.locator("[data-field=sent]")).to_have_text("2")
    expect(row.locator("[data-field=failed]")).to_have_text("0")
    expect(row.locator("[data-field=skipped]")).to_have_text("0")
    expect(page.locator("#campaign-list th").filter(has_text="超出每周上限")).to_have_count(1)
    expect(page.locator("#campaign-rules")).to_contain_text("免打扰时段")

    [campaign] = [c for c in every(shop.manager, f"{stack.url}/v1/campaigns") if c["name"] == name]
    messages = every(shop.manager, f"{stack.url}/v1/campaigns/{campaign['id']}/messages")
    assert sorted(m["customer_id"] for m in messages) == sorted([people["冯关怀"]["id"], people["陈关怀"]["id"]])
    assert {m["body"] for m in messages} == {"冯关怀您好，冬季保养八折。", "陈关怀您好，冬季保养八折。"}
    assert all(m["status"] in ("sent", "delivered") for m in messages)  # through the SMS sandbox, its receipt

    # one for tomorrow 10:00 on the store's clock, cancelled before it sends
    later = f"{name}续"
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date().isoformat()
    card.locator("[name=name]").fill(later)
    card.locator("[name=channel]").select_option("wechat")
    card.locator("[name='segment.tags']").fill("")
    card.locator("[name='segment.birthday_this_month']").check()
    card.locator("[name='segment.tiers'][value=gold]").check()
    card.locator("[name=template]").fill("{name}您好，生日快乐！")
    card.locator("[name=send_day]").fill(tomorrow)
    card.locator("[name=send_time]").fill("10:00")
    card.locator("button[type=submit]").click()
    waiting = page.locator(f"#campaign-list tr[data-campaign='{later}']")
    expect(waiting.locator("[data-field=scheduled_at]")).to_have_text(f"{tomorrow} 10:00")
    expect(waiting.locator("td").nth(2)).to_have_text("公众号")
    expect(waiting.locator("[data-field=segment]")).to_have_text("会员等级：金卡；本月生日")
    expect(waiting.locator("[data-field=status]")).to_have_text("待发送")
    assert_all_chinese(page, *shop.login.values(), name, later, tag)
    console.shot(page, "campaigns")
    waiting.locator("button.cancel").click()
    expect(waiting.locator("[data-field=status]")).to_have_text("已取消")
    expect(waiting.locator("button.cancel")).to_have_count(0)

    # the dashboard's results card counts the sent one and leads back here
    page.goto(f"{stack.url}/console/#/dashboard")
    results = page.locator(f"#campaigns tr[data-campaign='{name}']")
    expect(results.locator("[data-field=messages_sent]")).to_have_text("2")
    page.locator("#campaigns-manage").click()
    expect(page.locator("#campaign-list")).to_be_visible()
    expect(page.locator(f"#campaign-list tr[data-campaign='{name}']")).to_be_visible()

    # another store's manager sees neither
    other = create_store(stack, admin, f"佛山南海店{data.digits(4)}")
    other_manager = make_user(stack, admin, "store_manager", [other["id"]])
    theirs = console.open(username(admin, stack, other_manager))
    go_to(theirs, "campaigns")
    expect(theirs.locator("#campaign-list table, #campaign-list p.hint")).to_have_count(1)  # the list is drawn
    expect(theirs.locator(f"#campaign-list tr[data-campaign='{name}']")).to_have_count(0)
    expect(theirs.locator(f"#campaign-list tr[data-campaign='{later}']")).to_have_count(0)
    assert name not in {c["name"] for c in every(other_manager, f"{stack.url}/v1/campaigns")}


def test_hq_previews_and_schedules_a_chain_wide_campaign_that_store_managers_see_but_do_not_cancel(
        console, stack, admin, shop):
    tag = f"全连锁{data.digits(6)}"
    elsewhere = create_store(stack, admin, f"佛山顺德店{data.digits(4)}")
    for store_id, consent in ((shop.id, True), (elsewhere["id"], True), (elsewhere["id"], False)):
        ok(admin.post(f"{stack.url}/v1/customers", json={
            "name": "周全连", "mobile": data.mobile(), "home_store_id": store_id, "marketing_consent": consent,
            "tags": [tag]}))
    name = f"全连锁关怀{data.digits(4)}"
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date().isoformat()

    hq = console.open("admin", password=ADMIN_PASSWORD)
    go_to(hq, "campaigns")
    card = hq.locator("#campaign-form")
    assert card.locator("[name=store_id] option").first.inner_text() == "全连锁"
    card.locator("[name=store_id]").select_option("")
    card.locator("[name=name]").fill(name)
    card.locator("[name='segment.tags']").fill(tag)
    card.locator("[name=template]").fill("{name}您好，全连锁会员日。")
    card.locator("#campaign-preview-button").click()
    expect(card.locator("#campaign-preview")).to_have_text("将发送给 2 位客户；1 位客户未同意接收营销消息，不发送")
    card.locator("[name=send_day]").fill(tomorrow)
    card.locator("[name=send_time]").fill("09:30")
    card.locator("button[type=submit]").click()
    row = hq.locator(f"#campaign-list tr[data-campaign='{name}']")
    expect(row.locator("td").nth(1)).to_have_text("全连锁")
    expect(row.locator("[data-field=scheduled_at]")).to_have_text(f"{tomorrow} 09:30")

    manager = console.open(shop.login["store_manager"])
    go_to(manager, "campaigns")
    theirs = manager.locator(f"#campaign-list tr[data-campaign='{name}']")
    expect(theirs.locator("td").nth(1)).to_have_text("全连锁")
    expect(theirs.locator("[data-field=status]")).to_have_text("待发送")
    expect(theirs.locator("button.cancel")).to_have_count(0)  # HQ's to change

    row.locator("button.cancel").click()
    expect(row.locator("[data-field=status]")).to_have_text("已取消")
