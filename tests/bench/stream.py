"""The live stream (GET /v1/stream): event → client latency beside the polling it replaces, and how many
idle streams one stream process holds, with its memory and CPU at rest and during a burst.

    .venv/bin/python -m tests.bench.stream [--orders 100] [--streams 2000] [--burst 200] [--json out.json]

Starts its own live stack (tests/bench/harness.py; the stream process behind the same-origin front).
1. Latency, in one run: `--orders` quotes contracted one at a time; for each, from the contract's HTTP reply
   until (a) the SSE client (through the front) gets `workshop.work_order_status_changed` for its work order
   (sales' outbox → `sales.order_confirmed` → workshop opens it → its outbox → the stream process → the
   client), alternating with (b) `GET /v1/work-orders?order_id=` in a tight loop until it is readable (the
   fastest polling can be; the console polled nothing, or every 15 s: 7.5 s on average); beside (c) the RPC
   hop (crm.ping) in the same run. Also, for each streamed order, (d) event → client: from the work order's
   event (its `occurred_at`, stamped in workshop's unit of work before it commits) to the client, the issue's
   "event → browser". Target (issue 25): (d)'s p99 < 10× the hop median; (a), the whole path, is reported beside.
2. Idle streams: `--streams` streams opened straight to the stream process (one asyncio client), its memory
   per stream and CPU over 10 s at rest; then `--burst` events published to their store at once: time
   until every stream has every event, CPU of the burst. Beside it, what the gthread gateway holds: one
   request per thread (GATEWAY_THREADS per process). A benchmark script, not a test.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import pika
import psutil
import requests
from tqdm import tqdm

from gateway.rpc import RpcClient
from tests.bench.flow import Shop, ok
from tests.bench.harness import (bench_parser, cpu_seconds, header, header_line, markdown_table, private_stack,
                                 publish, rss_mb, step, summarise, verdict)
from services.common.migrate import upgrade
from tests.support.infra import Vhost
from tests.support.sse import Listener
from tests.support.stack import Stack

TARGET = 10.0
HEARTBEAT = 15  # production's default (the test stacks use 2 s)
GTHREAD_THREADS = 16  # deploy/gunicorn.conf.py's default: one held request per thread


def latency(args, stack, amqp_uri: str) -> dict:
    shop = Shop(stack)
    quotes = [shop.approved_quote(shop.part_lines(1))["id"]
              for _ in tqdm(range(args.orders), desc="approved quotes", unit="quote", file=sys.stderr)]
    token = shop.advisor.headers["Authorization"].split(" ", 1)[1]
    listener = Listener(stack.url, token, shop.store_id)
    assert listener.next().event == "open"
    client = RpcClient(amqp_uri, timeout=5)
    context = {"request_id": uuid.uuid4().hex, "role": "hq_admin", "store_ids": ""}
    for _ in range(50):
        client.call("crm", "ping", context)
    streamed, from_event, polled, hops, gets = [], [], [], [], []
    wall = time.time() - time.perf_counter()  # a perf_counter() reading + wall = the wall clock (same machine)
    step(f"{args.orders} orders: by the stream and by polling in turn, the hop in between")
    for number, quote_id in enumerate(tqdm(quotes, desc="orders", unit="order", file=sys.stderr)):
        for _ in range(5):
            started = time.perf_counter()
            client.call("crm", "ping", context)
            hops.append(time.perf_counter() - started)
        order_id = shop.contract(quote_id)["id"]
        replied = time.perf_counter()
        if number % 2 == 0:
            event = listener.until(lambda e, order_id=order_id: e.event == "change" and e.data["ids"].get(
                "order_id") == order_id and e.data["type"] == "workshop.work_order_status_changed", timeout=30)
            streamed.append(event.at - replied)
            from_event.append(event.at + wall - datetime.fromisoformat(event.data["occurred_at"]).timestamp())
        else:
            tries = 1
            while not shop.work_order_of(order_id):
                tries += 1
                if time.perf_counter() - replied > 30:
                    raise RuntimeError(f"no work order for order {order_id} within 30 s")
            polled.append(time.perf_counter() - replied)
            gets.append(tries)
    listener.close()
    client.close()
    shop.close()
    return {"stream": summarise(streamed), "event": summarise(from_event), "poll": summarise(polled),
            "hop": summarise(hops), "gets_median": sorted(gets)[len(gets) // 2]}


async def open_streams(port: int, token: str, store_id: str, count: int) -> tuple[list, dict]:
    """`count` streams on raw connections; each reader counts the `change` events it gets."""
    got = {"events": [0] * count, "last": [0.0] * count}
    connections = []

    async def one(index: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /v1/stream?store_id={store_id} HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n"
                     f"Authorization: Bearer {token}\r\n\r\n".encode())
        await writer.drain()
        status = await reader.readline()
        assert b" 200 " in status, status
        connections.append(writer)

        async def count_events() -> None:
            while line := await reader.readline():
                if line.startswith(b"event: change"):
                    got["events"][index] += 1
                    got["last"][index] = time.perf_counter()
        asyncio.get_running_loop().create_task(count_events())

    for start in range(0, count, 200):  # in steps, as clients arrive
        await asyncio.gather(*(one(i) for i in range(start, min(start + 200, count))))
    return connections, got


def publish_burst(amqp_uri: str, store_id: str, count: int) -> None:
    """`count` board moves of `store_id` on workshop's exchange at once, on one connection (as its relay does)."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    for n in range(count):
        envelope = {"event_id": str(uuid.uuid4()), "type": "workshop.work_order_status_changed", "version": 1,
                    "occurred_at": "2026-12-06T00:00:00+00:00", "store_id": store_id, "request_id": None,
                    "payload": {"work_order_id": f"bench-{n}", "order_id": f"bench-{n}", "store_id": store_id,
                                "from_status": "open", "to_status": "dispatched",
                                "changed_at": "2026-12-06T00:00:00+00:00"}}
        channel.basic_publish("workshop.events", "work_order_status_changed", json.dumps(envelope),
                              pika.BasicProperties(content_type="application/json"))
    connection.close()


