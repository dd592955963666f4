"""The printed documents through the gateway with a fake RPC client: each PDF parses and carries
the store header, the car, the lines, the totals in figures and in capital numerals, its number
on every page; a long work order runs over pages with the table header repeated; roles and store
scope are those of the JSON reads; the related data is fetched once, not per line."""
from __future__ import annotations

import threading
from io import BytesIO

import pytest
from pypdf import PdfReader

from gateway.documents.layout import qr_code
from tests.unit.test_crm_gateway_routes import login_as, new_store

PLATE, VIN = "粤B12345", "LSVAU2180N2183294"


def line(n: int, kind: str = "labour", total: int = 12_000, **extra) -> dict:
    return {"id": f"l{n}", "position": n, "kind": kind, "description": f"更换机油机滤 {n}",
            "hours": 1.5 if kind == "labour" else None, "qty": 1.5 if kind == "labour" else 4,
            "sku": "OIL-5W30" if kind == "part" else None, "unit_price_fen": 8_000, "discount_fen": 500,
            "tax_fen": 1_000, "total_fen": total, "gross_fen": total + 500, "decision": "approved", **extra}


TOTALS = {"subtotal_fen": 124_000, "discount_fen": 1_000, "tax_fen": 14_200, "total_excl_tax_fen": 109_250,
          "total_fen": 123_450, "currency": "CNY"}


def documents(store_id: str, jobs: int = 2) -> dict:
    common = {"store_id": store_id, "customer_id": "c1", "vehicle_id": "v1", "visit_id": "vi1"}
    lines = [line(1), line(2, "part", 100_450), line(3, "fee", 11_000)]  # ¥1,234.50 in all
    order = {**common, "id": "o1", "number": "SO20261126-0001", "totals": TOTALS, "lines": lines,
             "tax_rate": "0.13", "tax_inclusive": True, "payment_method": "wechat", "deposit_fen": 10_000,
             "signed_by": "张伟", "signed_at": "2026-11-26T02:00:00Z", "terms": "旧件客户带走"}
    return {
        ("sales", "get_quote"): {**common, "id": "q1", "number": "Q20261126-0001", "version": 1, "totals": TOTALS,
                                 "lines": lines, "tax_rate": "0.13", "tax_inclusive": True,
                                 "created_at": "2026-11-26T01:00:00Z", "valid_until": "2026-12-03T01:00:00Z"},
        ("sales", "get_order"): order,
        ("workshop", "get_work_order"): {
            **common, "id": "w1", "order_id": "o1", "order_number": "SO20261126-0001",
            "opened_at": "2026-11-26T02:05:00Z",
            "jobs": [{"id": f"j{n}", "line_id": "l1" if n == 1 else None, "description": f"作业 {n} 检查调整",
                      "skill": "maintenance", "billed_hours": 0.5, "status": "assigned",
                      "technicians": [{"name": "李师傅", "split_pct": 60}, {"name": "王师傅", "split_pct": 40}]}
                     for n in range(1, jobs + 1)],
            "parts": [{"line_id": "l2", "sku": "OIL-5W30", "description": "全合成机油", "qty": 4, "qty_used": 4}]},
        ("finance", "get_invoice"): {
            **common, "visit_id": None, "id": "i1", "number": "INV20261126-0001", "order_id": "o1",
            "order_number": "SO20261126-0001",
            "labour_fen": 12_000, "parts_fen": 96_000, "fees_fen": 1_000, "discount_fen": 1_000, "tax_fen": 14_200,
            "total_fen": 123_450, "deposit_fen": 10_000, "paid_fen": 10_000, "refunded_fen": 0, "due_fen": 113_450,
            "issued_at": "2026-11-26T08:00:00Z", "lines": lines,
            "payments": [{"kind": "deposit", "method": "wechat", "amount_fen": 10_000, "refunded_fen": 0,
                          "reference": "WX-DEP-1", "received_at": "2026-11-26T02:00:00Z"}]},
        ("crm", "get_customer"): {"id": "c1", "name": "张伟", "mobile": "139****5678"},
        ("crm", "get_vehicle"): {"id": "v1", "plate": PLATE, "vin": VIN, "make": "丰田", "model": "凯美瑞",
                                 "mileage_km": 42_000},
        ("sales", "get_visit"): {"id": "vi1", "mileage_km": 45_000, "needs": ["maintenance", "刹车异响"]},
        ("workshop", "findings_for_print"): {"items": []},
    }


@pytest.fixture
def shop(app):
    store = app.simulate_post("/v1/stores", json={"code": "PDF1", "name": "广州天河店", "address": "天河路 385 号",
                                                  "phone": "020-38885678"}).json["id"]
    app.deps.rpc.behaviour.update(documents(store))
    return store


def pages(reply) -> list[str]:
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == "application/pdf"
    return [page.extract_text() for page in PdfReader(BytesIO(reply.content)).pages]


PRINTOUTS = [("/v1/quotes/q1/pdf", "报价单", "Q20261126-0001"),
             ("/v1/orders/o1/contract.pdf", "维修合同", "SO20261126-0001"),
             ("/v1/work-orders/w1/pdf", "施工单", "SO20261126-0001"),
             ("/v1/invoices/i1/pdf", "结算单", "INV20261126-0001")]


