"""The top bar groups a role's screens into menus by area: one line on the 1366×768 counter PC,
usable with the keyboard alone and on a 390×844 phone; the approvals badge shows on its closed menu."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, assert_all_chinese, go_to

MENUS = {"menu_front": "前台", "menu_workshop": "车间", "menu_stock_till": "库存收银", "menu_manage": "经营管理"}


def test_a_manager_s_screens_fit_one_line_at_1366_and_open_by_keyboard(console, stack, shop):
    page = console.open(shop.login["store_manager"])
    bar = page.locator(".topbar")
    expect(page.locator("#nav .menu-toggle")).to_have_text(list(MENUS.values()))
    middles = bar.evaluate("""bar => [...bar.children].map((el) => el.getBoundingClientRect())
        .filter((box) => box.height).map((box) => box.top + box.height / 2)""")
    height = bar.evaluate("bar => bar.getBoundingClientRect().height")
    assert max(middles) - min(middles) < 4 and height < 60, (middles, height)  # everything on one line
    assert_all_chinese(page, shop.login["store_manager"])

    workshop = page.locator('#nav [data-menu=menu_workshop]')
    workshop.focus()
    page.keyboard.press("Enter")
    expect(workshop).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#menu-menu_workshop a")).to_have_text(["车间看板", "我的工单", "技师管理"])
    page.keyboard.press("Escape")
    expect(workshop).to_have_attribute("aria-expanded", "false")
    expect(workshop).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.locator('#nav a[href="#/board"]')).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator('#nav a[href="#/technicians"]')).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("[data-screen=technicians]")).to_be_visible()
    expect(page.locator("#menu-menu_workshop")).to_be_hidden()
    expect(workshop).to_have_class("menu-toggle active")  # the area of the screen shown
    page.locator("#main").click()
    go_to(page, "dashboard")
    expect(page.locator("#menu-menu_manage")).to_be_hidden()  # closed once a screen is chosen
    page.locator("[data-menu=menu_front]").click()
    page.locator("#main h1").click()
    expect(page.locator("#menu-menu_front")).to_be_hidden()  # a click elsewhere closes it


def test_a_cashier_has_the_till_in_one_menu_and_an_advisor_plain_links_where_an_area_has_one_screen(
        console, stack, shop):
    cashier = console.open(shop.login["cashier"])
    expect(cashier.locator("#nav .menu-toggle")).to_have_text(["库存收银"])  # till, fapiao, reconciliation, accounts,
    expect(cashier.locator("#menu-menu_stock_till a")).to_have_text(  # insurers' claims
        ["收银", "电子发票", "支付对账", "挂账单位", "保险理赔"])
    advisor = console.open(shop.login["service_advisor"])
    expect(advisor.locator("#nav .menu-toggle")).to_have_text(["前台"])
    expect(advisor.locator('#nav > a')).to_have_text(["车间看板", "库存", "人员绩效"])  # their own scorecard


def test_the_menus_work_on_the_phone(console, stack, shop):
    page = console.open(shop.login["store_manager"], PHONE)
    toggle = page.locator("[data-menu=menu_stock_till]")
    assert toggle.bounding_box()["height"] >= 44
    toggle.tap()
    link = page.locator('#nav a[href="#/inventory"]')
    assert link.bounding_box()["height"] >= 44
    link.tap()
    expect(page.locator("[data-screen=inventory]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
