"""A user of store B never sees store A's documents in the console: not in lists, and not by
opening a store-A link."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import confirmed_order, username
from tests.support.one_car import Store


def test_a_store_b_user_never_sees_store_a_documents(console, stack, admin, shop, part):
    a = confirmed_order(stack, shop, part)
    store_b = Store(stack, admin)
    advisor_b = console.open(username(admin, stack, store_b.advisor))
    expect(advisor_b.locator("#store option")).to_have_count(1)
    expect(advisor_b.locator("#store option")).to_have_text(store_b.store["name"])

    advisor_b.goto(f"{stack.url}/console/#/quotes")
    expect(advisor_b.locator("[data-screen=quotes] table")).to_be_visible()
    expect(advisor_b.locator(f"[data-quote='{a['quote']['id']}']")).to_have_count(0)

    advisor_b.goto(f"{stack.url}/console/#/quotes/{a['quote']['id']}")
    refused = advisor_b.locator("[data-screen=quotes] .form-error")
    expect(refused).to_have_attribute("data-status", "403")  # staff read words, not the HTTP status
    expect(refused).to_have_text(re.compile(r"^[^A-Za-z0-9]*[\u4e00-\u9fff][^A-Za-z0-9]*$"))  # in words, Chinese
    expect(advisor_b.locator("#quote")).to_have_count(0)
    console.shot(advisor_b, "other-store-quote-refused")

    advisor_b.goto(f"{stack.url}/console/#/board")
    expect(advisor_b.locator("[data-status=open] h2")).to_be_visible()
    expect(advisor_b.locator(f"[data-wo='{a['work_order']['id']}']")).to_have_count(0)
    assert a["plate"] not in advisor_b.inner_text("#board")
