"""Webhook delivery under load: events on the bus to signed posts at the receivers.

    .venv/bin/python -m tests.bench.webhooks [--rate 100] [--subscriptions 20] [--duration 30] [--json out.json]

Starts its own stack (tests/bench/harness.py, with the deliverer), makes `--subscriptions` webhooks of one
store for `crm.customer_registered`, all to one local receiver (each its own path) that verifies every
signature, then publishes `--rate` contract envelopes a second for `--duration` seconds straight onto
`crm.events` (what crm's outbox relay does), and waits for every (subscription, event) to arrive. Reports
event-to-receiver latency (the envelope's `occurred_at` to the receiver's clock, same machine), the posts a
second, and the deliverer's RSS sampled every 5 s (flat or growing). Target: p99 < 1 s. Staff reads
(`GET /v1/customers`, one after another) are timed for `--duration` seconds before the events and again while
they are published and delivered: the ratio of their p50 and p99 (loaded / quiet, one run) is the deliveries'
effect on the staff. A benchmark script, not a test.
"""
from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil
from kombu import Connection, Exchange

from gateway.partners import signing
from tests.bench.harness import (bench_parser, header_line, markdown_table, rss_mb, run_on_stack, step, summarise,
                                 verdict)

TARGET_P99_S = 1.0
SECRET = "bench-webhook-secret-0123456789"


class Arrivals:
    """A receiver that keeps, per (path, event id), the seconds from the event's time to its arrival."""

    def __init__(self):
        self.latency: dict[tuple[str, str], float] = {}
        self.bad_signatures = 0
        self.lock = threading.Lock()
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = datetime.now(timezone.utc)
                ok = signing.verify(SECRET, raw, self.headers.get(signing.HEADER, ""))
                occurred = datetime.fromisoformat(json.loads(raw)["occurred_at"])
                with arrivals.lock:
                    if not ok:
                        arrivals.bad_signatures += 1
                    arrivals.latency.setdefault((self.path, self.headers.get("Webhook-Id", "")),
                                                (arrived - occurred).total_seconds())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


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
    admin = stack.login()
    store = admin.post(f"{stack.url}/v1/stores", json={"code": f"BENCH-{uuid.uuid4().hex[:6]}",
                                                       "name": "压测门店"}).json()
    receiver = Arrivals()
    for n in range(args.subscriptions):
        reply = admin.post(f"{stack.url}/v1/webhooks", json={
            "url": f"{receiver.url}/hook/{n}", "event_types": ["crm.customer_registered"], "store_ids": [store["id"]],
            "secret": SECRET})
        assert reply.status_code == 201, reply.text
    deliverer = psutil.Process(stack.processes["webhooks"].pid)
    step(f"staff reads for {args.duration} s, quiet")
    quiet = staff_reads(admin, stack.url, args.duration)
    loaded: list[float] = []
    publishing = threading.Event()
    reader = threading.Thread(target=lambda: loaded.extend(
        staff_reads(stack.login(), stack.url, args.duration + args.drain, publishing)), daemon=True)
    memory = [(0.0, rss_mb(deliverer))]
    events = []
    step(f"{args.rate} events/s for {args.duration} s to {args.subscriptions} webhooks")
    exchange = Exchange("crm.events", type="topic", durable=True)
    reader.start()
    started = time.monotonic()
    with Connection(amqp_uri) as connection:
        producer = connection.Producer(serializer="json")
        while (elapsed := time.monotonic() - started) < args.duration:
            due = int(elapsed * args.rate) + 1
            while len(events) < due:
                event = envelope(store["id"])
                producer.publish(event, exchange=exchange, routing_key="customer_registered", declare=[exchange])
                events.append(event)
            if not memory or elapsed - memory[-1][0] >= 5:
                memory.append((elapsed, rss_mb(deliverer)))
            time.sleep(0.002)
    expected = len(events) * args.subscriptions
    step(f"waiting for {expected} deliveries")
    deadline = time.monotonic() + args.drain
    while len(receiver.latency) < expected and time.monotonic() < deadline:
        memory.append((time.monotonic() - started, rss_mb(deliverer)))
        time.sleep(1)
    finished = time.monotonic() - started
    publishing.set()
    reader.join()
    return {"staff_reads": {"quiet": summarise(quiet), "loaded": summarise(loaded)},
            "events": len(events), "expected": expected, "received": len(receiver.latency),
            "bad_signatures": receiver.bad_signatures, "latency": summarise(list(receiver.latency.values())),
            "posts_per_second": round(len(receiver.latency) / finished, 1),
            "rss_mb": [(round(t), round(m, 1)) for t, m in memory[::max(1, len(memory) // 12)]]}


def report(figures: dict, meta: dict) -> str:
    latency = figures["latency"]
    rows = [["event → receiver p50 / p95 / p99 (ms)",
             f"{latency['median_ms']:.0f} / {latency['p95_ms']:.0f} / {latency['p99_ms']:.0f}"],
            ["deliveries received / expected", f"{figures['received']} / {figures['expected']}"],
            ["posts a second (whole run)", figures["posts_per_second"]],
            ["bad signatures", figures["bad_signatures"]],
            ["deliverer RSS MB (s, MB)", ", ".join(f"{t}s {m}" for t, m in figures["rss_mb"])]]
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
    args = parser.parse_args()
    return run_on_stack("webhooks", args, lambda stack, uri: measure(args, stack, uri), report)


if __name__ == "__main__":
    sys.exit(main())
