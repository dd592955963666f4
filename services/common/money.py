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


def gross_fen(qty: Decimal, unit_price_fen: int) -> int:
    """A line's amount before any discount: quantity × unit price, rounded once."""
    return round_fen(Decimal(qty) * Decimal(unit_price_fen))


def split_tax(net_fen: int, rate: Decimal, inclusive: bool) -> tuple[int, int, int]:
    """(amount excluding tax, tax, total including tax) of a line's amount after discount, in
    the store's pricing mode: inclusive prices hold the VAT, exclusive ones have it added."""
    if inclusive:
        tax = round_fen(Decimal(net_fen) * rate / (1 + rate))
        return net_fen - tax, tax, net_fen
    tax = round_fen(Decimal(net_fen) * rate)
    return net_fen, tax, net_fen + tax


def format_yuan(fen: int, currency: str = DEFAULT_CURRENCY) -> str:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    symbol = "¥" if currency == DEFAULT_CURRENCY else f"{currency} "
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"
