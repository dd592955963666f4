"""Every screen of the console and the car owner's phone app checked by axe-core (WCAG 2.1 A and AA
rules, served from the test's own copy: `axe-playwright-python`) with no serious or critical violation,
on the counter PC and on the phone: the manager's screens, the cashier's (an invoice open), the technician's
(a job clocked in, on the phone) and the car owner's app past its sign-in (cars, a car's progress, its quote,
booking, history, messages, account)."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, confirmed_order, phone_sign_in, settle, track
from tests.browser.test_cashier import completed_work
from tests.support.customer import car_with_quote, staff_world

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}
MANAGER_SCREENS = ("reception", "quotes", "board", "tech", "cashier", "inventory", "crm", "dashboard", "campaigns",
                   "approvals", "technicians", "users", "store", "accounts", "claims", "commission", "people",
                   "health_records", "reconcile")
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


def checked(page: Page, problems: dict, screen: str, phone: bool) -> None:
    """axe on the page as it stands (and, on the phone, the touch targets) into `problems[screen]`."""
    settle(page)
    found = serious(page)
    if phone and (small := small_targets(page)):
        found.append(f"touch targets under 44 px: {small}")
    if found:
        problems[screen] = [*problems.get(screen, []), *found]


def test_the_cashiers_screens_with_an_invoice_open_have_no_serious_violation(console, stack, shop, part):
    invoice = completed_work(stack, shop, part)
    page = console.open(shop.login["cashier"])
    problems: dict = {}
    page.goto(f"{stack.url}/console/#/cashier")
    page.locator(f"li[data-invoice='{invoice['id']}']").click()
    expect(page.locator("#payment-form")).to_be_visible()
    checked(page, problems, "cashier", phone=False)
    for screen in ("fapiao", "accounts"):
        page.goto(f"{stack.url}/console/#/{screen}")
        expect(page.locator(f'#nav a[href="#/{screen}"]')).to_have_class("active")
        checked(page, problems, screen, phone=False)
    assert problems == {}


def test_the_technicians_job_card_on_the_phone_has_no_serious_violation(console, stack, shop, part):
    car = confirmed_order(stack, shop, part)
    w = f"{stack.url}/v1/work-orders/{car['work_order']['id']}"
    (li, li_session), _ = shop.techs
    [job] = car["work_order"]["jobs"]
    shop.advisor.post(f"{w}/dispatch", json={"jobs": [{"job_id": job["id"], "technicians": [
        {"technician_id": li["id"]}]}]}).raise_for_status()
    li_session.post(f"{w}/jobs/{job['id']}/clock-in", json={}).raise_for_status()
    page = console.open(shop.login["technician"], PHONE)
    problems: dict = {}
    page.goto(f"{stack.url}/console/#/tech")
    expect(page.locator("#my-jobs h2")).to_contain_text(car["order"]["number"])
    checked(page, problems, "tech", phone=True)
    page.locator("#my-jobs button:has-text('车辆检查')").click()  # the inspection's findings form
    checked(page, problems, "tech: inspection", phone=True)
    assert problems == {}


def test_the_car_owners_app_past_its_sign_in_has_no_serious_violation(stack, admin, browser):
    store, advisor, name = staff_world(stack, admin, "广州天河店")
    car = car_with_quote(stack, store, advisor, name)
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    page = track(context.new_page())
    mobile, vehicle = car.customer["mobile"], car.vehicle["id"]
    phone_sign_in(page, stack, mobile)
    expect(page.locator(".car .plate")).to_have_text(car.vehicle["plate"])
    problems: dict = {}
    for screen in ("cars", f"car/{vehicle}", f"quote/{car.quote['id']}", f"book/{vehicle}", f"history/{vehicle}",
                   "messages", "me"):
        page.goto(f"{stack.url}/m/#/{screen}")
        page.wait_for_timeout(300)
        checked(page, problems, screen, phone=False)  # (the app's own touch sizes: test_customer_app.py)
    context.close()
    assert problems == {}, "\n".join(f"{screen}: {found}" for screen, found in problems.items())


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
