"""sales' pricing rules with worked examples (see services/sales/domain/pricing.py for the
one rounding rule: per line, per amount, to the fen, half away from zero; totals are sums)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.sales.domain.pricing import (AMOUNT, PERCENT, Discount, LineInput, PricingError, allocate,
                                           gross_fen, price_quote, split_tax)

VAT = Decimal("0.13")
# 小保养 as priced in a store: 4 L oil at ¥68.00, 0.5 h labour at ¥120.00/h, shop supplies ¥15.00
OIL = LineInput("oil", Decimal("4"), 6800)
LABOUR = LineInput("labour", Decimal("0.5"), 12000)
SUPPLIES = LineInput("fee", Decimal("1"), 1500)


def test_tax_inclusive_quote_shows_tax_inside_the_price():
    price = price_quote([OIL, LABOUR, SUPPLIES], tax_rate=VAT, tax_inclusive=True)
    # tax per line: 27200×0.13/1.13 = 3129.20 → 3129; 6000 → 690.27 → 690; 1500 → 172.57 → 173
    assert [price.lines[k].tax_fen for k in ("oil", "labour", "fee")] == [3129, 690, 173]
    assert (price.subtotal_fen, price.discount_fen, price.tax_fen) == (34700, 0, 3992)
    assert (price.total_excl_tax_fen, price.total_fen) == (30708, 34700)


def test_tax_exclusive_quote_adds_tax_on_top():
    price = price_quote([OIL, LABOUR, SUPPLIES], tax_rate=VAT, tax_inclusive=False)
    # 27200×0.13 = 3536; 6000×0.13 = 780; 1500×0.13 = 195
    assert [price.lines[k].tax_fen for k in ("oil", "labour", "fee")] == [3536, 780, 195]
    assert (price.subtotal_fen, price.tax_fen, price.total_excl_tax_fen, price.total_fen) == (34700, 4511, 34700, 39211)


def test_percent_discount_on_the_whole_quote_is_split_over_the_lines():
    price = price_quote([OIL, LABOUR, SUPPLIES], tax_rate=VAT, tax_inclusive=True,
                        quote_discount=Discount(PERCENT, Decimal(10)))
    # 10% of 34700 = 3470, split 27200:6000:1500 → 2720 + 600 + 150
    assert [price.lines[k].quote_discount_fen for k in ("oil", "labour", "fee")] == [2720, 600, 150]
    assert (price.discount_fen, price.total_fen) == (3470, 31230)
    # tax on the discounted lines: 24480 → 2816.28 → 2816; 5400 → 621.24 → 621; 1350 → 155.31 → 155
    assert price.tax_fen == 2816 + 621 + 155
    assert price.max_negotiated_pct == Decimal(10)


def test_amount_discount_split_by_largest_remainder_adds_up_exactly():
    lines = [LineInput(k, Decimal(1), 3333) for k in "abc"]
    price = price_quote(lines, tax_rate=VAT, tax_inclusive=True, quote_discount=Discount(AMOUNT, Decimal(1000)))
    # 1000 × 3333/9999 = 333.33 each: floors 999, the fen left over goes to the first (ties → earlier line)
    assert [price.lines[k].quote_discount_fen for k in "abc"] == [334, 333, 333]
    assert price.discount_fen == 1000 and price.total_fen == 9999 - 1000


def test_line_discount_rounds_half_away_from_zero_to_the_fen():
    line = LineInput("x", Decimal(1), 999, discount=Discount(PERCENT, Decimal("12.5")))
    price = price_quote([line], tax_rate=VAT, tax_inclusive=True)
    assert price.lines["x"].line_discount_fen == 125  # 124.875 → 125
    assert price.lines["x"].net_fen == 874
    assert price.lines["x"].tax_fen == 101  # 874 × 0.13 / 1.13 = 100.55 → 101


def test_quantities_and_hours_multiply_exactly_then_round_once():
    assert gross_fen(Decimal("1.25"), 15000) == 18750   # 1.25 h × ¥150.00
    assert gross_fen(Decimal("0.333"), 100) == 33       # 33.3 → 33
    assert gross_fen(Decimal("1.005"), 100) == 101      # 100.5 → 101 (half away from zero)
    assert gross_fen(Decimal("3.5"), 2999) == 10497     # 10496.5 → 10497


def test_split_tax_both_ways():
    assert split_tax(1000, VAT, True) == (885, 115, 1000)    # 115.04 → 115
    assert split_tax(1000, VAT, False) == (1000, 130, 1130)
    assert split_tax(0, VAT, True) == (0, 0, 0)


def test_declined_lines_are_priced_but_left_out_of_totals_and_the_quote_discount():
    declined = LineInput("fee", Decimal(1), 1500, included=False)
    price = price_quote([OIL, LABOUR, declined], tax_rate=VAT, tax_inclusive=True,
                        quote_discount=Discount(PERCENT, Decimal(10)))
    assert price.lines["fee"].total_fen == 1500 and price.lines["fee"].quote_discount_fen == 0
    assert price.subtotal_fen == 33200 and price.discount_fen == 3320 and price.total_fen == 29880


def test_package_price_difference_is_a_discount_that_needs_no_approval():
    oil = LineInput("oil", Decimal(4), 6800, package_discount_fen=2200)
    price = price_quote([oil], tax_rate=VAT, tax_inclusive=True)
    assert price.lines["oil"].discount_fen == 2200 and price.total_fen == 25000
    assert price.max_negotiated_pct == 0


def test_negotiated_percent_is_the_deepest_on_any_line():
    lines = [LineInput("a", Decimal(1), 10000, discount=Discount(AMOUNT, Decimal(2500))),
             LineInput("b", Decimal(1), 10000)]
    price = price_quote(lines, tax_rate=VAT, tax_inclusive=True)
    assert price.max_negotiated_pct == Decimal(25)  # the quote as a whole is 12.5% off


def test_a_part_sold_below_its_cost_excluding_vat_is_flagged():
    part = LineInput("p", Decimal(1), 5000, unit_cost_fen=3000)
    fine = price_quote([part], tax_rate=VAT, tax_inclusive=True, quote_discount=Discount(PERCENT, Decimal(10)))
    assert fine.below_cost == []  # 4500 incl. → 3982 excl. ≥ 3000
    cheap = price_quote([part], tax_rate=VAT, tax_inclusive=True, quote_discount=Discount(PERCENT, Decimal(40)))
    assert cheap.below_cost == ["p"]  # 3000 incl. → 2655 excl. < 3000


def test_discounts_larger_than_what_they_discount_are_refused():
    with pytest.raises(PricingError):
        price_quote([LineInput("x", Decimal(1), 100, discount=Discount(AMOUNT, Decimal(101)))],
                    tax_rate=VAT, tax_inclusive=True)
    with pytest.raises(PricingError):
        price_quote([LABOUR], tax_rate=VAT, tax_inclusive=True, quote_discount=Discount(AMOUNT, Decimal(6001)))
    with pytest.raises(PricingError):
        price_quote([LABOUR], tax_rate=VAT, tax_inclusive=True, quote_discount=Discount(PERCENT, Decimal(101)))


def test_allocate_is_exact_and_proportional():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(7, [0, 10, 0]) == [0, 7, 0]
    assert allocate(0, [5, 5]) == [0, 0]
    assert sum(allocate(12345, [7, 11, 13, 17, 19])) == 12345
