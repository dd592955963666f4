"""The rules of campaign templates and tiers (campaign messages go out through the providers: tests/service/
test_crm_store_message_accounts.py)."""
from __future__ import annotations

import pytest

from services.common.errors import Invalid
from services.crm.domain.campaigns import check_template, render
from services.crm.domain.membership import points_for, tier_for
from services.crm.domain.reminders import add_months


def test_templates_accept_only_known_placeholders():
    check_template("{name}您好，您的{plate}将于{due_on}到期保养")
    assert render("{name}·{tier}·{points}", {"name": "张伟", "tier": "gold", "points": 12}) == "张伟·gold·12"
    assert render("{plate}", {}) == ""
    for bad in ("{mobile}", "{name", "{0}"):
        with pytest.raises(Invalid):
            check_template(bad)


def test_tiers_follow_spend_and_points_are_whole_yuan():
    assert [tier_for(f) for f in (0, 499_999, 500_000, 2_000_000, 5_000_000)] == [
        "standard", "standard", "silver", "gold", "platinum"]
    assert points_for(9_999) == 99 and points_for(99) == 0


def test_adding_months_clamps_to_the_end_of_the_month():
    from datetime import date
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 10), 14) == date(2028, 1, 10)
