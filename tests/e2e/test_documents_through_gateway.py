"""Printed documents over HTTP against the real stack: one car's quote, contract, work-order sheet
and settlement statement, each a PDF whose text carries the plate, the totals in figures and in
capital numerals; each adds up as printed in a tax-inclusive and a tax-exclusive store (with
discounts, a fee, a declined line, a part used short); a long work order over several pages with
its table header repeated; the roles and store scope of the JSON reads, and 404 for unknown ids;
a car is delivered once its invoice is paid."""
from __future__ import annotations

import uuid
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from gateway.documents.numerals import capital_amount
from services.common.money import format_yuan as yuan
from tests.support import data
from tests.support.one_car import Store, eventually, ok, receive
from tests.support.printed import DECLINED, LINES, ONE_AMOUNT, PRICED, check_adds_up

pytestmark = pytest.mark.e2e


def pdf_pages(reply) -> list[str]:
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == "application/pdf"
    assert reply.headers["Content-Disposition"].startswith("inline")
    return [page.extract_text() for page in PdfReader(BytesIO(reply.content)).pages]


@pytest.fixture(scope="module")
def shop(stack, admin):
    return Store(stack, admin)


@pytest.fixture(scope="module")
def part(stack, admin, shop):
    sku = f"PAD-{uuid.uuid4().hex[:6].upper()}"
    ok(admin.post(f"{stack.url}/v1/parts", json={"sku": sku, "name": "前刹车片", "category": "brakes",
                                                 "unit": "set", "list_price_fen": 36800}))
    receive(stack, admin, shop, sku)
    return sku


@pytest.fixture(scope="module")
def car(stack, shop):
    advisor = shop.advisor
    customer = ok(advisor.post(f"{stack.url}/v1/customers", json={"name": "陈静", "mobile": data.mobile()}))
    vehicle = ok(advisor.post(f"{stack.url}/v1/customers/{customer['id']}/vehicles", json={
        "plate": data.plate(), "vin": data.vin(), "make": "本田", "model": "雅阁", "mileage_km": 30000}))
    return customer, vehicle


def contracted(stack, shop, car, lines: list[dict]) -> tuple[dict, dict, dict]:
    """A quote with `lines`, approved and signed: (quote, order, work order)."""
    url, advisor = stack.url, shop.advisor
    customer, vehicle = car
    visit = ok(advisor.post(f"{url}/v1/visits", json={
        "store_id": shop.id, "customer_id": customer["id"], "vehicle_id": vehicle["id"], "mileage_km": 31500,
        "needs": ["maintenance"]}))
    q = f"{url}/v1/quotes/{ok(advisor.post(f'{url}/v1/quotes', json={'visit_id': visit['id']}))['id']}"
    for line in lines:
        quote = ok(advisor.post(f"{q}/lines", json=line))
    ok(advisor.post(f"{q}/present"))
    quote = ok(advisor.post(f"{q}/decision", json={"approved_line_ids": [line["id"] for line in quote["lines"]],
                                                   "declined_line_ids": []}))
    order = ok(advisor.post(f"{q}/contract", json={"payment_method": "wechat", "deposit_fen": 10000,
                                                   "deposit_reference": "WX-DEP-9", "signed_by": "陈静"}), 201)
    [work_order] = eventually(
        lambda: ok(advisor.get(f"{url}/v1/work-orders", params={"order_id": order["id"]}))["items"], bool,
        "work order opened from the order")
    return quote, order, work_order


def completed_invoice(stack, shop, work_order: dict, order: dict, parts_used: list[dict] | None = None) -> dict:
    """The work order worked, passed and completed (with `parts_used`, else as ordered); its invoice."""
    url, advisor = stack.url, shop.advisor
    (tech, tech_session) = shop.techs[0]
    w = f"{url}/v1/work-orders/{work_order['id']}"
    eventually(lambda: ok(advisor.get(w)), lambda x: not x["waiting_parts"], "parts ready")
    [job] = work_order["jobs"]
    ok(advisor.post(f"{w}/dispatch", json={"jobs": [{"job_id": job["id"], "technicians": [
        {"technician_id": tech["id"], "split_pct": 100}]}]}))
    ok(tech_session.post(f"{w}/jobs/{job['id']}/clock-in", json={}), 201)
    ok(tech_session.post(f"{w}/jobs/{job['id']}/clock-out", json={"job_finished": True}))
    ok(tech_session.post(f"{w}/ready-for-qc", json={}))
    ok(shop.manager.post(f"{w}/qc", json={"passed": True}))
    ok(advisor.post(f"{w}/complete", json={"labour": [
        {"job_id": job["id"], "technician_id": tech["id"], "hours": 1}],
        **({"parts_used": parts_used} if parts_used is not None else {})}))
    invoices = eventually(lambda: ok(shop.cashier.get(f"{url}/v1/invoices", params={"order_id": order["id"]}))["items"],
                          bool, "invoice issued")
    return invoices[0]


