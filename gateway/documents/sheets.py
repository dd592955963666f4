"""The four printed documents, built from the owning services' JSON (as their `get_*` RPCs
return it) into a `Sheet`: 报价单 (quote), 维修合同 (contract), 施工单 (work-order sheet) and
结算单 (settlement statement). Formatting only: every figure is the service's own."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.common.money import format_yuan as yuan
from services.common.money import to_qty

from .layout import LineTable, Sheet, StoreHeader

KINDS = {"labour": "工时", "part": "配件", "fee": "费用"}
DECISIONS = {"approved": "同意", "declined": "不做", "pending": "待定"}
PAYMENT_METHODS = {"cash": "现金", "card": "银行卡", "wechat": "微信", "alipay": "支付宝", "stored_value": "储值卡",
                   "package": "套餐卡", "transfer": "转账"}
JOB_STATUS = {"unassigned": "待派工", "assigned": "已派工", "working": "施工中", "done": "已完工"}
LINE_COLUMNS = ("序号", "类别", "项目", "数量", "单价", "优惠", "金额")
LINE_WIDTHS = (0.06, 0.08, 0.38, 0.12, 0.12, 0.11, 0.13)
PRICED = frozenset({3, 4, 5, 6})  # the line columns aligned right


@dataclass(frozen=True)
class Parties:
    """Who and what a document is about: the store, the customer and car, the visit (mileage in;
    without a visit the car's last recorded mileage)."""
    store: StoreHeader
    time_zone: str
    customer: dict
    vehicle: dict | None = None
    visit: dict | None = None

    def when(self, value: str | None) -> str:
        """An ISO timestamp as the store's local time, to the minute."""
        if not value:
            return ""
        return datetime.fromisoformat(value).astimezone(ZoneInfo(self.time_zone)).strftime("%Y-%m-%d %H:%M")

    def facts(self) -> list[tuple[str, str]]:
        vehicle = self.vehicle or {}
        mileage_in = (self.visit or {}).get("mileage_km")
        mileage = mileage_in or vehicle.get("mileage_km")
        model = " ".join(str(part) for part in (vehicle.get("make"), vehicle.get("model"), vehicle.get("year"))
                         if part)
        return [("客户", self.customer.get("name") or ""), ("电话", self.customer.get("mobile") or ""),
                ("车牌号", vehicle.get("plate") or ""), ("车架号", vehicle.get("vin") or ""),
                ("品牌车型", model), ("进厂里程" if mileage_in else "里程", f"{mileage:,} km" if mileage else "")]


def number(value: float | str | None) -> str:
    """A quantity without trailing zeros: 1.5, 4."""
    return "" if value is None else f"{to_qty(value).normalize():f}"


def quote_sheet(quote: dict, parties: Parties) -> Sheet:
    version = f"（第 {quote['version']} 版）" if quote.get("version", 1) > 1 else ""
    rows = [(*row, DECISIONS.get(line.get("decision"), "")) for row, line in
            zip(_line_rows(quote["lines"]), quote["lines"])]
    table = LineTable("报价项目", LINE_COLUMNS + ("确认",), rows, (0.06, 0.08, 0.32, 0.11, 0.12, 0.1, 0.13, 0.08),
                      PRICED)
    return Sheet(
        title="报价单", number=quote["number"] + version, document_id=quote["id"], store=parties.store,
        facts=parties.facts() + [("报价日期", parties.when(quote.get("created_at"))),
                                 ("有效期至", parties.when(quote.get("valid_until")))],
        tables=[table], totals=_totals(quote["totals"], quote), amount_label="报价合计",
        amount_fen=quote["totals"]["total_fen"],
        terms=[f"本报价有效期至 {parties.when(quote.get('valid_until'))}，逾期以重新报价为准。",
               _tax_term(quote), "标记“不做”的项目不施工、不计费；施工中发现的新增项目须经客户另行确认。",
               *([quote["notes"]] if quote.get("notes") else [])],
        signatures=["客户签字", "服务顾问"])


def contract_sheet(order: dict, parties: Parties) -> Sheet:
    totals = order["totals"]
    deposit = order.get("deposit_fen") or 0
    return Sheet(
        title="维修合同", number=order["number"], document_id=order["id"], store=parties.store,
        facts=parties.facts() + [("签约人", order.get("signed_by") or ""),
                                 ("签约时间", parties.when(order.get("signed_at"))),
                                 ("预计交车", parties.when(order.get("promised_at"))),
                                 ("付款方式", PAYMENT_METHODS.get(order.get("payment_method"), ""))],
        tables=[LineTable("维修项目", LINE_COLUMNS, _line_rows(order["lines"]), LINE_WIDTHS, PRICED)],
        totals=_totals(totals, order),
        balance=[("已付定金", yuan(deposit)), ("尾款", yuan(totals["total_fen"] - deposit))],
        amount_label="合同金额", amount_fen=totals["total_fen"],
        terms=[*([order["terms"]] if order.get("terms") else []),
               "甲方（客户）委托乙方（门店）按上列项目维修车辆，乙方按约定项目、价格和时间完成施工。",
               "施工中发现须增加的项目，乙方应先征得甲方同意，经确认后方可施工并计费。",
               _tax_term(order), "车辆交付时甲方应当场验收并结清尾款；更换下的旧件甲方可要求带走。"],
        signatures=["甲方（客户）签字", "乙方（门店）盖章", "服务顾问"])


def work_order_sheet(work_order: dict, order: dict, parties: Parties) -> Sheet:
    """The sheet technicians work from: jobs with who is on them, parts to draw; the contract's
    amounts for each line (matched by its line id) and in total."""
    priced = {line["id"]: line["total_fen"] for line in order["lines"]}

    def price(line_id):
        return yuan(priced[line_id]) if line_id in priced else ""

    jobs = [(str(n), job["description"], job.get("skill") or "", number(job.get("billed_hours")),
             "、".join(f"{t['name']} {number(t['split_pct'])}%" for t in job.get("technicians") or []),
             JOB_STATUS.get(job.get("status"), ""), price(job.get("line_id")), "")
            for n, job in enumerate(work_order["jobs"], 1)]
    parts = [(str(n), part.get("sku") or "", part["description"], number(part["qty"]),
              number(part.get("qty_used")), price(part.get("line_id")), "")
             for n, part in enumerate(work_order["parts"], 1)]
    mileage_out = work_order.get("mileage_out_km")
    return Sheet(
        title="施工单", number=work_order.get("order_number") or order["number"], document_id=work_order["id"],
        store=parties.store,
        facts=parties.facts() + [("开单时间", parties.when(work_order.get("opened_at"))),
                                 ("预计交车", parties.when(work_order.get("promised_at"))),
                                 ("出厂里程", f"{mileage_out:,} km" if mileage_out else ""),
                                 ("客户需求", "、".join((parties.visit or {}).get("needs") or []))],
        tables=[LineTable("施工项目", ("序号", "作业项目", "工种", "工时", "技师（分成）", "状态", "金额", "完工签字"), jobs,
                          (0.06, 0.23, 0.13, 0.06, 0.21, 0.08, 0.12, 0.11), frozenset({3, 6})),
                LineTable("领用配件", ("序号", "编码", "配件名称", "数量", "已用", "金额", "领料签字"), parts,
                          (0.06, 0.16, 0.32, 0.08, 0.08, 0.14, 0.16), frozenset({3, 4, 5}))],
        totals=_totals(order["totals"], order), amount_label="合同金额", amount_fen=order["totals"]["total_fen"],
        terms=["按上列项目施工，超出项目须经服务顾问与客户确认后方可施工。",
               "完工后逐项自检签字，交质检复核；领料以实际领用登记为准。"],
        signatures=["服务顾问", "施工技师", "质检员", "客户签字"])


def invoice_sheet(invoice: dict, parties: Parties) -> Sheet:
    payments = [(parties.when(p.get("received_at")), "定金" if p.get("kind") == "deposit" else "付款",
                 PAYMENT_METHODS.get(p.get("method"), p.get("method") or ""), p.get("reference") or "",
                 yuan(p["amount_fen"]), yuan(p.get("refunded_fen") or 0))
                for p in invoice.get("payments") or []]
    totals = [("工时费", yuan(invoice["labour_fen"])), ("配件费", yuan(invoice["parts_fen"])),
              ("其他费用", yuan(invoice["fees_fen"])), ("优惠", yuan(-invoice["discount_fen"])),
              ("税额", yuan(invoice["tax_fen"])), ("合计（含税）", yuan(invoice["total_fen"]))]
    balance = [("已付（含定金）", yuan(invoice["paid_fen"])), ("已退", yuan(invoice["refunded_fen"])),
               ("应付余额", yuan(invoice["due_fen"]))]
    return Sheet(
        title="结算单", number=invoice["number"], document_id=invoice["id"], store=parties.store,
        facts=parties.facts() + [("合同号", invoice.get("order_number") or ""),
                                 ("结算时间", parties.when(invoice.get("issued_at")))],
        tables=[LineTable("结算项目", LINE_COLUMNS, _line_rows(invoice["lines"]), LINE_WIDTHS, PRICED),
                LineTable("收款记录", ("时间", "类型", "方式", "参考号", "金额", "已退"), payments,
                          (0.2, 0.1, 0.12, 0.28, 0.15, 0.15), frozenset({4, 5}))],
        totals=totals, balance=balance, amount_label="结算金额", amount_fen=invoice["total_fen"],
        terms=["以上金额含增值税；请核对项目与金额，签字即确认车辆已验收、费用无误。",
               "保修按国家及行业有关规定执行，凭本结算单办理。"],
        signatures=["客户签字", "收银员"])


def _line_rows(lines: list[dict]) -> list[tuple[str, ...]]:
    """Quote, contract and invoice lines alike: kind, what, how much, unit price, discount, amount."""
    rows = []
    for n, line in enumerate(lines, 1):
        what = line["description"] + (f"（{line['sku']}）" if line.get("sku") else "")
        amount = f"{number(line['hours'])} 工时" if line.get("kind") == "labour" and line.get("hours") is not None \
            else number(line["qty"])
        rows.append((str(n), KINDS.get(line.get("kind"), ""), what, amount, yuan(line["unit_price_fen"]),
                     yuan(-line["discount_fen"]) if line.get("discount_fen") else "", yuan(line["total_fen"])))
    return rows


def _percent(rate: str | None) -> str:
    return "" if rate is None else f"{(Decimal(rate) * 100).normalize():f}%"


def _totals(totals: dict, document: dict) -> list[tuple[str, str]]:
    rate = _percent(document.get("tax_rate"))
    return [("小计", yuan(totals["subtotal_fen"])), ("优惠", yuan(-totals["discount_fen"])),
            (f"税额 {rate}".strip(), yuan(totals["tax_fen"])), ("不含税金额", yuan(totals["total_excl_tax_fen"])),
            ("合计（含税）", yuan(totals["total_fen"]))]


def _tax_term(document: dict) -> str:
    mode = "含税价" if document.get("tax_inclusive") else "不含税价另加税"
    return f"价格为{mode}，增值税税率 {_percent(document.get('tax_rate'))}。"
