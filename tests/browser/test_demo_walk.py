"""The README's walk of one car with the demo logins of 广州天河店, in the console alone: a stack of
its own seeded with the demo chain exactly as `make run` seeds it (deploy/demo.py through the
gateway), then only the browser — advisor, manager, technician on a phone and cashier, each with
their demo login and password. After the seed no API call drives the walk; the API is read only at
the end, to check that what the screens said happened did happen."""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from deploy import demo as chain
from services.sales import demo as catalogue
from tests.browser.conftest import COUNTER_PC, PHONE, Console, fill_in, inspection_finding
from tests.support import data
from tests.support.one_car import ok
from tests.support.stack import demo_stack

STORE = "gz-th"

pytestmark = pytest.mark.heavy


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """This module's own suite seeded like `make run`: what the demo seeds must be all a store needs."""
    with demo_stack(tmp_path_factory.mktemp("demo-walk")) as running:
        yield running


def log_in(console: Console, role: str, device: dict = COUNTER_PC) -> Page:
    """The console as `<role>.gz-th` with the demo password."""
    return console.open(f"{role}.{STORE}", device, password=chain.STAFF_PASSWORD)


def until(shown: Callable[[], None], again: Callable[[], object], what: str, timeout: float = 60) -> None:
    """Runs `again` (a refresh) until the expectation `shown` holds: what a service does after an event."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return shown()
        except AssertionError:
            assert time.monotonic() < deadline, f"never shown: {what}"
            again()


def test_the_readme_walk_of_one_car_with_the_demo_logins_in_the_console(console, stack):
    url = stack.url
    mobile, plate = data.mobile(), data.plate()

    # advisor: new customer and car, check-in
    advisor = log_in(console, "advisor")
    new = advisor.locator("#new-customer")
    taken = chain.CUSTOMERS[0][1]  # a demo customer's mobile: refused in words, next to the field
    fill_in(new, name="林晓", mobile=taken, plate=plate, make="大众", mileage_km="36000")
    expect(new.locator("[data-field=mobile] .field-error")).to_contain_text("这个手机号已有客户档案")
    fill_in(new, mobile=mobile)
    expect(advisor.locator("#picked h2").first).to_contain_text("林晓")
    check_in = advisor.locator("#check-in-form")
    check_in.locator("[name=need][value=maintenance]").check()
    fill_in(check_in, mileage_km="36020")
    expect(advisor.locator("#visit-done")).to_contain_text("已接车")
    console.shot(advisor, "check-in")
    advisor.locator("#visit-done button:has-text('开报价单')").click()
    expect(advisor.locator("#quote h1")).to_contain_text("报价单")
    quote_id = advisor.url.rsplit("/", 1)[1]

    # the quote: the 小保养 package from the picker, a labour line from the catalogue, a part line
    advisor.locator("[data-tab=add_package]").click()
    minor = advisor.locator("#package-picker tr[data-package='PKG-MINOR']")
    expect(minor).to_contain_text("小保养")
    expect(minor).to_contain_text("更换机油机滤")  # the package's labour in words, not its code
    console.shot(advisor, "package-picker")
    minor.locator("button:has-text('添加')").click()
    expect(advisor.locator("[data-line]")).to_have_count(4)  # labour, oil, filter, waste-oil fee
    advisor.locator("[data-tab=add_labour]").click()
    labour = advisor.locator("#labour-form")
    labour.locator("[name=description]").fill("更换空调滤芯")
    expect(advisor.locator("#labour-ops option[value='更换空调滤芯']")).to_have_count(1)
    labour.locator("button[type=submit]").click()
    expect(advisor.locator("[data-line]")).to_have_count(5)
    advisor.locator("[data-tab=add_part]").click()
    advisor.fill("#part-search [name=q]", "FLT-CABIN")
    advisor.locator("#part-search button[type=submit]").click()
    advisor.locator("tr[data-sku='FLT-CABIN'] button:has-text('添加')").click()
    expect(advisor.locator("[data-line]")).to_have_count(6)

    # a discount above the advisor's limit (10 %) waits for the manager, who approves it
    fill_in(advisor.locator("#discount-form"), value="15", reason="新客户首单")
    expect(advisor.locator("#quote")).to_contain_text("折扣待店长审批")
    console.shot(advisor, "quote")
    manager = log_in(console, "manager")
    manager.goto(f"{url}/console/#/quotes/{quote_id}")
    fill_in(manager.locator("#approve-form"), note="同意")
    expect(manager.locator("#quote")).to_contain_text("折扣已批准")

    # present, the customer's decision, the contract with a deposit
    advisor.reload()
    expect(advisor.locator("#quote")).to_contain_text("折扣已批准")
    advisor.locator("[data-action=present]").click()
    advisor.locator("[data-action=record_decision]").click()
    expect(advisor.locator("#quote")).to_contain_text("客户同意")
    fill_in(advisor.locator("#contract-form"), deposit_yuan="200", deposit_reference="WX-DEMO-1", signed_by="林晓")
    expect(advisor.locator("#order-status h2")).to_contain_text("订单")
    expect(advisor.locator("#order-status")).to_contain_text("¥200.00")
    console.shot(advisor, "order")

    # dispatch: both jobs to 李建国, the technician behind technician.gz-th
    advisor.goto(f"{url}/console/#/board")
    card = advisor.locator(f"[data-status=open] .wo:has-text('{plate}')")
    until(lambda: expect(card).to_be_visible(timeout=3_000),
          lambda: advisor.locator("button:has-text('刷新')").click(), "the work order on the board")
    card.click()
    dispatch = advisor.locator("#dispatch-form")
    expect(dispatch.locator("[data-job]")).to_have_count(2)
    oil = dispatch.locator("[data-job]").first
    for name, pct in (("李建国", "60"), ("王小明", "30")):  # a split that misses 100 is refused in words
        oil.locator(f"tr:has-text('{name}') [name=tech]").check()
        oil.locator(f"tr:has-text('{name}') [name=split_pct]").fill(pct)
    dispatch.locator("button[type=submit]").click()
    expect(dispatch.locator(".form-error")).to_contain_text("分配比例合计 90%，应为 100%")
    console.shot(advisor, "dispatch-refused")
    oil.locator("tr:has-text('王小明') [name=tech]").uncheck()
    oil.locator("tr:has-text('李建国') [name=split_pct]").fill("")
    dispatch.locator("[data-job]").nth(1).locator("tr:has-text('李建国') [name=tech]").check()
    console.shot(advisor, "dispatch")
    dispatch.locator("button[type=submit]").click()
    expect(advisor.locator(f"[data-status=dispatched] .wo:has-text('{plate}')")).to_be_visible()

    # the technician on a phone: clock in, an inspection finding, clock out, each job; send to QC
    phone = log_in(console, "technician", PHONE)
    mine = phone.locator("#my-jobs [data-wo]")
    expect(mine).to_have_count(1)
    expect(mine.locator("[data-job]")).to_have_count(2)
    for index in range(2):
        job = mine.locator("[data-job]").nth(index)
        job.locator("button:has-text('开工打卡')").click()
        expect(job).to_contain_text("已开工")
        if index == 0:
            mine.locator("button:has-text('车辆检查')").click()
            inspection = inspection_finding(phone, "36020", "前刹车片", "yellow", "剩余 4mm，下次保养更换")
            console.shot(phone, "inspection")
            inspection.locator("button[type=submit]").click()
            expect(phone.locator("form.inspection")).to_have_count(0)
        job = mine.locator("[data-job]").nth(index)
        job.locator("[name=job_finished]").check()
        job.locator("button:has-text('收工打卡')").click()
        expect(mine.locator("[data-job]").nth(index).locator("button:has-text('开工打卡')")).to_be_visible()
    console.shot(phone, "my-jobs")
    mine.locator("button:has-text('提交质检')").click()
    expect(phone.locator("#toast")).to_contain_text("已提交质检")

    # the advisor turns the finding into a new quote for the same visit, and prices the brake job there
    advisor.locator("button:has-text('刷新')").click()
    advisor.locator(f"[data-status=qc] .wo:has-text('{plate}')").click()
    expect(advisor.locator("#findings")).to_contain_text("前刹车片")
    advisor.locator("#findings button:has-text('转成报价单')").click()
    expect(advisor.locator("#quote-notes")).to_contain_text("前刹车片")
    assert advisor.url.rsplit("/", 1)[1] != quote_id
    advisor.locator("[data-tab=add_package]").click()
    advisor.locator("#package-picker tr[data-package='PKG-BRAKE-F'] button:has-text('添加')").click()
    expect(advisor.locator("[data-line]")).to_have_count(3)  # labour, pads, shop supplies
    console.shot(advisor, "findings-quote")
    advisor.goto(f"{url}/console/#/board")

    # the manager passes QC; the advisor completes
    manager.goto(f"{url}/console/#/board")
    manager.locator(f"[data-status=qc] .wo:has-text('{plate}')").click()
    manager.locator("#qc-form button[type=submit]").click()
    expect(manager.locator("#complete-form")).to_be_visible()
    advisor.locator("button:has-text('刷新')").click()
    advisor.locator(f"[data-status=qc] .wo:has-text('{plate}')").click()
    advisor.locator("#complete-form button[type=submit]").click()
    expect(advisor.locator("#deliver-form")).to_be_visible()

    # the cashier takes the payment of the invoice the completion issued
    cashier = log_in(console, "cashier")
    invoice = cashier.locator("#invoices li[data-invoice]")
    until(lambda: expect(invoice).to_have_count(1, timeout=3_000), cashier.reload, "the invoice")
    invoice.click()
    payment = cashier.locator("#payment-form .pay-part").first
    payment.locator("[name=method]").select_option("wechat")
    payment.locator("[name=reference]").fill("WX-DEMO-2")
    console.shot(cashier, "cashier")
    cashier.locator("#payment-form button[type=submit]").click()
    expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")

    # the advisor delivers the car
    advisor.locator("button:has-text('刷新')").click()
    advisor.locator(f"[data-status=completed] .wo:has-text('{plate}')").click()
    deliver = advisor.locator("#deliver-form")
    fill_in(deliver, mileage_out_km="36022")  # nobody named as taking the car: marshmallow's 422 in words
    expect(deliver.locator("[data-field=accepted_by] .field-error")).to_have_text("长度须为 1 到 50 个字符")
    expect(deliver.locator(".form-error").last).to_contain_text("请修正标出的字段")
    fill_in(deliver, accepted_by="林晓")
    expect(advisor.locator("#wo-detail")).to_contain_text("已交车")
    console.shot(advisor, "delivered")

    # the follow-up call, recorded as soon as the customer is reached
    advisor.goto(f"{url}/console/#/crm")
    follow_up = advisor.locator(f"#follow-ups form.follow-up:has-text('{plate}')")

    def reopen():
        advisor.reload()
        advisor.locator("[data-tab=follow_ups]").click()
    reopen()
    until(lambda: expect(follow_up).to_be_visible(timeout=3_000), reopen, "the follow-up")
    follow_up.locator("[name=satisfaction]").select_option("4")
    fill_in(follow_up, submit=False, comment="保养及时", complaint="交车时座椅上有油污")
    console.shot(advisor, "follow-up")
    follow_up.locator("button[type=submit]").click()
    expect(advisor.locator("#follow-ups")).to_contain_text("已回访")
    expect(advisor.locator("#follow-ups")).to_contain_text("已立投诉单")

    # the manager works the complaint the call opened through to resolved
    manager.goto(f"{url}/console/#/crm")
    for status, resolution in (("in_progress", None), ("resolved", "已免费清洗内饰并致歉")):
        manager.reload()
        manager.locator("[data-tab=complaints]").click()
        complaint = manager.locator("#complaints tr:has-text('油污')")
        complaint.locator("[name=status]").select_option(status)
        fill_in(complaint, **({"resolution": resolution} if resolution else {}))
        expect(complaint.locator(".badge").last).to_have_text({"in_progress": "处理中", "resolved": "已解决"}[status])

    # what the screens said is what the services hold
    admin = stack.login()
    [vehicle] = ok(admin.get(f"{url}/v1/vehicles", params={"plate": plate}))["items"]
    [order] = ok(admin.get(f"{url}/v1/orders", params={"customer_id": vehicle["customer_id"]}))["items"]
    assert order["deposit_fen"] == 20000 and order["signed_by"] == "林晓"
    [work_order] = ok(admin.get(f"{url}/v1/work-orders", params={"order_id": order["id"]}))["items"]
    assert work_order["status"] == "delivered" and work_order["qc_passed"]
    assert sorted(j["op_code"] for j in work_order["jobs"]) == sorted(
        op[0] for op in catalogue.OPERATIONS if op[1] in ("更换机油机滤", "更换空调滤芯"))
    assert {a["name"] for j in work_order["jobs"] for a in j["technicians"]} == {"李建国"}
    [inspection] = ok(admin.get(f"{url}/v1/work-orders/{work_order['id']}/inspections"))["items"]
    assert inspection["summary"]["yellow"] == 1
    [invoice] = ok(admin.get(f"{url}/v1/invoices", params={"order_id": order["id"]}))["items"]
    assert invoice["status"] == "paid" and invoice["due_fen"] == 0
    [called] = ok(admin.get(f"{url}/v1/follow-ups", params={"customer_id": vehicle["customer_id"]}))["items"]
    assert called["status"] == "completed" and called["satisfaction"] == 4
    [complaint] = ok(admin.get(f"{url}/v1/complaints", params={"customer_id": vehicle["customer_id"]}))["items"]
    assert complaint["status"] == "resolved" and complaint["resolution"] == "已免费清洗内饰并致歉"
