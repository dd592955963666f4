"""Valid Chinese test identifiers, unique per call."""
from __future__ import annotations

import itertools
import random

from services.common.validators import credit_code_check_character, vin_check_digit

_counter = itertools.count(random.randrange(10_000_000))
_PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def mobile() -> str:
    return f"139{next(_counter) % 100_000_000:08d}"


def plate(new_energy: bool = False) -> str:
    n = next(_counter)
    tail = "".join(_PLATE_CHARS[(n // 34 ** i) % 34] for i in range(4))
    return f"粤BD{tail[0]}{n % 10000:04d}" if new_energy else f"粤B{tail}{n % 10}"


def vin() -> str:
    body = f"LSVAU2180N{next(_counter) % 10_000_000:07d}"
    return body[:8] + vin_check_digit(body[:8] + "0" + body[9:]) + body[9:]


def credit_code() -> str:
    """A unified social credit code (a company's tax number) with its check character, unique per run."""
    body = f"91330200{random.randrange(10**8):08d}{next(_counter) % 10:01d}"
    return body + credit_code_check_character(body)


def digits(length: int = 4) -> str:
    """`length` random digits: a name's suffix unique on a shared stack that never reads as an English word on another
    test's zh-CN screen (a hex suffix of letters alone, `EECE`, did)."""
    return f"{random.randrange(10 ** length):0{length}d}"
