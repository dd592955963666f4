"""A service killed (SIGKILL) in the middle of the loop and restarted: no event is lost, none is
applied twice, and the loop ends with the same figures as an undisturbed one.

The service is frozen (SIGSTOP) while the step runs, so the step's events are delivered to its
consumers and none is handled; then it is killed, which leaves the broker holding those
deliveries unacknowledged, and started again: only redelivery to the new process can finish
the loop."""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Iterator

import pytest
import requests

from tests.support import data
from tests.support.one_car import MOMENTS, ok, timed_loop

pytestmark = pytest.mark.faults


@contextlib.contextmanager
def frozen_then_killed(stack, service: str) -> Iterator[None]:
    stack.processes[service].send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        stack.stop_service(service, signal.SIGKILL)
        stack.start_service(service)
        stack.wait_ready()


@pytest.mark.parametrize("service, moment", [
    ("workshop", "contract"),   # the work order is not opened yet
    ("inventory", "contract"),  # the parts are not reserved yet
    ("inventory", "complete"),  # reserved stock not issued yet (and no cost of goods for finance)
    ("finance", "complete"),    # the invoice is not issued yet
    ("sales", "payment"),       # the order does not know it is paid
    ("crm", "deliver"),         # no delivery in the history, no follow-up yet
])
def test_loop_survives_a_service_killed_while_its_events_are_in_flight(
        stack, admin, undisturbed_figures, record_property, service, moment):
    assert moment in MOMENTS

    def during(step: str):
        return frozen_then_killed(stack, service) if step == moment else contextlib.nullcontext()

    figures, seconds = timed_loop(stack, admin, during)
    record_property("loop_seconds", round(seconds, 1))
    assert figures == undisturbed_figures


def test_an_rpc_in_flight_to_a_killed_service_gets_a_bounded_503(stack, admin):
    customer = ok(admin.post(f"{stack.url}/v1/customers", json={"name": "断线", "mobile": data.mobile()}))
    timeout = float(stack.env["RPC_TIMEOUT"])
    replies = []

    def read_customer():
        started = time.monotonic()
        reply = admin.get(f"{stack.url}/v1/customers/{customer['id']}", timeout=timeout + 30)
        replies.append((reply, time.monotonic() - started))

    stack.processes["crm"].send_signal(signal.SIGSTOP)  # the request reaches crm, which never answers
    try:
        reader = threading.Thread(target=read_customer)
        reader.start()
        time.sleep(timeout / 3)
        stack.stop_service("crm", signal.SIGKILL)
        reader.join()
    finally:
        if "crm" not in stack.processes:
            stack.start_service("crm")
        stack.wait_ready()
    [(reply, seconds)] = replies
    assert reply.status_code == 503 and reply.headers["Retry-After"], reply.text
    assert seconds < timeout + 1.5, seconds
    assert ok(admin.get(f"{stack.url}/v1/customers/{customer['id']}"))["id"] == customer["id"]
