"""One car, its owner on the phone app (车主端, `/m/`, 390×844) and the store's staff in the console, in the same
test and each with the UI alone (a browser context of their own; the API only sets up the store, its accounts,
the technician's record and the owner's customer record, and checks at the end what the screens said):

the owner books a slot → the advisor finds it in reception's appointment list and checks the car in against it,
opens a quote for a full inspection the owner agrees to at the counter, contracts it and dispatches it → the
technician, on a phone, starts the job and records a red finding with a photo → the advisor turns the finding into a
quote of three lines (增项) → the owner sees the lines with the finding's photo, approves two, declines one and signs
→ the advisor, on the open quote, sees the decision come in, contracts it and dispatches it → the technician
finishes both jobs and sends both work orders to QC, the manager passes QC and completes them while the owner's
timeline moves without a reload → the owner pays each invoice by WeChat Pay's H5 link (the sandbox's cashier) while
the cashier's open invoices move to paid on their own → the owner accepts the car and rates the visit 2 → the
manager resolves the complaint that opened → the owner reads the resolution."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (PHONE, Console, assert_all_chinese, fill_in, go_to, inspection_finding,
                                    phone_sign_in, yuan)
from tests.browser.test_photos_and_signatures import draw, photo
from tests.support import data
from tests.support.customer import PASSWORD, ok, staff_world
from tests.support.one_car import ALL_DAY

pytestmark = pytest.mark.e2e
SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPLAINED = "等车太久，前台没人招呼"
RESOLVED = "店长致电致歉，赠送一次免费洗车"


def account(stack, admin, role: str, store: dict) -> tuple[str, str]:
    """A new account of `role` at `store` (password PASSWORD): its username and id."""
    username = f"{role.split('_')[-1]}-{data.digits(8)}"
    user = ok(admin.post(f"{stack.url}/v1/users", json={"username": username, "password": PASSWORD, "role": role,
                                                        "store_ids": [store["id"]]}), 201)
    return username, user["id"]


def owner_signs_in(stack, console: Console, mobile: str) -> Page:
    """The owner's phone (a browser context of its own, closed with the staff's), signed in with the texted code."""
    context = console.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    console.contexts.append(context)
    page = context.new_page()
    phone_sign_in(page, stack, mobile)
    return page


def open_card(page: Page, status: str, plate: str, order_number: str | None = None) -> None:
    """Opens the car's card in a board column (the board moves by itself: waits for it there)."""
    card = page.locator(f"#board [data-status={status}] .wo", has_text=order_number or plate)
    expect(card).to_have_count(1)
    card.click()


def contract_and_dispatch(advisor: Page, signer: str, tech_id: str, jobs: int) -> str:
    """The advisor signs the decided quote's contract, then dispatches its work order's `jobs` jobs to the
    technician on the board: the order's number."""
    fill_in(advisor.locator("#contract-form"), signed_by=signer)
    heading = advisor.locator("#order-status h2")
    expect(heading).to_contain_text("订单")
    number = heading.inner_text().split()[-1]
    go_to(advisor, "board")
    open_card(advisor, "open", "", number)
    dispatch = advisor.locator("#dispatch-form")
    expect(dispatch.locator("[data-job]")).to_have_count(jobs)
    for job in range(jobs):
        dispatch.locator("[data-job]").nth(job).locator(f"tr[data-tech='{tech_id}'] [name=tech]").check()
    dispatch.locator("button[type=submit]").click()
    expect(advisor.locator("#board [data-status=dispatched] .wo", has_text=number)).to_have_count(1)
    return number


