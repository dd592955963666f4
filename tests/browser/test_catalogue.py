"""HQ keeps the chain's labour operations (工时项目) in the console alone: adds one, changes its
standard hours and skill, deactivates it (quoted no more) and offers it again."""
from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to
from tests.support import data
from tests.support.accounts import create_store
from tests.support.one_car import ok
from tests.support.stack import ADMIN_PASSWORD


def test_hq_adds_changes_and_deactivates_a_labour_operation(console, stack, admin, shop):
    # (`shop`: the console opens on a store; a chain with none shows HQ no screens yet)
    code = f"WASH-{data.digits(5)}"
    hq = console.open("admin", password=ADMIN_PASSWORD)
    go_to(hq, "catalogue")
    editor = hq.locator("#operation-form")
    editor.locator("[name=code]").fill(code)
    editor.locator("[name=name]").fill("发动机舱清洗")
    editor.locator("[name=category]").select_option("car_care")
    editor.locator("[name=standard_hours]").fill("abc")
    editor.locator("button[type=submit]").click()
    expect(editor.locator("[data-field=standard_hours] .field-error")).not_to_be_empty()  # the API's words
    editor.locator("[name=standard_hours]").fill("0.75")
    editor.locator("button[type=submit]").click()
    row = hq.locator(f"tr[data-op='{code}']")
    expect(row).to_contain_text("发动机舱清洗")
    expect(row).to_contain_text("美容")
    expect(row.locator("[data-hours]")).to_have_text("0:45")
    # every operation's code is typed by whoever entered it (the demo's OIL-CHG and other tests' among them)
    assert_all_chinese(hq, "admin", "Administrator", *hq.locator("tr[data-op]").evaluate_all(
        "rows => rows.map((row) => row.dataset.op)"))
    console.shot(hq, "catalogue")

    row.locator("[data-action=edit]").click()
    editor = hq.locator("#operation-form")
    editor.locator("[name=standard_hours]").fill("1.5")
    editor.locator("[name=skill]").select_option("engine")
    editor.locator("button[type=submit]").click()
    expect(row.locator("[data-hours]")).to_have_text("1:30")
    expect(row).to_contain_text("发动机")
    saved = ok(admin.get(f"{stack.url}/v1/labour-operations/{code}"))
    assert float(saved["standard_hours"]) == 1.5 and saved["skill"] == "engine" and saved["category"] == "car_care"

    row.locator("[data-action=deactivate]").click()
    expect(row).to_contain_text("已停用")
    assert ok(admin.get(f"{stack.url}/v1/labour-operations/{code}"))["active"] is False
    row.locator("[data-action=reactivate]").click()
    expect(row).to_contain_text("在售")
    assert ok(admin.get(f"{stack.url}/v1/labour-operations/{code}"))["active"] is True


def test_a_store_manager_has_no_catalogue_screen(console, stack, shop):
    manager = console.open(shop.login["store_manager"])
    expect(manager.locator('#nav a[href="#/catalogue"]')).to_have_count(0)


