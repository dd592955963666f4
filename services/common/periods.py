"""The trend buckets of a report over store-local days, one rule for every service that answers one:
a day (2026-12-06), an ISO week (2026-W49) or a month (2026-12); no group is the whole range."""
from __future__ import annotations

from datetime import date, timedelta

GROUPS = ("day", "week", "month")


def period_of(day: date, group: str | None) -> str | None:
    """The bucket of a store-local day."""
    if group == "day":
        return day.isoformat()
    if group == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if group == "month":
        return f"{day:%Y-%m}"
    return None


def periods(first: date, last: date, group: str | None) -> list[tuple[str | None, date, date]]:
    """[first, last] cut into its buckets: (label, first day, last day), each clipped to the range."""
    spans: list[tuple[str | None, date, date]] = []
    day = first
    while day <= last:
        label = period_of(day, group)
        if spans and spans[-1][0] == label:
            spans[-1] = (label, spans[-1][1], day)
        else:
            spans.append((label, day, day))
        day += timedelta(days=1)
    return spans


def previous_period(first: date, last: date) -> tuple[date, date]:
    """The period as long as [first, last] that ends the day before it."""
    length = last - first + timedelta(days=1)
    return first - length, first - timedelta(days=1)


def a_year_earlier(first: date, last: date) -> tuple[date, date]:
    """The same days a year earlier (29 February becomes the 28th)."""
    def back(day: date) -> date:
        return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)
    return back(first), back(last)


COMPARISONS = {"previous": previous_period, "last_year": a_year_earlier}
"""The periods a report can be compared with, by the name a client asks for."""
