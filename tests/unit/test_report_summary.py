"""Scheduled reports (crm domain/reports.py): which period is due when on the store's clock, and the summary's
Chinese text from finance's KPI rows (money ¥ with two decimals, the change on the period before, the target)."""
from __future__ import annotations

from datetime import datetime, timezone

from services.common.messaging.templates import TEMPLATES
from services.crm.domain.reports import Period, due_period, summary_params


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def test_a_day_is_due_from_eight_the_next_morning_on_the_stores_clock():
    before, after = at("2026-12-07T07:59:00+08:00"), at("2026-12-07T08:00:00+08:00")
    assert due_period("daily", before, "Asia/Shanghai")[0].label == "2026-12-05"
    period, ended = due_period("daily", after, "Asia/Shanghai")
    assert (period.label, period.words) == ("2026-12-06", "12月6日")
    assert ended == at("2026-12-07T00:00:00+08:00")
    assert due_period("daily", after, "Asia/Urumqi")[0].label == "2026-12-05"  # 06:00 there


def test_a_week_is_monday_to_sunday_due_on_monday_morning():
    period, ended = due_period("weekly", at("2026-12-07T09:00:00+08:00"), "Asia/Shanghai")  # a Monday
    assert (period.first.isoformat(), period.last.isoformat(), period.label) == ("2026-11-30", "2026-12-06",
                                                                                 "2026-W49")
    assert period.words == "11月30日至12月6日" and ended == at("2026-12-07T00:00:00+08:00")
    assert due_period("weekly", at("2026-12-13T23:00:00+08:00"), "Asia/Shanghai")[0] == period
    previous = period.previous
    assert (previous.first.isoformat(), previous.last.isoformat()) == ("2026-11-23", "2026-11-29")


def test_the_summary_names_revenue_cars_ticket_change_and_target():
    period = Period("daily", *(datetime(2026, 12, 6).date(),) * 2)
    params = summary_params("天河店", period, {"sales_fen": 123456, "car_count": 3, "aro_fen": 41152},
                            {"sales_fen": 100000, "car_count": 2, "aro_fen": 50000}, 150000)
    assert TEMPLATES["staff_report"].render(params) == (
        "天河店12月6日经营简报：营业额 ¥1,234.56（较上期+23.5%），进厂 3 台，客单价 ¥411.52，"
        "目标 ¥1,500.00，达成 82.3%。")


def test_a_quiet_period_without_a_target_or_a_period_before_says_so():
    period = Period("weekly", datetime(2026, 11, 30).date(), datetime(2026, 12, 6).date())
    params = summary_params("全连锁", period, None, None, None)
    assert TEMPLATES["staff_report"].render(params) == (
        "全连锁11月30日至12月6日经营简报：营业额 ¥0.00（上期无营业额），进厂 0 台，客单价 —，未设目标。")
    fell = summary_params("天河店", period, {"sales_fen": 5000, "car_count": 1, "aro_fen": 5000},
                          {"sales_fen": 20000}, None)
    assert fell["change"] == "较上期-75.0%"
