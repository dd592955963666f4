"""Repair health records (汽车维修电子健康档案) in the console. On the store screen the manager says the store is
not a repair shop: 健康档案上传 says nothing is uploaded, and a repair settled then gets no upload. The manager
makes it a 二类 shop with no 许可证号: the next settlement fails with that reason in words; the licence and the
registered name entered, the failed one is sent again and uploaded. Two more repairs are settled (one car with
its VIN, one without): 已上传, and 上传失败 with 车辆缺少车架号（VIN）. 补传历史结算 over the last days queues the
one settled before the category (once), which is uploaded; a refund after an upload shows its notice (the
system takes no correction). Settlement numbers and plates, not ids; Chinese throughout."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, go_to
from tests.support import data
from tests.support.one_car import eventually, ok

LICENCE = "440106000555"
COMPANY = "广州天河汽车服务有限公司"


def settle(stack, shop, part, vin: str | None) -> dict:
    """A car checked in with its mileage (and its VIN, or none), quoted, contracted, worked and completed
    over the API, then paid at the till: its invoice."""
    url, advisor = stack.url, shop.advisor
    customer = ok(advisor.post(f"{url}/v1/customers", json={"name": "周杰", "mobile": data.mobile()}))
    vehicle = ok(advisor.post(f"{url}/v1/customers/{customer['id']}/vehicles", json={
        "plate": data.plate(), **({"vin": vin} if vin else {})}))
    visit = ok(advisor.post(f"{url}/v1/visits", json={"store_id": shop.id, "customer_id": customer["id"],
                                                      "vehicle_id": vehicle["id"], "mileage_km": 42000,
                                                      "needs": ["maintenance"]}))
    q = f"{url}/v1/quotes/{ok(advisor.post(f'{url}/v1/quotes', json={'visit_id': visit['id']}))['id']}"
    ok(advisor.post(f"{q}/lines", json={"kind": "labour", "description": "更换机油机滤", "hours": 1,
                                        "skill": "maintenance"}))
    quote = ok(advisor.post(f"{q}/lines", json={"kind": "part", "sku": part, "qty": 4}))
    ok(advisor.post(f"{q}/present"))
    ok(advisor.post(f"{q}/decision", json={"approved_line_ids": [line["id"] for line in quote["lines"]],
                                           "declined_line_ids": []}))
    order = ok(advisor.post(f"{q}/contract", json={"payment_method": "wechat", "signed_by": "周杰"}), 201)
    [work_order] = eventually(lambda: ok(advisor.get(f"{url}/v1/work-orders", params={"order_id": order["id"]}))[
        "items"], bool, "work order opened")
    eventually(lambda: ok(advisor.get(f"{url}/v1/work-orders/{work_order['id']}")),
               lambda wo: not wo["waiting_parts"], "parts reserved")
    w = f"{url}/v1/work-orders/{work_order['id']}"
    (li, li_session), _ = shop.techs
    [job] = work_order["jobs"]
    ok(advisor.post(f"{w}/dispatch", json={"jobs": [{"job_id": job["id"],
                                                     "technicians": [{"technician_id": li["id"]}]}]}))
    ok(li_session.post(f"{w}/jobs/{job['id']}/clock-in", json={}), 201)
    ok(li_session.post(f"{w}/jobs/{job['id']}/clock-out", json={"job_finished": True}))
    ok(li_session.post(f"{w}/ready-for-qc", json={}))
    ok(shop.manager.post(f"{w}/qc", json={"passed": True}))
    ok(advisor.post(f"{w}/complete", json={"labour": [{"job_id": job["id"], "technician_id": li["id"], "hours": 1}]}))
    [invoice] = eventually(lambda: ok(shop.cashier.get(f"{url}/v1/invoices", params={
        "store_id": shop.id, "order_id": order["id"]}))["items"], bool, "invoice issued")
    paid = ok(shop.cashier.post(f"{url}/v1/invoices/{invoice['id']}/payments", json={
        "method": "cash", "amount_fen": invoice["due_fen"]}))
    return {**invoice, "payment_id": paid["payment"]["id"]}


def registration(manager, category: str, licence: str = "", company: str = "") -> None:
    """The store screen's 维修企业备案信息 card, saved."""
    go_to(manager, "store")
    card = manager.locator("[data-screen=store] #repair-shop-form")
    card.locator("[name=repair_category]").select_option(category)
    card.locator("[name=repair_licence_no]").fill(licence)
    card.locator("[name=repair_company_name]").fill(company)
    card.locator("button[type=submit]").click()
    expect(manager.get_by_text("已保存", exact=True)).to_be_visible()


