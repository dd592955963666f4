"""The store manager's own screens in the console alone (issue 19): the approval queue with its nav badge
(approve one discount, reject another with a reason), technicians (a skill added is one the dispatch
honours), staff accounts (a new account logs in) and the store's details (its phone heads the printed
quote). The quotes and the work order waiting for the manager are made over the API by the fixtures."""
from __future__ import annotations

import re
from io import BytesIO

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import PHONE, assert_all_chinese, confirmed_order, go_to, yuan
from tests.support import data
from tests.support.one_car import every, ok
from tests.support.stack import ADMIN_PASSWORD


def pending_quote(stack, shop, name: str, reason: str) -> dict:
    """A quote with a 25% discount the advisor may not give (10%): it waits for the manager."""
    url, advisor = stack.url, shop.advisor
    customer = ok(advisor.post(f"{url}/v1/customers", json={"name": name, "mobile": data.mobile()}))
    vehicle = ok(advisor.post(f"{url}/v1/customers/{customer['id']}/vehicles",
                              json={"plate": data.plate(), "make": "丰田"}))
    visit = ok(advisor.post(f"{url}/v1/visits", json={"store_id": shop.id, "customer_id": customer["id"],
                                                      "vehicle_id": vehicle["id"], "needs": ["repair"]}))
    quote = ok(advisor.post(f"{url}/v1/quotes", json={"visit_id": visit["id"]}))
    ok(advisor.post(f"{url}/v1/quotes/{quote['id']}/lines",
                    json={"kind": "labour", "description": "更换刹车片", "hours": 2}))
    quote = ok(advisor.post(f"{url}/v1/quotes/{quote['id']}/discount",
                            json={"kind": "percent", "value": 25, "reason": reason}))
    assert quote["approval_status"] == "pending"
    return {**quote, "plate": vehicle["plate"]}


@pytest.fixture(scope="module")
def waiting(stack, shop):
    return [pending_quote(stack, shop, "钱多多", "老客户回馈"), pending_quote(stack, shop, "孙小美", "朋友介绍")]


def nav_count(page: Page):
    return page.locator('#nav a[href="#/approvals"] .count')


def test_the_manager_approves_one_discount_and_rejects_another_with_a_reason(console, stack, shop, waiting):
    first, second = waiting
    manager = console.open(shop.login["store_manager"])
    expect(nav_count(manager)).to_have_text("2")  # the badge, on whichever screen the manager is
    go_to(manager, "approvals")
    card = manager.locator(f"[data-quote='{first['id']}']")
    expect(card.locator("[data-customer]")).to_contain_text("钱多多")
    expect(card.locator("[data-plate]")).to_contain_text(first["plate"])
    expect(card.locator("[data-discount]")).to_have_text(f"{yuan(first['totals']['discount_fen'])} (25.0%)")
    expect(card.locator("[data-total]")).to_have_text(yuan(first["totals"]["total_fen"]))
    expect(card.locator("[data-reason]")).to_have_text("老客户回馈")
    expect(card.locator("[data-needs]")).to_have_text("折扣 25.0% 超出服务顾问可给的 10%")
    assert_all_chinese(manager, shop.login["store_manager"])
    console.shot(manager, "approvals")

    card.locator(".approve-form [name=note]").fill("同意，下不为例")
    card.locator(".approve-form button[type=submit]").click()
    expect(card).to_have_count(0)
    expect(nav_count(manager)).to_have_text("1")

    other = manager.locator(f"[data-quote='{second['id']}']")
    other.locator(".reject-form button[type=submit]").click()  # a rejection needs its reason
    expect(other.locator(".reject-form [data-field=reason] .field-error")).to_have_text("请填写驳回原因")
    other.locator(".reject-form [name=reason]").fill("最多给 10%")
    other.locator(".reject-form button[type=submit]").click()
    expect(manager.locator("#approvals-empty")).to_have_text("没有待审批的事项")
    expect(nav_count(manager)).to_have_count(0)

    assert ok(shop.manager.get(f"{stack.url}/v1/quotes/{first['id']}"))["approval_status"] == "approved"
    rejected = ok(shop.manager.get(f"{stack.url}/v1/quotes/{second['id']}"))
    assert rejected["approval_status"] == "rejected" and rejected["rejection_reason"] == "最多给 10%"

    # the advisor reads why, and presenting is refused in words until the discount changes
    advisor = console.open(shop.login["service_advisor"])
    advisor.goto(f"{stack.url}/console/#/quotes/{second['id']}")
    expect(advisor.locator("#discount-rejected")).to_have_text("折扣被驳回: 最多给 10%")
    advisor.locator("[data-action=present]").click()
    expect(advisor.locator("#stage .form-error")).to_contain_text("店长驳回了折扣（最多给 10%）")