def test_hq_makes_a_package_and_prices_it_for_a_store_and_an_advisor_quotes_it(console, stack, admin, shop, part):
    """HQ adds a package (a labour operation and four of a part, a package price), renames it and gives one
    store its own price, in the console alone; the store's advisor picks it in the quote builder."""
    url, tag = stack.url, data.digits(5)
    op = ok(admin.post(f"{url}/v1/labour-operations", json={
        "code": f"PADS-{tag}", "name": "更换前刹车片", "category": "repair", "standard_hours": 1}), 201)
    code = f"PKG-{tag}"
    hq = console.open("admin", password=ADMIN_PASSWORD)
    go_to(hq, "catalogue")
    editor = hq.locator("#package-form")
    editor.locator("[name=code]").fill(code)
    editor.locator("[name=name]").fill("刹车保养套餐")
    editor.locator("[name=category]").select_option("repair")
    editor.locator(".package-item [name=op_code]").select_option(op["code"])
    editor.locator("[data-add=part]").click()
    item = editor.locator(".package-item").nth(1)
    item.locator("[name=sku]").fill(part)
    item.locator("[name=qty]").fill("4")
    editor.locator("[name=fixed_price]").fill("299")
    editor.locator("button[type=submit]").click()
    row = hq.locator(f"tr[data-package='{code}']")
    expect(row).to_contain_text("刹车保养套餐")
    expect(row).to_contain_text("更换前刹车片")
    expect(row).to_contain_text(f"{part} × 4")
    expect(row).to_contain_text("¥299.00")

    expect(row.locator("[data-stores]")).to_have_text("全部门店")

    row.locator("[data-action=edit]").click()
    editor = hq.locator("#package-form")
    expect(editor.locator(".package-item")).to_have_count(2)
    editor.locator("[name=name]").fill("刹车保养套餐（含刹车油）")
    editor.locator(f"[name=store_ids][value='{shop.id}']").check()  # only this store has the brake lathe
    editor.locator("button[type=submit]").click()
    expect(row).to_contain_text("刹车保养套餐（含刹车油）")
    expect(row.locator("[data-stores]")).not_to_have_text("全部门店")
    saved = ok(admin.get(f"{url}/v1/packages/{code}"))
    assert [(i["kind"], i["op_code"] or i["sku"], float(i["qty"])) for i in saved["items"]] == [
        ("labour", op["code"], 1.0), ("part", part, 4.0)]
    assert (saved["pricing"], saved["fixed_price_fen"], saved["store_ids"]) == ("fixed", 29900, [shop.id])
    unknown = admin.patch(f"{url}/v1/packages/{code}", json={"store_ids": ["01nostorenostorenostoreno1"]})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_store"
    elsewhere = create_store(stack, admin, "深圳宝安店")
    assert code not in [p["code"] for p in ok(admin.get(f"{url}/v1/packages", params={
        "store_id": elsewhere["id"], "active": "true", "limit": 200}))["items"]]

    prices = hq.locator("#price-form")
    prices.locator("[name=kind]").select_option("package")
    prices.locator("[name=key]").select_option(code)
    prices.locator("[name=store_id]").select_option(shop.id)
    prices.locator("[name=price]").fill("279")
    prices.locator("button[type=submit]").click()
    price = hq.locator(f"#price-list tr[data-key='{code}']")
    expect(price).to_contain_text("¥279.00")
    expect(price).to_contain_text("套餐")
    typed = hq.locator("[data-typed]").evaluate_all("rows => rows.flatMap((row) => row.dataset.typed.split(' '))")
    assert_all_chinese(hq, "admin", "Administrator", *typed, *hq.locator("tr[data-op]").evaluate_all(
        "rows => rows.map((row) => row.dataset.op)"))
    console.shot(hq, "catalogue-packages")

    # the store's advisor: a car's quote, the package from the picker at the store's price
    advisor = shop.advisor
    customer = ok(advisor.post(f"{url}/v1/customers", json={"name": "吴刹车", "mobile": data.mobile()}))
    vehicle = ok(advisor.post(f"{url}/v1/customers/{customer['id']}/vehicles", json={"plate": data.plate()}))
    visit = ok(advisor.post(f"{url}/v1/visits", json={"store_id": shop.id, "customer_id": customer["id"],
                                                      "vehicle_id": vehicle["id"], "needs": ["repair"]}))
    quote = ok(advisor.post(f"{url}/v1/quotes", json={"visit_id": visit["id"]}))
    page = console.open(shop.login["service_advisor"])
    page.goto(f"{url}/console/#/quotes/{quote['id']}")
    page.locator("[data-tab=add_package]").click()
    pick = page.locator(f"#package-picker tr[data-package='{code}']")
    expect(pick).to_contain_text("刹车保养套餐（含刹车油）")
    expect(pick).to_contain_text("更换前刹车片")
    pick.locator("button:has-text('添加')").click()
    expect(page.locator("[data-line]")).to_have_count(2)
    quoted = ok(advisor.get(f"{url}/v1/quotes/{quote['id']}"))
    assert [line["kind"] for line in quoted["lines"]] == ["labour", "part"]
    assert quoted["totals"]["total_fen"] == 27900  # the store's package price


