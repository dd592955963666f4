"""Finding things in the console by whatever part of them staff remember: a customer by a middle
fragment of a plate or of a mobile number at reception; a part by pinyin initials (`scp` → 刹车片),
brand (博世) or a piece of its name in the quote's part picker and in the store's stock."""
from __future__ import annotations


import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese
from tests.support import data
from tests.support.one_car import ok, receive


@pytest.fixture(scope="module")
def catalogue(stack, admin, shop) -> dict[str, str]:
    """Three parts of the chain, received at the shop: brake pads, a cabin filter by 博世, and oil."""
    skus = {}
    for key, name, brand in (("brake", "前刹车片（陶瓷）", "布雷博"), ("filter", "空调滤芯 活性炭", "博世"),
                             ("oil", "全合成机油 5W-30 4L", "美孚")):
        skus[key] = f"S{key[:3].upper()}-{data.digits(6)}"
        ok(admin.post(f"{stack.url}/v1/parts", json={"sku": skus[key], "name": name, "brand": brand,
                                                     "category": key, "unit": "piece", "list_price_fen": 9900}))
        receive(stack, admin, shop, skus[key])
    return skus


@pytest.fixture(scope="module")
def customer(stack, shop) -> dict:
    mobile, plate = data.mobile(), data.plate()
    made = ok(shop.advisor.post(f"{stack.url}/v1/customers", json={"name": "欧阳娜娜", "mobile": mobile}))
    ok(shop.advisor.post(f"{stack.url}/v1/customers/{made['id']}/vehicles", json={"plate": plate}))
    return {"mobile": mobile, "plate": plate}


def search_customers(page, text: str) -> None:
    page.fill("[name=q]", text)
    page.locator("button:has-text('查找')").first.click()


def search_parts(page, form: str, text: str) -> None:
    page.fill(f"{form} [name=q]", text)
    page.locator(f"{form} button[type=submit]").click()


def test_a_customer_by_part_of_a_plate_or_phone_and_parts_by_initials_brand_or_name(console, shop, catalogue,
                                                                                      customer):
    advisor = console.open(shop.login["service_advisor"])
    expect(advisor.locator("[data-screen=reception]")).to_be_visible()
    search_customers(advisor, customer["plate"][2:5])  # 粤B3K7Q9 → 3K7: neither its start nor its end
    expect(advisor.locator("#results li", has_text=customer["plate"])).to_contain_text("欧阳娜娜")
    search_customers(advisor, "987654321")  # nobody's
    expect(advisor.locator("#results li")).to_contain_text("没有找到")
    search_customers(advisor, customer["mobile"][3:8])
    ours = advisor.locator("#results li", has_text=customer["plate"])
    expect(ours).to_have_count(1)
    console.shot(advisor, "reception-found-by-fragment")

    # check the car in and open its quote: the part picker finds by initials, brand and a piece of the name
    ours.click()
    check_in = advisor.locator("#check-in-form")
    check_in.locator("[name=mileage_km]").fill("30000")
    check_in.locator("[name=need][value=maintenance]").check()
    check_in.locator("button[type=submit]").click()
    advisor.locator("#visit-done button:has-text('开报价单')").click()
    expect(advisor.locator("#quote h1")).to_contain_text("报价单")
    advisor.locator("[data-tab=add_part]").click()
    rows = advisor.locator("#part-results tr[data-sku]")
    # the stack is shared with other tests, whose parts may match too: the wanted one is found and every
    # row found matches what was typed (by its name's initials, its brand or a piece of its name)
    for typed, wanted, matched in (("scp", "brake", "刹车片"), ("博世", "filter", "博世"), ("5w-30", "oil", "5W-30"),
                                   ("滤芯", "filter", "滤芯")):
        search_parts(advisor, "#part-search", typed)
        expect(advisor.locator(f"#part-results tr[data-sku='{catalogue[wanted]}']")).to_be_visible()
        expect(rows.filter(has_not_text=matched)).to_have_count(0)
    found_filter = advisor.locator(f"#part-results tr[data-sku='{catalogue['filter']}']")
    expect(found_filter).to_contain_text("空调滤芯 活性炭 · 博世")
    console.shot(advisor, "quote-part-found-by-brand")
    # SKUs are typed by whoever entered the parts (other tests' and the demo's included)
    assert_all_chinese(advisor, *rows.evaluate_all("rows => rows.map((row) => row.dataset.sku)"))

    # the store's stock, searched the same way
    advisor.locator("a[href='#/inventory']").click()
    search_parts(advisor, "#stock-filter", "scp")
    stock = advisor.locator("#stock-filter ~ div tr[data-sku]")
    expect(advisor.locator(f"#stock-filter ~ div tr[data-sku='{catalogue['brake']}']")).to_be_visible()
    expect(stock.filter(has_not_text="刹车片")).to_have_count(0)