def test_a_skill_added_to_a_technician_is_one_the_dispatch_honours(console, stack, shop, part):
    car = confirmed_order(stack, shop, part, skill="electrical")  # neither technician holds it yet
    (li, _), (wang, _) = shop.techs
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/technicians")
    row = manager.locator(f"tr[data-tech='{li['id']}']")
    expect(row.locator("[data-skills]")).to_have_text("保养制动")
    row.locator("[data-action=edit]").click()
    editor = manager.locator("#technician-form")
    editor.locator("[name=skill][value=electrical]").check()
    console.shot(manager, "technician-edit")
    editor.locator("button[type=submit]").click()
    expect(editor).to_have_count(0)
    expect(row.locator("[data-skills]")).to_contain_text("电工")
    assert_all_chinese(manager, shop.login["store_manager"], "李师傅", "王师傅")
    assert "electrical" in ok(shop.manager.get(f"{stack.url}/v1/technicians/{li['id']}"))["skills"]

    manager.goto(f"{stack.url}/console/#/board")
    manager.locator(f"[data-status=open] [data-wo='{car['work_order']['id']}']").click()
    dispatch = manager.locator("#dispatch-form")
    expect(dispatch.locator("tr[data-tech]:has(.badge)")).to_have_count(1)  # only 李师傅 is suggested now
    expect(dispatch.locator(f"tr[data-tech='{li['id']}'] .badge")).to_be_visible()
    dispatch.locator(f"tr[data-tech='{wang['id']}'] [name=tech]").check()
    dispatch.locator("button[type=submit]").click()
    expect(dispatch.locator(".form-error")).to_contain_text("王师傅 不具备「更换机油机滤」所需的电工技能")
    dispatch.locator(f"tr[data-tech='{wang['id']}'] [name=tech]").uncheck()
    dispatch.locator(f"tr[data-tech='{li['id']}'] [name=tech]").check()
    dispatch.locator("button[type=submit]").click()
    expect(manager.locator(f"[data-status=dispatched] [data-wo='{car['work_order']['id']}']")).to_be_visible()


def test_a_new_staff_account_logs_in_and_the_stores_phone_heads_the_printed_quote(console, stack, shop, waiting):
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/users")
    create = manager.locator("#user-form")
    username = f"cashier.{data.mobile()[-6:]}"
    create.locator("[name=username]").fill(username)
    create.locator("[name=display_name]").fill("周收银")
    create.locator("[name=password]").fill("Cashier-pass-1")
    create.locator("[name=role]").select_option("cashier")
    create.locator("button[type=submit]").click()
    row = manager.locator(f"tr[data-user='{username}']")
    expect(row).to_contain_text("周收银")
    expect(row).to_contain_text("收银员")
    create.locator("[name=username]").fill(username)  # the same name again: refused in words
    create.locator("[name=password]").fill("Cashier-pass-1")
    create.locator("button[type=submit]").click()
    expect(create.locator(".form-error")).to_contain_text(f"用户名 {username} 已被使用")
    assert_all_chinese(manager, shop.login["store_manager"], username, *shop.login.values())
    console.shot(manager, "users")
    cashier = console.open(username, password="Cashier-pass-1")
    expect(cashier.locator("#who")).to_have_text("周收银 · 收银员")

    manager.goto(f"{stack.url}/console/#/store")
    details = manager.locator("#store-form")
    details.locator("[name=phone]").fill("020-87654321")
    details.locator("button[type=submit]").click()
    expect(manager.locator("#toast")).to_have_text("已保存")
    console.shot(manager, "store")
    assert ok(shop.manager.get(f"{stack.url}/v1/stores", params={"limit": 200}))["items"][0]["phone"] == "020-87654321"
    manager.goto(f"{stack.url}/console/#/quotes/{waiting[0]['id']}")
    printed = []

    def keep(route):  # the document the console fetches (with the manager's token) and opens
        reply = route.fetch()
        printed.append(reply.body())
        route.fulfill(response=reply)

    manager.route("**/v1/quotes/*/pdf", keep)
    with manager.expect_popup():
        manager.locator("#quote [data-print]").first.click()
    page = PdfReader(BytesIO(printed[0])).pages[0].extract_text()
    assert "020-87654321" in page and "广州天河店" in page


def test_a_manager_not_linked_to_a_technician_is_told_where_to_link_on_the_bench_screen(console, stack, shop):
    manager = console.open(shop.login["store_manager"])
    go_to(manager, "tech")
    hint = manager.locator("#my-jobs .hint")
    expect(hint).to_contain_text("关联到一位技师")
    expect(manager.locator("#my-jobs .form-error")).to_have_count(0)  # not an error told to the manager
    hint.locator("a[href='#/technicians']").click()
    expect(manager.locator("#nav a.active[href='#/technicians']")).to_have_count(1)
    assert_all_chinese(manager, *shop.login.values())


