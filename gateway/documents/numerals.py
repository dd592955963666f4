"""Amounts in Chinese capital numerals (大写金额), as written on receipts and contracts.

The convention is the People's Bank of China rule for filling in settlement documents
(《正确填写票据和结算凭证的基本规定》), taking one fixed choice where it allows two:

- every digit is written, a leading ten too: 10 元 → 壹拾元整, 110 元 → 壹佰壹拾元整;
- zeros between digits, however many and across 万/亿, are one 零: 10005 → 壹万零伍元整,
  100000005 → 壹亿零伍元整, 10001000 → 壹仟万零壹仟元整; trailing zeros are not written;
- 整 follows 元 or 角 when there are no 分; never after 分: 1234.50 → 壹仟贰佰叁拾肆元伍角整;
- 角 zero and 分 not: 零 stands for the 角, which is not written: 325.04 → 叁佰贰拾伍元零肆分;
- the 元 digit zero and 角 not: no 零 (the rule allows either): 1680.32 → 壹仟陆佰捌拾元叁角贰分;
- under one 元 the 元 is left out: 0.05 → 伍分; nothing at all is 零元整;
- sections of four digits: 万, 亿, 万亿 (up to 10^16 元); a negative amount is prefixed 负.
"""
from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
SECTIONS = ("", "万", "亿", "万亿")
LIMIT_YUAN = 10 ** (4 * len(SECTIONS))


def capital_amount(fen: int) -> str:
    """`fen` (integer minor units) in capital numerals, e.g. 123450 → 壹仟贰佰叁拾肆元伍角整."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"an amount is integer fen, not {type(fen).__name__}")
    if fen < 0:
        return "负" + capital_amount(-fen)
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if yuan >= LIMIT_YUAN:
        raise ValueError(f"amounts from {LIMIT_YUAN} 元 up are not written in capital numerals")
    words = _integer(yuan) + "元" if yuan or not cents else ""
    if jiao:
        words += DIGITS[jiao] + "角"
    elif fen_digit and yuan:
        words += "零"
    return words + (DIGITS[fen_digit] + "分" if fen_digit else "整")


def _integer(number: int) -> str:
    """A whole number in capital numerals (零 for 0), sections of four digits."""
    if number == 0:
        return DIGITS[0]
    digits = str(number)
    words: list[str] = []
    zero_pending = False
    section_used = False
    for index, char in enumerate(digits):
        position = len(digits) - 1 - index
        if char == "0":
            zero_pending = bool(words)
        else:
            if zero_pending:
                words.append(DIGITS[0])
                zero_pending = False
            words.append(DIGITS[int(char)] + PLACES[position % 4])
            section_used = True
        if position % 4 == 0 and position and section_used:
            words.append(SECTIONS[position // 4])
            section_used = False
    return "".join(words)
