"""Every printed document adds up exactly as printed (rows → 小计 → 优惠 → 税额 → 合计, the pricing
mode stated), in a tax-inclusive and a tax-exclusive store, with line, package and whole-quote
discounts, a fee, a declined line and a part billed at less than contracted: the documents are
built from lines priced by sales' own rule and billed by finance's, rendered, and read back."""
from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.documents.amounts import line_amounts, totals_of, totals_rows
from gateway.documents.layout import StoreHeader, render
from gateway.documents.sheets import Parties, contract_sheet, invoice_sheet, quote_sheet, work_order_sheet
from services.finance.domain.invoices import bill_lines
from services.sales.domain.pricing import AMOUNT, PERCENT, Discount, LineInput, price_quote
from tests.support.printed import DECLINED, LINES, ONE_AMOUNT, PRICED, check_adds_up

PARTIES = Parties(StoreHeader("广州天河店", "天河路 385 号", "020-12345678"), "Asia/Shanghai",
                  {"name": "张伟", "mobile": "139****5678"}, {"plate": "粤B12345", "make": "丰田", "model": "凯美瑞"})
# (id, kind, description, qty, unit price, line discount, package discount, decision)
LINES_QUOTED = [
    ("l1", "labour", "更换机油机滤", "1.5", 12_000, Discount(PERCENT, Decimal(5)), 0, "approved"),
    ("l2", "part", "全合成机油 5W-30", "4", 6_833, None, 1_000, "approved"),
    ("l3", "fee", "废机油处理费", "1", 1_000, None, 0, "approved"),
    ("l4", "labour", "四轮定位", "1", 12_000, None, 0, "declined"),
    ("l5", "part", "机油滤清器", "1", 6_800, Discount(AMOUNT, Decimal(317)), 0, "approved"),
]


def quote(tax_inclusive: bool) -> dict:
    """A quote as sales prices it: 10% off the whole quote on top of the lines' own discounts."""
    price = price_quote([LineInput(key, Decimal(qty), unit, discount, package, included=decision != "declined")
                         for key, _k, _d, qty, unit, discount, package, decision in LINES_QUOTED],
                        tax_rate=Decimal("0.13"), tax_inclusive=tax_inclusive,
                        quote_discount=Discount(PERCENT, Decimal(10)))
    lines = [{"id": key, "kind": kind, "description": what, "qty": qty, "hours": qty if kind == "labour" else None,
              "sku": "OIL-5W30" if key == "l2" else None, "unit_price_fen": unit, "decision": decision,
              "discount_fen": price.lines[key].discount_fen, "tax_fen": price.lines[key].tax_fen,
              "total_fen": price.lines[key].total_fen, "tax_rate": "0.13"}
             for key, kind, what, qty, unit, _discount, _package, decision in LINES_QUOTED]
    return {"id": "q1", "number": "Q20261206-0001", "tax_rate": "0.13", "tax_inclusive": tax_inclusive,
            "lines": lines, "totals": {"total_fen": price.total_fen, "subtotal_fen": price.subtotal_fen,
                                       "discount_fen": price.discount_fen, "tax_fen": price.tax_fen,
                                       "total_excl_tax_fen": price.total_excl_tax_fen}}


def order(tax_inclusive: bool) -> dict:
    contracted = quote(tax_inclusive)
    lines = [line for line in contracted["lines"] if line["decision"] == "approved"]
    return {**contracted, "id": "o1", "number": "SO20261206-0001", "lines": lines, "deposit_fen": 10_000}


def work_order() -> dict:
    """Jobs and parts carry their contract lines; the fee has neither (it is on no job)."""
    return {"id": "w1", "order_number": "SO20261206-0001",
            "jobs": [{"description": "更换机油机滤", "line_id": "l1", "billed_hours": "1.5", "technicians": []},
                     {"description": "复查", "line_id": "l1", "billed_hours": "0", "technicians": []}],
            "parts": [{"sku": "OIL-5W30", "description": "全合成机油", "qty": "4", "line_id": "l2"},
                      {"sku": "FILTER", "description": "机油滤清器", "qty": "1", "line_id": "l5"}]}


