"""Every screen of the console and the car owner's phone app checked by axe-core (WCAG 2.1 A and AA
rules, served from the test's own copy: `axe-playwright-python`) with no serious or critical violation,
on the counter PC and on the phone."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, confirmed_order, settle, track

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}
MANAGER_SCREENS = ("reception", "quotes", "board", "tech", "cashier", "inventory", "crm", "dashboard", "approvals",
                   "technicians", "users", "store", "accounts", "commission", "health_records")
AXE = Axe()


def serious(page: Page) -> list[str]:
    """The serious and critical violations on the page as it stands: rule, impact and the first places."""
    found = AXE.run(page, options=WCAG).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in found if v["impact"] in ("serious", "critical")]


def test_the_login_screens_have_no_serious_violation(console, stack):
    page = track(console.browser.new_page(locale="zh-CN"))
    page.goto(f"{stack.url}/")
    expect(page.locator("[name=username]")).to_be_visible()
    assert serious(page) == []
    page.goto(f"{stack.url}/m/")
    expect(page.locator("body")).not_to_be_empty()
    settle(page)
    assert serious(page) == []
    page.close()


@pytest.mark.parametrize("device", ["counter", "phone"])
def test_every_screen_of_a_store_manager_has_no_serious_violation(console, stack, shop, device):
    page = console.open(shop.login["store_manager"], *([PHONE] if device == "phone" else []))
    problems = {}
    for screen in MANAGER_SCREENS:
        page.goto(f"{stack.url}/console/#/{screen}")
        expect(page.locator(f'#nav a[href="#/{screen}"]')).to_have_class("active")
        settle(page)
        if found := serious(page):
            problems[screen] = found
        if device == "phone" and (small := small_targets(page)):
            problems[screen] = [*problems.get(screen, []), f"touch targets under 44 px: {small}"]
    assert problems == {}


def small_targets(page: Page) -> list[str]:
    """The visible buttons, links, fields and operable items of the screen (not the top bar) that a
    finger hits on a surface less than 44 px high."""
    return page.evaluate("""() => [...document.querySelectorAll(`#main button, #main a, #main select,
        #main input:not([type=checkbox]):not([type=radio]):not([type=file]), #main [tabindex="0"],
        #main .file-choice .pick`)]
      .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().height < 44)
      .map((el) => `${el.tagName.toLowerCase()}${el.name ? "[name=" + el.name + "]" : ""}
                    ${el.textContent.trim().slice(0, 12)}`)""")


def test_an_advisor_finds_and_opens_a_customer_and_a_board_card_with_the_keyboard_alone(console, stack, shop, part):
    car = confirmed_order(stack, shop, part)
    page = console.open(shop.login["service_advisor"])
    page.goto(f"{stack.url}/console/#/reception")
    page.locator("[name=q]").focus()
    page.keyboard.type(car["plate"])
    page.keyboard.press("Enter")
    result = page.locator(f"li[data-customer='{car['order']['customer_id']}']")
    expect(result).to_be_visible()
    page.keyboard.press("Tab")  # from the search box past its button to the first result
    page.keyboard.press("Tab")
    expect(result).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"[data-vehicle='{car['order']['vehicle_id']}']")).to_be_visible()

    page.goto(f"{stack.url}/console/#/board")
    card = page.locator(f"[data-wo]:has-text(\"{car['plate']}\")")
    expect(card).to_be_visible()
    card.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#wo-detail")).to_contain_text(car["plate"])
