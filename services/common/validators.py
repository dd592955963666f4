"""Chinese mobile and other phone numbers, licence plates (incl. new-energy), VINs (ISO 3779 check
digit), names and codes.

Each `normalize_*` returns the canonical form or raises ValueError with a message fit for
an API client; the marshmallow fields in `fields.py` wrap them. Each `*_PATTERN` is written in the
syntax Python's `re` and ECMAScript share: the fields match values against it in full and the
OpenAPI document declares the very same text as `pattern`.
"""
from __future__ import annotations

import re

MOBILE_PATTERN = r"^1[3-9][0-9]{9}$"
"""A mainland mobile number, 11 digits (13x-19x)."""
_MOBILE = re.compile(MOBILE_PATTERN)

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # plates never use I or O
_ALNUM = "A-HJ-NP-Z0-9"
_PLATES = (
    # New-energy plates (GB 2022 style, 8 characters): small cars put D/F (or A-K for
    # newer series) first after the city letter, large vehicles put D/F last.
    rf"[{PROVINCES}][{_LETTER}][DFA-HJK][{_ALNUM}][0-9]{{4}}",
    rf"[{PROVINCES}][{_LETTER}][0-9]{{5}}[DF]",
    rf"[{PROVINCES}][{_LETTER}][{_ALNUM}]{{4}}[{_ALNUM}挂学警港澳领试超]",
    r"使[0-9]{6}|[0-9]{6}使",  # embassy
)
PLATE_PATTERN = "^(?:" + "|".join(_PLATES) + ")$"
"""Every plate in its canonical form (upper case, no separators)."""
_PLATE = re.compile(PLATE_PATTERN)
VIN_PATTERN = r"^[A-HJ-NPR-Z0-9]{8}[0-9X][A-HJ-NPR-Z0-9]{8}$"
"""A VIN's alphabet and length; the check digit (9th character) is verified too, which a pattern cannot say."""


def normalize_mobile(raw: str) -> str:
    """Accepts `13812345678`, `+86 138 1234 5678`, `0086-138-1234-5678`."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _MOBILE.match(digits):
        raise ValueError("Not a valid mainland China mobile number (11 digits starting 13-19).")
    return digits


def mask_mobile(mobile: str | None) -> str | None:
    """`13812345678` -> `138****5678`."""
    if not mobile or len(mobile) < 7:
        return mobile
    return f"{mobile[:3]}****{mobile[-4:]}"


def mask_id(value: str | None) -> str | None:
    """An account id shown but not given away: `wxsandboxmp000002` -> `wxsa****0002` (short ones: `****`)."""
    if not value:
        return value
    return f"{value[:4]}****{value[-4:]}" if len(value) > 8 else "****"


def normalize_plate(raw: str) -> str:
    plate = re.sub(r"[\s·\-•.]", "", raw or "").upper()
    if _PLATE.fullmatch(plate):
        return plate
    raise ValueError(
        "Not a valid licence plate: province character, city letter, then 5 characters "
        "(7 in all) or 6 for new-energy plates (8 in all); I and O are not used.")


_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[ch] * weight for ch, weight in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(raw: str) -> str:
    vin = re.sub(r"\s", "", raw or "").upper()
    if len(vin) != 17:
        raise ValueError("A VIN has exactly 17 characters.")
    bad = sorted({ch for ch in vin if ch not in _VIN_VALUES})
    if bad:
        raise ValueError(f"A VIN uses digits and letters except I, O and Q; found {''.join(bad)}.")
    expected = vin_check_digit(vin)
    if vin[8] != expected:
        raise ValueError(f"VIN check digit (9th character) should be {expected}, not {vin[8]}.")
    return vin


CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
"""A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters of the code's 31
(digits and capitals without I, O, S, V, Z); the check character (18th) is verified too."""
_CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE = re.compile(CREDIT_CODE_PATTERN)


def credit_code_check_character(code: str) -> str:
    """The 18th character GB 32100 gives the first 17 (weights 3^i mod 31, check 31 − sum mod 31)."""
    total = sum(_CREDIT_CODE_ALPHABET.index(ch) * weight for ch, weight in zip(code[:17], _CREDIT_CODE_WEIGHTS,
                                                                                strict=True))
    return _CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def valid_credit_code(code: str) -> bool:
    """Whether `code` is a unified social credit code in its canonical form (upper case, no spaces)
    with the right check character: the tax number of a company account and of a fapiao's buyer."""
    return bool(isinstance(code, str) and _CREDIT_CODE.match(code)) and credit_code_check_character(code) == code[17]


