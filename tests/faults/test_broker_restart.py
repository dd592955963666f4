"""RabbitMQ restarted (`rabbitmqctl stop_app` / `start_app`) in the middle of the loop, right after
the contract while its events are on their way: the gateway answers 503 while the broker is
away, the services and the gateway reconnect by themselves (nothing is restarted), and the loop
ends with the same figures as an undisturbed one.

The shared RabbitMQ node must not be stopped, so this test runs a stack on a private node of
its own (tests/support/broker.py)."""
from __future__ import annotations

import contextlib
import time
from typing import Iterator

import pytest
import requests

from tests.faults.conftest import own_stack
from tests.support.broker import RABBITMQ_BIN, PrivateBroker
from tests.support.one_car import timed_loop
from tests.support.stack import Stack

pytestmark = [pytest.mark.faults, pytest.mark.skipif(
    not (RABBITMQ_BIN / "rabbitmq-server").exists(), reason=f"no rabbitmq-server in {RABBITMQ_BIN} for a private node")]


@contextlib.contextmanager
def broker_restarted_after(stack: Stack, broker: PrivateBroker, admin: requests.Session,
                           recovery: list[float]) -> Iterator[None]:
    yield
    broker.ctl("stop_app")
    down = admin.get(f"{stack.url}/v1/customers", timeout=30)
    assert down.status_code == 503 and down.headers["Retry-After"], down.text
    broker.ctl("start_app")
    started = time.monotonic()
    stack.wait_ready()
    recovery.append(time.monotonic() - started)


def test_loop_completes_across_a_broker_restart(tmp_path_factory, undisturbed_figures, record_property):
    broker = PrivateBroker(tmp_path_factory.mktemp("broker")).start()
    try:
        with own_stack(tmp_path_factory.mktemp("restarted"), amqp_uri=broker.uri) as restarted:
            admin = restarted.login()
            recovery: list[float] = []

            def during(step: str):
                if step == "contract":
                    return broker_restarted_after(restarted, broker, admin, recovery)
                return contextlib.nullcontext()

            figures, seconds = timed_loop(restarted, admin, during)
    finally:
        broker.stop()
    record_property("loop_seconds", round(seconds, 1))
    record_property("recovery_seconds", round(recovery[0], 1))
    assert figures == undisturbed_figures
