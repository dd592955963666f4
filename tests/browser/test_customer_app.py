"""The customers' phone app (车主端, `/m/`) in Chromium on a 390×844 phone, UI alone: staff quote the
customer's car through the API (setup); the customer signs in with the code the development SMS sink
received, opens the car's progress and the quote, approves two of three lines, declines one, signs on
screen and submits; the staff see the decision; then the customer books a slot the staff see listed."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, SCREENSHOTS, assert_all_chinese, yuan
from tests.support.customer import PASSWORD, car_with_quote, finish, latest_code, ok, sms_arrived, staff_world

pytestmark = pytest.mark.e2e
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"customer_app-{name}.png", full_page=True)


def test_a_customer_signs_in_approves_two_lines_of_three_with_a_signature_and_books(stack, admin, phone):
    store, advisor, name = staff_world(stack, admin, "广州天河店")
    car = car_with_quote(stack, store, advisor, name)
    mobile, page = car.customer["mobile"], phone

    page.goto(f"{stack.url}/m/")
    page.fill("[name=mobile]", mobile)
    page.click("[name=send-code]")
    expect(page.locator("#notice")).to_have_text("验证码已发送")
    page.fill("[name=code]", latest_code(stack, mobile))
    assert_all_chinese(page, mobile)
    shot(page, "sign-in")
    page.click("form.login button[type=submit]")

    expect(page.locator(".car .plate")).to_have_text(car.vehicle["plate"])
    assert_all_chinese(page, car.vehicle["plate"])
    page.click(".car")
    expect(page.locator("[data-step=checked_in]")).to_contain_text("已到店接车")
    expect(page.locator("[data-step=quoted]")).to_contain_text("报价已出")
    shot(page, "timeline")
    page.click("[data-step=quoted] a")

    expect(page.locator("[data-line]")).to_have_count(3)
    expect(page.locator("[data-line='四轮定位'] .price")).to_have_text(yuan(19800))
    assert_all_chinese(page, car.quote["number"])
    page.click("[data-line='更换机油机滤'] >> text=同意")
    page.click("[data-line='四轮定位'] >> text=不需要")
    page.click("[data-line='空调清洗'] >> text=同意")
    expect(page.locator("[data-approved-total]")).to_have_text(yuan(12000 + 8800))
    canvas = page.locator("canvas.signature")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 100)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 30 + step * 25, box["y"] + 100 - (step % 3) * 30)
    page.mouse.up()
    shot(page, "quote-signed")
    page.click("[name=submit-decision]")
    expect(page.locator("[data-state]")).to_have_text("已部分确认")
    expect(page.get_by_text("您已签名确认")).to_be_visible()
    assert_all_chinese(page, car.quote["number"])
    shot(page, "quote-decided")

    # the staff see the customer's decision on the quote and the declined work
    quote = ok(advisor.get(f"{stack.url}/v1/quotes/{car.quote['id']}"))
    assert quote["state"] == "partially_approved"
    assert [line["decision"] for line in quote["lines"]] == ["approved", "declined", "approved"]
    declined = ok(advisor.get(f"{stack.url}/v1/declined-work", params={"customer_id": car.customer["id"]}))
    assert [item["description"] for item in declined["items"]] == ["四轮定位"]

    # book a slot tomorrow at the same store
    page.goto(f"{stack.url}/m/#/car/{car.vehicle['id']}")
    expect(page.locator("[data-step=partially_approved]")).to_contain_text("已确认部分项目")
    page.get_by_role("button", name="预约到店").click()
    page.select_option("[name=store]", store["id"])
    first = page.locator("[data-slot]:not([disabled])").first
    expect(first).to_be_visible()
    slot = first.get_attribute("data-slot")
    first.click()
    assert_all_chinese(page, store["name"])
    shot(page, "book")
    page.click("[name=book]")
    expect(page.locator("#notice")).to_have_text("预约成功，期待您到店")
    day = datetime.fromisoformat(slot).astimezone(SHANGHAI).date()
    assert day == datetime.now(SHANGHAI).date() + timedelta(days=1)
    listed = ok(advisor.get(f"{stack.url}/v1/appointments", params={"store_id": store["id"],
                                                                     "date": day.isoformat()}))["items"]
    assert [(a["vehicle_id"], datetime.fromisoformat(a["slot_start"])) for a in listed] == [
        (car.vehicle["id"], datetime.fromisoformat(slot))]

    # the booking is listed on the customer's home, and cancelled there; the staff see it cancelled
    page.goto(f"{stack.url}/m/#/cars")
    expect(page.locator("[data-booking]")).to_have_count(1)
    assert_all_chinese(page, car.vehicle["plate"], store["name"])
    shot(page, "bookings")
    page.click("[name=cancel-booking]")
    expect(page.locator("#notice")).to_have_text("预约已取消")
    expect(page.locator("[data-booking]")).to_have_count(0)
    cancelled = ok(advisor.get(f"{stack.url}/v1/appointments/{listed[0]['id']}"))
    assert cancelled["state"] == "cancelled"


def test_a_customer_opens_the_link_the_store_sent_and_decides_that_quote_only(stack, admin, phone, console):
    store, advisor, name = staff_world(stack, admin, "深圳南山店")
    car = car_with_quote(stack, store, advisor, name, "周车主")
    # the advisor sends the link from the presented quote in the console; the gateway texts it to the customer
    counter = console.open(name, password=PASSWORD)
    counter.goto(f"{stack.url}/#/quotes/{car.quote['id']}")
    counter.click("[data-action=send_link]")
    link = counter.locator("#customer-link [name=link]")
    expect(link).to_have_value(re.compile(r"/m/#/link/"))
    mobile = car.customer["mobile"]
    expect(counter.locator("#customer-link .hint").last).to_contain_text(f"已发短信至 {mobile[:3]}****{mobile[-4:]}")
    assert_all_chinese(counter, car.quote["number"], name)
    url = link.input_value()
    assert any(url in message["body"] for message in sms_arrived(stack, mobile, "quote_ready"))
    page = phone
    page.goto(url)
    expect(page.locator("[data-line]")).to_have_count(3)
    assert_all_chinese(page, car.quote["number"])
    for line in ("更换机油机滤", "四轮定位", "空调清洗"):
        page.click(f"[data-line='{line}'] >> text=同意")
    page.click("[name=submit-decision]")
    expect(page.locator("[data-state]")).to_have_text("已确认")
    shot(page, "link-decided")
    assert ok(advisor.get(f"{stack.url}/v1/quotes/{car.quote['id']}"))["state"] == "approved"
    page.goto(f"{stack.url}/m/#/cars")  # the link opens its quote, nothing else
    expect(page.locator("#notice")).to_have_text("此链接只能查看对应的报价")
    assert ok(advisor.delete(f"{stack.url}/v1/quotes/{car.quote['id']}/customer-link")) == {"revoked": 1}
    page.goto(f"{stack.url}/m/#/quote/{car.quote['id']}")
    page.reload()
    expect(page.locator("form.login")).to_be_visible()  # revoked: signed out


def test_the_cars_timeline_moves_on_the_phone_as_the_shop_works_without_a_refresh(stack, admin, phone):
    """The phone follows the owner's own stream (GET /c/v1/stream): the shop contracts, dispatches, works,
    passes QC and completes the car while the owner watches the timeline, which shows 已完工 untouched."""
    store, advisor, name = staff_world(stack, admin, "佛山禅城店")
    car = car_with_quote(stack, store, advisor, name, "梁车主")
    page = phone
    page.goto(f"{stack.url}/m/")
    page.fill("[name=mobile]", car.customer["mobile"])
    page.click("[name=send-code]")
    page.fill("[name=code]", latest_code(stack, car.customer["mobile"]))
    page.click("form.login button[type=submit]")
    page.click(".car")
    expect(page.locator("[data-step=quoted]")).to_contain_text("报价已出")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    page.evaluate("window.untouched = true")
    expect(page.locator("[data-step=ready]")).to_have_count(0)

    finish(stack, admin, car)
    expect(page.locator("[data-step=work_started]")).to_be_visible(timeout=15_000)
    expect(page.locator("[data-step=ready]")).to_be_visible(timeout=15_000)
    assert page.evaluate("window.untouched") is True  # redrawn in place, not reloaded
    assert_all_chinese(page, car.vehicle["plate"])