def test_each_document_prints_its_store_car_lines_and_totals(app, shop):
    for path, title, number in PRINTOUTS:
        reply = app.simulate_get(path)
        assert reply.headers["Content-Disposition"].startswith("inline; filename=")
        assert reply.headers["Cache-Control"] == "no-store"
        assert number in reply.headers["Content-Disposition"]
        [text] = pages(reply)
        for expected in (title, number, "广州天河店", "天河路 385 号", "020-38885678", "张伟", PLATE, VIN,
                         "丰田 凯美瑞",
                         "¥1,234.50", "壹仟贰佰叁拾肆元伍角整", "第 1 页 / 共 1 页"):
            assert expected in text, (path, expected, text)
        mileage = "里程：\n42,000 km" if title == "结算单" else "进厂里程：\n45,000 km"  # the visit's, else the car's
        assert mileage in text, path


def test_the_documents_own_figures_are_printed(app, shop):
    [quote] = pages(app.simulate_get("/v1/quotes/q1/pdf"))
    assert "更换机油机滤 2（OIL-5W30）" in quote and "1.5 工时" in quote and "13%" in quote and "同意" in quote
    [contract] = pages(app.simulate_get("/v1/orders/o1/contract.pdf"))
    assert "旧件客户带走" in contract and "微信" in contract and "¥100.00" in contract and "¥1,134.50" in contract
    [invoice] = pages(app.simulate_get("/v1/invoices/i1/pdf"))
    assert "WX-DEP-1" in invoice and "定金" in invoice and "¥1,134.50" in invoice  # the balance due
    [sheet] = pages(app.simulate_get("/v1/work-orders/w1/pdf"))
    assert "李师傅60%、王师傅40%" in "".join(sheet.split()) and "全合成机油" in sheet and "刹车异响" in sheet
    assert "¥125.00" in sheet  # job 1's line on the contract, before its discount


def test_a_long_work_order_runs_over_pages_with_headers_repeated(app, shop):
    app.deps.rpc.behaviour.update({key: value for key, value in documents(shop, jobs=80).items()
                                   if key == ("workshop", "get_work_order")})
    text = pages(app.simulate_get("/v1/work-orders/w1/pdf"))
    assert len(text) >= 2
    for number, page in enumerate(text, 1):
        assert f"第 {number} 页 / 共 {len(text)} 页" in page
        assert "广州天河店" in page and "施工单" in page and "SO20261126-0001" in page
    assert "作业项目" in text[1] and "技师（分成）" in text[1]  # the table's header row, repeated
    assert "作业 80 检查调整" in "".join(text) and "壹仟贰佰叁拾肆元伍角整" in text[-1]


def test_related_data_is_fetched_at_once_and_once_whatever_the_number_of_lines(app, shop):
    app.deps.rpc.behaviour.update({key: value for key, value in documents(shop, jobs=80).items()
                                   if key == ("workshop", "get_work_order")})
    app.deps.rpc.calls.clear()
    together = threading.Barrier(5, timeout=10)  # breaks unless the five related reads are in flight together
    fake_call = app.deps.rpc.call

    def call(service, method, context=None, timeout=None, **kwargs):
        if method != "get_work_order":
            together.wait()
        return fake_call(service, method, context, timeout, **kwargs)

    app.deps.rpc.call = call
    pages(app.simulate_get("/v1/work-orders/w1/pdf"))
    called = sorted((service, method) for service, method, _, _ in app.deps.rpc.calls)
    assert called == [("crm", "get_customer"), ("crm", "get_vehicle"), ("sales", "get_order"),
                      ("sales", "get_visit"), ("workshop", "findings_for_print"), ("workshop", "get_work_order")]


def test_roles_are_those_of_the_json_reads(app, shop):
    technician = login_as(app, "technician", [shop])
    assert pages(app.simulate_get("/v1/work-orders/w1/pdf", headers=technician))
    app.deps.rpc.calls.clear()
    assert app.simulate_get("/v1/invoices/i1/pdf", headers=technician).status_code == 403
    assert app.deps.rpc.calls == []
    cashier = login_as(app, "cashier", [shop])
    assert pages(app.simulate_get("/v1/invoices/i1/pdf", headers=cashier))
    assert app.simulate_get("/v1/quotes/q1/pdf", headers={"Authorization": ""}).status_code == 401


def test_another_stores_document_is_refused_before_its_related_data_is_read(app, shop):
    elsewhere = new_store(app, "PDF2")
    advisor = login_as(app, "service_advisor", [elsewhere])
    app.deps.rpc.calls.clear()
    for path in ("/v1/quotes/q1/pdf", "/v1/orders/o1/contract.pdf", "/v1/work-orders/w1/pdf",
                 "/v1/invoices/i1/pdf"):
        reply = app.simulate_get(path, headers=advisor)
        assert reply.status_code == 403 and reply.json["error"]["code"] == "store_out_of_scope", path
    assert {method for _, method, _, _ in app.deps.rpc.calls} == {"get_quote", "get_order", "get_work_order",
                                                                  "get_invoice"}


def test_the_pdf_responses_are_in_the_openapi_document(app):
    paths = app.simulate_get("/openapi.json").json["paths"]
    for path in ("/v1/quotes/{quote_id}/pdf", "/v1/orders/{order_id}/contract.pdf",
                 "/v1/work-orders/{work_order_id}/pdf", "/v1/invoices/{invoice_id}/pdf"):
        responses = paths[path]["get"]["responses"]
        assert responses["200"]["content"] == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
        assert {"401", "403", "404"} <= set(responses)


def test_the_qr_code_holds_the_document_id():
    [widget] = qr_code("01JDOCUMENTID").contents
    assert widget.value == "01JDOCUMENTID"
