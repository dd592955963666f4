"""Money is an integer number of fen (1/100 yuan) plus a currency; quantities are Decimals
with at most three places. Floats never hold either."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DEFAULT_CURRENCY = "CNY"
QTY_PLACES = Decimal("0.001")


def to_qty(value) -> Decimal:
    """An exact quantity (3 decimals); refuses floats' binary noise by going through str."""
    return Decimal(str(value)).quantize(QTY_PLACES)


def round_fen(amount: Decimal) -> int:
    """Round a Decimal number of fen to a whole fen, half away from zero."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_yuan(fen: int, currency: str = DEFAULT_CURRENCY) -> str:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    symbol = "¥" if currency == DEFAULT_CURRENCY else f"{currency} "
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"
