"""Repair health records (汽车维修电子健康档案) in the console: the manager enters the store's 许可证号 and
registered name on 健康档案上传, two repairs are settled at the till (one car with its VIN, one without), and
the manager sees the first 已上传 and the second 上传失败 with its reason in words (车辆缺少车架号（VIN）), the
settlement numbers and plates, not ids; the screen is Chinese throughout."""
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
    ok(shop.cashier.post(f"{url}/v1/invoices/{invoice['id']}/payments", json={
        "method": "cash", "amount_fen": invoice["due_fen"]}))
    return invoice


def test_manager_sees_an_uploaded_record_and_a_failed_one_with_its_reason(console, stack, shop, part):
    manager = console.open(shop.login["store_manager"])
    go_to(manager, "health_records")
    screen = manager.locator("[data-screen=health_records]")
    settings = screen.locator("#health-record-settings-form")
    settings.locator("[name=repair_licence_no]").fill(LICENCE)
    settings.locator("[name=repair_company_name]").fill(COMPANY)
    settings.locator("button[type=submit]").click()
    expect(manager.get_by_text("已保存", exact=True)).to_be_visible()
    assert ok(shop.manager.get(f"{stack.url}/v1/stores/{shop.id}/finance-settings"))["repair_licence_no"] == LICENCE

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
    assert_all_chinese(manager, shop.login["store_manager"], COMPANY)
    console.shot(manager, "health-records")

    screen.locator("[name=status]").select_option("failed")
    expect(screen.locator("tr[data-upload]", has_text=uploaded["number"])).to_have_count(0)
    expect(screen.locator("tr[data-upload]", has_text=failed["number"])).to_have_count(1)