def test_the_managers_screens_have_touch_sized_targets_on_a_phone(console, stack, shop):
    phone = console.open(shop.login["store_manager"], PHONE)
    loaded = {"approvals": "#approvals > *:not(.hint), #approvals-empty",
              "technicians": "tr[data-tech] [data-action=edit]",
              "users": "tr[data-user] [data-action]", "store": "#hours-form button"}
    for screen, shown in loaded.items():
        phone.goto(f"{stack.url}/console/#/{screen}")
        expect(phone.locator(shown).first).to_be_visible()
        small = phone.evaluate("""(name) => [...document.querySelectorAll(`[data-screen=${name}] button,
            [data-screen=${name}] a, [data-screen=${name}] input:not([type=checkbox]):not([type=radio]),
            [data-screen=${name}] select`)]
          .filter((el) => el.offsetParent && el.getBoundingClientRect().height < 44)
          .map((el) => el.outerHTML.slice(0, 80))""", screen)
        assert small == [], screen
        assert_all_chinese(phone, shop.login["store_manager"], "李师傅", "王师傅", *shop.login.values())
        console.shot(phone, screen)


def test_the_managers_screens_are_whole_in_english(console, stack, shop):
    manager = console.open(shop.login["store_manager"])
    manager.locator("#lang").click()
    for screen in ("approvals", "technicians", "users", "store", "health_records", "reconcile"):
        manager.goto(f"{stack.url}/console/#/{screen}")
        words = manager.locator(f"[data-screen={screen}]").locator(
            "th, label > span, button, legend, dt, option, .badge")
        expect(words.first).to_be_visible()
        chinese = [text for text in words.all_inner_texts() if re.search(r"[\u4e00-\u9fff]", text)]
        assert chinese == [], screen
    expect(manager.locator('#nav a[href="#/technicians"]')).to_have_text("Technicians")


def test_hq_sees_every_stores_accounts_and_grants_a_store_manager(console, stack, admin, shop):
    other = ok(admin.post(f"{stack.url}/v1/stores", json={"code": f"HQ-{data.mobile()[-4:]}", "name": "深圳南山店"}))
    elsewhere = f"advisor.sz{data.mobile()[-5:]}"
    ok(admin.post(f"{stack.url}/v1/users", json={"username": elsewhere, "password": "Secret-pass-1",
                                                 "role": "service_advisor", "store_ids": [other["id"]]}))
    hq = console.open("admin", password=ADMIN_PASSWORD)
    hq.select_option("#store", shop.id)
    hq.goto(f"{stack.url}/console/#/users")
    expect(hq.locator(f"tr[data-user='{shop.login['cashier']}']")).to_be_visible()
    expect(hq.locator(f"tr[data-user='{elsewhere}']")).to_have_count(0)  # this store's accounts
    hq.locator("[name=all_stores]").check()
    expect(hq.locator(f"tr[data-user='{elsewhere}']")).to_contain_text("深圳南山店")  # the whole chain's

    create = hq.locator("#user-form")
    manager = f"manager.{data.mobile()[-6:]}"
    create.locator("[name=username]").fill(manager)
    create.locator("[name=password]").fill("Manager-pass-1")
    create.locator("[name=role]").select_option("store_manager")  # HQ's to grant
    create.locator("button[type=submit]").click()
    expect(hq.locator(f"tr[data-user='{manager}']")).to_contain_text("店长")
    usernames = hq.locator("tr[data-user]").evaluate_all("rows => rows.map(row => row.dataset.user)")
    assert_all_chinese(hq, "admin", "Administrator", *usernames)  # usernames are what staff typed

    hq.goto(f"{stack.url}/console/#/store")  # HQ opens a store: it joins the store picker at once
    opening = hq.locator("#new-store-form")
    code = f"FS-{data.mobile()[-4:]}"
    name = f"佛山禅城{code[-4:]}号店"  # other tests on the shared stack open stores called 佛山禅城店
    opening.locator("[name=code]").fill(code)
    opening.locator("[name=name]").fill(name)
    opening.locator("[name=phone]").fill("0757-83336666")
    opening.locator("button[type=submit]").click()
    expect(hq.locator("#store option", has_text=name)).to_have_count(1)
    stores = every(admin, f"{stack.url}/v1/stores")
    opened = next(s for s in stores if s["code"] == code)
    assert opened["phone"] == "0757-83336666"


def test_a_manager_sets_the_stores_call_back_delay_and_quiet_hours(console, stack, shop):
    manager = console.open(shop.login["store_manager"])
    go_to(manager, "store")
    card = manager.locator("[data-screen=store] #care-form")
    expect(card.locator("[name=quiet_from]")).to_have_value("21:00")  # the default, as the store has it
    card.locator("[name=follow_up_delay_days]").fill("5")
    card.locator("[name=quiet_from]").fill("22:00")
    card.locator("[name=quiet_until]").fill("07:30")
    card.locator("button[type=submit]").click()
    expect(manager.get_by_text("已保存", exact=True)).to_be_visible()
    saved = ok(shop.manager.get(f"{stack.url}/v1/stores/{shop.id}/crm-settings"))
    assert (saved["follow_up_delay_days"], saved["quiet_from"], saved["quiet_until"]) == (5, "22:00", "07:30")
    assert_all_chinese(manager)
