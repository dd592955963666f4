"""The console works under its Content-Security-Policy: a manager opens every screen in the nav and
the browser reports no policy violation (no inline script or style, nothing from elsewhere)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import COUNTER_PC, PASSWORD, go_to, settle, track

pytestmark = pytest.mark.e2e


def test_every_screen_runs_under_the_content_security_policy(browser, stack, shop):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **COUNTER_PC)
    try:
        page = track(context.new_page())
        complaints: list[str] = []
        page.on("console", lambda message: complaints.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.on("pageerror", lambda error: complaints.append(str(error)))
        reply = page.goto(f"{stack.url}/")
        assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
        page.fill("[name=username]", shop.login["store_manager"])
        page.fill("[name=password]", PASSWORD)
        page.click("form.login button[type=submit]")
        expect(page.locator(".topbar")).to_be_visible()
        links = page.locator("#nav a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert len(hrefs) >= 3
        for href in hrefs:
            go_to(page, href.removeprefix("#/"))
            expect(page.locator("#main")).not_to_be_empty()
            settle(page)
        assert complaints == []
    finally:
        context.close()
