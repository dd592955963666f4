"""The insurer's monthly statement as a PDF (保险理赔对账单): each month's total printed is the sum of its
table's 金额 column, and 期末余额 = 上期结余 + 本月报案 − 本月到账 − 本月核销 − 本月作废; through the gateway
(fake RPC) it carries the insurer, the month, each claim with its store by name, plate and invoice, the
remittances, write-offs and voids with their reasons, and the balance in capital numerals; roles are those of
the JSON monthly statement; the month's form is checked before anything is asked."""
from __future__ import annotations

from gateway.documents.insurer_statement import figures, insurer_statement_sheet
from gateway.documents.layout import StoreHeader
from tests.support.printed import MONEY, fen
from tests.unit.test_account_statement_pdf import text_of
from tests.unit.test_crm_gateway_routes import login_as

PICC = "中国人保财险广州分公司"
INSURER = {"id": "n1", "name": PICC, "tax_number": "91440101MA5CXXXX1X", "contact_name": "李定损",
           "contact_phone": "13800138000", "status": "active"}


def line(kind: str, day: str, number: str, amount: int, store_id: str = "s1", **more) -> dict:
    return {"kind": kind, "date": day, "claim_id": f"c-{number}", "claim_number": number, "store_id": store_id,
            "plate": "粤A12345", "invoice_number": f"INV-{number}", "reference": None, "reason": None,
            "amount_fen": amount, **more}


def statement(store_id: str = "s1") -> dict:
    lines = [line("opened", "2026-12-03", "RDAA0001", 400_000, store_id),
             line("opened", "2026-12-09", "RDAA0002", 120_050, store_id),
             line("opened", "2026-12-11", "RDAA0003", 88_800, store_id),
             line("remitted", "2026-12-20", "RDAA0001", 395_000, store_id, reference="PICC-20261220"),
             line("remitted", "2026-12-20", "RDAA0000", 60_000, store_id, reference="PICC-20261220"),
             line("written_off", "2026-12-21", "RDAA0001", 5_000, store_id, reason="定损核减"),
             line("voided", "2026-12-12", "RDAA0003", 88_800, store_id, reason="报案号有误")]
    return {"insurer_id": "n1", "name": PICC, "month": "2026-12", "from": "2026-12-01", "to": "2026-12-31",
            "opening_balance_fen": 60_000, "lines": lines, "opened_fen": 608_850, "remitted_fen": 455_000,
            "written_off_fen": 5_000, "voided_fen": 88_800, "closing_balance_fen": 120_050}


def test_the_closing_balance_is_opening_plus_opened_less_remitted_written_off_and_voided_as_printed():
    sums = figures(statement())
    assert sums["closing"] == statement()["closing_balance_fen"] == 60_000 + 608_850 - 455_000 - 5_000 - 88_800
    sheet = insurer_statement_sheet(statement(), INSURER, StoreHeader("广州天河店"), {"s1": "广州天河店"})
    printed = dict(sheet.totals)
    for table, label in zip(sheet.tables, ("本月报案", "本月到账", "本月核销", "本月作废"), strict=True):
        assert fen(printed[label]) == sum(fen(row[-1]) for row in table.rows), label
    assert fen(printed["期末余额"]) == sheet.amount_fen == fen(printed["上期结余"]) + fen(printed["本月报案"]) - \
        fen(printed["本月到账"]) - fen(printed["本月核销"]) - fen(printed["本月作废"])


def test_the_insurers_statement_pdf_lists_each_claim_remittance_write_off_and_void(app):
    store = app.simulate_post("/v1/stores", json={"code": "IS1", "name": "广州天河店"}).json["id"]
    app.deps.rpc.behaviour.update({("finance", "get_insurer"): {**INSURER, "store_ids": [store]},
                                   ("finance", "insurer_month_statement"): statement(store)})
    reply = app.simulate_get("/v1/insurers/n1/statements/2026-12.pdf")
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == "application/pdf" and reply.headers["Cache-Control"] == "no-store"
    text = text_of(reply.content)
    for expected in ("保险理赔对账单", PICC, "李定损", "2026-12", "广州天河店", "RDAA0001", "RDAA0003", "粤A12345",
                     "INV-RDAA0002", "PICC-20261220", "定损核减", "报案号有误", "¥600.00", "¥6,088.50",
                     "¥4,550.00", "¥50.00", "¥888.00", "¥1,200.50", "壹仟贰佰元伍角整"):
        assert expected in text, expected
    assert store not in text  # the store by its name, never its id
    assert 120_050 in [fen(found) for found in MONEY.findall(text)]
    calls = [kwargs for _s, method, _c, kwargs in app.deps.rpc.calls if method == "insurer_month_statement"]
    assert calls == [{"insurer_id": "n1", "query": {"month": "2026-12"}}]


def test_the_insurers_statement_pdf_is_for_those_who_read_the_monthly_statement(app):
    store = app.simulate_post("/v1/stores", json={"code": "IS2", "name": "广州天河店"}).json["id"]
    app.deps.rpc.behaviour.update({("finance", "get_insurer"): {**INSURER, "store_ids": [store]},
                                   ("finance", "insurer_month_statement"): statement(store)})
    assert app.simulate_get("/v1/insurers/n1/statements/2026-12.pdf",
                            headers=login_as(app, "cashier", [store])).status_code == 200
    app.deps.rpc.calls.clear()
    assert app.simulate_get("/v1/insurers/n1/statements/2026-12.pdf",
                            headers=login_as(app, "technician", [store])).status_code == 403
    assert app.deps.rpc.calls == []
    assert app.simulate_get("/v1/insurers/n1/statements/2026-13.pdf").status_code == 404
    paths = app.simulate_get("/openapi.json").json["paths"]
    assert set(paths["/v1/insurers/{insurer_id}/statements/{month}.pdf"]["get"]["responses"]["200"]["content"]) == {
        "application/pdf"}
    assert "post" in paths["/v1/insurance-claims/{claim_id}/void"]
