"""Webhook delivery under load: events on the bus to signed posts at the receivers.

    .venv/bin/python -m tests.bench.webhooks [--rate 100] [--subscriptions 20] [--duration 30] [--deliverers 1]
                                             [--json out.json]

Starts its own stack (tests/bench/harness.py, with the deliverer; `--deliverers 2` starts a second one beside
it, sharing the queue and the database), makes `--subscriptions` webhooks of one store for
`crm.customer_registered`, all to one local receiver (each its own path; an aiohttp server in a process of its
own, so that it is not the bottleneck, which verifies every signature), then publishes `--rate` contract
envelopes a second for `--duration` seconds straight onto `crm.events` (what crm's outbox relay does), and
waits for every (subscription, event) to arrive. Reports event-to-receiver latency (the envelope's
`occurred_at` to the receiver's clock, same machine), the posts a second, the CPU the deliverers and the
receiver used while loaded, and each deliverer's RSS sampled every 5 s (flat or growing). Target: p99 < 1 s.
Staff reads (`GET /v1/customers`, one after another) are timed for `--duration` seconds (at most 60) before the
events and again while they are published and delivered: the ratio of their p50 and p99 (loaded / quiet, one
run) is the deliveries' effect on the staff. A benchmark script, not a test.
"""
from __future__ import annotations

import json
import multiprocessing
import sys
import threading
import time
import uuid
from datetime import datetime, timezone

import psutil
import requests
from aiohttp import web
from kombu import Connection, Exchange

from gateway.partners import signing
from tests.bench.harness import (bench_parser, cpu_seconds, header_line, markdown_table, rss_mb, run_on_stack, step,
                                 summarise, verdict)
from tests.support.stack import free_port

TARGET_P99_S = 1.0
SECRET = "bench-webhook-secret-0123456789"


def receive(port: int) -> None:
    """The receiver (its own process): verifies each post's signature and keeps, per (path, event id), the
    seconds from the event's time to its first arrival; `GET /figures` answers what it kept."""
    latency: dict[tuple[str, str], float] = {}
    counts = {"bad_signatures": 0, "posts": 0}

    async def take(request: web.Request) -> web.Response:
        raw = await request.read()
        arrived = time.time()
        counts["posts"] += 1
        if not signing.verify(SECRET, raw, request.headers.get(signing.HEADER, "")):
            counts["bad_signatures"] += 1
        occurred = datetime.fromisoformat(json.loads(raw)["occurred_at"]).timestamp()
        latency.setdefault((request.path, request.headers.get("Webhook-Id", "")), arrived - occurred)
        return web.Response()

    async def figures(request: web.Request) -> web.Response:
        if request.query.get("count"):
            return web.json_response({"received": len(latency), **counts})
        return web.json_response({"received": len(latency), **counts, "latency": list(latency.values())})

    app = web.Application()
    app.add_routes([web.post("/hook/{n}", take), web.get("/figures", figures)])
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


class Receiver:
    def __init__(self):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = multiprocessing.get_context("spawn").Process(target=receive, args=(port,), daemon=True)
        self.process.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                self.figures(count=True)
                return
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the receiver did not start"
                time.sleep(0.2)

    def figures(self, count: bool = False) -> dict:
        return requests.get(f"{self.url}/figures", params={"count": 1} if count else {}, timeout=60).json()

    def close(self) -> None:
        self.process.terminate()
        self.process.join(10)


def envelope(store_id: str) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": "crm.customer_registered", "version": 1,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "store_id": store_id, "request_id": None,
            "actor": None, "payload": {"customer_id": uuid.uuid4().hex[:26], "name": "压测客户",
                                       "home_store_id": store_id, "source": None, "marketing_consent": False,
                                       "tags": []}}


def staff_reads(session, url: str, seconds: float, until: threading.Event | None = None) -> list[float]:
    """Seconds of each `GET /v1/customers` made one after another for `seconds` (or until `until` is set)."""
    took: list[float] = []
    ends = time.monotonic() + seconds
    while time.monotonic() < ends and not (until and until.is_set()):
        started = time.perf_counter()
        session.get(f"{url}/v1/customers", params={"limit": 20}, timeout=30).raise_for_status()
        took.append(time.perf_counter() - started)
    return took


def measure(args, stack, amqp_uri: str) -> dict:
    for n in range(2, args.deliverers + 1):  # more replicas: competing consumers of the same queue
        stack._spawn(f"webhooks#{n}", [sys.executable, "-m", "gateway.partners.deliverer"],
                     {"WEBHOOK_HEALTH_PORT": "0"})
    admin = stack.login()
    store = admin.post(f"{stack.url}/v1/stores", json={"code": f"BENCH-{uuid.uuid4().hex[:6]}",
                                                       "name": "压测门店"}).json()
    receiver = Receiver()
    try:
        return measure_with(args, stack, amqp_uri, admin, store, receiver)
    finally:
        receiver.close()


