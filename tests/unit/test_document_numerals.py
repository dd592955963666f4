"""大写金额: the capital-numeral amounts printed on quotes, contracts and settlement statements
(the convention is documented in gateway/documents/numerals.py)."""
from __future__ import annotations

import pytest

from gateway.documents.numerals import capital_amount


@pytest.mark.parametrize("fen, words", [
    (123450, "壹仟贰佰叁拾肆元伍角整"),
    (123456, "壹仟贰佰叁拾肆元伍角陆分"),
    (100, "壹元整"),
    (1000, "壹拾元整"),
    (1500, "壹拾伍元整"),
    (11000, "壹佰壹拾元整"),
    (0, "零元整"),
    (5, "伍分"),
    (50, "伍角整"),
    (55, "伍角伍分"),
    (105, "壹元零伍分"),                       # 角 zero, 分 not: 零, and no 零角
    (32504, "叁佰贰拾伍元零肆分"),
    (168032, "壹仟陆佰捌拾元叁角贰分"),          # the 元 digit zero: no 零 before the 角
    (1000500, "壹万零伍元整"),
    (1640902, "壹万陆仟肆佰零玖元零贰分"),
    (10700053, "壹拾万零柒仟元伍角叁分"),           # the 万 digit zero between digits: 零
    (100100000, "壹佰万零壹仟元整"),
    (100050000, "壹佰万零伍佰元整"),
    (1000000000, "壹仟万元整"),
    (1000100000, "壹仟万零壹仟元整"),
    (10000000000, "壹亿元整"),
    (10000000500, "壹亿零伍元整"),
    (10001000000, "壹亿零壹万元整"),
    (10010000000, "壹亿零壹拾万元整"),
    (21000000000, "贰亿壹仟万元整"),
    (12345678901234, "壹仟贰佰叁拾肆亿伍仟陆佰柒拾捌万玖仟零壹拾贰元叁角肆分"),
    (100000000000000, "壹万亿元整"),
    (100000000000100, "壹万亿零壹元整"),
])
def test_amounts_in_capital_numerals(fen, words):
    assert capital_amount(fen) == words


def test_negative_amounts_are_marked():
    assert capital_amount(-123450) == "负壹仟贰佰叁拾肆元伍角整"
    assert capital_amount(-5) == "负伍分"


def test_only_integer_fen_within_range_are_written():
    for bad in (1.5, "100", True, None):
        with pytest.raises(TypeError):
            capital_amount(bad)
    with pytest.raises(ValueError):
        capital_amount(10 ** 16 * 100)
    assert capital_amount(10 ** 16 * 100 - 1).startswith("玖仟玖佰玖拾玖万亿")
