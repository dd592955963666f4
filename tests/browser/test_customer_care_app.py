"""The car owner's phone app (车主端, `/m/`) after the work, in Chromium on a 390×844 phone, UI alone: staff
work the car to completed through the API (setup); the owner signs in, opens the completed car, sees the
invoice (lines, total, due), pays it on WeChat Pay's H5 cashier (the sandbox's page) and comes back to it
paid, accepts the car (验收), rates the visit 2 (a complaint opens; the advisor resolves it in the console's
complaint list; the owner sees the resolution), switches marketing consent on, files a complaint, reads the
car's history, invoice and service reminder, and moves a booking to another slot — staff see each of these."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, SCREENSHOTS, assert_all_chinese, fill_in, yuan
from tests.support.customer import PASSWORD, car_with_quote, finish, latest_code, oil_change, ok, staff_world

pytestmark = pytest.mark.e2e
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"customer_care-{name}.png", full_page=True)


def test_the_owner_pays_accepts_rates_complains_and_moves_a_booking_from_the_phone(stack, admin, phone, console):
    store, advisor, name = staff_world(stack, admin, "东莞南城店")
    car = car_with_quote(stack, store, advisor, name, "陈车主", oil_op=oil_change(stack, admin))
    done = finish(stack, admin, car)
    total = done.invoice["total_fen"]
    day = datetime.now(SHANGHAI).date() + timedelta(days=2)
    booking = ok(advisor.post(f"{stack.url}/v1/appointments", json={
        "store_id": store["id"], "customer_id": car.customer["id"], "vehicle_id": car.vehicle["id"],
        "slot_start": datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI).isoformat()}))
    mobile, plate, page = car.customer["mobile"], car.vehicle["plate"], phone
    typed = (plate, store["name"], done.invoice["number"], done.order["number"])

    page.goto(f"{stack.url}/m/")
    page.fill("[name=mobile]", mobile)
    page.click("[name=send-code]")
    page.fill("[name=code]", latest_code(stack, mobile))
    page.click("form.login button[type=submit]")

    # the completed car: its invoice, paid on WeChat Pay's H5 cashier
    page.click("[name=to-accept]")
    invoice = page.locator(f"[data-invoice='{done.invoice['number']}']")
    expect(invoice.locator("[data-invoice-line]")).to_have_count(3)
    expect(invoice.locator("[data-total] .price")).to_have_text(yuan(total))
    expect(invoice.locator("[data-due] .price")).to_have_text(yuan(total))
    expect(invoice.locator("[data-invoice-state]")).to_have_text("待付款")
    expect(page.locator("[name=accept]")).to_have_count(0)  # not before it is paid
    assert_all_chinese(page, *typed)
    shot(page, "invoice-due")
    page.click("[name=pay]")
    expect(page.locator(".amount")).to_have_text(yuan(total))  # WeChat Pay's page (the sandbox's)
    page.get_by_role("button", name="确认支付").click()
    expect(page).to_have_url(re.compile(r"/m/#/accept/"))
    expect(invoice.locator("[data-invoice-state]")).to_have_text("已付清")
    expect(invoice.locator("[data-due] .price")).to_have_text(yuan(0))
    expect(invoice.locator("[data-paid] .price")).to_have_text(yuan(total))
    assert ok(advisor.get(f"{stack.url}/v1/invoices/{done.invoice['id']}"))["status"] == "paid"

    # 验收
    page.fill("[name=comment]", "车洗得很干净")
    assert_all_chinese(page, *typed)
    shot(page, "accept")
    page.click("[name=accept]")
    expect(page.locator("#notice")).to_have_text("验收完成，祝您用车愉快")
    staff_view = ok(advisor.get(f"{stack.url}/v1/work-orders/{done.work_order['id']}"))
    assert (staff_view["status"], staff_view["accepted_by"], staff_view["customer_comment"]) == (
        "delivered", "陈车主", "车洗得很干净")
    expect(page.locator("[data-step=delivered]")).to_contain_text("已交车")

    # rate 2: the button comes as soon as crm opened the follow-up, with no refresh
    expect(page.locator("[name=to-rate]")).to_be_visible(timeout=30_000)
    page.click("[name=to-rate]")
    page.click("[data-score='2']")
    page.fill("[name=comment]", "等车太久")
    assert_all_chinese(page)
    shot(page, "rate")
    page.click("[name=rate]")
    expect(page.locator("#notice")).to_have_text("很抱歉让您失望，门店会尽快联系您处理")
    expect(page.locator("[data-complaint]")).to_have_count(1)
    expect(page.locator("[data-complaint] .badge")).to_have_text("待处理")
    [follow_up] = [f for f in ok(advisor.get(f"{stack.url}/v1/follow-ups", params={
        "store_id": store["id"], "status": "completed"}))["items"] if f["customer_id"] == car.customer["id"]]
    assert (follow_up["satisfaction"], follow_up["comment"]) == (2, "等车太久") and follow_up["complaint_id"]
    # the advisor works it in the console's complaint list, where the store's complaints are
    counter = console.open(name, password=PASSWORD)
    counter.goto(f"{stack.url}/console/#/crm")
    for status, resolution in (("in_progress", None), ("resolved", "致歉并赠送洗车一次")):
        counter.reload()
        counter.locator("[data-tab=complaints]").click()
        row = counter.locator(f"#complaints tr[data-complaint='{follow_up['complaint_id']}']")
        expect(row).to_contain_text("等车太久")
        row.locator("[name=status]").select_option(status)
        fill_in(row, **({"resolution": resolution} if resolution else {}))
        expect(row.locator(".badge").last).to_have_text({"in_progress": "处理中", "resolved": "已解决"}[status])
    page.reload()
    expect(page.locator("[data-complaint] .badge")).to_have_text("已解决")
    expect(page.locator("[data-resolution]")).to_have_text("处理结果：致歉并赠送洗车一次")

    # consent on; a complaint of one's own
    page.check("[name=marketing-consent]")
    expect(page.locator("#notice")).to_have_text("已开启服务提醒与优惠消息")
    assert ok(advisor.get(f"{stack.url}/v1/customers/{car.customer['id']}"))["marketing_consent"] is True
    page.select_option("[name=complaint-store]", store["id"])
    page.select_option("[name=complaint-car]", car.vehicle["id"])
    page.fill("[name=complaint]", "前台电话打不通")
    assert_all_chinese(page, *typed, "陈车主")
    shot(page, "me")
    page.click("[name=complain]")
    expect(page.locator("#notice")).to_have_text("投诉已提交，门店会尽快联系您")
    expect(page.locator("[data-complaint]")).to_have_count(2)
    filed = ok(advisor.get(f"{stack.url}/v1/complaints", params={"store_id": store["id"]}))["items"]
    assert [(c["channel"], c["description"]) for c in filed if c["channel"] == "online"] == [
        ("online", "前台电话打不通")]

    # the car's history: the visit, the invoice, the oil change next due
    page.goto(f"{stack.url}/m/#/history/{car.vehicle['id']}")
    expect(page.locator("[data-visit]")).to_have_count(1)
    expect(page.locator("[data-reminder='OIL-CHG']")).to_contain_text("机油保养")
    row = page.locator(f"[data-history-invoice='{done.invoice['number']}']")
    expect(row).to_contain_text(yuan(total))
    expect(row).to_contain_text("已付清")
    assert_all_chinese(page, *typed)
    shot(page, "history")
    row.click()
    expect(page.locator("[data-invoice-state]")).to_have_text("已付清")
    expect(page.locator("[name=pay]")).to_have_count(0)

    # move the booking to another slot of the same day
    page.goto(f"{stack.url}/m/#/cars")
    page.click(f"[data-booking='{booking['id']}'] [name=reschedule]")
    page.fill("[name=date]", day.isoformat())
    page.dispatch_event("[name=date]", "change")
    later = page.locator("[data-slot]:not([disabled])").nth(2)
    expect(later).to_have_attribute("data-slot", re.compile(f"^{day.isoformat()}T"))
    slot = later.get_attribute("data-slot")
    later.click()
    assert_all_chinese(page, store["name"])
    shot(page, "reschedule")
    page.click("[name=book]")
    expect(page.locator("#notice")).to_have_text("改约成功，期待您到店")
    expect(page.locator(f"[data-booking='{booking['id']}']")).to_have_count(1)  # the same booking, moved
    listed = ok(advisor.get(f"{stack.url}/v1/appointments", params={"store_id": store["id"],
                                                                     "date": day.isoformat()}))["items"]
    assert [(a["id"], a["state"], datetime.fromisoformat(a["slot_start"])) for a in listed] == [
        (booking["id"], "booked", datetime.fromisoformat(slot))]
