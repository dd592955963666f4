"""The company account's monthly statement (挂账对账单), built from finance's statement JSON (as
`company_account_statement` returns it) and the account (`get_company_account`): each car's invoice
charged in the month (date, store, plate, invoice, amount), each payment received, and the balances.
Formatting only, and adding up as printed: 本月挂账 is the sum of the charges' 金额 column printed
above it, 本月收款 that of the payments' column, and 期末余额 = 期初余额 + 本月挂账 − 本月收款."""
from __future__ import annotations

from dataclasses import dataclass

from services.common.money import format_yuan as yuan

from .layout import LineTable, Sheet, StoreHeader

@dataclass(frozen=True)
class StatementFigures:
    """What the printed statement adds up to: every figure a sum of the rows printed."""
    opening_fen: int
    charged_fen: int
    paid_fen: int

    @property
    def closing_fen(self) -> int:
        return self.opening_fen + self.charged_fen - self.paid_fen


def figures(statement: dict) -> StatementFigures:
    """The totals of the lines the statement prints (payments' lines carry negative amounts)."""
    return StatementFigures(
        statement["opening_balance_fen"],
        sum(line["amount_fen"] for line in statement["lines"] if line["kind"] == "charge"),
        -sum(line["amount_fen"] for line in statement["lines"] if line["kind"] == "payment"))


def account_statement_sheet(statement: dict, account: dict, store: StoreHeader,
                            store_names: dict[str, str]) -> Sheet:
    """`store`: the header's store; `store_names`: store id → name for the charges' 门店 column."""
    charges = [line for line in statement["lines"] if line["kind"] == "charge"]
    payments = [line for line in statement["lines"] if line["kind"] == "payment"]
    sums = figures(statement)
    charge_rows = [(str(n), line["date"], store_names.get(line["store_id"] or "", "—"), line.get("plate") or "—",
                    line.get("invoice_number") or "", yuan(line["amount_fen"]))
                   for n, line in enumerate(charges, 1)]
    payment_rows = [(str(n), line["date"], line.get("reference") or "—", yuan(-line["amount_fen"]))
                    for n, line in enumerate(payments, 1)]
    terms = account.get("payment_terms_days")
    return Sheet(
        title="挂账对账单", number=f"{statement['month']}（{statement['tax_number']}）",
        document_id=statement["account_id"], store=store,
        facts=[("单位名称", statement["name"]), ("税号", statement["tax_number"]),
               ("联系人", account.get("contact_name") or ""), ("联系电话", account.get("contact_phone") or ""),
               ("地址", account.get("address") or ""), ("对账月份", statement["month"]),
               ("对账期间", f"{statement['from']} 至 {statement['to']}"),
               ("账期", f"月结 {terms} 天" if terms is not None else ""),
               ("信用额度", yuan(statement["credit_limit_fen"])), ("本月挂账到期日", statement["due_on"])],
        tables=[LineTable("挂账明细", ("序号", "日期", "门店", "车牌号", "结算单号", "金额"), charge_rows,
                          (0.07, 0.14, 0.22, 0.15, 0.24, 0.18), frozenset({5})),
                LineTable("收款记录", ("序号", "日期", "参考号", "金额"), payment_rows,
                          (0.07, 0.14, 0.61, 0.18), frozenset({3}))],
        totals=[("上期结余", yuan(sums.opening_fen)), ("本月挂账", yuan(sums.charged_fen)),
                ("本月收款", yuan(-sums.paid_fen)), ("期末余额", yuan(sums.closing_fen))],
        amount_label="期末余额", amount_fen=sums.closing_fen,
        terms=[f"请于 {statement['due_on']} 前结清本月挂账款项；对账如有差异，请于收到本单后 7 日内与我们联系。",
               "期末余额 = 上期结余 + 本月挂账 − 本月收款。"],
        signatures=["单位确认（盖章）", "门店财务"])
