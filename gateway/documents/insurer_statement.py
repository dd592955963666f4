"""The insurer's monthly statement (保险理赔对账单), built from finance's JSON (as `insurer_month_statement`
returns it) and the insurer (`get_insurer`): the claims put on it in the month (day, store, 报案号, plate,
invoice, amount), the remittances' shares, the write-offs and the voids, and the balances. Formatting only,
and adding up as printed: each month's total is the sum of its table's 金额 column printed above it, and
期末余额 = 上期结余 + 本月报案 − 本月到账 − 本月核销 − 本月作废."""
from __future__ import annotations

from services.common.money import format_yuan as yuan

from .layout import LineTable, Sheet, StoreHeader

KINDS = ("opened", "remitted", "written_off", "voided")
TOTAL_LABELS = {"opened": "本月报案", "remitted": "本月到账", "written_off": "本月核销", "voided": "本月作废"}


def figures(statement: dict) -> dict[str, int]:
    """Each kind's total as printed (the sum of its lines), the opening and the closing balance."""
    sums = {kind: sum(line["amount_fen"] for line in statement["lines"] if line["kind"] == kind) for kind in KINDS}
    closing = statement["opening_balance_fen"] + sums["opened"] - sums["remitted"] - sums["written_off"] \
        - sums["voided"]
    return {"opening": statement["opening_balance_fen"], **sums, "closing": closing}


def insurer_statement_sheet(statement: dict, insurer: dict, store: StoreHeader, store_names: dict[str, str]) -> Sheet:
    """`store`: the header's store; `store_names`: store id → name for the 门店 column."""
    lines = {kind: [line for line in statement["lines"] if line["kind"] == kind] for kind in KINDS}
    sums = figures(statement)
    opened = [(str(n), line["date"], store_names.get(line["store_id"], "—"), line["claim_number"],
               line.get("plate") or "—", line["invoice_number"], yuan(line["amount_fen"]))
              for n, line in enumerate(lines["opened"], 1)]
    remitted = [(str(n), line["date"], line["claim_number"], line.get("reference") or "—", yuan(line["amount_fen"]))
                for n, line in enumerate(lines["remitted"], 1)]
    closed = {kind: [(str(n), line["date"], line["claim_number"], line.get("reason") or "—",
                      yuan(line["amount_fen"])) for n, line in enumerate(lines[kind], 1)]
              for kind in ("written_off", "voided")}
    narrow = (0.07, 0.14, 0.26, 0.35, 0.18)
    return Sheet(
        title="保险理赔对账单", number=statement["month"], document_id=statement["insurer_id"], store=store,
        facts=[("保险公司", statement["name"]), ("税号", insurer.get("tax_number") or ""),
               ("定损员", insurer.get("contact_name") or ""), ("联系电话", insurer.get("contact_phone") or ""),
               ("对账月份", statement["month"]), ("对账期间", f"{statement['from']} 至 {statement['to']}")],
        tables=[LineTable("本月报案", ("序号", "报案日期", "门店", "报案号", "车牌号", "结算单号", "金额"), opened,
                          (0.06, 0.12, 0.16, 0.22, 0.12, 0.18, 0.14), frozenset({6})),
                LineTable("本月赔款到账", ("序号", "到账日期", "报案号", "到账流水号", "金额"), remitted, narrow,
                          frozenset({4})),
                LineTable("本月核销", ("序号", "核销日期", "报案号", "核销原因", "金额"), closed["written_off"], narrow,
                          frozenset({4})),
                LineTable("本月作废", ("序号", "作废日期", "报案号", "作废原因", "金额"), closed["voided"], narrow,
                          frozenset({4}))],
        totals=[("上期结余", yuan(sums["opening"])), *((TOTAL_LABELS[kind], yuan(sums[kind])) for kind in KINDS),
                ("期末余额", yuan(sums["closing"]))],
        amount_label="期末余额", amount_fen=sums["closing"],
        terms=["期末余额 = 上期结余 + 本月报案 − 本月到账 − 本月核销 − 本月作废。",
               "作废：误转保险公司的理赔（保险公司或报案号有误、车主改为自付），金额已回到结算单由车主支付。",
               "对账如有差异，请于收到本单后 7 日内与我们联系。"],
        signatures=["保险公司确认（盖章）", "门店财务"])
