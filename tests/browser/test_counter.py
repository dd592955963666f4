"""The advisor's counter flow in the console: find or register customer and car (plate and
VIN checked as typed), check in, build the quote (labour, a part from the catalogue, a fee),
a discount the manager approves in their own console, the customer's decision, the contract
with deposit, and the order's status line."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, yuan
from tests.support.one_car import ok
from tests.support import data


def test_counter_flow_from_new_customer_to_signed_contract(console, stack, shop, part):
    advisor = console.open(shop.login["service_advisor"])
    expect(advisor.locator("[data-screen=reception]")).to_be_visible()
    mobile, plate, vin = data.mobile(), data.plate(), data.vin()

    # the plate and the VIN are checked as they are typed
    new = advisor.locator("#new-customer")
    new.locator("[name=name]").fill("韩梅梅")
    new.locator("[name=mobile]").fill(mobile)
    new.locator("[name=plate]").fill("粤AI2345")
    expect(new.locator("[data-field=plate] .field-error")).to_contain_text("车牌格式不对")
    new.locator("[name=plate]").fill(plate)
    expect(new.locator("[data-field=plate] .field-error")).to_be_empty()
    wrong_check_digit = vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:]
    new.locator("[name=vin]").fill(wrong_check_digit)
    expect(new.locator("[data-field=vin] .field-error")).to_contain_text("校验位")
    new.locator("[name=vin]").fill(vin)
    new.locator("[name=make]").fill("丰田")
    new.locator("[name=mileage_km]").fill("42000")
    console.shot(advisor, "reception-new-customer")
    new.locator("button[type=submit]").click()
    expect(advisor.locator("#picked h2").first).to_contain_text("韩梅梅")
    expect(advisor.locator("[data-step=step_vehicle]")).to_have_class("done")

    # the same customer is found again by plate
    advisor.fill("[name=q]", plate)
    advisor.locator("button:has-text('查找')").first.click()
    expect(advisor.locator("#results li")).to_have_count(1)
    expect(advisor.locator("#results li")).to_contain_text("韩梅梅")

    # check-in with mileage, needs and budget; then the quote
    check_in = advisor.locator("#check-in-form")
    check_in.locator("[name=mileage_km]").fill("45000")
    check_in.locator("[name=need][value=maintenance]").check()
    check_in.locator("[name=other_needs]").fill("刹车异响")
    check_in.locator("[name=budget_yuan]").fill("1500")
    console.shot(advisor, "reception-check-in")
    check_in.locator("button[type=submit]").click()
    expect(advisor.locator("#visit-done")).to_contain_text("已接车")
    advisor.locator("#visit-done button:has-text('开报价单')").click()
    expect(advisor.locator("#quote h1")).to_contain_text("报价单")
    expect(advisor.locator("#quote")).to_contain_text("预算 (元) ¥1,500.00")
    quote_id = advisor.url.rsplit("/", 1)[1]

    # labour, a part from the catalogue (price and stock shown), a fee: totals follow
    labour = advisor.locator("#labour-form")
    labour.locator("[name=description]").fill("更换机油机滤")
    labour.locator("[name=hours]").fill("1")
    labour.locator("button[type=submit]").click()
    expect(advisor.locator("[data-line]")).to_have_count(1)
    advisor.locator("[data-tab=add_part]").click()
    advisor.fill("#part-search [name=q]", part)
    advisor.locator("#part-search button[type=submit]").click()
    row = advisor.locator(f"tr[data-sku='{part}']")
    expect(row).to_contain_text("¥88.00")
    expect(row).to_contain_text("20")  # available at this store
    row.locator("[name=qty]").fill("25")  # more than the 20 free: short, like the quote line would say
    expect(row.locator("[data-available] .badge")).to_have_class("badge bad")
    row.locator("[name=qty]").fill("4")
    expect(row.locator("[data-available] .badge")).to_have_class("badge ok")
    row.locator("button:has-text('添加')").click()
    expect(advisor.locator("[data-line]")).to_have_count(2)
    advisor.locator("[data-tab=add_fee]").click()
    fee = advisor.locator("#fee-form")
    fee.locator("[name=description]").fill("环保处理费")
    fee.locator("[name=amount_yuan]").fill("十元")
    fee.locator("button[type=submit]").click()
    expect(fee.locator("[data-field=unit_price_fen] .field-error")).to_contain_text("金额格式不对")
    expect(fee.locator("[name=description]")).to_have_value("环保处理费")  # nothing typed is lost
    fee.locator("[name=amount_yuan]").fill("10")
    fee.locator("button[type=submit]").click()
    expect(advisor.locator("[data-line]")).to_have_count(3)
    quote = ok(shop.advisor.get(f"{stack.url}/v1/quotes/{quote_id}"))
    expect(advisor.locator("#totals [data-total]")).to_have_text(yuan(quote["totals"]["total_fen"]))

    # a discount above the advisor's limit waits for the manager
    discount = advisor.locator("#discount-form")
    discount.locator("[name=value]").fill("25")
    discount.locator("[name=reason]").fill("老客户回馈")
    discount.locator("button[type=submit]").click()
    expect(advisor.locator("#quote")).to_contain_text("折扣待店长审批")
    console.shot(advisor, "quote-builder")

    # presenting before the approval is refused in words: the customer sees no unapproved price
    advisor.locator("[data-action=present]").click()
    expect(advisor.locator("#stage .form-error")).to_contain_text("折扣待店长审批，批准后才能向客户报价")

    # the manager approves in their own console
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/quotes/{quote_id}")
    manager.locator("#approve-form [name=note]").fill("同意")
    manager.locator("#approve-form button[type=submit]").click()
    expect(manager.locator("#quote")).to_contain_text("折扣已批准")
    console.shot(manager, "quote-approved-by-manager")

    # present; the customer declines the fee
    advisor.reload()
    advisor.locator("[data-action=present]").click()
    fee_line = next(line for line in quote["lines"] if line["kind"] == "fee")
    advisor.locator(f"[name='decision-{fee_line['id']}'][value=declined]").check()
    advisor.locator("[data-action=record_decision]").click()
    expect(advisor.locator("#quote")).to_contain_text("部分同意")
    contract = advisor.locator("#contract-form")
    contract.locator("[name=deposit_yuan]").fill("100")
    contract.locator("[name=deposit_reference]").fill("WX-DEP-1")
    contract.locator("[name=signed_by]").fill("韩梅梅")

    # the advisor signs: the order and its status line
    contract.locator("button[type=submit]").click()
    expect(advisor.locator("#order-status h2")).to_contain_text("订单")
    expect(advisor.locator("#order-status")).to_contain_text("¥100.00")
    console.shot(advisor, "order-status")
    [order] = ok(shop.advisor.get(f"{stack.url}/v1/orders",
                                  params={"store_id": shop.id, "customer_id": quote["customer_id"]}))["items"]
    assert order["deposit_fen"] == 10000 and order["signed_by"] == "韩梅梅" and order["state"] == "confirmed"
    # the console's words, not the API's English line
    expect(advisor.locator("#order-status .status-line")).to_have_text("已确认，等待车间开工")
    assert_all_chinese(advisor, shop.login["service_advisor"], "WX-DEP-1")
    with advisor.expect_popup() as printed:  # the contract PDF, fetched with the advisor's token
        advisor.locator("#order-status [data-print]").click()
    assert printed.value.url.startswith("blob:")
    declined = ok(shop.advisor.get(f"{stack.url}/v1/declined-work",
                                   params={"customer_id": quote["customer_id"]}))["items"]
    assert [d["description"] for d in declined] == ["环保处理费"]