def test_one_cars_documents_print_with_plate_totals_and_capital_amounts(stack, shop, part, car):
    url, advisor = stack.url, shop.advisor
    plate = car[1]["plate"]
    quote, order, work_order = contracted(stack, shop, car, [
        {"kind": "labour", "description": "更换前刹车片", "hours": 1, "skill": "brakes"},
        {"kind": "part", "sku": part, "qty": 1},
        {"kind": "fee", "description": "环保处理费", "unit_price_fen": 1000}])
    total = order["totals"]["total_fen"]
    assert quote["totals"]["total_fen"] == total
    invoice = completed_invoice(stack, shop, work_order, order)
    printouts = {f"{url}/v1/quotes/{quote['id']}/pdf": ("报价单", quote["number"]),
                 f"{url}/v1/orders/{order['id']}/contract.pdf": ("维修合同", order["number"]),
                 f"{url}/v1/work-orders/{work_order['id']}/pdf": ("施工单", order["number"]),
                 f"{url}/v1/invoices/{invoice['id']}/pdf": ("结算单", invoice["number"])}
    for path, (title, number) in printouts.items():
        [text] = pdf_pages(advisor.get(path))
        for expected in (title, number, "广州天河店", plate, car[1]["vin"], "陈静", "前刹车片", yuan(total),
                         capital_amount(total), "第 1 页 / 共 1 页"):
            assert expected in text, (path, expected, text)
    [contract] = pdf_pages(advisor.get(f"{url}/v1/orders/{order['id']}/contract.pdf"))
    assert yuan(10000) in contract and yuan(total - 10000) in contract  # deposit and balance
    [statement] = pdf_pages(shop.cashier.get(f"{url}/v1/invoices/{invoice['id']}/pdf"))
    assert "WX-DEP-9" in statement and yuan(invoice["due_fen"]) in statement

    # the technician prints the work-order sheet (the customer's phone masked), not the settlement statement
    technician = shop.techs[0][1]
    mobile = car[0]["mobile"]
    assert mobile in pdf_pages(advisor.get(f"{url}/v1/work-orders/{work_order['id']}/pdf"))[0]
    [sheet] = pdf_pages(technician.get(f"{url}/v1/work-orders/{work_order['id']}/pdf"))
    assert mobile not in sheet and f"{mobile[:3]}****{mobile[-4:]}" in sheet
    assert technician.get(f"{url}/v1/invoices/{invoice['id']}/pdf").status_code == 403
    # another store's staff see none of them; unknown ids are 404
    other = ok(stack.login().post(f"{url}/v1/stores", json={"code": f"E2E-{uuid.uuid4().hex[:6]}",
                                                            "name": "深圳南山店"}))
    outsider_name = f"outsider-{uuid.uuid4().hex[:6]}"
    ok(stack.login().post(f"{url}/v1/users", json={"username": outsider_name, "password": "Secret-pass-1",
                                                   "role": "store_manager", "store_ids": [other["id"]]}))
    outsider = stack.login(outsider_name, "Secret-pass-1")
    for path in printouts:
        reply = outsider.get(path)
        assert reply.status_code == 403 and reply.json()["error"]["code"] == "store_out_of_scope", (path, reply.text)
    for path in ("quotes/nope/pdf", "orders/nope/contract.pdf", "work-orders/nope/pdf", "invoices/nope/pdf"):
        assert advisor.get(f"{url}/v1/{path}").status_code == 404, path


