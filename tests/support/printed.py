"""A printed document (PDF) read back as text, as a customer reads it, and checked to add up
exactly as printed: each line's 数量 × 单价 = 金额 and 金额 − 优惠 = 折后金额; the 金额 column (over
every summed table) = 小计, the 优惠 column = 优惠; 小计 − 优惠 = 合计 where prices include VAT
(其中 不含税金额 + 税额 = 合计), 小计 − 优惠 + 税额 = 合计 where it is added on top; per-kind amounts
(工时费 …) = 小计; the pricing mode stated; 合计 written out in capital numerals."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader

from gateway.documents.numerals import capital_amount
from services.common.money import gross_fen

MONEY = re.compile(r"-?¥[\d,]+\.\d{2}")
ROW = re.compile(r"^\s*\d+\s")  # a table row starts with its number
TOTAL = re.compile(r"^\s*([^\d\s¥][^¥]*?)\s{2,}(-?¥[\d,]+\.\d{2})\s*$")  # a label, then one amount
QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(?: 工时)?\s+-?¥")  # the number before the first amount

LINES = ("单价", "金额", "优惠", "折后金额")  # quote, contract and invoice lines
DECLINED = ("单价", "优惠", "报价")
ONE_AMOUNT = ("金额",)  # the work-order sheet's jobs and parts
PRICED = ("单价", "金额")  # the work-order sheet's other lines (fees)


def fen(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    return sign * int(text.lstrip("-¥").replace(",", "").replace(".", ""))


def text_of(pdf: bytes) -> str:
    """Every page as laid out: one table row to a line."""
    return "\n".join(page.extract_text(extraction_mode="layout") for page in PdfReader(BytesIO(pdf)).pages)


@dataclass
class Printed:
    text: str
    tables: dict[str, list[dict]] = field(default_factory=dict)  # caption -> rows: column -> fen, "qty"
    totals: dict[str, int] = field(default_factory=dict)  # label as printed -> fen

    def total(self, prefix: str) -> int:
        [value] = [fen for label, fen in self.totals.items() if label.startswith(prefix)]
        return value

    def column(self, name: str, captions) -> list[int]:
        return [row[name] for caption in captions for row in self.tables.get(caption, []) if name in row]


def read(pdf: bytes, tables: dict[str, tuple[str, ...]]) -> Printed:
    """The rows of the `tables` (caption -> the amount columns of a row, in order) and the totals."""
    printed = Printed(text_of(pdf))
    current = None
    for line in printed.text.splitlines():
        caption = line.strip()
        if caption in tables:
            current = caption
            printed.tables[current] = []
            continue
        amounts = MONEY.findall(line)
        if current and ROW.match(line):
            if not amounts:
                continue  # a job or part whose amount is printed on another row
            names = tables[current]
            assert len(amounts) == len(names), f"{current}: cannot read {line!r} as {names}"
            row = dict(zip(names, map(fen, amounts), strict=True))
            quantity = QUANTITY.search(line)
            if quantity and "单价" in names:
                row["qty"] = Decimal(quantity.group(1))
            printed.tables[current].append(row)
        elif (total := TOTAL.match(line)) and not line.strip().startswith(("第 ", "单号")):
            current = None
            printed.totals[re.sub(r"\s+", "", total.group(1))] = fen(total.group(2))
    return printed


def check_adds_up(pdf: bytes, tables: dict[str, tuple[str, ...]], summed: tuple[str, ...]) -> Printed:
    """Read the document and assert it adds up as printed; `summed`: the captions of the tables
    whose 金额 make 小计 (a declined-work table is read but not summed)."""
    printed = read(pdf, tables)
    for caption in summed:
        assert caption in printed.tables, (caption, printed.text)
    for caption, rows in printed.tables.items():
        for row in rows:
            if "qty" in row and "金额" in row:
                assert gross_fen(row["qty"], row["单价"]) == row["金额"], (caption, row)
            if "折后金额" in row:
                assert row["金额"] + row["优惠"] == row["折后金额"], (caption, row)
    subtotal = printed.total("小计")
    assert sum(printed.column("金额", summed)) == subtotal, (printed.tables, printed.totals)
    discounts = printed.column("优惠", summed)
    if discounts:
        assert sum(discounts) == printed.total("优惠"), (printed.tables, printed.totals)
    if "工时费" in printed.totals:
        assert printed.total("工时费") + printed.total("配件费") + printed.total("其他费用") == subtotal
    total = printed.total("合计")
    compact = re.sub(r"\s+", "", printed.text)
    if "小计（含税）" in printed.totals:
        assert subtotal + printed.total("优惠") == total, printed.totals
        assert printed.total("其中：不含税金额") + printed.total("其中：税额") == total, printed.totals
        assert "计价方式：含税价" in compact
    else:
        assert "小计（不含税）" in printed.totals, printed.totals
        assert subtotal + printed.total("优惠") + printed.total("税额") == total, printed.totals
        assert "计价方式：不含税价" in compact
    assert capital_amount(total) in compact
    return printed