def test_the_owner_on_the_phone_and_the_staff_in_the_console_work_one_car_together(
        stack, admin, console: Console, tmp_path):
    url = stack.url
    store, advisor_api, advisor_name = staff_world(stack, admin, "珠海香洲店")
    manager_name, _ = account(stack, admin, "store_manager", store)
    cashier_name, _ = account(stack, admin, "cashier", store)
    tech_name, tech_user_id = account(stack, admin, "technician", store)
    tech = ok(admin.post(f"{url}/v1/technicians", json={
        "store_id": store["id"], "name": "罗师傅", "level": "senior", "hourly_cost_fen": 6000,
        "skills": ["maintenance", "brakes"], "shifts": ALL_DAY, "user_id": tech_user_id}), 201)
    owner_name, mobile, plate = "许车主", data.mobile(), data.plate()
    customer = ok(advisor_api.post(f"{url}/v1/customers", json={"name": owner_name, "mobile": mobile,
                                                                "home_store_id": store["id"]}))
    vehicle = ok(advisor_api.post(f"{url}/v1/customers/{customer['id']}/vehicles",
                                  json={"plate": plate, "make": "比亚迪", "model": "汉"}))
    typed = (plate, store["name"], owner_name)

    # the owner books tomorrow's first free slot at the store
    phone = owner_signs_in(stack, console, mobile)
    phone.click(f".car:has-text('{plate}')")
    phone.get_by_role("button", name="预约到店").click()
    phone.select_option("[name=store]", store["id"])
    slot = phone.locator("[data-slot]:not([disabled])").first
    expect(slot).to_be_visible()
    slot_start = datetime.fromisoformat(slot.get_attribute("data-slot"))
    slot.click()
    phone.click("[name=book]")
    expect(phone.locator("#notice")).to_have_text("预约成功，期待您到店")
    day = slot_start.astimezone(SHANGHAI).date()
    assert day == datetime.now(SHANGHAI).date() + timedelta(days=1)

    # the advisor finds the booking in reception's appointment list and checks the car in against it
    advisor = console.open(advisor_name, password=PASSWORD)
    advisor.goto(f"{url}/console/#/reception")
    booked = advisor.locator("#appointments")
    booked.locator("[name=day]").fill(day.isoformat())
    booked.locator("[name=day]").dispatch_event("change")
    row = booked.locator("tr[data-appointment]", has_text=plate)
    expect(row).to_contain_text(owner_name)
    expect(row).to_contain_text(f"{slot_start.astimezone(SHANGHAI):%H:%M}")
    expect(row.locator(".badge")).to_have_text("已预约")
    assert_all_chinese(advisor, *typed, advisor_name)
    console.shot(advisor, "appointments")
    row.get_by_role("button", name="到店接车").click()
    expect(advisor.locator("#check-in-appointment")).to_contain_text(f"{slot_start.astimezone(SHANGHAI):%H:%M}")
    check_in = advisor.locator("#check-in-form")
    check_in.locator("[name=need][value=inspection]").check()
    fill_in(check_in, mileage_km="52000")
    expect(advisor.locator("#visit-done")).to_contain_text("已接车")
    expect(row.locator(".badge")).to_have_text("已到店")

    # a full inspection the owner agrees to at the counter, contracted
    advisor.locator("#visit-done button:has-text('开报价单')").click()
    expect(advisor.locator("#quote h1")).to_contain_text("报价单")
    advisor.locator("[data-tab=add_labour]").click()
    fill_in(advisor.locator("#labour-form"), description="全车检查", hours="0.5")
    expect(advisor.locator("[data-line]")).to_have_count(1)
    advisor.locator("[data-action=present]").click()
    advisor.locator("[data-action=record_decision]").click()
    expect(advisor.locator("#quote")).to_contain_text("客户同意")

    # contracted and dispatched to 罗师傅, who starts it on his phone and records a red finding with a photo
    first_number = contract_and_dispatch(advisor, owner_name, tech["id"], jobs=1)
    technician = console.open(tech_name, PHONE, password=PASSWORD)
    mine = technician.locator("#my-jobs [data-wo]")
    expect(mine).to_have_count(1)
    mine.locator("button:has-text('开工打卡')").click()
    expect(mine).to_contain_text("已开工")
    mine.locator("button:has-text('车辆检查')").click()
    inspection_finding(technician, "52000", "前刹车片", "red", "剩余 2mm", (photo(tmp_path, "pads"),))
    technician.locator("form.inspection button[type=submit]").click()
    expect(technician.locator(".inspection.saved .thumbs img")).to_have_count(1, timeout=30_000)  # its thumbnail
    mine.locator("[name=job_finished]").check()  # the inspection done: he clocks out (one job at a time)
    mine.locator("button:has-text('收工打卡')").click()
    expect(mine.locator("button:has-text('开工打卡')")).to_be_visible()

    # the advisor turns the finding into a quote of three lines and presents it
    open_card(advisor, "in_progress", plate)
    expect(advisor.locator("#findings")).to_contain_text("前刹车片")
    advisor.locator("#findings button:has-text('转成报价单')").click()
    expect(advisor.locator("#quote-notes")).to_contain_text("前刹车片")
    findings_quote = advisor.url.rsplit("/", 1)[1]
    advisor.locator("[data-tab=add_labour]").click()
    for work, hours in (("更换前刹车片", "1.5"), ("四轮定位", "1")):
        fill_in(advisor.locator("#labour-form"), description=work, hours=hours)
        expect(advisor.locator("#labour-form [name=description]")).to_have_value("")  # redrawn: the line is in
    advisor.locator("[data-tab=add_fee]").click()
    fill_in(advisor.locator("#fee-form"), description="空调清洗", amount_yuan="88")
    expect(advisor.locator("[data-line]")).to_have_count(3)
    expect(advisor.locator("#quote-findings img[data-loaded]")).to_have_count(1)
    advisor.locator("[data-action=present]").click()
    expect(advisor.locator("[data-action=record_decision]")).to_be_visible()
    console.shot(advisor, "findings-quote")

    # the owner: the new quote on the car's timeline, the finding with its photo; two of three, signed
    expect(phone.locator("[data-step=checked_in]")).to_have_count(1)  # the owner's phone still on the car
    phone.locator(f"a[href='#/quote/{findings_quote}']").click()
    finding = phone.locator("#findings [data-finding]")
    expect(finding).to_contain_text("前刹车片")
    expect(finding.locator("img[data-loaded]")).to_have_count(1)
    expect(phone.locator("[data-line]")).to_have_count(3)
    phone.click("[data-line='更换前刹车片'] >> text=同意")
    phone.click("[data-line='四轮定位'] >> text=不需要")
    phone.click("[data-line='空调清洗'] >> text=同意")
    approved_total = phone.locator("[data-approved-total]").inner_text()
    draw(phone, phone.locator("canvas.signature"))
    assert_all_chinese(phone, *typed)
    console.shot(phone, "owner-decides")
    phone.click("[name=submit-decision]")
    expect(phone.locator("[data-state]")).to_have_text("已部分确认")
    expect(phone.locator("[data-signed=true]")).to_have_text("您已签名确认，报价与签名时一致")

    # the advisor, still on the quote, sees the decision and the signature come in (sales.quote_decided) and
    # contracts it
    expect(advisor.locator("#quote .badge").first).to_have_text("部分同意")
    decisions = advisor.locator("#quote tr[data-line] td:last-child .badge")
    expect(decisions).to_have_text(["同意", "不做", "同意"])
    expect(advisor.locator("#customer-signature")).to_contain_text("与签署文件一致")
    second_number = contract_and_dispatch(advisor, owner_name, tech["id"], jobs=1)  # the declined one is no job

    # the owner watches the car's timeline; the technician works, the manager passes QC and completes
    phone.go_back()
    expect(phone.locator("[data-step=work_started]")).to_have_count(1)
    expect(phone.locator("body")).to_have_attribute("data-live", "on")
    phone.evaluate("window.untouched = true")
    expect(mine).to_have_count(2)  # the new work order reached his phone by itself
    added = technician.locator("#my-jobs [data-wo]", has_text=second_number)
    added.locator("button:has-text('开工打卡')").click()
    expect(added).to_contain_text("已开工")
    expect(phone.locator("[data-step=work_started]")).to_have_count(2)
    added.locator("[name=job_finished]").check()
    added.locator("button:has-text('收工打卡')").click()
    expect(added.locator("button:has-text('开工打卡')")).to_be_visible()
    for number in (second_number, first_number):
        technician.locator("#my-jobs [data-wo]", has_text=number).locator("button:has-text('提交质检')").click()
        expect(technician.locator("#toast")).to_contain_text(f"{number} 已提交质检")
    manager = console.open(manager_name, password=PASSWORD)
    cashier = console.open(cashier_name, password=PASSWORD)
    cashier.goto(f"{url}/console/#/cashier")
    manager.goto(f"{url}/console/#/board")
    for number in (first_number, second_number):
        open_card(manager, "qc", plate, number)
        manager.locator("#qc-form button[type=submit]").click()
        manager.locator("#complete-form button[type=submit]").click()
        expect(manager.locator("#deliver-form")).to_be_visible()
    expect(phone.locator("[data-step=qc_passed]")).to_have_count(2)
    expect(phone.locator("[data-step=ready]")).to_have_count(2)
    assert phone.evaluate("window.untouched") is True  # redrawn in place, never reloaded
    assert_all_chinese(phone, *typed)
    console.shot(phone, "owner-timeline")
    open_invoices = cashier.locator("#invoices li[data-invoice]")
    expect(open_invoices).to_have_count(2, timeout=30_000)  # both reached the till by themselves

    # the owner pays each by WeChat Pay's H5 link and accepts the car
    for accepted in (1, 2):
        phone.locator("[name=to-accept]").first.click()
        due = phone.locator("[data-invoice] [data-due] .price")
        expect(due).not_to_have_text(yuan(0))
        owed = due.inner_text()
        phone.click("[name=pay]")
        expect(phone.locator(".amount")).to_have_text(owed)  # WeChat Pay's page (the sandbox's)
        phone.get_by_role("button", name="确认支付").click()
        expect(phone).to_have_url(re.compile(r"/m/#/accept/"))
        expect(phone.locator("[data-invoice-state]")).to_have_text("已付清")
        phone.fill("[name=comment]", "刹车好多了")
        phone.click("[name=accept]")
        expect(phone.locator("#notice")).to_have_text("验收完成，祝您用车愉快")
        expect(phone.locator("[data-step=delivered]")).to_have_count(accepted)
    expect(open_invoices).to_have_count(0)
    paid = cashier.locator("#paid-invoices li[data-invoice]")
    expect(paid).to_have_count(2)
    paid.filter(has_text=second_number).click()
    expect(cashier.locator("#invoice .badge").first).to_have_text("已付清")
    console.shot(cashier, "paid")

    # rated 2: a complaint opens; the manager resolves it; the owner reads the resolution
    expect(phone.locator("[name=to-rate]").first).to_be_visible(timeout=30_000)  # crm opened the follow-ups
    phone.locator("[name=to-rate]").first.click()
    phone.click("[data-score='2']")
    phone.fill("[name=comment]", COMPLAINED)
    phone.click("[name=rate]")
    expect(phone.locator("#notice")).to_have_text("很抱歉让您失望，门店会尽快联系您处理")
    expect(phone.locator("[data-complaint] .badge")).to_have_text("待处理")
    manager.goto(f"{url}/console/#/crm")
    for status, resolution in (("in_progress", None), ("resolved", RESOLVED)):
        manager.reload()
        manager.locator("[data-tab=complaints]").click()
        complaint = manager.locator("#complaints tr[data-complaint]", has_text=COMPLAINED)
        complaint.locator("[name=status]").select_option(status)
        fill_in(complaint, **({"resolution": resolution} if resolution else {}))
        expect(complaint.locator(".badge").last).to_have_text({"in_progress": "处理中", "resolved": "已解决"}[status])
    # the owner's screen, left open, shows the resolution as the store records it (crm.complaint_changed)
    expect(phone.locator("[data-complaint] .badge")).to_have_text("已解决")
    expect(phone.locator("[data-resolution]")).to_have_text(f"处理结果：{RESOLVED}")
    assert_all_chinese(phone, *typed)
    console.shot(phone, "owner-resolution")

    # what the screens said is what the services hold
    [appointment] = ok(advisor_api.get(f"{url}/v1/appointments", params={"customer_id": customer["id"]}))["items"]
    assert appointment["state"] == "arrived" and appointment["visit_id"]
    quote = ok(advisor_api.get(f"{url}/v1/quotes/{findings_quote}"))
    assert [(line["description"], line["decision"]) for line in quote["lines"]] == [
        ("更换前刹车片", "approved"), ("四轮定位", "declined"), ("空调清洗", "approved")]
    assert quote["customer_signature"]["matches"] is True
    assert approved_total == yuan(sum(line["total_fen"] for line in quote["lines"] if line["decision"] == "approved"))
    orders = ok(advisor_api.get(f"{url}/v1/work-orders", params={"store_id": store["id"]}))["items"]
    mine_only = [w for w in orders if w["vehicle_id"] == vehicle["id"]]
    assert sorted(w["status"] for w in mine_only) == ["delivered", "delivered"]
    invoices = ok(advisor_api.get(f"{url}/v1/invoices", params={"store_id": store["id"]}))["items"]
    assert sorted(i["status"] for i in invoices if i["customer_id"] == customer["id"]) == ["paid", "paid"]
    complaints = ok(advisor_api.get(f"{url}/v1/complaints", params={"customer_id": customer["id"]}))["items"]
    assert [(c["description"], c["status"], c["resolution"]) for c in complaints] == [
        (COMPLAINED, "resolved", RESOLVED)]


