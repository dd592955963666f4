"""RabbitMQ restarted (`rabbitmqctl stop_app` / `start_app`) in the middle of the loop, right after
the contract while its events are on their way: the gateway answers 503 while the broker is
away, the services and the gateway reconnect by themselves (nothing is restarted), and the loop
ends with the same figures as an undisturbed one. Afterwards every service still stops on SIGTERM
within its STOP_TIMEOUT; and while the broker is down, SIGTERM still ends every service (nameko's
consumers retry the connection forever: the runner kills them, then leaves).

The shared RabbitMQ node must not be stopped, so this test runs a stack on a private node of
its own (tests/support/broker.py)."""
from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from typing import Iterator

import pytest
import requests

from services.common.config import SERVICES
from tests.faults.conftest import own_stack
from tests.support.broker import RABBITMQ_BIN, PrivateBroker
from tests.support.one_car import timed_loop
from tests.support.stack import Stack

STOP_TIMEOUT = 5  # seconds of graceful stop a service gets before it kills its workers
KILL_TIMEOUT = 5  # services.common.runner.KILL_TIMEOUT: then it exits

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
        with own_stack(tmp_path_factory.mktemp("restarted"), amqp_uri=broker.uri,
                       extra_env={"STOP_TIMEOUT": str(STOP_TIMEOUT)}) as restarted:
            admin = restarted.login()
            recovery: list[float] = []

            def during(step: str):
                if step == "contract":
                    return broker_restarted_after(restarted, broker, admin, recovery)
                return contextlib.nullcontext()

            figures, seconds = timed_loop(restarted, admin, during)
            stopped = stop_on_sigterm(restarted)
    finally:
        broker.stop()
    record_property("loop_seconds", round(seconds, 1))
    record_property("recovery_seconds", round(recovery[0], 1))
    assert figures == undisturbed_figures
    assert all(seconds is not None and seconds < STOP_TIMEOUT + 5 for seconds in stopped.values()), stopped


def test_services_stop_on_sigterm_while_the_broker_is_down(tmp_path_factory):
    broker = PrivateBroker(tmp_path_factory.mktemp("broker")).start()
    try:
        with own_stack(tmp_path_factory.mktemp("down"), amqp_uri=broker.uri,
                       extra_env={"STOP_TIMEOUT": str(STOP_TIMEOUT)}) as stack:
            broker.ctl("stop_app")
            stopped = stop_on_sigterm(stack)
    finally:
        broker.stop()
    assert all(seconds is not None and seconds < STOP_TIMEOUT + KILL_TIMEOUT + 5
               for seconds in stopped.values()), stopped


def stop_on_sigterm(stack: Stack) -> dict[str, float | None]:
    """SIGTERM to every service at once; seconds until each exited (None: still running after
    STOP_TIMEOUT + 10 s, then killed)."""
    processes = {name: stack.processes.pop(name) for name in SERVICES}
    started = time.monotonic()
    for process in processes.values():
        process.send_signal(signal.SIGTERM)
    stopped: dict[str, float | None] = {}
    for name, process in processes.items():
        try:
            process.wait(timeout=max(started + STOP_TIMEOUT + 10 - time.monotonic(), 0))
            stopped[name] = round(time.monotonic() - started, 1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            stopped[name] = None
    return stopped