def stream_worker(stack) -> psutil.Process:
    master = psutil.Process(stack.processes["stream"].pid)
    [worker] = master.children()
    return worker


def patient_login(stack, *credentials: str):
    """A login that a machine under load may answer late (bcrypt): tried again."""
    for attempt in range(5):
        try:
            return stack.login(*credentials)
        except requests.RequestException:
            if attempt == 4:
                raise
            time.sleep(2)


def idle(args, stack, amqp_uri: str, vhost) -> dict:
    admin = patient_login(stack)
    store = {"code": f"S-{uuid.uuid4().hex[:6]}", "name": "直播店"}
    store_id = ok(admin.post(f"{stack.url}/v1/stores", json=store))["id"]
    username = f"advisor-{uuid.uuid4().hex[:6]}"
    ok(admin.post(f"{stack.url}/v1/users", json={"username": username, "password": "Secret-pass-1",
                                                 "role": "service_advisor", "store_ids": [store_id]}))
    token = patient_login(stack, username, "Secret-pass-1").headers["Authorization"].split(" ", 1)[1]
    worker = stream_worker(stack)
    time.sleep(2)
    before_mb = rss_mb(worker)
    loop = asyncio.new_event_loop()
    step(f"{args.streams} idle streams on one stream process")
    opened = time.perf_counter()
    connections, got = loop.run_until_complete(open_streams(stack.stream_port, token, store_id, args.streams))
    open_seconds = time.perf_counter() - opened
    loop.run_until_complete(asyncio.sleep(3))
    held_mb = rss_mb(worker)
    cpu0 = cpu_seconds(worker)
    loop.run_until_complete(asyncio.sleep(10))
    rest_cpu = (cpu_seconds(worker) - cpu0) / 10
    step(f"a burst of {args.burst} events to their store")
    cpu0 = cpu_seconds(worker)
    burst_started = time.perf_counter()
    publish_burst(vhost.uri, store_id, args.burst)
    expected = args.burst
    deadline = time.perf_counter() + 120
    while min(got["events"]) < expected and time.perf_counter() < deadline:
        loop.run_until_complete(asyncio.sleep(0.05))
    burst_seconds = max(got["last"]) - burst_started  # from the first publish (one connection) to the last write
    burst_cpu = cpu_seconds(worker) - cpu0
    burst_mb = rss_mb(worker)
    complete = sum(1 for n in got["events"] if n == expected)
    for writer in connections:
        writer.close()
    loop.run_until_complete(asyncio.sleep(1))
    loop.close()
    return {"streams": args.streams, "open_seconds": open_seconds, "rss_before_mb": before_mb, "rss_held_mb": held_mb,
            "kb_per_stream": (held_mb - before_mb) * 1024 / args.streams, "rest_cpu_share": rest_cpu,
            "burst": args.burst, "burst_seconds": burst_seconds, "burst_cpu_seconds": burst_cpu,
            "rss_burst_mb": burst_mb, "complete_streams": complete,
            "writes_per_second": args.burst * args.streams / burst_seconds if burst_seconds > 0 else None}