def test_reception_lists_a_days_appointments_and_checks_the_booked_car_in_against_its_booking(
        stack, admin, console: Console):
    """The appointment goes with its own car (the customer has two), a cancelled one is not listed, another
    day's list is empty; checked in from the list, the booking shows 已到店 and the visit holds it."""
    url = stack.url
    store, advisor_api, advisor_name = staff_world(stack, admin, "江门蓬江店")
    customer = ok(advisor_api.post(f"{url}/v1/customers", json={"name": "蔡车主", "mobile": data.mobile()}))
    cars = [ok(advisor_api.post(f"{url}/v1/customers/{customer['id']}/vehicles", json={"plate": data.plate()}))
            for _ in range(2)]
    day = datetime.now(SHANGHAI).date() + timedelta(days=1)
    at = {hour: datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).isoformat() for hour in (10, 11)}
    booked = ok(advisor_api.post(f"{url}/v1/appointments", json={
        "store_id": store["id"], "customer_id": customer["id"], "vehicle_id": cars[1]["id"], "slot_start": at[11]}))
    dropped = ok(advisor_api.post(f"{url}/v1/appointments", json={
        "store_id": store["id"], "customer_id": customer["id"], "vehicle_id": cars[0]["id"], "slot_start": at[10]}))
    ok(advisor_api.post(f"{url}/v1/appointments/{dropped['id']}/cancel", json={}))

    page = console.open(advisor_name, password=PASSWORD)
    page.goto(f"{url}/console/#/reception")
    listed = page.locator("#appointments")
    expect(listed).to_contain_text("当天没有预约")  # today: nothing booked at this new store
    listed.locator("[name=day]").fill(day.isoformat())
    listed.locator("[name=day]").dispatch_event("change")
    row = listed.locator("tr[data-appointment]")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-appointment", booked["id"])
    expect(row).to_contain_text("11:00")
    expect(row).to_contain_text(cars[1]["plate"])
    row.get_by_role("button", name="到店接车").click()
    expect(page.locator("#check-in-form h2")).to_contain_text(cars[1]["plate"])
    expect(page.locator("#check-in-appointment")).to_have_text(f"预约时段 {day.isoformat()} 11:00")
    page.locator(f"#picked [data-vehicle='{cars[0]['id']}']").click()  # the other car: not this booking's
    expect(page.locator("#check-in-appointment")).to_have_count(0)
    page.locator(f"#picked [data-vehicle='{cars[1]['id']}']").click()
    check_in = page.locator("#check-in-form")
    check_in.locator("[name=need][value=maintenance]").check()
    check_in.locator("button[type=submit]").click()
    expect(page.locator("#visit-done")).to_contain_text("已接车")
    expect(row.locator(".badge")).to_have_text("已到店")
    expect(row.get_by_role("button")).to_have_count(0)
    assert_all_chinese(page, cars[0]["plate"], cars[1]["plate"], advisor_name)
    arrived = ok(advisor_api.get(f"{url}/v1/appointments/{booked['id']}"))
    assert arrived["state"] == "arrived"
    assert ok(advisor_api.get(f"{url}/v1/visits/{arrived['visit_id']}"))["appointment_id"] == booked["id"]
