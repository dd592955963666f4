"""The company account's monthly statement as a PDF (挂账对账单): its printed totals are the sums of
the lines printed above them and the closing balance is opening + charges − payments; through the
gateway (fake RPC) it carries the company, the month, each car and invoice with its store, the
payments, and the balance in capital numerals; roles are those of the JSON statement."""
from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

from gateway.documents.account_statement import account_statement_sheet, figures
from gateway.documents.layout import StoreHeader, render
from tests.support.printed import MONEY, fen
from tests.unit.test_crm_gateway_routes import login_as

COMPANY, TAX = "广州顺达物流有限公司", "91440101MA5CXXXX1X"


def statement(store_id: str = "s1") -> dict:
    charge = {"kind": "charge", "store_id": store_id, "reference": None, "open_fen": 0, "due_on": "2027-01-30"}
    lines = [{**charge, "date": "2026-12-03", "id": "c1", "plate": "粤A12345", "invoice_id": "i1",
              "invoice_number": "INV20261203-0001", "amount_fen": 123_450, "balance_fen": 173_450},
             {"kind": "payment", "date": "2026-12-10", "id": "p1", "store_id": None, "plate": None, "invoice_id": None,
              "invoice_number": None, "reference": "对公转账 0001", "amount_fen": -50_000, "open_fen": None,
              "due_on": None, "balance_fen": 123_450},
             {**charge, "date": "2026-12-18", "id": "c2", "plate": "粤A67890", "invoice_id": "i2",
              "invoice_number": "INV20261218-0002", "amount_fen": 8_800, "balance_fen": 132_250}]
    return {"account_id": "a1", "name": COMPANY, "tax_number": TAX, "month": "2026-12", "from": "2026-12-01",
            "to": "2026-12-31", "opening_balance_fen": 50_000, "lines": lines, "closing_balance_fen": 132_250,
            "charged_fen": 132_250, "paid_fen": 50_000, "due_on": "2027-01-30", "credit_limit_fen": 500_000,
            "balance_fen": 132_250}


ACCOUNT = {"id": "a1", "name": COMPANY, "tax_number": TAX, "contact_name": "陈主管", "contact_phone": "13912345678",
           "address": None, "payment_terms_days": 30, "credit_limit_fen": 500_000}


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_the_closing_balance_is_opening_plus_charges_less_payments_as_printed():
    sums = figures(statement())
    assert (sums.opening_fen, sums.charged_fen, sums.paid_fen) == (50_000, 132_250, 50_000)
    assert sums.closing_fen == statement()["closing_balance_fen"] == 50_000 + 132_250 - 50_000
    sheet = account_statement_sheet(statement(), ACCOUNT, StoreHeader("广州天河店"), {"s1": "广州天河店"})
    charges, payments = sheet.tables
    printed = dict(sheet.totals)
    assert fen(printed["本月挂账"]) == sum(fen(row[-1]) for row in charges.rows)
    assert -fen(printed["本月收款"]) == sum(fen(row[-1]) for row in payments.rows)
    assert sum(fen(value) for _label, value in sheet.totals[:-1]) == fen(printed["期末余额"]) == sheet.amount_fen


def test_a_month_without_movements_carries_the_opening_balance():
    quiet = {**statement(), "lines": [], "closing_balance_fen": 50_000}
    sheet = account_statement_sheet(quiet, ACCOUNT, StoreHeader("广州天河店"), {})
    assert [value for _label, value in sheet.totals] == ["¥500.00", "¥0.00", "¥0.00", "¥500.00"]
    assert "（无）" in text_of(render(sheet))


def test_the_statement_pdf_lists_each_car_invoice_store_and_payment(app):
    store = app.simulate_post("/v1/stores", json={"code": "ST1", "name": "广州天河店"}).json["id"]
    app.deps.rpc.behaviour.update({("finance", "get_company_account"): {**ACCOUNT, "store_ids": [store]},
                                   ("finance", "company_account_statement"): statement(store)})
    reply = app.simulate_get("/v1/company-accounts/a1/statements/2026-12.pdf")
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == "application/pdf" and reply.headers["Cache-Control"] == "no-store"
    assert f"statement-{TAX}-2026-12.pdf" in reply.headers["Content-Disposition"]
    text = text_of(reply.content)
    for expected in ("挂账对账单", COMPANY, TAX, "2026-12", "陈主管", "粤A12345", "粤A67890", "INV20261203-0001",
                     "INV20261218-0002", "广州天河店", "对公转账 0001", "¥1,234.50", "¥88.00", "¥500.00",
                     "¥1,322.50", "-¥500.00", "壹仟叁佰贰拾贰元伍角整", "月结 30 天", "2027-01-30"):
        assert expected in text, expected
    amounts = [fen(found) for found in MONEY.findall(text)]
    assert 132_250 in amounts and -50_000 in amounts
    statement_call = [kwargs for _s, method, _c, kwargs in app.deps.rpc.calls if method == "company_account_statement"]
    assert statement_call == [{"account_id": "a1", "query": {"month": "2026-12"}}]


def test_the_statement_pdf_is_for_those_who_read_the_statement(app):
    store = app.simulate_post("/v1/stores", json={"code": "ST2", "name": "广州天河店"}).json["id"]
    app.deps.rpc.behaviour.update({("finance", "get_company_account"): {**ACCOUNT, "store_ids": [store]},
                                   ("finance", "company_account_statement"): statement(store)})
    assert app.simulate_get("/v1/company-accounts/a1/statements/2026-12.pdf",
                            headers=login_as(app, "cashier", [store])).status_code == 200
    app.deps.rpc.calls.clear()
    technician = login_as(app, "technician", [store])
    assert app.simulate_get("/v1/company-accounts/a1/statements/2026-12.pdf", headers=technician).status_code == 403
    assert app.deps.rpc.calls == []
    assert app.simulate_get("/v1/company-accounts/a1/statements/2026-13.pdf").status_code == 404
    paths = app.simulate_get("/openapi.json").json["paths"]
    responses = paths["/v1/company-accounts/{account_id}/statements/{month}.pdf"]["get"]["responses"]
    assert responses["200"]["content"] == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