def test_a_long_work_order_prints_over_pages_with_the_header_repeated(stack, shop, part, car):
    lines = [{"kind": "labour", "description": f"检查项目 {n:02d}", "hours": 0.2, "skill": "maintenance"}
             for n in range(1, 31)]
    lines += [{"kind": "part", "sku": part, "qty": 1} for _ in range(6)]
    _, order, work_order = contracted(stack, shop, car, lines)
    assert len(work_order["jobs"]) == 30
    pages = pdf_pages(shop.techs[0][1].get(f"{stack.url}/v1/work-orders/{work_order['id']}/pdf"))
    assert len(pages) >= 2
    assert car[1]["plate"] in pages[0]
    for number, page in enumerate(pages, 1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in page and order["number"] in page and "施工单" in page
    assert "作业项目" in pages[1] and "技师（分成）" in pages[1]  # the jobs table's header row, repeated
    assert "检查项目 30" in "".join(pages)
    assert capital_amount(order["totals"]["total_fen"]) in pages[-1]


@pytest.mark.parametrize("tax_inclusive", [True, False], ids=["tax-inclusive", "tax-exclusive"])
def test_every_document_adds_up_as_printed_and_declined_work_has_one_price(stack, shop, part, car, tax_inclusive):
    url, advisor = stack.url, shop.advisor
    ok(shop.manager.put(f"{url}/v1/sales-settings/{shop.id}", json={"tax_inclusive": tax_inclusive}))
    try:
        customer, vehicle = car
        visit = ok(advisor.post(f"{url}/v1/visits", json={
            "store_id": shop.id, "customer_id": customer["id"], "vehicle_id": vehicle["id"], "needs": ["repair"]}))
        q = f"{url}/v1/quotes/{ok(advisor.post(f'{url}/v1/quotes', json={'visit_id': visit['id']}))['id']}"
        labour = ok(advisor.post(f"{q}/lines", json={"kind": "labour", "description": "更换前刹车片", "hours": 1.5,
                                                     "skill": "brakes"}))["lines"][-1]
        ok(advisor.post(f"{q}/lines", json={"kind": "part", "sku": part, "qty": 2}))
        ok(advisor.post(f"{q}/lines", json={"kind": "fee", "description": "环保处理费", "unit_price_fen": 1033}))
        declined = ok(advisor.post(f"{q}/lines", json={"kind": "labour", "description": "四轮定位", "hours": 1,
                                                       "skill": "brakes"}))["lines"][-1]
        ok(advisor.post(f"{q}/discount", json={"line_id": labour["id"], "kind": "percent", "value": 3,
                                               "reason": "会员"}))
        quote = ok(advisor.post(f"{q}/discount", json={"kind": "percent", "value": 5, "reason": "活动"}))
        assert quote["approval_status"] == "not_required", quote["approval_reasons"]
        ok(advisor.post(f"{q}/present"))
        quote = ok(advisor.post(f"{q}/decision", json={
            "approved_line_ids": [line["id"] for line in quote["lines"] if line["id"] != declined["id"]],
            "declined_line_ids": [declined["id"]]}))
        order = ok(advisor.post(f"{q}/contract", json={"payment_method": "wechat", "signed_by": "陈静"}), 201)
    finally:
        ok(shop.manager.put(f"{url}/v1/sales-settings/{shop.id}", json={"tax_inclusive": True}))
    assert order["tax_inclusive"] is tax_inclusive

    printed = check_adds_up(advisor.get(f"{q}/pdf").content, {"报价项目": LINES, DECLINED_TABLE: DECLINED},
                            ("报价项目",))
    assert printed.total("合计") == quote["totals"]["total_fen"]
    # declined work: once, apart, marked not done, at the price reception and the API show for it
    [shown] = printed.tables[DECLINED_TABLE]
    [record] = [d for d in ok(advisor.get(f"{url}/v1/declined-work", params={"customer_id": customer["id"]}))["items"]
                if d["quote_line_id"] == declined["id"]]
    quoted = next(line for line in quote["lines"] if line["id"] == declined["id"])
    assert shown["报价"] == record["total_fen"] == quoted["total_fen"]
    assert printed.text.count("四轮定位") == 1 and "未做（客户拒绝）" in printed.text

    printed = check_adds_up(advisor.get(f"{url}/v1/orders/{order['id']}/contract.pdf").content, {"维修项目": LINES},
                            ("维修项目",))
    assert printed.total("合计") == order["totals"]["total_fen"]

    [work_order] = eventually(
        lambda: ok(advisor.get(f"{url}/v1/work-orders", params={"order_id": order["id"]}))["items"], bool,
        "work order opened from the order")
    sheet_tables = {"施工项目": ONE_AMOUNT, "领用配件": ONE_AMOUNT, "其他费用": PRICED}
    printed = check_adds_up(advisor.get(f"{url}/v1/work-orders/{work_order['id']}/pdf").content, sheet_tables,
                            tuple(sheet_tables))
    assert printed.total("合计") == order["totals"]["total_fen"] and printed.tables["其他费用"]  # the fee line

    invoice = completed_invoice(stack, shop, work_order, order, parts_used=[{"sku": part, "qty": 1}])
    printed = check_adds_up(shop.cashier.get(f"{url}/v1/invoices/{invoice['id']}/pdf").content, {"结算项目": LINES},
                            ("结算项目",))
    assert printed.total("合计") == invoice["total_fen"] < order["totals"]["total_fen"]  # one of two parts used
    assert sorted(row["qty"] for row in printed.tables["结算项目"]) == [1, 1, Decimal("1.5")]  # 1 part of 2 used

    # delivery waits for the money: refused while due, then paid at the till and delivered
    w = f"{url}/v1/work-orders/{work_order['id']}"
    handover = {"mileage_out_km": 31600, "accepted_by": "陈静", "satisfied": True}
    refused = advisor.post(f"{w}/deliver", json=handover)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "delivery_balance_open"
    ok(shop.cashier.post(f"{url}/v1/invoices/{invoice['id']}/payments", json={
        "method": "cash", "amount_fen": invoice["due_fen"]}, headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    assert ok(advisor.post(f"{w}/deliver", json=handover))["status"] == "delivered"


DECLINED_TABLE = "客户不做的项目（不施工、不计入合计）"
