"""A new chain's first day: HQ signs in to a console with no store yet and opens the first one there, in
the console alone, which then opens on it (a chain with no store had shown HQ a blank screen: every screen
works in a store)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese
from tests.support.infra import Databases, Vhost
from tests.support.one_car import every
from tests.support.stack import ADMIN_PASSWORD, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A chain of its own with no store at all (the shared stack holds every other test's)."""
    vhost, databases = Vhost().create(), Databases().create(migrated=True)
    running = Stack(vhost.uri, databases.env(), tmp_path_factory.mktemp("first-store"))
    try:
        yield running.start()
    finally:
        running.kill()
        databases.drop()
        vhost.drop()


def test_hq_opens_the_chains_first_store_in_the_console(console, stack):
    assert every(stack.login(), f"{stack.url}/v1/stores") == []
    hq = console.open("admin", password=ADMIN_PASSWORD)
    expect(hq.locator("h1")).to_have_text("连锁还没有门店：先开设第一家门店")
    assert_all_chinese(hq, "admin", "Administrator")
    opening = hq.locator("#new-store-form")
    opening.locator("[name=code]").fill("GZ-01")
    opening.locator("[name=name]").fill("广州天河店")
    opening.locator("[name=phone]").fill("020-88886666")
    opening.locator("button[type=submit]").click()
    expect(hq.locator("#store option")).to_have_text(["广州天河店"])
    expect(hq.locator("[data-screen=dashboard]")).to_be_visible()  # HQ's home, in the new store
    [opened] = every(stack.login(), f"{stack.url}/v1/stores")
    assert (opened["code"], opened["name"], opened["phone"]) == ("GZ-01", "广州天河店", "020-88886666")
