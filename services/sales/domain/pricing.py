"""Quote pricing: pure functions over integers (fen) and Decimals, no I/O.

THE ROUNDING RULE (the only one): every amount is computed per line with exact Decimals
and rounded once, to a whole fen, half away from zero (`round_fen`). Quote totals are the
plain sums of the rounded line amounts, so the lines always add up to the totals to the fen.

Per line, in this order:
  1. gross    = round(qty × unit_price_fen)               (in the store's pricing mode)
  2. package  = the package price difference given to the line (already whole fen)
  3. line discount: percent -> round((gross − package) × pct / 100); amount -> as given
  4. quote discount: percent -> round(Σ base × pct / 100) over the included lines, where
     base = gross − package − line discount; amount -> as given. It is then split over the
     included lines in proportion to their base by the largest-remainder method (each share
     floored, the fen left over go to the largest remainders, ties to the earlier line), so
     the shares add up exactly.
  5. net      = gross − all discounts
  6. VAT      inclusive pricing: tax = round(net × rate / (1 + rate)), excl = net − tax, total = net
              exclusive pricing: tax = round(net × rate),            excl = net,       total = net + tax

Declined lines are priced (so the customer sees what they declined) but take no share of the
quote discount and are left out of the totals.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.common.money import gross_fen, round_fen, split_tax

PERCENT = "percent"
AMOUNT = "amount"
HUNDRED = Decimal(100)


class PricingError(ValueError):
    """A discount that cannot apply (more than what it discounts, percent over 100)."""


@dataclass(frozen=True)
class Discount:
    kind: str  # PERCENT (value = percent, e.g. Decimal("12.5")) or AMOUNT (value = fen)
    value: Decimal

    def amount_of(self, base_fen: int) -> int:
        if self.kind == PERCENT:
            if not Decimal(0) <= self.value <= HUNDRED:
                raise PricingError("A percent discount is between 0 and 100.")
            return round_fen(Decimal(base_fen) * self.value / HUNDRED)
        amount = int(self.value)
        if amount != self.value or amount < 0:
            raise PricingError("An amount discount is a whole, non-negative number of fen.")
        if amount > base_fen:
            raise PricingError(f"The discount ({amount} fen) is more than the amount it applies to ({base_fen} fen).")
        return amount


@dataclass(frozen=True)
class LineInput:
    key: str
    qty: Decimal
    unit_price_fen: int
    discount: Discount | None = None
    package_discount_fen: int = 0
    unit_cost_fen: int | None = None
    included: bool = True


@dataclass(frozen=True)
class LinePrice:
    gross_fen: int
    package_discount_fen: int
    line_discount_fen: int
    quote_discount_fen: int
    net_fen: int
    tax_fen: int
    excl_tax_fen: int
    total_fen: int

    @property
    def discount_fen(self) -> int:
        return self.package_discount_fen + self.line_discount_fen + self.quote_discount_fen

    @property
    def negotiated_pct(self) -> Decimal:
        """Discount given in negotiation (line + quote share) as a percent of the line's price
        after any package price; package prices are set by HQ and need no approval."""
        base = self.gross_fen - self.package_discount_fen
        if base <= 0:
            return Decimal(0)
        return (Decimal(self.line_discount_fen + self.quote_discount_fen) * HUNDRED / Decimal(base))


@dataclass
class QuotePrice:
    lines: dict[str, LinePrice]
    subtotal_fen: int = 0
    discount_fen: int = 0
    tax_fen: int = 0
    total_excl_tax_fen: int = 0
    total_fen: int = 0
    max_negotiated_pct: Decimal = Decimal(0)
    below_cost: list[str] = field(default_factory=list)


def allocate(amount_fen: int, weights: list[int]) -> list[int]:
    """Split `amount_fen` over `weights` proportionally, exactly (largest remainder)."""
    total = sum(weights)
    if amount_fen == 0 or total == 0:
        return [0] * len(weights)
    shares, remainders = [], []
    for weight in weights:
        exact = Decimal(amount_fen) * Decimal(weight) / Decimal(total)
        floor = int(exact)  # non-negative, so int() floors
        shares.append(floor)
        remainders.append(exact - floor)
    left = amount_fen - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return shares


def price_quote(lines: list[LineInput], *, tax_rate: Decimal, tax_inclusive: bool,
                quote_discount: Discount | None = None) -> QuotePrice:
    """Price every line and the totals (see the module's rounding rule)."""
    stage: list[tuple[LineInput, int, int]] = []  # (line, gross, line discount)
    for line in lines:
        gross = gross_fen(line.qty, line.unit_price_fen)
        if line.package_discount_fen > gross:
            raise PricingError("A package discount is more than the line it applies to.")
        after_package = gross - line.package_discount_fen
        line_discount = line.discount.amount_of(after_package) if line.discount else 0
        stage.append((line, gross, line_discount))

    included = [i for i, (line, _g, _d) in enumerate(stage) if line.included]
    bases = [stage[i][1] - stage[i][0].package_discount_fen - stage[i][2] for i in included]
    quote_discount_total = quote_discount.amount_of(sum(bases)) if quote_discount else 0
    shares = dict(zip(included, allocate(quote_discount_total, bases), strict=True))

    result = QuotePrice(lines={})
    for index, (line, gross, line_discount) in enumerate(stage):
        share = shares.get(index, 0)
        net = gross - line.package_discount_fen - line_discount - share
        excl, tax, total = split_tax(net, tax_rate, tax_inclusive)
        price = LinePrice(gross, line.package_discount_fen, line_discount, share, net, tax, excl, total)
        result.lines[line.key] = price
        if not line.included:
            continue
        result.subtotal_fen += gross
        result.discount_fen += price.discount_fen
        result.tax_fen += tax
        result.total_excl_tax_fen += excl
        result.total_fen += total
        result.max_negotiated_pct = max(result.max_negotiated_pct, price.negotiated_pct)
        if line.unit_cost_fen is not None and excl < gross_fen(line.qty, line.unit_cost_fen):
            result.below_cost.append(line.key)
    return result
