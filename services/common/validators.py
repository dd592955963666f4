"""Chinese mobile numbers, licence plates (incl. new-energy) and VINs (ISO 3779 check digit).

Each `normalize_*` returns the canonical form or raises ValueError with a message fit for
an API client; the marshmallow fields in `fields.py` wrap them.
"""
from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # plates never use I or O
_ALNUM = "A-HJ-NP-Z0-9"
_REGULAR_PLATE = re.compile(rf"^[{PROVINCES}][{_LETTER}][{_ALNUM}]{{4}}[{_ALNUM}挂学警港澳领试超]$")
# New-energy plates (GB 2022 style, 8 characters): small cars put D/F (or A-K for
# newer series) first after the city letter, large vehicles put D/F last.
_NEW_ENERGY_SMALL = re.compile(rf"^[{PROVINCES}][{_LETTER}][DFA-HJK][{_ALNUM}][0-9]{{4}}$")
_NEW_ENERGY_LARGE = re.compile(rf"^[{PROVINCES}][{_LETTER}][0-9]{{5}}[DF]$")
_EMBASSY_PLATE = re.compile(r"^使[0-9]{6}$|^[0-9]{3}[0-9]{3}使$")


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


def normalize_plate(raw: str) -> str:
    plate = re.sub(r"[\s·\-•.]", "", raw or "").upper()
    for pattern in (_NEW_ENERGY_SMALL, _NEW_ENERGY_LARGE, _REGULAR_PLATE, _EMBASSY_PLATE):
        if pattern.match(plate):
            return plate
    raise ValueError(
        "Not a valid licence plate: province character, city letter, then 5 characters "
        "(7 in all) or 6 for new-energy plates (8 in all); I and O are not used.")


_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10))),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[ch] * weight for ch, weight in zip(vin, _VIN_WEIGHTS))
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
