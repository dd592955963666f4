"""sales' note on a quote opened from inspection findings is a zh-CN text the customer may see."""
from __future__ import annotations

import re

from services.sales.domain.quotes import findings_note
from services.contracts.rpc.workshop.inspections import AREAS


def test_a_quote_opened_from_findings_names_every_area_in_chinese():
    """The findings' note on a zh-CN quote read `brakes · 前刹车片`; every workshop area has its word."""
    note = findings_note([{"area": area, "item": "项", "condition": "yellow"} for area in AREAS])
    assert "- 制动 · 项（黄·建议近期处理）" in note and not re.search(r"[a-z]", note.replace("DVI", ""))