def test_a_store_manager_sets_the_stores_own_price_within_the_chains_range(console, stack, admin, shop, part):
    """HQ prices a part for the chain with the range a store may set; the store's manager, on 门店信息 alone, asks a
    price above it (told in Chinese why not), then sets one inside it from today."""
    chain = ok(admin.post(f"{stack.url}/v1/price-lists", json={
        "kind": "part", "key": part, "price_fen": 9900, "min_fen": 8000, "max_fen": 12000,
        "effective_from": (date.today() - timedelta(days=1)).isoformat()}), 201)
    manager = console.open(shop.login["store_manager"])
    go_to(manager, "store")
    card = manager.locator("#store-prices")
    expect(card.locator(f"tr[data-key='{part}']")).to_contain_text("¥80.00 ~ ¥120.00")  # the chain's range
    prices = card.locator("#price-form")
    expect(prices.locator("[name=store_id]")).to_have_count(0)  # the manager's own store only
    prices.locator("[name=kind]").select_option("part")
    prices.locator("[name=key]").fill(part)
    prices.locator("[name=price]").fill("130")
    prices.locator("button[type=submit]").click()
    expect(prices.locator("[data-field=price_fen] .field-error")).to_contain_text("总部规定门店价格不高于 ¥120.00")
    prices.locator("[name=price]").fill("109")
    prices.locator("button[type=submit]").click()
    own = card.locator(f"tr[data-key='{part}']", has_text="¥109.00")
    expect(own).to_contain_text(shop.store["name"])
    assert_all_chinese(manager, *shop.login.values(), part)
    entries = ok(admin.get(f"{stack.url}/v1/price-lists", params={"kind": "part", "key": part, "limit": 200}))["items"]
    assert {(e["store_id"], e["price_fen"]) for e in entries} >= {(None, chain["price_fen"]), (shop.id, 10900)}


def test_a_store_manager_records_competitors_prices_and_sees_them_beside_the_stores_own(console, stack, admin, shop):
    """On 门店信息 alone: two nearby shops' labour rates recorded; the comparison shows the cheapest, the dearest,
    their average and how far the store's own rate is from it; one recorded by mistake is taken back."""
    rate = ok(admin.get(f"{stack.url}/v1/sales-settings/{shop.id}"))["labour_rate_fen"]
    manager = console.open(shop.login["store_manager"])
    go_to(manager, "store")
    card = manager.locator("#competitor-prices")
    entry = card.locator("#competitor-price-form")
    rival, dear = f"途虎养车{data.digits(4)}号店", "宝马 4S 店"
    for competitor, price in ((rival, "100"), (dear, "140.50")):
        entry.locator("[name=competitor]").fill(competitor)
        entry.locator("[name=kind]").select_option("labour_rate")
        entry.locator("[name=key]").select_option("general")
        entry.locator("[name=price]").fill(price)
        entry.locator("[name=note]").fill("电话询价")
        entry.locator("button[type=submit]").click()
        expect(card.locator("tr[data-competitor-price]", has_text=competitor)).to_have_count(1)
    compared = card.locator("tr[data-item='labour_rate:general']")
    average = (10000 + 14050) // 2  # ¥120.25
    expect(compared).to_contain_text(f"¥{rate // 100}.{rate % 100:02d}")
    expect(compared).to_contain_text("¥100.00")
    expect(compared).to_contain_text("¥120.25")
    expect(compared).to_contain_text("¥140.50")
    pct = f"{(rate - average) * 100 / average:+.1f}%"
    expect(compared).to_contain_text(pct)
    assert_all_chinese(manager, *shop.login.values(), rival, dear)

    manager.once("dialog", lambda dialog: dialog.accept())
    card.locator("tr[data-competitor-price]", has_text=dear).locator("button", has_text="删除").click()
    expect(card.locator("tr[data-competitor-price]", has_text=dear)).to_have_count(0)
    expect(compared).not_to_contain_text("¥140.50")
    listed = ok(admin.get(f"{stack.url}/v1/competitor-prices", params={"store_id": shop.id}))["items"]
    assert [(p["competitor"], p["price_fen"], p["note"]) for p in listed] == [(rival, 10000, "电话询价")]
