"""Photos and drawn signatures in the console and the phone app, UI alone (the API only sets up what
another screen's test walks): the walk-around at check-in (reception) and again at delivery beside it
(board), the contract signed on a canvas and checked against the contract, the findings' photos for
QC and for the advisor's findings quote, and the customer's findings quote with photos on /m/,
decided with a drawn signature the advisor sees verified."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, assert_all_chinese
from tests.support import data
from tests.support.one_car import eventually, ok
from tests.unit.test_media import jpeg_with_gps


def photo(tmp_path, name: str) -> dict:
    content = jpeg_with_gps(tmp_path / f"{name}.jpg").read_bytes()
    return {"name": f"{name}.jpg", "mimeType": "image/jpeg", "buffer": content}


def draw(page: Page, canvas) -> None:
    """A signature drawn with the mouse (a finger on the phone)."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 100)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 30 + step * 25, box["y"] + 100 - (step % 3) * 30)
    page.mouse.up()


def customer_and_car(stack, shop) -> tuple[dict, dict]:
    customer = ok(shop.advisor.post(f"{stack.url}/v1/customers", json={"name": "赵敏", "mobile": data.mobile()}))
    vehicle = ok(shop.advisor.post(f"{stack.url}/v1/customers/{customer['id']}/vehicles",
                                   json={"plate": data.plate(), "make": "本田", "model": "雅阁"}))
    return customer, vehicle


def work_to_qc(stack, shop, order_id: str, tmp_path) -> tuple[dict, dict]:
    """The order's work order dispatched to 李师傅, inspected (a red finding with a photo), clocked and sent
    to QC — what the technician's own browser test walks."""
    url, (li, li_session) = stack.url, shop.techs[0]
    [wo] = eventually(lambda: ok(shop.advisor.get(f"{url}/v1/work-orders", params={"order_id": order_id}))["items"],
                      bool, "work order opened")
    w = f"{url}/v1/work-orders/{wo['id']}"
    [job] = wo["jobs"]
    ok(shop.advisor.post(f"{w}/dispatch", json={"jobs": [{"job_id": job["id"], "technicians": [
        {"technician_id": li["id"]}]}]}))
    ok(li_session.post(f"{w}/jobs/{job['id']}/clock-in", json={}), 201)
    inspection = ok(li_session.post(f"{w}/inspections", json={"findings": [
        {"area": "brakes", "item": "前刹车片", "condition": "red", "notes": "剩余 2mm"}]}), 201)
    finding = inspection["findings"][0]
    shot = photo(tmp_path, "pad")
    ok(li_session.post(f"{w}/inspections/{finding['id']}/photos",
                       files={"file": (shot["name"], shot["buffer"], "image/jpeg")}), 201)
    ok(li_session.post(f"{w}/jobs/{job['id']}/clock-out", json={"job_finished": True}))
    ok(li_session.post(f"{w}/ready-for-qc", json={}))
    return wo, finding