def measure_with(args, stack, amqp_uri: str, admin, store: dict, receiver: Receiver) -> dict:
    for n in range(args.subscriptions):
        reply = admin.post(f"{stack.url}/v1/webhooks", json={
            "url": f"{receiver.url}/hook/{n}", "event_types": ["crm.customer_registered"], "store_ids": [store["id"]],
            "secret": SECRET})
        assert reply.status_code == 201, reply.text
    deliverers = {name: psutil.Process(popen.pid) for name, popen in stack.processes.items()
                  if name.startswith("webhooks")}
    receiving = psutil.Process(receiver.process.pid)
    quiet_seconds = min(args.duration, 60)
    step(f"staff reads for {quiet_seconds:.0f} s, quiet")
    quiet = staff_reads(admin, stack.url, quiet_seconds)
    loaded: list[float] = []
    publishing = threading.Event()
    reader = threading.Thread(target=lambda: loaded.extend(
        staff_reads(stack.login(), stack.url, args.duration + args.drain, publishing)), daemon=True)
    memory = {name: [(0.0, rss_mb(process))] for name, process in deliverers.items()}
    cpu = {name: cpu_seconds(process) for name, process in [*deliverers.items(), ("receiver", receiving)]}
    events = []
    step(f"{args.rate} events/s for {args.duration} s to {args.subscriptions} webhooks, "
         f"{len(deliverers)} deliverer(s)")
    exchange = Exchange("crm.events", type="topic", durable=True)
    reader.start()
    started = time.monotonic()
    sampled = 0.0

    def sample(elapsed: float) -> None:
        for name, process in deliverers.items():
            memory[name].append((elapsed, rss_mb(process)))

    with Connection(amqp_uri) as connection:
        producer = connection.Producer(serializer="json")
        while (elapsed := time.monotonic() - started) < args.duration:
            due = int(elapsed * args.rate) + 1
            while len(events) < due:
                event = envelope(store["id"])
                producer.publish(event, exchange=exchange, routing_key="customer_registered", declare=[exchange])
                events.append(event["event_id"])
            if elapsed - sampled >= 5:
                sample(sampled := elapsed)
            time.sleep(0.002)
    expected = len(events) * args.subscriptions
    step(f"waiting for {expected} deliveries")
    deadline = time.monotonic() + args.drain
    while receiver.figures(count=True)["received"] < expected and time.monotonic() < deadline:
        sample(time.monotonic() - started)
        time.sleep(1)
    finished = time.monotonic() - started
    publishing.set()
    reader.join()
    sample(finished)
    used = {name: round((cpu_seconds(process) - cpu[name]) / finished, 2)
            for name, process in [*deliverers.items(), ("receiver", receiving)]}
    got = receiver.figures()
    return {"staff_reads": {"quiet": summarise(quiet), "loaded": summarise(loaded)},
            "events": len(events), "expected": expected, "received": got["received"], "posts": got["posts"],
            "bad_signatures": got["bad_signatures"], "latency": summarise(got["latency"]),
            "posts_per_second": round(got["received"] / finished, 1), "cores_used": used,
            "rss_mb": {name: [(round(t), round(m, 1)) for t, m in samples]
                       for name, samples in memory.items()}}


def report(figures: dict, meta: dict) -> str:
    latency = figures["latency"]
    rows = [["event → receiver p50 / p95 / p99 (ms)",
             f"{latency['median_ms']:.0f} / {latency['p95_ms']:.0f} / {latency['p99_ms']:.0f}"],
            ["deliveries received / expected (posts, duplicates included)",
             f"{figures['received']} / {figures['expected']} ({figures['posts']})"],
            ["posts a second (whole run)", figures["posts_per_second"]],
            ["bad signatures", figures["bad_signatures"]],
            ["cores used while loaded", ", ".join(f"{name} {used}" for name, used in figures["cores_used"].items())]]
    for name, samples in figures["rss_mb"].items():
        shown = samples[::max(1, len(samples) // 12)]
        after_a_minute = [m for t, m in samples if t >= 60] or [m for _t, m in samples]
        rows.append([f"{name} RSS MB (s, MB)", ", ".join(f"{t}s {m}" for t, m in shown)
                     + f"; from 60 s on: {min(after_a_minute)}–{max(after_a_minute)}"])
    quiet, loaded = figures["staff_reads"]["quiet"], figures["staff_reads"]["loaded"]
    for name in ("median_ms", "p99_ms"):
        rows.append([f"staff GET /v1/customers {name[:-3]} quiet → while delivering (ms)",
                     f"{quiet[name]:.1f} → {loaded[name]:.1f} (× {loaded[name] / quiet[name]:.2f})"])
    passed = figures["received"] == figures["expected"] and latency["p99_ms"] < TARGET_P99_S * 1000
    return "\n".join([header_line(meta), "", markdown_table(["figure", "value"], rows), "",
                      f"p99 < {TARGET_P99_S:.0f} s with every delivery received: {verdict(passed)}"])


def main() -> int:
    parser = bench_parser("webhooks", __doc__)
    parser.add_argument("--rate", type=int, default=100, help="events a second")
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30, help="seconds of publishing")
    parser.add_argument("--drain", type=float, default=120, help="seconds to wait for the last deliveries")
    parser.add_argument("--deliverers", type=int, default=1, help="deliverer processes sharing the work")
    args = parser.parse_args()
    return run_on_stack("webhooks", args, lambda stack, uri: measure(args, stack, uri), report)


if __name__ == "__main__":
    sys.exit(main())
