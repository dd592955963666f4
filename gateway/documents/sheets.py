"""The four printed documents, built from the owning services' JSON (as their `get_*` RPCs
return it) into a `Sheet`: 报价单 (quote), 维修合同 (contract), 施工单 (work-order sheet) and
结算单 (settlement statement). Formatting only: every figure is the service's own, and each
document adds up as printed by the one rule of `amounts`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.money import format_yuan as yuan
from services.common.money import to_qty

from .amounts import LineAmounts, Totals, line_amounts, pricing_mode, totals_of, totals_rows
from .layout import LineTable, PrintedFinding, Sheet, StoreHeader

KINDS = {"labour": "工时", "part": "配件", "fee": "费用"}
DECISIONS = {"approved": "同意", "pending": "待定"}
PAYMENT_METHODS = {"cash": "现金", "card": "银行卡", "wechat": "微信", "alipay": "支付宝", "stored_value": "储值卡",
                   "package": "套餐卡", "transfer": "转账"}
JOB_STATUS = {"unassigned": "待派工", "assigned": "已派工", "working": "施工中", "done": "已完工"}
LINE_COLUMNS = ("序号", "类别", "项目", "数量", "单价", "金额", "优惠", "折后金额")
LINE_WIDTHS = (0.06, 0.07, 0.29, 0.1, 0.12, 0.12, 0.11, 0.13)
PRICED = frozenset({3, 4, 5, 6, 7})  # the line columns aligned right
DECLINED = "未做（客户拒绝）"
CONDITIONS = {"red": "需立即处理", "yellow": "建议尽快处理", "green": "良好"}
AREAS = {"brakes": "制动", "tyres": "轮胎", "fluids": "油液", "battery": "蓄电池", "lights": "灯光",
         "suspension": "悬挂", "engine": "发动机", "exterior": "外观", "interior": "内饰", "other": "其他"}


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
    """Declined lines are listed once, apart, at their own price and out of every sum."""
    version = f"（第 {quote['version']} 版）" if quote.get("version", 1) > 1 else ""
    inclusive, rate = quote["tax_inclusive"], quote.get("tax_rate")
    quoted = [line for line in quote["lines"] if line.get("decision") != "declined"]
    declined = [line for line in quote["lines"] if line.get("decision") == "declined"]
    rows, sums = _priced(quoted, inclusive)
    totals, inside = totals_rows(sums, inclusive, rate)
    tables = [LineTable("报价项目", LINE_COLUMNS + ("确认",),
                        [(*row, DECISIONS.get(line.get("decision"), ""))
                         for row, line in zip(rows, quoted, strict=True)],
                        (0.06, 0.07, 0.24, 0.09, 0.11, 0.11, 0.1, 0.12, 0.1), PRICED)]
    if declined:
        tables.append(LineTable(
            "客户不做的项目（不施工、不计入合计）",
            ("序号", "类别", "项目", "数量", "单价", "优惠", "报价（含税）", "状态"),
            [(str(n), KINDS.get(line.get("kind"), ""), _what(line), _quantity(line), yuan(line["unit_price_fen"]),
              yuan(-line["discount_fen"]), yuan(line["total_fen"]), DECLINED) for n, line in enumerate(declined, 1)],
            (0.06, 0.07, 0.26, 0.09, 0.11, 0.1, 0.13, 0.18), frozenset({3, 4, 5, 6})))
    return Sheet(
        title="报价单", number=quote["number"] + version, document_id=quote["id"], store=parties.store,
        facts=parties.facts() + [("报价日期", parties.when(quote.get("created_at"))),
                                 ("有效期至", parties.when(quote.get("valid_until"))),
                                 ("计价方式", pricing_mode(inclusive, rate))],
        tables=tables, totals=totals, balance=inside, amount_label="报价合计", amount_fen=sums.total_fen,
        terms=[f"本报价有效期至 {parties.when(quote.get('valid_until'))}，逾期以重新报价为准。",
               _tax_term(inclusive, rate), "客户不做的项目不施工、不计费，所列报价不计入合计；"
               "施工中发现的新增项目须经客户另行确认。", *([quote["notes"]] if quote.get("notes") else [])],
        signatures=["客户签字", "服务顾问"])


def contract_sheet(order: dict, parties: Parties) -> Sheet:
    inclusive, rate = order["tax_inclusive"], order.get("tax_rate")
    rows, sums = _priced(order["lines"], inclusive)
    totals, inside = totals_rows(sums, inclusive, rate)
    deposit = order.get("deposit_fen") or 0
    return Sheet(
        title="维修合同", number=order["number"], document_id=order["id"], store=parties.store,
        facts=parties.facts() + [("签约人", order.get("signed_by") or ""),
                                 ("签约时间", parties.when(order.get("signed_at"))),
                                 ("预计交车", parties.when(order.get("promised_at"))),
                                 ("付款方式", PAYMENT_METHODS.get(order.get("payment_method") or "", "")),
                                 ("计价方式", pricing_mode(inclusive, rate))],
        tables=[LineTable("维修项目", LINE_COLUMNS, rows, LINE_WIDTHS, PRICED)],
        totals=totals, balance=inside + [("已付定金", yuan(deposit)), ("尾款", yuan(sums.total_fen - deposit))],
        amount_label="合同金额", amount_fen=sums.total_fen,
        terms=[*([order["terms"]] if order.get("terms") else []),
               "甲方（客户）委托乙方（门店）按上列项目维修车辆，乙方按约定项目、价格和时间完成施工。",
               "施工中发现须增加的项目，乙方应先征得甲方同意，经确认后方可施工并计费。",
               _tax_term(inclusive, rate), "车辆交付时甲方应当场验收并结清尾款；更换下的旧件甲方可要求带走。"],
        signatures=["甲方（客户）签字", "乙方（门店）盖章", "服务顾问"])


def printed_findings(findings: list[dict], photos: list[list[bytes]]) -> list[PrintedFinding]:
    """The inspection findings (as workshop's `findings_for_print` lists them) with each one's photo bytes."""
    return [PrintedFinding("　".join(part for part in (
        CONDITIONS.get(f["condition"], ""), AREAS.get(f["area"], f["area"]), f["item"], f.get("notes") or "") if part),
        tuple(shots)) for f, shots in zip(findings, photos, strict=True)]


def work_order_sheet(work_order: dict, order: dict, parties: Parties) -> Sheet:
    """The sheet technicians work from: jobs with who is on them, parts to draw, and the contract's
    other lines (fees); each contract line's 金额 printed once, beside the first job or part that
    carries it (matched by line id), so the 金额 column adds up to 小计."""
    inclusive, rate = order["tax_inclusive"], order.get("tax_rate")
    amounts = {line["id"]: line_amounts(line, inclusive) for line in order["lines"]}
    printed: set[str] = set()

    def price(line_id: str | None) -> str:
        if line_id is None or line_id not in amounts or line_id in printed:
            return ""
        printed.add(line_id)
        return yuan(amounts[line_id].gross_fen)

    jobs = [(str(n), job["description"], job.get("skill") or "", number(job.get("billed_hours")),
             "、".join(f"{t['name']} {number(t['split_pct'])}%" for t in job.get("technicians") or []),
             JOB_STATUS.get(job.get("status"), ""), price(job.get("line_id")), "")
            for n, job in enumerate(work_order["jobs"], 1)]
    parts = [(str(n), part.get("sku") or "", part["description"], number(part["qty"]),
              number(part.get("qty_used")), price(part.get("line_id")), "")
             for n, part in enumerate(work_order["parts"], 1)]
    others = [(str(n), KINDS.get(line.get("kind"), ""), _what(line), _quantity(line), yuan(line["unit_price_fen"]),
               price(line["id"])) for n, line in enumerate(
                   [line for line in order["lines"] if line["id"] not in printed], 1)]
    tables = [LineTable("施工项目", ("序号", "作业项目", "工种", "工时", "技师（分成）", "状态", "金额", "完工签字"),
                        jobs,
                        (0.06, 0.23, 0.13, 0.06, 0.21, 0.08, 0.12, 0.11), frozenset({3, 6})),
              LineTable("领用配件", ("序号", "编码", "配件名称", "数量", "已用", "金额", "领料签字"), parts,
                        (0.06, 0.16, 0.32, 0.08, 0.08, 0.14, 0.16), frozenset({3, 4, 5}))]
    if others:
        tables.append(LineTable("其他费用", ("序号", "类别", "项目", "数量", "单价", "金额"), others,
                                (0.06, 0.1, 0.46, 0.12, 0.13, 0.13), frozenset({3, 4, 5})))
    sums = totals_of(amounts.values())
    totals, inside = totals_rows(sums, inclusive, rate)
    mileage_out = work_order.get("mileage_out_km")
    return Sheet(
        title="施工单", number=work_order.get("order_number") or order["number"], document_id=work_order["id"],
        store=parties.store,
        facts=parties.facts() + [("开单时间", parties.when(work_order.get("opened_at"))),
                                 ("预计交车", parties.when(work_order.get("promised_at"))),
                                 ("出厂里程", f"{mileage_out:,} km" if mileage_out else ""),
                                 ("客户需求", "、".join((parties.visit or {}).get("needs") or [])),
                                 ("计价方式", pricing_mode(inclusive, rate))],
        tables=tables, totals=totals, balance=inside, amount_label="合同金额", amount_fen=sums.total_fen,
        terms=["按上列项目施工，超出项目须经服务顾问与客户确认后方可施工。",
               "完工后逐项自检签字，交质检复核；领料以实际领用登记为准。"],
        signatures=["服务顾问", "施工技师", "质检员", "客户签字"])


def invoice_sheet(invoice: dict, parties: Parties, tax_inclusive: bool) -> Sheet:
    """`tax_inclusive`: the pricing mode of the order the invoice bills."""
    lines = invoice["lines"]
    rate = lines[0].get("tax_rate") if lines else None
    payments = [(parties.when(p.get("received_at")), "定金" if p.get("kind") == "deposit" else "付款",
                 PAYMENT_METHODS.get(p.get("method"), p.get("method") or ""), p.get("reference") or "",
                 yuan(p["amount_fen"]), yuan(p.get("refunded_fen") or 0))
                for p in invoice.get("payments") or []]
    by_kind = [(label, yuan(sum(line_amounts(line, tax_inclusive).gross_fen for line in lines
                                if line.get("kind") == kind)))
               for kind, label in (("labour", "工时费"), ("part", "配件费"), ("fee", "其他费用"))]
    rows, sums = _priced(lines, tax_inclusive)
    totals, inside = totals_rows(sums, tax_inclusive, rate, before=by_kind)
    balance = [("已付（含定金）", yuan(invoice["paid_fen"])), ("已退", yuan(invoice["refunded_fen"])),
               ("应付余额", yuan(invoice["due_fen"]))]
    return Sheet(
        title="结算单", number=invoice["number"], document_id=invoice["id"], store=parties.store,
        facts=parties.facts() + [("合同号", invoice.get("order_number") or ""),
                                 ("结算时间", parties.when(invoice.get("issued_at"))),
                                 ("计价方式", pricing_mode(tax_inclusive, rate))],
        tables=[LineTable("结算项目", LINE_COLUMNS, rows, LINE_WIDTHS, PRICED),
                LineTable("收款记录", ("时间", "类型", "方式", "参考号", "金额", "已退"), payments,
                          (0.2, 0.1, 0.12, 0.28, 0.15, 0.15), frozenset({4, 5}))],
        totals=totals, balance=inside + balance, amount_label="结算金额", amount_fen=sums.total_fen,
        terms=[_tax_term(tax_inclusive, rate) + "请核对项目与金额，签字即确认车辆已验收、费用无误。",
               "保修按国家及行业有关规定执行，凭本结算单办理。"],
        signatures=["客户签字", "收银员"])


def _what(line: dict) -> str:
    return line["description"] + (f"（{line['sku']}）" if line.get("sku") else "")


def _quantity(line: dict) -> str:
    """Hours for labour priced by the hour (its quantity is its hours), else the quantity: the
    number the unit price is multiplied by."""
    hours = line.get("hours")
    if line.get("kind") == "labour" and hours is not None and to_qty(hours) == to_qty(line["qty"]):
        return f"{number(hours)} 工时"
    return number(line["qty"])


def _priced(lines: list[dict], tax_inclusive: bool) -> tuple[list[tuple[str, ...]], Totals]:
    """Quote, contract and invoice lines alike: their rows and what they add up to."""
    amounts: list[LineAmounts] = [line_amounts(line, tax_inclusive) for line in lines]
    rows: list[tuple[str, ...]] = [
        (str(n), KINDS.get(line.get("kind") or "", ""), _what(line), _quantity(line), yuan(line["unit_price_fen"]),
         yuan(a.gross_fen), yuan(-a.discount_fen), yuan(a.net_fen))
        for n, (line, a) in enumerate(zip(lines, amounts, strict=True), 1)]
    return rows, totals_of(amounts)


def _tax_term(tax_inclusive: bool, rate: str | None) -> str:
    return f"价格为{pricing_mode(tax_inclusive, rate)}。"
