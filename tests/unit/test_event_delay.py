"""`service_event_delay_seconds`: an event's age as its handler takes it, from the envelope's `occurred_at`."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.common.metrics import event_delay


def test_an_events_age_is_measured_from_its_envelope():
    occurred = (datetime.now(timezone.utc) - timedelta(seconds=90)).isoformat()
    assert 89 < event_delay(({"occurred_at": occurred, "event_id": "e"},)) < 95


def test_a_payload_without_a_time_is_not_measured_and_a_clock_ahead_counts_zero():
    assert event_delay(({"event_id": "e"},)) is None
    assert event_delay(({"occurred_at": "yesterday"},)) is None
    assert event_delay(()) is None
    assert event_delay((["not", "an", "envelope"],)) is None
    ahead = (datetime.now(timezone.utc) + timedelta(seconds=5)).isoformat()
    assert event_delay(({"occurred_at": ahead},)) == 0.0
