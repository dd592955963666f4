"""The car owner's records on the phone app (车主端, `/m/`), in Chromium on a 390×844 phone, UI alone: staff
photograph the car around at check-in (a scratch at the front), the owner signs the contract on the counter's
pad, the car is worked, paid at the till and a stored-value card issued (setup through the staff API); the
owner reads the store's messages, opens the visit from the car's timeline and sees each position's photo with
its damage and the signature with 合同与签名时一致, downloads the settlement statement PDF, and sees their
tier, points and the card's balance — each as staff see it; a sixth complaint within the hour is refused."""
from __future__ import annotations

import base64
import io
import json

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import PHONE, SCREENSHOTS, assert_all_chinese, yuan
from tests.support.customer import SIGNATURE_PNG, car_with_quote, finish, latest_code, ok, staff_world, until

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True, **PHONE)
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"customer_records-{name}.png", full_page=True)


def test_the_owner_reads_messages_the_walk_around_the_signed_contract_the_statement_and_the_card(
        stack, admin, phone):
    url = stack.url
    store, advisor, name = staff_world(stack, admin, "中山石岐店")
    car = car_with_quote(stack, store, advisor, name, "钱车主")
    visit_id, plate = car.visit["id"], car.vehicle["plate"]
    ok(advisor.post(f"{url}/v1/visits/{visit_id}/photos", files={"file": ("front.png", SIGNATURE_PNG, "image/png")},
                    data={"position": "front", "damage": json.dumps([{"kind": "scratch", "note": "前保险杠"}])}))
    ok(advisor.post(f"{url}/v1/visits/{visit_id}/photos", data={"position": "rear"},
                    files={"file": ("rear.png", SIGNATURE_PNG, "image/png")}))
    quote = ok(advisor.get(f"{url}/v1/quotes/{car.quote['id']}"))
    ok(advisor.post(f"{url}/v1/quotes/{quote['id']}/decision", json={
        "approved_line_ids": [line["id"] for line in quote["lines"]], "declined_line_ids": []}))
    order = ok(advisor.post(f"{url}/v1/quotes/{quote['id']}/contract", json={
        "payment_method": "cash", "signed_by": "钱车主", "signature_png": base64.b64encode(SIGNATURE_PNG).decode()}))
    done = finish(stack, admin, car)
    ok(done.manager.post(f"{url}/v1/invoices/{done.invoice['id']}/payments", json={
        "method": "cash", "amount_fen": done.invoice["due_fen"]}))
    card = ok(done.manager.post(f"{url}/v1/member-cards", json={
        "kind": "stored_value", "customer_id": car.customer["id"], "store_id": store["id"],
        "top_up": {"amount_fen": 50_000, "bonus_fen": 5_000, "method": "cash"}}))
    points = until(lambda: ok(advisor.get(f"{url}/v1/customers/{car.customer['id']}"))["points"], "points")
    until(lambda: {"vehicle_checked_in", "car_ready"} <= {m["template"] for m in ok(done.manager.get(
        f"{url}/v1/messages", params={"customer_id": car.customer["id"]}))["items"]}, "crm queued the step messages")
    typed = (plate, store["name"], done.invoice["number"], order["number"], card["number"], "钱车主")

    page, mobile = phone, car.customer["mobile"]
    page.goto(f"{url}/m/")
    page.fill("[name=mobile]", mobile)
    page.click("[name=send-code]")
    page.fill("[name=code]", latest_code(stack, mobile))
    page.click("form.login button[type=submit]")

    # the store's messages: checked in, car ready
    page.click("[name=inbox]")
    expect(page.locator("[data-message=vehicle_checked_in]")).to_contain_text(f"您的爱车 {plate} 已到店登记")
    expect(page.locator("[data-message=car_ready]")).to_contain_text(f"您的爱车 {plate} 已完工，欢迎到店取车。")
    assert_all_chinese(page, *typed)
    shot(page, "messages")
    page.get_by_role("button", name="返回我的爱车").click()

    # the visit from the car's timeline: each position with its damage, the signed contract
    page.click(".car")
    page.click("[data-step=checked_in] [name=to-visit]")
    front = page.locator("[data-stage=check_in] [data-position=front]")
    expect(front).to_contain_text("正前")
    expect(front.locator("[data-damage='1']")).to_have_text("划痕（前保险杠）")
    expect(front.locator("img[data-loaded='1']")).to_have_count(1)
    expect(page.locator("[data-stage=check_in] [data-position=rear] [data-damage='0']")).to_have_text("无损伤")
    contract = page.locator(f"[data-contract='{order['number']}']")
    expect(contract.locator("img.signed[data-loaded='1']")).to_have_count(1)
    expect(contract.locator("[data-matches=true]")).to_contain_text("钱车主 签于")
    expect(contract.locator("[data-matches=true]")).to_contain_text("合同与签名时一致")
    expect(contract.locator(".price")).to_have_text(yuan(order["totals"]["total_fen"]))
    assert_all_chinese(page, *typed)
    shot(page, "visit")

    # the settlement statement, the sheet staff print
    page.get_by_role("button", name="返回历史记录").click()
    page.click(f"[data-history-invoice='{done.invoice['number']}']")
    expect(page.locator("[data-invoice-state]")).to_have_text("已付清")
    assert_all_chinese(page, *typed)
    with page.expect_download() as download:
        page.click("[name=statement]")
    assert download.value.suggested_filename == f"结算单-{done.invoice['number']}.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(open(download.value.path(), "rb").read())).pages)
    assert "结算单" in text and done.invoice["number"] in text and plate in text

    # the membership: tier, points and the card's balance (bonus included)
    page.get_by_role("button", name="返回历史记录").click()
    page.get_by_role("button", name="返回维修进度").click()
    page.get_by_role("button", name="返回我的爱车").click()
    page.click("[name=me]")
    membership = page.locator("#membership")
    staff_view = ok(advisor.get(f"{url}/v1/customers/{car.customer['id']}"))
    expect(membership.locator(f"[data-points='{points}']")).to_have_text(f"积分 {points:,}")
    expect(membership.locator(f"[data-tier={staff_view['tier']}]")).to_be_visible()
    row = membership.locator(f"[data-card='{card['number']}']")
    expect(row.locator("[data-balance]")).to_have_text(yuan(55_000))
    expect(row).to_contain_text(f"含赠送 {yuan(5_000)}")
    expect(row).to_contain_text(f"{store['name']}办理")
    assert_all_chinese(page, *typed)
    shot(page, "membership")

    # complaints from the phone: a few an hour, then refused in words (the store got the five)
    for n in range(6):
        page.fill("[name=complaint]", f"第{n + 1}次投诉：电话打不通")
        page.click("[name=complain]")
        said = "投诉已提交，门店会尽快联系您" if n < 5 else "操作太频繁，请稍后再试"
        expect(page.locator("#notice")).to_have_text(said)
        if n < 5:
            expect(page.locator("[data-complaint]")).to_have_count(n + 1)
    expect(page.locator("[data-complaint]")).to_have_count(5)
    # (HQ's view: the phone files with the store it lists first, which may be another test's 中山石岐店)
    filed = ok(admin.get(f"{url}/v1/complaints", params={"customer_id": car.customer["id"]}))["items"]
    assert len([c for c in filed if c["customer_id"] == car.customer["id"] and c["channel"] == "online"]) == 5
