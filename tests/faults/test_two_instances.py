"""Competing consumers: a second process of each service takes its share of RPCs, events and
timers; the loop ends with the same figures as with one process each (no double effects)."""
from __future__ import annotations

import pytest

from services.common.config import SERVICES
from tests.support.one_car import timed_loop

pytestmark = pytest.mark.faults


def test_one_car_with_two_instances_of_every_service(stack, admin, undisturbed_figures, record_property):
    for name in SERVICES:
        stack.start_service(name, instance=2)
    try:
        stack.wait_ready()
        figures, seconds = timed_loop(stack, admin)
    finally:
        for name in SERVICES:
            stack.stop_service(f"{name}#2")
    record_property("loop_seconds", round(seconds, 1))
    assert figures == undisturbed_figures
