"""The rules every marketing message follows (services/crm/domain/marketing.py), as plain functions: a store's
quiet hours, over midnight or within a day, or none; and the name a service type is worded by for the customer."""
from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from services.crm.domain.marketing import quiet_until
from services.crm.domain.reminders import UNNAMED_SERVICE, service_name

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 7, zone=SHANGHAI) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=zone).astimezone(timezone.utc)


def test_the_default_quiet_hours_run_from_nine_at_night_to_eight_in_the_morning_on_the_stores_clock():
    assert quiet_until(at(22, 30), "Asia/Shanghai") == at(8, day=8)
    assert quiet_until(at(21), "Asia/Shanghai") == at(8, day=8)
    assert quiet_until(at(0, 15), "Asia/Shanghai") == at(8)
    assert quiet_until(at(7, 59), "Asia/Shanghai") == at(8)
    assert quiet_until(at(8), "Asia/Shanghai") is None
    assert quiet_until(at(20, 59), "Asia/Shanghai") is None


def test_quiet_hours_are_counted_on_the_stores_own_time_zone():
    urumqi = ZoneInfo("Asia/Urumqi")  # two hours behind Beijing
    assert quiet_until(at(22, zone=urumqi), "Asia/Urumqi") == at(8, day=8, zone=urumqi)
    assert quiet_until(at(22, zone=urumqi), "Asia/Shanghai") == at(8, day=8)  # midnight in Beijing


def test_a_store_may_move_its_quiet_hours_within_a_day_or_have_none():
    lunch = (time(12), time(13, 30))
    assert quiet_until(at(12, 10), "Asia/Shanghai", lunch) == at(13, 30)
    assert quiet_until(at(13, 30), "Asia/Shanghai", lunch) is None
    assert quiet_until(at(23), "Asia/Shanghai", lunch) is None
    late = (time(23), time(7))
    assert quiet_until(at(22, 30), "Asia/Shanghai", late) is None
    assert quiet_until(at(23, 30), "Asia/Shanghai", late) == at(7, day=8)
    never = (time(0), time(0))
    assert all(quiet_until(at(hour), "Asia/Shanghai", never) is None for hour in range(24))


def test_a_service_type_is_worded_by_its_name_and_an_unknown_one_by_a_general_word():
    names = {"OIL-CHG": "机油保养"}
    assert service_name(names, "OIL-CHG") == "机油保养"
    assert service_name(names, "GONE-OP") == UNNAMED_SERVICE == "定期保养"