def report(figures: dict, meta: dict) -> str:
    held = figures["idle"]
    idle_table = markdown_table(["idle streams on one stream process", "value"], [
        ["streams held", f"{held['streams']} (all opened in {held['open_seconds']:.1f} s)"],
        ["gthread gateway: requests one process holds",
         f"{GTHREAD_THREADS} → {held['streams'] / GTHREAD_THREADS:.0f}×"],
        ["stream process RSS before → held", f"{held['rss_before_mb']:.1f} → {held['rss_held_mb']:.1f} MB"],
        ["memory per stream", f"{held['kb_per_stream']:.1f} KB"],
        [f"CPU at rest (10 s, a heartbeat every {HEARTBEAT} s)", f"{held['rest_cpu_share'] * 100:.1f} % of a core"],
        [f"burst: {held['burst']} events to every stream", f"{held['burst_seconds']:.2f} s until all delivered, "
         f"{held['burst_cpu_seconds']:.2f} s CPU, {held['writes_per_second'] or 0:,.0f} writes/s"],
        ["streams that got every event", f"{held['complete_streams']} of {held['streams']}"],
        ["RSS after the burst", f"{held['rss_burst_mb']:.1f} MB"]])
    if "latency" not in figures:
        return "\n".join([header_line(meta), "", idle_table])
    lat = figures["latency"]

    def row(name: str, f: dict) -> list:
        return [name, f["calls"], *(f"{f[key]:.1f}" for key in ("median_ms", "p95_ms", "p99_ms", "max_ms"))]

    ratio = lat["event"]["p99_ms"] / lat["hop"]["median_ms"]
    whole = lat["stream"]["p99_ms"] / lat["hop"]["median_ms"]
    return "\n".join([header_line(meta), "", markdown_table(
        ["contract reply → the work order on the client", "n", "median ms", "p95 ms", "p99 ms", "max ms"],
        [row("by the stream (SSE event through the front)", lat["stream"]),
         row("of which: the work order's event (occurred_at) → the client", lat["event"]),
         row("by polling GET /v1/work-orders?order_id= in a tight loop", lat["poll"]),
         row("RPC hop crm.ping, same run", lat["hop"])]),
        "", f"GETs per order until readable by polling (median): {lat['gets_median']}; the console's fallback "
            f"polls every 15 s (7,500 ms on average, 15,000 ms at worst)", "",
        markdown_table(["ratio", "value", "target", "result"], [
            ["event → client p99 ÷ hop median", f"{ratio:.1f}×", f"< {TARGET:g}×", verdict(ratio < TARGET)],
            ["contract reply → client p99 ÷ hop median (two outboxes, two hops)", f"{whole:.1f}×", "", ""],
            ["stream median ÷ tight polling median", f"{lat['stream']['median_ms'] / lat['poll']['median_ms']:.2f}×",
             "", ""],
            ["console's 15 s polling (mean 7,500 ms) ÷ stream median",
             f"{7500 / lat['stream']['median_ms']:.0f}×", "", ""]]),
        "", idle_table])


def main() -> int:
    parser = bench_parser("stream", __doc__)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--idle-only", action="store_true",
                        help="only part 2, on the gateway and the stream alone (SQLite identity database)")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # the client's sockets, and the stack's (inherited)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.streams * 2 + 1024)), hard))
    meta = header("stream")
    started = time.monotonic()
    if args.idle_only:
        with gateway_and_stream() as (stack, amqp_uri):
            figures = {"idle": idle(args, stack, amqp_uri, VhostUri(amqp_uri))}
        publish(meta, started, report(figures, meta), figures, args.json)
        return 0
    with private_stack(args.keep_logs, live=True, extra_env={"STREAM_HEARTBEAT_SECONDS": str(HEARTBEAT)}) as (
            stack, amqp_uri):
        figures = {"idle": idle(args, stack, amqp_uri, VhostUri(amqp_uri))}
        figures["latency"] = latency(args, stack, amqp_uri)
    publish(meta, started, report(figures, meta), figures, args.json)
    return 0


@contextlib.contextmanager
def gateway_and_stream():
    """The gateway (logins, stores, users) and the stream behind the front, on their own vhost and a SQLite
    identity database: no service, no PostgreSQL (part 2 needs neither; the events are published here)."""
    log_dir = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    vhost = Vhost().create()
    url = f"sqlite:///{log_dir}/gateway.db"
    stack = Stack(vhost.uri, {"GATEWAY_DATABASE_URL": url}, log_dir, live=True,
                  extra_env={"STREAM_HEARTBEAT_SECONDS": str(HEARTBEAT)})
    try:
        upgrade("gateway", url)
        stack.start_gateway()
        stack.start_stream()
        stack.wait_ready(path="/healthz")
        stack.wait_ready(url=stack.stream_url, path="/healthz")
        yield stack, vhost.uri
    finally:
        stack.stop()
        vhost.drop()
        shutil.rmtree(log_dir, ignore_errors=True)


class VhostUri:
    """What tests.support.bus.publish needs of a vhost: its URI."""

    def __init__(self, uri: str):
        self.uri = uri


if __name__ == "__main__":
    sys.exit(main())