def test_walk_around_at_check_in_and_at_delivery_beside_it_a_drawn_contract_and_photos_for_qc_and_the_advisor(
        console, stack, shop, tmp_path):
    url = stack.url
    customer, vehicle = customer_and_car(stack, shop)
    page = console.open(shop.login["service_advisor"])
    page.goto(f"{url}/console/#/reception")
    page.fill("[name=q]", customer["mobile"])
    page.click("button:has-text('查找')")
    page.click(f"[data-customer='{customer['id']}']")
    page.check("#check-in-form [name=need][value=maintenance]")
    page.fill("#check-in-form [name=mileage_km]", "42000")
    page.click("#check-in-form button[type=submit]")

    # check-in: the left-front corner with its scratch
    walk = page.locator(".walk-around[data-stage=check_in]")
    expect(walk.locator("tr[data-position]")).to_have_count(10)
    expect(walk.locator("tr[data-position=front_left] th")).to_have_text("左前")
    row = walk.locator("tr[data-position=front_left]")
    row.locator("[name=photo]").set_input_files(files=[photo(tmp_path, "front-left")])
    row.locator("[name=damage]").select_option("scratch")
    row.locator("[name=damage_note]").fill("左前门 10cm")
    row.locator("button:has-text('上传')").click()
    expect(walk.locator("tr[data-position=front_left] img[data-loaded]")).to_have_count(1)
    expect(walk.locator("tr[data-position=front_left] figcaption")).to_have_text("划痕 左前门 10cm")
    assert_all_chinese(page, customer["mobile"], vehicle["plate"], "10cm")
    console.shot(page, "walk-around-check-in")
    [visit] = ok(shop.advisor.get(f"{url}/v1/visits", params={"customer_id": customer["id"]}))["items"]
    [checked] = ok(shop.advisor.get(f"{url}/v1/visits/{visit['id']}"))["photos"]
    assert (checked["position"], checked["stage"]) == ("front_left", "check_in")
    assert checked["damage"] == [{"kind": "scratch", "note": "左前门 10cm"}]

    # the quote opened from check-in, priced, presented and decided (the counter's own test walks those)
    page.click("button:has-text('开报价')")
    expect(page.locator("#quote")).to_be_visible()
    quote_id = page.url.rsplit("/", 1)[1]
    q = f"{url}/v1/quotes/{quote_id}"
    quote = ok(shop.advisor.post(f"{q}/lines", json={"kind": "labour", "description": "更换机油机滤", "hours": 1,
                                                     "skill": "maintenance"}))
    ok(shop.advisor.post(f"{q}/present"))
    ok(shop.advisor.post(f"{q}/decision", json={"approved_line_ids": [quote["lines"][0]["id"]],
                                                "declined_line_ids": []}))
    page.reload()

    # the contract, signed on the counter's screen
    contract = page.locator("#contract-form")
    contract.locator("[name=signed_by]").fill("赵敏")
    draw(page, contract.locator("canvas.signature"))
    console.shot(page, "contract-signing")
    contract.locator("button[type=submit]").click()
    signed = page.locator("#order-status .signature-view")
    expect(signed.locator("img[data-loaded]")).to_have_count(1)
    expect(signed).to_contain_text("与签署文件一致")
    expect(signed).to_have_attribute("data-matches", "true")
    order = ok(shop.advisor.get(f"{url}/v1/orders", params={"customer_id": customer["id"]}))["items"][0]
    signature = ok(shop.advisor.get(f"{url}/v1/orders/{order['id']}"))["signature"]
    assert signature["signer"] == "赵敏" and signature["matches"] is True
    assert page.locator("#order-status .hash").get_attribute("title") == signature["document_sha256"]

    # QC sees the technician's finding with its photo
    wo, finding = work_to_qc(stack, shop, order["id"], tmp_path)
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{url}/console/#/board")
    manager.locator(f"[data-status=qc] [data-wo='{wo['id']}']").click()
    expect(manager.locator("#qc-form")).to_be_visible()
    expect(manager.locator(f"#findings [data-finding='{finding['id']}'] img[src^='blob:']")).to_have_count(1)
    console.shot(manager, "qc-with-photos")

    # the advisor's findings quote shows the photo
    findings_quote = ok(shop.advisor.post(f"{url}/v1/work-orders/{wo['id']}/inspections/quote", json={}), 201)
    page.goto(f"{url}/console/#/quotes/{findings_quote['id']}")
    expect(page.locator(f"#quote-findings [data-finding='{finding['id']}'] img[data-loaded]")).to_have_count(1)
    expect(page.locator("#quote-findings")).to_contain_text("前刹车片")

    # QC passed and completed in the board; at delivery the same corner again, beside the check-in photo
    manager.locator("#qc-form button[type=submit]").click()
    manager.locator("#complete-form button[type=submit]").click()
    eventually(lambda: ok(shop.advisor.get(f"{url}/v1/orders/{order['id']}")),
               lambda seen: seen["state"] == "completed", "sales heard the work completed: delivery photos from then")
    delivery = manager.locator(".walk-around[data-stage=delivery]")
    expect(delivery.locator("tr[data-position=front_left] td.before img[data-loaded]")).to_have_count(1)
    expect(delivery.locator("tr[data-position=front_left] td.before figcaption")).to_have_text("划痕 左前门 10cm")
    row = delivery.locator("tr[data-position=front_left]")
    row.locator("[name=photo]").set_input_files(files=[photo(tmp_path, "front-left-after")])
    row.locator("button:has-text('上传')").click()
    expect(row.locator("td.after img[data-loaded]")).to_have_count(1)
    expect(manager.locator("#deliver-form")).to_be_visible()
    assert_all_chinese(manager, vehicle["plate"], "10cm", order["number"])
    console.shot(manager, "walk-around-delivery")
    stages = [(p["position"], p["stage"]) for p in ok(shop.advisor.get(f"{url}/v1/visits/{visit['id']}"))["photos"]]
    assert stages == [("front_left", "check_in"), ("front_left", "delivery")]


