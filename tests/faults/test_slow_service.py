"""The gateway in front of a service that answers too late: every request ends in a bounded time
with 503 and `Retry-After`, and after 1,000 of them the gunicorn workers hold no more file
descriptors, sockets, threads or memory than before (read from /proc of each worker).

The slow service is a nameko-compatible responder on crm's RPC queue (`rpc-crm`, bound to
`crm.*` on `nameko-rpc`) of a stack that runs only the gateway: it takes every request and
answers it, correctly addressed, two seconds after the gateway's RPC_TIMEOUT, so each late reply
reaches a reply queue whose caller has given up."""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pika
import pytest
import requests

from services.common.queues import durable_arguments
from tests.faults.conftest import own_stack

pytestmark = pytest.mark.faults

RPC_TIMEOUT = 0.3
LATE = RPC_TIMEOUT + 2.0
"""When the slow service answers: well past the timeout, so that a gateway thread the loaded machine left waiting
a moment after its deadline still finds no answer (at 2 × RPC_TIMEOUT one request in a thousand got its 200)."""
REQUESTS = 1000
WARM_UP = 300
RUNAWAY = 200  # descriptors above the start at which the run stops: each is a broker connection
GATEWAY_THREADS = 16  # deploy/gunicorn.conf.py's default, per worker
CLIENTS = 24  # below the gateway's 2 workers × 16 threads, so no request waits for a thread
# The RPC pool may still grow by up to one broker connection per concurrent client after the warm-up
# (which worker a keep-alive client lands on varies); a leak per request or per timeout is ~1,000.
SOCKET_SLACK = CLIENTS


class SlowResponder(threading.Thread):
    """Answers `<service>.*` RPCs the way nameko does (reply to `reply_to` on `nameko-rpc` with
    the request's correlation id), `delay` seconds late."""

    def __init__(self, amqp_uri: str, service: str, delay: float):
        super().__init__(daemon=True)
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.exchange_declare("nameko-rpc", exchange_type="topic", durable=True)
        queue = f"rpc-{service}"
        self.channel.queue_declare(queue, durable=True, arguments=durable_arguments())  # as crm declares it
        self.channel.queue_bind(queue, "nameko-rpc", routing_key=f"{service}.*")
        self.channel.basic_consume(queue, self._on_request, auto_ack=True)
        self.delay = delay
        self.requests = 0
        self.stopping = threading.Event()

    def _on_request(self, _channel, _method, properties, _body) -> None:
        self.requests += 1
        self.connection.call_later(self.delay, lambda: self.channel.basic_publish(
            "nameko-rpc", properties.reply_to, json.dumps({"result": {}, "error": None}),
            pika.BasicProperties(correlation_id=properties.correlation_id, content_type="application/json")))

    def run(self) -> None:
        while not self.stopping.is_set():
            self.connection.process_data_events(time_limit=0.2)
        self.connection.close()


def worker_pids(master_pid: int) -> list[int]:
    return [int(pid) for pid in open(f"/proc/{master_pid}/task/{master_pid}/children").read().split()]


def usage(pid: int) -> dict[str, int]:
    """Open descriptors, sockets among them, threads and resident memory (kB) of one process."""
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(FileNotFoundError):  # closed since the listing
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines())
    return {"fds": len(links), "sockets": sum(link.startswith("socket:") for link in links),
            "threads": int(status["Threads"]), "rss_kb": int(status["VmRSS"].split()[0])}


def usage_of(pids: list[int]) -> dict[str, int]:
    per_worker = [usage(pid) for pid in pids]
    return {key: sum(u[key] for u in per_worker) for key in per_worker[0]}


def hammer(url: str, token: str, count: int, stop: threading.Event) -> list[tuple[int, str | None, float]]:
    """Up to `count` GETs from CLIENTS keep-alive clients, fewer once `stop` is set:
    (status, Retry-After, seconds) each."""
    local = threading.local()
    sessions = []

    def one(_):
        if stop.is_set():
            return None
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"Bearer {token}"
            sessions.append(local.session)
        started = time.monotonic()
        reply = local.session.get(url, timeout=RPC_TIMEOUT + 30)
        return reply.status_code, reply.headers.get("Retry-After"), time.monotonic() - started

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [result for result in pool.map(one, range(count)) if result is not None]
    for session in sessions:
        session.close()
    return results


class Sampler(threading.Thread):
    """Samples the workers' usage every half second; sets `runaway` when descriptors pass
    `limit`, so that a leaking gateway is stopped before it exhausts the shared broker."""

    def __init__(self, workers: list[int], limit: int):
        super().__init__(daemon=True)
        self.workers, self.limit = workers, limit
        self.samples: list[dict[str, int]] = []
        self.runaway, self.done = threading.Event(), threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.samples.append(usage_of(self.workers))
            if self.samples[-1]["fds"] > self.limit:
                self.runaway.set()


def test_a_slow_service_gets_bounded_503s_and_leaks_nothing_in_the_gateway(tmp_path_factory):
    with own_stack(tmp_path_factory.mktemp("slow"), extra_env={"RPC_TIMEOUT": str(RPC_TIMEOUT)},
                   gateway_only=True) as slow:
        responder = SlowResponder(slow.env["AMQP_URI"], "crm", delay=LATE)
        responder.start()
        token = slow.login().headers["Authorization"].split()[1]
        url = f"{slow.url}/v1/customers/c-slow"
        workers = worker_pids(slow.processes["gateway"].pid)

        hammer(url, token, WARM_UP, threading.Event())  # the same load first: threads and RPC pool grown
        time.sleep(LATE + 1)
        before = usage_of(workers)
        sampler = Sampler(workers, limit=before["fds"] + RUNAWAY)
        sampler.start()
        started = time.monotonic()
        results = hammer(url, token, REQUESTS, sampler.runaway)
        elapsed = time.monotonic() - started
        sampler.done.set()
        sampler.join()
        time.sleep(LATE + 1)  # the last late replies arrive and are dropped
        after = usage_of(workers)
        responder.stopping.set()
        responder.join()

    peak = {key: max(sample[key] for sample in sampler.samples) for key in before}
    print(f"\n{len(results)} requests in {elapsed:.1f}s; gateway workers before {before}, "
          f"peak during {peak}, after {after}")
    assert not sampler.runaway.is_set(), f"descriptors ran away, stopped after {len(results)}: {before} {peak}"
    assert len(results) == REQUESTS and responder.requests >= REQUESTS  # each reached the slow service
    assert {(status, retry_after) for status, retry_after, _ in results} == {(503, "5")}
    slowest = max(seconds for _, _, seconds in results)
    assert slowest < RPC_TIMEOUT + 3, slowest  # bounded: the timeout and a loaded machine's queueing, never a hang
    assert after["sockets"] <= before["sockets"] + SOCKET_SLACK, (before, after)
    assert after["fds"] <= before["fds"] + 2 * SOCKET_SLACK, (before, after)
    # gthread grows its pool up to GATEWAY_THREADS per worker and keeps it; a leak would pass that
    assert after["threads"] <= len(workers) * (GATEWAY_THREADS + 4), (before, after)
    assert after["rss_kb"] <= before["rss_kb"] * 1.1 + 4096, (before, after)