def invoice(tax_inclusive: bool) -> dict:
    """Billed by finance: 3 L of the 4 contracted, the rest as contracted."""
    contracted = [{**line, "line_id": line["id"]} for line in order(tax_inclusive)["lines"]]
    billed, _ = bill_lines(contracted, [{"line_id": "l2", "sku": "OIL-5W30", "qty": "3"},
                                        {"line_id": "l5", "sku": "FILTER", "qty": "1"}])
    total = sum(line["total_fen"] for line in billed)
    return {"id": "i1", "number": "INV20261206-0001", "lines": billed, "payments": [], "paid_fen": 10_000,
            "refunded_fen": 0, "due_fen": total - 10_000}


QUOTE_TABLES = {"报价项目": LINES, "客户不做的项目（不施工、不计入合计）": DECLINED}
SHEET_TABLES = {"施工项目": ONE_AMOUNT, "领用配件": ONE_AMOUNT, "其他费用": PRICED}


@pytest.mark.parametrize("tax_inclusive", [True, False], ids=["tax-inclusive", "tax-exclusive"])
def test_every_document_adds_up_as_printed(tax_inclusive):
    printed = check_adds_up(render(quote_sheet(quote(tax_inclusive), PARTIES)), QUOTE_TABLES, ("报价项目",))
    assert printed.total("合计") == quote(tax_inclusive)["totals"]["total_fen"]
    assert printed.total("小计") == quote(tax_inclusive)["totals"]["subtotal_fen"]  # sales leaves the declined out too

    printed = check_adds_up(render(contract_sheet(order(tax_inclusive), PARTIES)), {"维修项目": LINES}, ("维修项目",))
    assert printed.total("合计") == order(tax_inclusive)["totals"]["total_fen"]

    printed = check_adds_up(render(work_order_sheet(work_order(), order(tax_inclusive), PARTIES)), SHEET_TABLES,
                            tuple(SHEET_TABLES))
    assert [row["金额"] for row in printed.tables["其他费用"]] == [1_000]  # the fee line, on no job
    assert len(printed.tables["施工项目"]) == 1  # the second job on the same line carries no amount again
    assert printed.total("合计") == order(tax_inclusive)["totals"]["total_fen"]

    billed = invoice(tax_inclusive)
    printed = check_adds_up(render(invoice_sheet(billed, PARTIES, tax_inclusive)), {"结算项目": LINES}, ("结算项目",))
    assert printed.total("合计") == sum(line["total_fen"] for line in billed["lines"])
    assert [row["qty"] for row in printed.tables["结算项目"]][1] == 3  # the part billed as used


@pytest.mark.parametrize("tax_inclusive", [True, False], ids=["tax-inclusive", "tax-exclusive"])
def test_a_declined_line_is_shown_once_at_its_own_price_marked_not_done_and_not_summed(tax_inclusive):
    document = quote(tax_inclusive)
    printed = check_adds_up(render(quote_sheet(document, PARTIES)), QUOTE_TABLES, ("报价项目",))
    [declined] = printed.tables["客户不做的项目（不施工、不计入合计）"]
    line = next(line for line in document["lines"] if line["id"] == "l4")
    assert declined["报价"] == line["total_fen"] and declined["优惠"] == 0  # no share of the quote discount
    assert printed.text.count("四轮定位") == 1 and "未做（客户拒绝）" in printed.text
    assert declined["报价"] == (12_000 if tax_inclusive else 13_560)  # what reception shows: tax included


def test_a_tax_exclusive_line_prints_its_amount_on_the_unit_prices_basis():
    """The issue's line: 单价 ¥120.00, 优惠 −¥6.00, and 金额 was ¥128.82 (net plus VAT)."""
    line = {"kind": "labour", "qty": "1", "unit_price_fen": 12_000, "discount_fen": 600, "tax_fen": 1_482,
            "total_fen": 12_882}
    amounts = line_amounts(line, tax_inclusive=False)
    assert (amounts.gross_fen, amounts.discount_fen, amounts.net_fen) == (12_000, 600, 11_400)
    rows, inside = totals_rows(totals_of([amounts]), tax_inclusive=False, rate="0.13")
    assert rows == [("小计（不含税）", "¥120.00"), ("优惠", "-¥6.00"), ("税额 13%", "¥14.82"),
                    ("合计（含税）", "¥128.82")]
    assert inside == []
    rows, inside = totals_rows(totals_of([line_amounts({**line, "total_fen": 11_400, "tax_fen": 1_312}, True)]),
                               tax_inclusive=True, rate="0.13")
    assert rows == [("小计（含税）", "¥120.00"), ("优惠", "-¥6.00"), ("合计（含税）", "¥114.00")]
    assert inside == [("其中：不含税金额", "¥100.88"), ("其中：税额 13%", "¥13.12")]
