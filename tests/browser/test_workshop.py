"""The workshop in the console: the board (dispatch with a split, QC, complete, deliver) on
the counter PC, and the technician on a phone (clock in, inspection with condition colours,
clock out, send to QC; a finding's photo from the camera)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, confirmed_order
from tests.support.one_car import ok
from tests.unit.test_media import jpeg_with_gps


def pad_photo(tmp_path) -> bytes:
    return jpeg_with_gps(tmp_path / "pad.jpg").read_bytes()


def test_board_dispatch_clock_qc_complete_deliver_with_the_technician_on_a_phone(console, stack, shop, part,
                                                                                 tmp_path):
    car = confirmed_order(stack, shop, part)
    work_order_id = car["work_order"]["id"]
    (li, _), (wang, _) = shop.techs
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/board")
    card = manager.locator(f"[data-status=open] [data-wo='{work_order_id}']")
    expect(card).to_contain_text(car["plate"])
    console.shot(manager, "board")

    # dispatch 60/40; both technicians have the job's skill, so both are suggested
    card.click()
    dispatch = manager.locator("#dispatch-form")
    expect(dispatch.locator("tr[data-tech]:has(.badge)")).to_have_count(2)
    dispatch.locator(f"tr[data-tech='{li['id']}'] [name=tech]").check()
    dispatch.locator(f"tr[data-tech='{li['id']}'] [name=split_pct]").fill("60")
    dispatch.locator(f"tr[data-tech='{wang['id']}'] [name=tech]").check()
    dispatch.locator(f"tr[data-tech='{wang['id']}'] [name=split_pct]").fill("40")
    console.shot(manager, "board-dispatch")
    dispatch.locator("button[type=submit]").click()
    expect(manager.locator(f"[data-status=dispatched] [data-wo='{work_order_id}']")).to_be_visible()
    shares = {a["technician_id"]: float(a["split_pct"])
              for a in ok(shop.manager.get(f"{stack.url}/v1/work-orders/{work_order_id}"))["jobs"][0]["technicians"]}
    assert shares == {li["id"]: 60, wang["id"]: 40}

    # 李师傅 on his phone: clock in, record an inspection, clock out, send to QC
    phone = console.open(shop.login["technician"], PHONE)
    mine = phone.locator(f"[data-wo='{work_order_id}']")
    expect(mine).to_be_visible()
    mine.locator("button:has-text('开工打卡')").click()
    expect(mine).to_contain_text("已开工")
    # a redraw on its way when the inspection is opened (held here: a slow answer) leaves the form as typed
    held = []
    phone.route("**/v1/technicians/me/jobs*", lambda route: held.append(route))
    phone.locator("button:has-text('刷新')").click()
    mine.locator("button:has-text('车辆检查')").click()
    inspection = phone.locator("form.inspection")
    inspection.locator("[name=mileage_km]").fill("45010")
    assert held, "the list's redraw was not asked for"
    with phone.expect_response("**/v1/technicians/me/jobs*"):
        for answer in held:
            answer.continue_()
    phone.unroute("**/v1/technicians/me/jobs*")
    phone.evaluate("() => new Promise((done) => setTimeout(done, 300))")  # the answer's redraw has run
    expect(inspection.locator("[name=mileage_km]")).to_have_value("45010")
    inspection.locator("[name='findings.0.area']").select_option("brakes")
    inspection.locator("[name='findings.0.item']").fill("前刹车片")
    inspection.locator(".finding[data-index='0'] .cond label.red").click()
    inspection.locator("[name='findings.0.notes']").fill("剩余 2mm")
    camera = inspection.locator("[name='findings.0.photos']")  # the phone's camera opens straight away
    assert camera.get_attribute("capture") == "environment"
    camera.set_input_files(files=[{"name": "pad.jpg", "mimeType": "image/jpeg", "buffer": pad_photo(tmp_path)}])
    inspection.locator("button:has-text('再加一项')").click()
    inspection.locator("[name='findings.1.area']").select_option("tyres")
    inspection.locator("[name='findings.1.item']").fill("左前轮胎")
    inspection.locator(".finding[data-index='1'] .cond label.yellow").click()
    console.shot(phone, "technician-inspection")
    inspection.locator("button[type=submit]").click()
    expect(phone.locator("form.inspection")).to_have_count(0)
    expect(phone.locator(".inspection.saved .thumbs img[src^='blob:']")).to_have_count(1)  # its thumbnail shown
    [saved] = ok(shop.manager.get(f"{stack.url}/v1/work-orders/{work_order_id}/inspections"))["items"]
    assert saved["summary"]["red"] == 1 and saved["summary"]["yellow"] == 1 and saved["mileage_km"] == 45010
    assert [p["content_type"] for p in saved["findings"][0]["photos"]] == ["image/jpeg"]
    mine.locator("[name=job_finished]").check()
    console.shot(phone, "technician-phone")
    mine.locator("button:has-text('收工打卡')").click()
    expect(mine.locator("button:has-text('开工打卡')")).to_be_visible()
    mine.locator("button:has-text('提交质检')").click()
    expect(phone.locator("#toast")).to_contain_text("已提交质检")
    assert ok(shop.manager.get(f"{stack.url}/v1/work-orders/{work_order_id}"))["status"] == "qc"

    # the manager passes QC, completes with the clocked hours and delivers
    manager.locator("button:has-text('刷新')").click()
    manager.locator(f"[data-status=qc] [data-wo='{work_order_id}']").click()
    qc = manager.locator("#qc-form")
    expect(qc).to_be_visible()
    console.shot(manager, "board-qc")
    qc.locator("button[type=submit]").click()
    complete = manager.locator("#complete-form")
    expect(complete.locator("tr[data-tech]")).to_have_count(2)
    complete.locator(f"tr[data-tech='{wang['id']}'] [name=hours]").fill("0")
    complete.locator("button[type=submit]").click()
    deliver = manager.locator("#deliver-form")
    deliver.locator("[name=mileage_out_km]").fill("45012")
    deliver.locator("[name=accepted_by]").fill("周杰")
    deliver.locator("button[type=submit]").click()
    # not paid yet: refused in words; the manager releases the car with a reason (audited)
    expect(deliver.locator(".form-error")).to_contain_text("请先到收银台结清")
    deliver.locator("[name=override_reason]").fill("协议客户月结")
    deliver.locator("button[type=submit]").click()
    expect(manager.locator("#wo-detail")).to_contain_text("已交车")
    final = ok(shop.manager.get(f"{stack.url}/v1/work-orders/{work_order_id}"))
    assert final["status"] == "delivered" and final["qc_passed"] and final["mileage_out_km"] == 45012
    assert [r["passed"] for r in final["qc_results"]] == [True]
    [released] = ok(shop.manager.get(f"{stack.url}/v1/audit-trail", params={
        "document_type": "work_order", "document_id": work_order_id}))["items"]
    assert released["action"] == "delivered_with_open_balance" and released["details"]["reason"] == "协议客户月结"
