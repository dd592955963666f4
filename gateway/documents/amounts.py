"""How every printed document adds up, the one rule for all of them: a line prints
数量 × 单价 = 金额 (before discount) and 金额 − 优惠 = 折后金额, all in the store's pricing mode
(tax included or not, as the unit prices are); the lines' 金额 add up to 小计; then
小计 − 优惠 = 合计 where prices include VAT (the VAT inside it is printed under it: 其中 不含税金额 +
税额 = 合计), and 小计 − 优惠 + 税额 = 合计 where it is added on top. Every figure comes from the
services' lines (their discount, tax and tax-included total); the totals are the sums of what is
printed, so nothing printed is computed twice in two ways."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from services.common.money import format_yuan as yuan


@dataclass(frozen=True)
class LineAmounts:
    gross_fen: int  # 金额: quantity × unit price
    discount_fen: int  # 优惠: package, line and its share of the whole-document discount
    net_fen: int  # 折后金额
    tax_fen: int
    total_fen: int  # tax included


def line_amounts(line: dict, tax_inclusive: bool) -> LineAmounts:
    """A service's line (`discount_fen`, `tax_fen`, `total_fen` tax included) in its pricing mode."""
    net = line["total_fen"] - (0 if tax_inclusive else line["tax_fen"])
    return LineAmounts(net + line["discount_fen"], line["discount_fen"], net, line["tax_fen"], line["total_fen"])


@dataclass(frozen=True)
class Totals:
    subtotal_fen: int
    discount_fen: int
    tax_fen: int
    total_fen: int


def totals_of(amounts: Iterable[LineAmounts]) -> Totals:
    amounts = list(amounts)
    return Totals(sum(a.gross_fen for a in amounts), sum(a.discount_fen for a in amounts),
                  sum(a.tax_fen for a in amounts), sum(a.total_fen for a in amounts))


def percent(rate: str | Decimal | None) -> str:
    return "" if rate is None else f"{(Decimal(str(rate)) * 100).normalize():f}%"


def pricing_mode(tax_inclusive: bool, rate: str | Decimal | None) -> str:
    """The statement every document prints of whether its prices include VAT."""
    return f"含税价（增值税 {percent(rate)}）" if tax_inclusive else f"不含税价（增值税 {percent(rate)} 另计）"


def totals_rows(totals: Totals, tax_inclusive: bool, rate: str | Decimal | None,
                before: Sequence[tuple[str, str]] = ()) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the rows down to 合计, the VAT inside 合计 printed under it). `before`: rows that add up to
    小计 (an invoice's per-kind amounts)."""
    tax = (f"税额 {percent(rate)}".strip(), yuan(totals.tax_fen))
    discount = ("优惠", yuan(-totals.discount_fen))
    if tax_inclusive:
        return ([*before, ("小计（含税）", yuan(totals.subtotal_fen)), discount,
                 ("合计（含税）", yuan(totals.total_fen))],
                [("其中：不含税金额", yuan(totals.total_fen - totals.tax_fen)), (f"其中：{tax[0]}", tax[1])])
    return [*before, ("小计（不含税）", yuan(totals.subtotal_fen)), discount, tax,
            ("合计（含税）", yuan(totals.total_fen))], []
