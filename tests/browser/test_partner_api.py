"""The partner API screen in the console alone: a store manager makes an API key (its secret shown once,
gone after a reload), sees its use, revokes it (the key is refused at once); subscribes a receiver to new
customers, watches the delivery arrive signed in the log — the log opened while the receiver is still
answering turns to 已送达 on its own — and redelivers it."""
from __future__ import annotations

import random
import time

import requests
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.browser.conftest import assert_all_chinese
from tests.support import data
from tests.support.one_car import ok
from tests.support.receiver import Receiver
from tests.support.stack import ADMIN_PASSWORD


def test_the_manager_makes_and_revokes_a_key_and_watches_a_webhook(console, stack, shop):
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/partners")
    name = f"车队对接{random.randint(1000, 9999)}"
    keys = manager.locator("#api-key-form")
    keys.locator("[name=name]").fill(name)
    keys.locator("[name=scope_customers]").select_option("read")
    keys.locator("button[type=submit]").click()
    shown = manager.locator("#secret-once code.secret")
    expect(shown).to_contain_text("ask_")
    secret = shown.inner_text()
    expect(manager.locator("#secret-once")).to_contain_text("只显示这一次")
    row = manager.locator(f"#api-keys tr[data-key='{name}']")
    expect(row).to_contain_text("客户与车辆（只读）")
    expect(row).to_contain_text("有效")
    console.shot(manager, "api-key-created")

    key = {"Authorization": f"Bearer {secret}"}
    assert requests.get(f"{stack.url}/v1/customers", headers=key, timeout=10).status_code == 200
    manager.reload()
    expect(row.locator("td.num")).to_have_text("1")
    assert secret not in manager.locator("body").inner_text()  # shown once: gone after a reload
    assert_all_chinese(manager, shop.login["store_manager"], name, secret[:12])
    row.get_by_role("button", name="吊销").click()
    expect(row).to_contain_text("已吊销")
    assert requests.get(f"{stack.url}/v1/customers", headers=key, timeout=10).status_code == 401

    receiver = Receiver(answer_after=3)
    try:
        hooks = manager.locator("#webhook-form")
        hooks.locator("[name=url]").fill(receiver.url)
        hooks.locator("[name=event_types][value='crm.customer_registered']").check()
        hooks.locator("button[type=submit]").click()
        expect(shown).to_be_visible()
        receiver.secret = shown.inner_text()
        hook = manager.locator(f"#webhooks tr[data-webhook='{receiver.url}']")
        expect(hook).to_contain_text("新客户建档")
        customer = ok(shop.advisor.post(f"{stack.url}/v1/customers", json={
            "name": "推送客户", "mobile": data.mobile(), "home_store_id": shop.id}))
        deadline = time.monotonic() + 30
        while not any(e["data"]["customer_id"] == customer["id"] for e in receiver.events.values()):
            assert time.monotonic() < deadline, "the webhook never arrived"
            time.sleep(0.2)
        event_id = next(i for i, e in receiver.events.items() if e["data"]["customer_id"] == customer["id"])
        assert all(attempt["verified"] for attempt in receiver.of(event_id))

        hook.get_by_role("button", name="投递记录").click()
        delivery = manager.locator(f"#deliveries tr[data-delivery='{event_id}']")
        expect(delivery).to_contain_text("已送达")
        expect(delivery).to_contain_text("200")
        console.shot(manager, "webhook-deliveries")
        assert_all_chinese(manager, shop.login["store_manager"], name, receiver.url, secret[:12])
        delivery.get_by_role("button", name="重新投递").click()
        deadline = time.monotonic() + 30
        while len(receiver.of(event_id)) < 2:
            assert time.monotonic() < deadline, "the redelivery never arrived"
            time.sleep(0.2)
        assert len([i for i in receiver.events if i == event_id]) == 1  # the receiver de-duplicates by id
    finally:
        receiver.close()


def test_hq_covers_the_chain_and_an_owner_is_told_of_a_disabled_webhook(console, stack, shop, admin):
    """HQ ticks 全连锁 and gets a customer's erasure, a fact of no store; a manager's webhook that kept failing
    (its failures made in the gateway's database: a day of retries is not waited out) is counted on the
    manager's menu and named at the top of the screen."""
    receiver = Receiver()
    try:
        hq = console.open("admin", password=ADMIN_PASSWORD)
        hq.goto(f"{stack.url}/console/#/partners")
        hooks = hq.locator("#webhook-form")
        hooks.locator("[name=url]").fill(receiver.url)
        hooks.locator("[name=event_types][value='crm.customer_erased']").check()
        hooks.locator("[name=chain_wide]").check()
        hooks.locator("button[type=submit]").click()
        shown = hq.locator("#secret-once code.secret")
        expect(shown).to_be_visible()
        receiver.secret = shown.inner_text()
        expect(hq.locator(f"#webhooks tr[data-webhook='{receiver.url}']")).to_contain_text("全连锁")
        # HQ lists the chain's keys and webhooks, other tests' among them: their names, prefixes and addresses,
        # read once both lists are in (the keys walk every page of the chain's)
        expect(hq.locator("#api-keys h2")).to_be_visible()
        others = hq.locator("tr[data-key] .hint").all_inner_texts() + hq.locator("tr[data-key]").evaluate_all(
            "rows => rows.map((row) => row.dataset.key)") + hq.locator("tr[data-webhook]").evaluate_all(
            "rows => rows.map((row) => row.dataset.webhook)")
        assert_all_chinese(hq, "admin", "Administrator", receiver.url, receiver.secret[:12], *shop.login.values(),
                           *others)
        customer = ok(shop.advisor.post(f"{stack.url}/v1/customers", json={
            "name": "删除客户", "mobile": data.mobile(), "home_store_id": shop.id}))
        ok(shop.manager.post(f"{stack.url}/v1/customers/{customer['id']}/erase"))
        deadline = time.monotonic() + 30
        while not any(e["type"] == "crm.customer_erased" and e["data"]["customer_id"] == customer["id"]
                      for e in receiver.events.values()):
            assert time.monotonic() < deadline, "the erasure never reached the chain-wide webhook"
            time.sleep(0.2)
        assert all(a["verified"] for e in receiver.events for a in receiver.of(e))
    finally:
        receiver.close()

    failing = ok(shop.manager.post(f"{stack.url}/v1/webhooks", json={
        "url": "http://127.0.0.1:9/down", "event_types": ["crm.customer_registered"], "store_ids": [shop.id]}))
    engine = create_engine(stack.env["GATEWAY_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("UPDATE webhook_subscriptions SET disabled_at = CURRENT_TIMESTAMP, failures = 5 "
                                "WHERE id = :id"), {"id": failing["id"]})
    engine.dispose()
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/board")
    expect(manager.locator('#nav a[href="#/partners"] .count')).to_have_text("1")
    manager.goto(f"{stack.url}/console/#/partners")
    notice = manager.locator("#webhooks-disabled")
    expect(notice).to_contain_text("因连续投递失败已停用")
    expect(notice).to_contain_text("http://127.0.0.1:9/down")
    expect(manager.locator("#api-keys h2")).to_be_visible()  # the store's keys, other tests' among them: data
    others = manager.locator("tr[data-key] .hint").all_inner_texts() + manager.locator("tr[data-key]").evaluate_all(
        "rows => rows.map((row) => row.dataset.key)")
    assert_all_chinese(manager, shop.login["store_manager"], "http://127.0.0.1:9/down", receiver.url, *others)