def normalize_credit_code(raw: str) -> str:
    """Accepts lower case and spaces; refuses a code whose check character is wrong."""
    code = re.sub(r"\s", "", raw or "").upper()
    if not _CREDIT_CODE.match(code):
        raise ValueError("A unified social credit code has 18 digits and capital letters (not I, O, S, V, Z).")
    if not valid_credit_code(code):
        raise ValueError(f"Check character (18th) should be {credit_code_check_character(code)}, not {code[17]}.")
    return code


# -- names, codes, phone numbers -------------------------------------------------------------------
LETTERS = (r"A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
           r"\uac00-\ud7af\uf900-\ufaff")
"""Latin (with accents), Greek, Cyrillic, kana, CJK ideographs and Hangul: what a name is written in."""
_PRINTABLE = r"[^\x00-\x1f\x7f]"

NAME_PATTERN = rf"^{_PRINTABLE}*[{LETTERS}]{_PRINTABLE}*$"
"""A name (of a person, a company, a store, a vehicle make): no control characters and at least one letter
or CJK character, so `0`, `00000` or `---` are not names."""

TEXT_PATTERN = rf"^[^\x00]*[!-~{LETTERS}][^\x00]*$"
"""A free text that says something: no NUL, a visible ASCII character or a letter in it."""

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
"""A code (store, supplier, labour operation, package): letters, digits, dot, dash, underscore."""

LANDLINE_PATTERN = r"^0[1-9][0-9]{1,2}-?[2-9][0-9]{6,7}(-[0-9]{1,6})?$"
"""A landline: 区号 (010, 020-029 or four digits), an optional dash, a local number of 7-8 digits not
starting with 0 or 1, an optional extension (-分机)."""
SERVICE_NUMBER_PATTERN = r"^[48]00-?[0-9]{3}-?[0-9]{4}$"
"""A 400 or 800 service number (400-123-4567)."""
PHONE_PATTERN = (rf"^(?:{MOBILE_PATTERN[1:-1]}|{LANDLINE_PATTERN[1:-1]}|{SERVICE_NUMBER_PATTERN[1:-1]})$")
"""What a store or a supplier can be called on: a mobile, a landline or a 400/800 number."""


def normalize_phone(raw: str) -> str:
    """A mobile, landline or 400/800 number; spaces and brackets are dropped (`(020) 8888 8888`
    is `02088888888`), and a +86 before a mobile."""
    text = re.sub(r"[\s()（）]", "", raw or "")
    if re.fullmatch(r"(?:\+86|0086)1[3-9][0-9]{9}", text):
        text = text[-11:]
    if not re.fullmatch(PHONE_PATTERN, text):
        raise ValueError("Not a phone number: a mobile (13812345678), a landline with its area code "
                         "(020-88888888, 0755-8888888-123) or a 400/800 number (400-123-4567).")
    return text


# -- dates within a span of years ------------------------------------------------------------------
def _years(first: int, last: int, *, leap: bool = False) -> str:
    """A regex alternation of the years first..last (only the leap ones with `leap`), whole decades
    folded (`195[0-9]`)."""
    years = [year for year in range(first, last + 1)
             if not leap or (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))]
    parts, index = [], 0
    while index < len(years):
        year = years[index]
        if not leap and year % 10 == 0 and year + 9 <= last:
            parts.append(f"{year // 10}[0-9]")
            index += 10
        else:
            parts.append(str(year))
            index += 1
    return "(?:" + "|".join(parts) + ")"


def date_pattern(first: int, last: int) -> str:
    """The ISO dates (YYYY-MM-DD) of the years first..last, each month with its days, 29 February in
    leap years only."""
    months = ("(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
              "|02-(?:0[1-9]|1[0-9]|2[0-8]))")
    return f"(?:{_years(first, last)}-{months}|{_years(first, last, leap=True)}-02-29)"


def moment_pattern(first: int, last: int) -> str:
    """ISO date-times with a time zone (Z or ±hh:mm) within the years first..last."""
    return (rf"^{date_pattern(first, last)}T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{{1,6}})?)?"
            r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$")


TAX_CODE_PATTERN = r"^[0-9]{19}$"
"""A 税收分类编码 (tax classification code of goods and services): 19 digits, the fapiao's goodsCode."""