def test_the_customer_sees_the_findings_photos_on_the_phone_signs_and_the_advisor_sees_it_verified(
        console, browser, stack, shop, tmp_path):
    from tests.support.customer import latest_code
    url = stack.url
    customer, vehicle = customer_and_car(stack, shop)
    visit = ok(shop.advisor.post(f"{url}/v1/visits", json={"store_id": shop.id, "customer_id": customer["id"],
                                                          "vehicle_id": vehicle["id"], "needs": ["maintenance"]}))
    quote = ok(shop.advisor.post(f"{url}/v1/quotes", json={"visit_id": visit["id"], "lines": [
        {"kind": "labour", "description": "更换机油机滤", "hours": 1, "skill": "maintenance"}]}))
    ok(shop.advisor.post(f"{url}/v1/quotes/{quote['id']}/present"))
    ok(shop.advisor.post(f"{url}/v1/quotes/{quote['id']}/decision", json={
        "approved_line_ids": [quote["lines"][0]["id"]], "declined_line_ids": []}))
    order = ok(shop.advisor.post(f"{url}/v1/quotes/{quote['id']}/contract",
                                 json={"payment_method": "wechat", "signed_by": "赵敏"}), 201)
    wo, finding = work_to_qc(stack, shop, order["id"], tmp_path)
    findings_quote = ok(shop.advisor.post(f"{url}/v1/work-orders/{wo['id']}/inspections/quote", json={}), 201)
    q = f"{url}/v1/quotes/{findings_quote['id']}"
    ok(shop.advisor.post(f"{q}/lines", json={"kind": "fee", "description": "更换前刹车片", "unit_price_fen": 36000}))
    ok(shop.advisor.post(f"{q}/present"))

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    phone = context.new_page()
    try:
        phone.goto(f"{url}/m/#/quote/{findings_quote['id']}")
        phone.fill("[name=mobile]", customer["mobile"])
        phone.click("[name=send-code]")
        phone.fill("[name=code]", latest_code(stack, customer["mobile"]))
        phone.click("form.login button[type=submit]")
        shown = phone.locator(f"#findings [data-finding='{finding['id']}']")
        expect(shown).to_contain_text("前刹车片")
        expect(shown).to_contain_text("需立即处理")
        expect(shown.locator("img[data-loaded]")).to_have_count(1)
        phone.click("[data-line='更换前刹车片'] >> text=同意")
        draw(phone, phone.locator("canvas.signature"))
        phone.click("[name=submit-decision]")
        expect(phone.locator("[data-signed=true]")).to_have_text("您已签名确认，报价与签名时一致")
        assert_all_chinese(phone, findings_quote["number"])
        phone.screenshot(path=str(tmp_path / "phone.png"))
    finally:
        context.close()

    signed = ok(shop.advisor.get(q))["customer_signature"]
    assert signed["matches"] is True and len(signed["document_sha256"]) == 64
    page = console.open(shop.login["service_advisor"])
    page.goto(f"{url}/console/#/quotes/{findings_quote['id']}")
    view = page.locator("#customer-signature .signature-view")
    expect(view.locator("img[data-loaded]")).to_have_count(1)
    expect(view).to_contain_text("与签署文件一致")
    expect(page.locator(f"#quote-findings [data-finding='{finding['id']}'] img[data-loaded]")).to_have_count(1)
    console.shot(page, "customer-signature")
