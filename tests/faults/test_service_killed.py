"""Services killed (SIGKILL) in the middle of the loop and restarted: no event is lost, none is
applied twice, and the loop ends with the same figures as an undisturbed one.

At each step whose events others must handle, every service that handles them is frozen
(SIGSTOP) while the step runs, so the events are delivered to its consumers and none is
handled; then they are killed, which leaves the broker holding those deliveries
unacknowledged, and started again: only redelivery to the new processes finishes the loop."""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Iterator

import pytest

from tests.support import data
from tests.support.one_car import MOMENTS, ok, timed_loop
from tests.support.stack import Stack

pytestmark = pytest.mark.faults

REACTING = {  # the @event_handlers in services/*/service.py for the events of each step
    "contract": ("workshop", "inventory", "finance", "crm"),  # sales.order_confirmed: work order, reservation, deposit
    "complete": ("inventory", "finance", "sales"),  # workshop.work_order_completed: stock issued, invoice, order state
    "payment": ("sales", "crm"),  # finance.invoice_paid: the order is paid, the customer's spend and points
    "deliver": ("crm", "sales"),  # workshop.vehicle_delivered: history, mileage, follow-up; order closed
}


@contextlib.contextmanager
def frozen_then_killed(stack: Stack, services: tuple[str, ...]) -> Iterator[None]:
    for name in services:
        stack.processes[name].send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for name in services:
            stack.stop_service(name, signal.SIGKILL)
        for name in services:
            stack.start_service(name)
        stack.wait_ready()


@pytest.mark.parametrize("moment", MOMENTS)
def test_loop_survives_the_services_handling_a_step_killed_with_its_events_in_hand(
        stack, admin, undisturbed_figures, record_property, moment):
    def during(step: str):
        return frozen_then_killed(stack, REACTING[moment]) if step == moment else contextlib.nullcontext()

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