def test_manager_sets_the_category_and_licence_sees_uploads_failures_backfills_and_refund_notices(
        console, stack, shop, part):
    manager = console.open(shop.login["store_manager"])
    screen = manager.locator("[data-screen=health_records]")
    registration(manager, "none")
    go_to(manager, "health_records")
    expect(screen.locator("#health-record-not-uploading")).to_contain_text("非维修企业（不上传）")
    before = settle(stack, shop, part, data.vin())  # not a repair shop yet: no upload

    registration(manager, "class_2")  # a 二类 shop without its licence number
    unlicensed = settle(stack, shop, part, data.vin())
    go_to(manager, "health_records")
    expect(screen.locator("#health-record-not-uploading")).to_have_count(0)
    row = screen.locator("tr[data-upload]", has_text=unlicensed["number"])
    expect(row).to_contain_text("上传失败", timeout=20_000)
    expect(row.locator(".failure-reason")).to_have_text("门店未填写维修企业许可证号/备案号；门店未填写备案企业名称")
    expect(screen.locator("tr[data-upload]", has_text=before["number"])).to_have_count(0)

    registration(manager, "class_2", LICENCE, COMPANY)
    settings = ok(shop.manager.get(f"{stack.url}/v1/stores/{shop.id}/finance-settings"))
    assert (settings["repair_category"], settings["repair_licence_no"]) == ("class_2", LICENCE)
    go_to(manager, "health_records")
    screen.locator("tr[data-upload]", has_text=unlicensed["number"]).locator("button.retry").click()
    expect(screen.locator("tr[data-upload]", has_text=unlicensed["number"])).to_contain_text("已上传", timeout=20_000)

    uploaded = settle(stack, shop, part, data.vin())
    failed = settle(stack, shop, part, None)
    go_to(manager, "board")
    go_to(manager, "health_records")
    good = screen.locator("tr[data-upload]", has_text=uploaded["number"])
    bad = screen.locator("tr[data-upload]", has_text=failed["number"])
    expect(good).to_contain_text("已上传", timeout=20_000)
    expect(bad).to_contain_text("上传失败", timeout=20_000)
    expect(bad.locator(".failure-reason")).to_have_text("车辆缺少车架号（VIN）")
    expect(bad.locator("button.retry")).to_have_text("修正后重新上传")
    expect(good.locator("button.retry")).to_have_count(0)

    backfill = screen.locator("#health-record-backfill")  # the days before the category: today's default range
    backfill.locator("button[type=submit]").click()
    expect(manager.get_by_text("已排队补传 1 张结算单", exact=False)).to_be_visible()
    expect(screen.locator("tr[data-upload]", has_text=before["number"])).to_contain_text("已上传", timeout=20_000)
    backfill.locator("button[type=submit]").click()  # asked again: nothing queued twice
    expect(manager.get_by_text("已排队补传 0 张结算单", exact=False)).to_be_visible()
    expect(screen.locator("tr[data-upload]", has_text=before["number"])).to_have_count(1)

    ok(shop.manager.post(f"{stack.url}/v1/payments/{uploaded['payment_id']}/refunds", json={
        "amount_fen": uploaded["due_fen"], "reason": "客户退单"}), 201)  # at the till, after the upload
    go_to(manager, "board")
    go_to(manager, "health_records")
    expect(good.locator(".upload-notice")).to_contain_text("上传后已退款：省级平台不提供更正或作废接口")
    assert_all_chinese(manager, shop.login["store_manager"], COMPANY)
    console.shot(manager, "health-records")

    screen.locator("[name=status]").select_option("failed")
    expect(screen.locator("tr[data-upload]", has_text=uploaded["number"])).to_have_count(0)
    expect(screen.locator("tr[data-upload]", has_text=failed["number"])).to_have_count(1)
