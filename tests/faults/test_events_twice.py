"""Every event delivered twice on purpose (services started through the test-only
`tests/support/doubled_runner.py`): the one-car loop ends with
exactly the same stock, ledger, invoices, commissions, KPIs, history and order states as an
undisturbed loop, because every handler is idempotent. A stack of its own (vhost and databases)
runs with the doubling relay."""
from __future__ import annotations

import pytest

from tests.faults.conftest import own_stack
from tests.support.one_car import timed_loop

pytestmark = pytest.mark.faults


def test_one_car_with_every_event_delivered_twice(tmp_path_factory, undisturbed_figures, record_property):
    with own_stack(tmp_path_factory.mktemp("doubled"), service_runner="tests.support.doubled_runner") as doubled:
        figures, seconds = timed_loop(doubled, doubled.login())
    record_property("loop_seconds", round(seconds, 1))
    assert figures == undisturbed_figures
