"""A store's monthly targets over any range of days (services/finance/domain/targets.py): revenue and cars
shared out by the days of each month the range covers, rates weighted by them, none where no month has one."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from services.common.errors import Invalid
from services.finance.domain.targets import months_between, months_of, prorated


def month(name: str, **kpis) -> SimpleNamespace:
    empty = dict.fromkeys(("sales_fen", "car_count", "parts_gross_profit_pct", "labour_gross_profit_pct",
                           "technician_efficiency_pct", "average_satisfaction"))
    return SimpleNamespace(month=name, **{**empty, **kpis})


def test_a_range_is_cut_into_the_days_of_each_month():
    assert months_of(date(2026, 11, 21), date(2026, 12, 10)) == {"2026-11": 10, "2026-12": 10}
    assert months_of(date(2024, 2, 1), date(2024, 2, 29)) == {"2024-02": 29}
    assert months_of(date(2026, 12, 31), date(2027, 1, 1)) == {"2026-12": 1, "2027-01": 1}


def test_a_whole_month_is_its_target_and_ten_days_of_two_months_their_shares():
    november = month("2026-11", sales_fen=3_000_000, car_count=300, parts_gross_profit_pct=Decimal("30"))
    december = month("2026-12", sales_fen=3_100_000, car_count=310, parts_gross_profit_pct=Decimal("40"))
    whole = prorated([december], {"2026-12": 31})
    assert (whole["sales_fen"], whole["car_count"], whole["aro_fen"]) == (3_100_000, 310, 10_000)
    both = prorated([november, december], {"2026-11": 10, "2026-12": 10})
    # 3,000,000 × 10/30 + 3,100,000 × 10/31 = 1,000,000 + 1,000,000; 100 + 100 cars; 30 % and 40 % over 10 days each
    assert (both["sales_fen"], both["car_count"], both["parts_gross_profit_pct"]) == (2_000_000, 200, "35.00")


def test_a_kpi_no_month_has_a_target_for_has_none_and_a_rate_weighs_only_the_months_that_have_one():
    december = month("2026-12", average_satisfaction=Decimal("4.5"))
    figures = prorated([month("2026-11"), december], {"2026-11": 20, "2026-12": 11})
    assert figures["sales_fen"] is None and figures["aro_fen"] is None
    assert figures["average_satisfaction"] == "4.50"


def test_an_amount_has_no_target_over_a_range_some_of_whose_months_have_none():
    """30 days' revenue is never set against the 11 days of them that have a target: no target, not 达成 270 %."""
    december = month("2026-12", sales_fen=3_100_000, car_count=310, parts_gross_profit_pct=Decimal("40"))
    figures = prorated([december], {"2026-11": 20, "2026-12": 11})
    assert (figures["sales_fen"], figures["car_count"], figures["aro_fen"]) == (None, None, None)
    assert figures["parts_gross_profit_pct"] == "40.00"  # a rate: the months that have one


def test_months_between_names_each_month_and_refuses_a_backward_or_too_long_span():
    assert months_between("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    for first, last in (("2026-12", "2026-11"), ("2024-01", "2026-01")):
        with pytest.raises(Invalid) as refused:
            months_between(first, last)
        assert list(refused.value.fields) == ["to"]
