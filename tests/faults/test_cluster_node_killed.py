"""The one-car loop on a three-node RabbitMQ cluster (`BrokerCluster`: three private nodes on this machine,
never the shared one) while the node holding the quorum queues' leaders is killed and brought back.

Right after the contract, while its events are on their way, that node gets SIGKILL. The clients know all
three nodes (AMQP_URI with the three addresses, `;`-separated) and reconnect to the others; the queues
elect new leaders among the two nodes left (a majority). Every request made meanwhile is answered within
RPC_TIMEOUT (with slack) by 200 or 503 with Retry-After; once requests succeed again the node is started
again and rejoins; the loop ends with the figures of an undisturbed loop: no event lost, none applied twice."""
from __future__ import annotations

import contextlib
import time
from collections import Counter
from typing import Iterator

import pytest
import requests

from deploy.rabbitmq import migrate_queues
from tests.faults.conftest import own_stack
from tests.support.broker import RABBITMQ_BIN, BrokerCluster
from tests.support.one_car import timed_loop
from tests.support.stack import Stack

RPC_TIMEOUT = 3  # the stack's (tests/support/stack.py)
SLACK = 2  # seconds beyond RPC_TIMEOUT an answer may take: connecting to another node first
PROBE_SECONDS = 5  # requests are made one after another at least this long after the kill, until one succeeds

pytestmark = [pytest.mark.faults, pytest.mark.cluster, pytest.mark.skipif(
    not (RABBITMQ_BIN / "rabbitmq-server").exists(), reason=f"no rabbitmq-server in {RABBITMQ_BIN} for private nodes")]


@contextlib.contextmanager
def leaders_node_killed_after(stack: Stack, cluster: BrokerCluster, admin: requests.Session,
                              seen: dict) -> Iterator[None]:
    yield
    leaders = cluster.leaders()
    holder, held = Counter(leaders.values()).most_common(1)[0]
    seen.update(leaders=len(leaders), held=held)
    cluster.node(holder).kill()
    killed, answers = time.monotonic(), []
    while time.monotonic() - killed < PROBE_SECONDS or answers[-1][0] != 200:
        started = time.monotonic()
        reply = admin.get(f"{stack.url}/v1/customers", timeout=30)
        answers.append((reply.status_code, time.monotonic() - started, reply.headers.get("Retry-After")))
        assert time.monotonic() - killed < 60, answers
    seen.update(answers=answers, recovery_seconds=time.monotonic() - killed)
    cluster.node(holder).start()
    seen["new_leaders"] = Counter(cluster.leaders().values())
    stack.wait_ready()


def test_loop_completes_while_the_leaders_node_is_killed_and_brought_back(
        tmp_path_factory, undisturbed_figures, record_property):
    cluster = BrokerCluster(tmp_path_factory.mktemp("cluster"))
    started = time.monotonic()
    try:
        cluster.start()
        record_property("cluster_start_seconds", round(time.monotonic() - started, 1))
        with own_stack(tmp_path_factory.mktemp("clustered"), amqp_uri=cluster.uri) as clustered:
            admin = clustered.login()
            seen: dict = {}

            def during(step: str):
                if step == "contract":
                    return leaders_node_killed_after(clustered, cluster, admin, seen)
                return contextlib.nullcontext()

            figures, seconds = timed_loop(clustered, admin, during)
    finally:
        cluster.stop()
    record_property("loop_seconds", round(seconds, 1))
    record_property("recovery_seconds", round(seen["recovery_seconds"], 1))
    record_property("answers_while_away", dict(Counter(status for status, _, _ in seen["answers"])))
    bound = [spec for spec in migrate_queues.declared_queues() if spec.bindings]  # the RPC and handler queues
    assert seen["held"] == seen["leaders"] >= len(bound), seen  # every queue's leader was on the killed node
    assert all(status in (200, 503) and elapsed < RPC_TIMEOUT + SLACK and (status == 200 or retry_after)
               for status, elapsed, retry_after in seen["answers"]), seen["answers"]
    assert figures == undisturbed_figures
