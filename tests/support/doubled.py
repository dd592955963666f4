"""Test-only fault: an outbox relay that publishes every event twice, to prove that every handler
is idempotent (tests/faults/test_events_twice.py). Kept out of the production code path: service
processes get it only when started through `tests/support/doubled_runner.py`."""
from __future__ import annotations

from services.common.relay import OutboxRelay

_publish_once = OutboxRelay.publish


def publish_twice(relay: OutboxRelay, event_type: str, envelope: dict) -> None:
    _publish_once(relay, event_type, envelope)
    _publish_once(relay, event_type, envelope)


def install() -> None:
    OutboxRelay.publish = publish_twice
