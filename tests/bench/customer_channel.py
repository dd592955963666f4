"""Staff reads while car owners follow their cars: is the customer channel kept away from staff work?

    .venv/bin/python -m tests.bench.customer_channel [--sessions 200] [--follow stream|poll] [--changes 1]
        [--poll 5] [--duration 10] [--rounds 2] [--customer-threads 4] [--shared] [--json out.json]

Starts its own stack with the customer channel on gateway workers of its own (tests/support/stack.py `live`: the
staff gateway `GATEWAY_SERVES=staff`, 2 workers x 16 threads; the channel's deploy/gunicorn_customer.conf.py,
1 worker x `--customer-threads`), as `make run`, compose and Kubernetes run them. Seeds `--sessions` car owners, each
with a car checked in (`--with-work` of them also quoted, approved and contracted, so their car has a work order),
and signs each in through the real `POST /c/v1/auth/code` and `/c/v1/auth/login`, the code read from the SMS
sandbox as the e2e tests do. Each session then follows its car as the phone app's car screen does
(gateway/mobile/js/app.js `car()`: the timeline, the stores, and the care cards' work orders, follow-ups and
reminders, five GETs at once), from one asyncio client (aiohttp, a connection pool per phone):
- `--follow stream` (the default, what the app does: gateway/mobile/js/live.js): the screen read once, then its
  owner's stream held open (`GET /c/v1/stream` on the stream process) and the screen read again on each change
  (a burst within 300 ms is one read, as live.js coalesces). The shop makes `--changes` changes a second that
  reach a car owner (a car registered for one of them at random: `crm.vehicle_registered` names the customer),
  in every phase, with or without the car owners — far more than a store's twenty cars in work make (a few an
  hour each);
- `--follow poll`: the screen read again every `--poll` seconds (a closed loop: the next refresh after the last
  one answered) — a phone that could not hold a stream, all 200 at once: a stress figure, not the app.

Phases alternate in one run, `--rounds` times: staff alone, then staff with the car owners following their cars.
In each, the staff read benchmark (tests/bench/gateway_read.py: wrk at `--connections` 16 on `GET
/v1/customers/{id}` and `GET /v1/work-orders/{id}` as the store's advisor, 2 s warm-up, then `--duration` s each)
runs against the staff gateway. Prints staff p50/p99 alone and with the car owners and their ratio against the
1.2x target, the car owners' side (requests and screens per second, latency, errors by kind), and the CPU each part
of the machine spent. Requests go to each gateway's own port: the front (deploy/front.py, standing in for nginx
or the Ingress) is left out of the figure. `--shared` runs the same with one gateway serving both sides (the
arrangement before the channel had workers of its own), for comparison.

A benchmark script, not a test. On a 2-core machine every process (the services, PostgreSQL, RabbitMQ, both
gateways, wrk and this client) shares the same two cores: what the channel's own workers bound is how many car
owners' requests run at once, not the CPU the services spend on them.
"""
from __future__ import annotations

import asyncio
import random
import resource
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import psutil
import requests

from tests.bench.flow import Shop, ok
from tests.bench.harness import (bench_parser, cpu_seconds, header, header_line, markdown_table, percentile,
                                 postgres_cpu_seconds, private_stack, publish, rabbitmq_cpu_seconds, step, verdict,
                                 wrk)
from tests.support import data
from tests.support.customer import sign_in

TARGET = 1.2  # staff p99 with the car owners / staff p99 alone, at most
CAR_SCREEN = ("/timeline?vehicle_id={vehicle}", "/stores", "/work-orders?vehicle_id={vehicle}",
              "/follow-ups?vehicle_id={vehicle}", "/reminders")
"""The car screen's five GETs (gateway/mobile/js/app.js `car()` and care.js `careCards()`), under /c/v1."""


# -- seeding --------------------------------------------------------------------------------------------------------

def seed_owner(stack, shop: Shop, with_work: bool) -> dict:
    """A car owner with a car checked in (and, `with_work`, quoted, approved and contracted), signed in."""
    mobile = data.mobile()
    customer = ok(shop.advisor.post(f"{shop.url}/v1/customers", json={
        "name": "陈车主", "mobile": mobile, "marketing_consent": True}))
    vehicle = ok(shop.advisor.post(f"{shop.url}/v1/customers/{customer['id']}/vehicles", json={
        "plate": data.plate(), "vin": data.vin(), "make": "本田", "model": "雅阁", "mileage_km": 30000}))
    visit = ok(shop.advisor.post(f"{shop.url}/v1/visits", json={
        "store_id": shop.store_id, "customer_id": customer["id"], "vehicle_id": vehicle["id"],
        "mileage_km": 30500, "needs": ["maintenance"]}))
    if with_work:
        quote = ok(shop.advisor.post(f"{shop.url}/v1/quotes", json={"visit_id": visit["id"],
                                                                   "lines": shop.part_lines(2)}))
        ok(shop.advisor.post(f"{shop.url}/v1/quotes/{quote['id']}/present"))
        ok(shop.advisor.post(f"{shop.url}/v1/quotes/{quote['id']}/decision", json={
            "approved_line_ids": [line["id"] for line in quote["lines"]], "declined_line_ids": []}))
        shop.contract(quote["id"])
    session = sign_in(stack, mobile)
    token = session.headers["Authorization"]
    session.close()
    return {"customer_id": customer["id"], "vehicle_id": vehicle["id"], "authorization": token}


# -- the car owners -------------------------------------------------------------------------------------------------

class Owners:
    """`sessions` car owners following their cars from one asyncio loop in a thread of its own, while `following`
    is set; what they saw is collected per phase."""

    def __init__(self, base_url: str, owners: list[dict], poll: float, stream_url: str | None = None):
        self.base_url = base_url
        self.stream_url = stream_url  # following by the stream (else polling every `poll` s)
        self.owners = owners
        self.poll = poll
        self.loop = asyncio.new_event_loop()
        self.following = asyncio.Event()
        self.in_flight = 0
        self.streams_open = 0
        self.reset()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tasks = [asyncio.run_coroutine_threadsafe(self.session(owner, n), self.loop)
                      for n, owner in enumerate(owners)]

    def reset(self) -> None:
        self.latencies: list[float] = []
        self.screens: list[float] = []
        self.errors: Counter[str] = Counter()
        self.changes_heard = 0
        self.started = time.monotonic()

    async def get(self, http: aiohttp.ClientSession, path: str) -> None:
        started = time.perf_counter()
        try:
            async with http.get(f"{self.base_url}/c/v1{path}") as reply:
                await reply.read()
                if reply.status != 200:
                    self.errors[str(reply.status)] += 1
                    return
        except asyncio.TimeoutError:
            self.errors["timeout"] += 1
            return
        except aiohttp.ClientError as exc:
            self.errors[exc.__class__.__name__] += 1
            return
        self.latencies.append(time.perf_counter() - started)

    async def screen(self, http: aiohttp.ClientSession, owner: dict) -> None:
        """The car screen's five GETs at once."""
        started = time.perf_counter()
        self.in_flight += 1
        try:
            await asyncio.gather(*(self.get(http, path.format(vehicle=owner["vehicle_id"])) for path in CAR_SCREEN))
        finally:
            self.in_flight -= 1
        self.screens.append(time.perf_counter() - started)

    async def session(self, owner: dict, number: int) -> None:
        connector = aiohttp.TCPConnector(limit=6)  # a phone's browser: six connections to an origin
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30),
                                         headers={"Authorization": owner["authorization"]}) as http:
            while True:
                await self.following.wait()
                await asyncio.sleep(random.uniform(0, self.poll))  # phones do not open the screen in step
                if self.stream_url:
                    await self.follow_stream(http, owner)
                    continue
                while self.following.is_set():
                    started = time.perf_counter()
                    await self.screen(http, owner)
                    await asyncio.sleep(max(0.0, self.poll - (time.perf_counter() - started)))

    async def follow_stream(self, http: aiohttp.ClientSession, owner: dict) -> None:
        """As live.js: the screen read, the owner's stream held open, the screen read again on a change (a burst
        within 300 ms one read); the stream closed when the phase ends."""
        await self.screen(http, owner)
        changed = asyncio.Event()

        async def listen() -> None:
            try:
                async with http.get(f"{self.stream_url}/c/v1/stream", headers={"Accept": "text/event-stream"},
                                    timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as reply:
                    if reply.status != 200:
                        self.errors[f"stream {reply.status}"] += 1
                        return
                    self.streams_open += 1
                    try:
                        async for line in reply.content:
                            if line.startswith((b"event: change", b"event: reset")):
                                self.changes_heard += 1
                                changed.set()
                    finally:
                        self.streams_open -= 1
            except aiohttp.ClientError as exc:
                self.errors[f"stream {exc.__class__.__name__}"] += 1

        listener = asyncio.ensure_future(listen())
        stopped = asyncio.ensure_future(self.stopped())
        try:
            while self.following.is_set() and not listener.done():
                waiting = asyncio.ensure_future(changed.wait())
                await asyncio.wait({waiting, stopped, listener}, return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
                if not changed.is_set() or not self.following.is_set():
                    continue
                await asyncio.sleep(0.3)
                changed.clear()
                await self.screen(http, owner)
        finally:
            listener.cancel()
            stopped.cancel()

    async def stopped(self) -> None:
        while self.following.is_set():
            await asyncio.sleep(0.2)

    def start(self) -> None:
        self.loop.call_soon_threadsafe(self.following.set)

    def stop(self, timeout: float = 60) -> None:
        """No new refresh; returns once those under way are answered."""
        self.loop.call_soon_threadsafe(self.following.clear)
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.1)

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        time.sleep(0.5)  # their sessions close
        self.loop.call_soon_threadsafe(self.loop.stop)

    def figures(self) -> dict:
        seconds = time.monotonic() - self.started
        values = sorted(self.latencies)
        screens = sorted(self.screens)
        return {"seconds": seconds, "requests": len(values), "req_per_s": len(values) / seconds,
                "screens": len(screens), "screens_per_s": len(screens) / seconds,
                "p50_ms": statistics.median(values) * 1000 if values else None,
                "p99_ms": percentile(values, 0.99) * 1000 if values else None,
                "screen_p50_ms": statistics.median(screens) * 1000 if screens else None,
                "screen_p99_ms": percentile(screens, 0.99) * 1000 if screens else None,
                "changes_heard": self.changes_heard, "streams_open": self.streams_open,
                "errors": dict(self.errors), "error_count": sum(self.errors.values())}


class ShopChanges:
    """The shop's side while it runs: `per_second` changes a second that reach a car owner (a car registered for one
    of them at random, through the staff API), from a thread of its own."""

    def __init__(self, base_url: str, authorization: str, owners: list[dict], per_second: float):
        self.base_url, self.owners, self.per_second = base_url, owners, per_second
        self.http = requests.Session()
        self.http.headers["Authorization"] = authorization
        self.running = threading.Event()
        self.made = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        if per_second > 0:
            self.thread.start()

    def run(self) -> None:
        while True:
            self.running.wait()
            started = time.monotonic()
            owner = random.choice(self.owners)
            ok(self.http.post(f"{self.base_url}/v1/customers/{owner['customer_id']}/vehicles", json={
                "plate": data.plate(), "vin": data.vin(), "make": "大众", "model": "朗逸", "mileage_km": 12000},
                timeout=30))
            self.made += 1
            time.sleep(max(0.0, 1 / self.per_second - (time.monotonic() - started)))


# -- CPU of each part -----------------------------------------------------------------------------------------------

def process_tree(popen) -> list[psutil.Process]:
    process = psutil.Process(popen.pid)
    return [process, *process.children(recursive=True)]


def cpu_by_part(stack) -> dict[str, float]:
    parts: dict[str, float] = Counter()
    for name, popen in stack.processes.items():
        part = ("staff gateway" if name == "gateway" else "customer gateway" if name == "customer-gateway"
                else "services" if name.split("#")[0] in ("crm", "sales", "workshop", "inventory", "finance")
                else "other (front, stream, sandboxes)")
        for process in process_tree(popen):
            try:
                parts[part] += cpu_seconds(process)
            except psutil.Error:
                pass
    parts["PostgreSQL (all)"] = postgres_cpu_seconds()
    parts["RabbitMQ (all)"] = rabbitmq_cpu_seconds()
    own = psutil.Process()
    parts["car owners' client (this process)"] = cpu_seconds(own)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    parts["wrk"] = children.ru_utime + children.ru_stime  # the finished wrk runs (the stack's are still running)
    return dict(parts)


# -- the run --------------------------------------------------------------------------------------------------------

def staff_phase(targets: dict[str, str], auth: dict, connections: int, duration: float) -> dict[str, dict]:
    found = {}
    for name, url in targets.items():
        wrk(url, auth, connections, 2)  # warm-up
        found[name] = wrk(url, auth, connections, duration)
    return found


def measure(args, stack) -> dict:
    step(f"seeding {args.sessions} car owners ({args.with_work} with a work order) and signing each in")
    shop = Shop(stack)
    staff_customer = shop.visit()["customer_id"]
    order = shop.contract(shop.approved_quote(shop.part_lines(2))["id"])
    staff_work_order = shop.wait_work_order(order["id"])["id"]
    with ThreadPoolExecutor(max_workers=6) as pool:
        owners = list(pool.map(lambda n: seed_owner(stack, shop, n < args.with_work), range(args.sessions)))
    staff_base = stack.app_url
    customer_base = stack.customer_url if stack.channel else stack.app_url
    auth = {"Authorization": shop.advisor.headers["Authorization"]}
    targets = {"GET /v1/customers/{id}": f"{staff_base}/v1/customers/{staff_customer}",
               "GET /v1/work-orders/{id}": f"{staff_base}/v1/work-orders/{staff_work_order}"}
    for url in targets.values():
        ok(requests.get(url, headers=auth, timeout=10))
    probe = owners[-1]
    for path in CAR_SCREEN:
        ok(requests.get(f"{customer_base}/c/v1{path.format(vehicle=probe['vehicle_id'])}",
                        headers={"Authorization": probe["authorization"]}, timeout=10))
    shop_changes = ShopChanges(staff_base, auth["Authorization"], owners,
                               args.changes if args.follow == "stream" else 0)
    shop.close()

    streaming = args.follow == "stream"
    crowd = Owners(customer_base, owners, args.poll, stack.stream_url if streaming else None)
    phases = []
    try:
        for round_number in range(1, args.rounds + 1):
            for with_owners in (False, True):
                label = f"round {round_number}, staff {'with the car owners' if with_owners else 'alone'}"
                if with_owners:
                    step(f"{label}: {args.sessions} car owners start following their cars")
                    crowd.start()
                    time.sleep(args.poll + 2)  # every session has read its screen at least once
                    deadline = time.monotonic() + 30
                    while streaming and crowd.streams_open < args.sessions and time.monotonic() < deadline:
                        time.sleep(0.2)
                step(f"{label}: wrk at {args.connections} connections, {args.duration:g} s per target")
                crowd.reset()
                made_before = shop_changes.made
                shop_changes.running.set()
                cpu_before = cpu_by_part(stack)
                staff = staff_phase(targets, auth, args.connections, args.duration)
                cpu_after = cpu_by_part(stack)
                shop_changes.running.clear()
                owners_seen = crowd.figures() if with_owners else None
                if with_owners:
                    crowd.stop()
                    time.sleep(1)
                phases.append({"round": round_number, "with_owners": with_owners, "staff": staff, "owners": owners_seen,
                               "shop_changes": shop_changes.made - made_before,
                               "cpu_seconds": {part: cpu_after[part] - cpu_before.get(part, 0) for part in cpu_after}})
    finally:
        crowd.close()
    figures: dict = {"sessions": args.sessions, "with_work": args.with_work, "poll_s": args.poll,
                     "follow": args.follow, "changes_per_s": args.changes if streaming else 0,
                     "connections": args.connections, "duration_s": args.duration, "rounds": args.rounds,
                     "channel_on_own_workers": stack.channel, "customer_threads": args.customer_threads,
                     "phases": phases, "summary": {}}
    for name in targets:
        alone = [phase["staff"][name] for phase in phases if not phase["with_owners"]]
        crowded = [phase["staff"][name] for phase in phases if phase["with_owners"]]
        figures["summary"][name] = summarise(alone, crowded)
    return figures


def summarise(alone: list[dict], crowded: list[dict]) -> dict:
    """Staff figures alone and with the car owners, means over the rounds. A phase whose every request timed out
    (wrk's 5 s) has no latencies: its p99 is then no number, and the target is missed."""
    p99_alone = statistics.fmean(run["p99_ms"] for run in alone)
    starved = any(run["p99_ms"] == 0 for run in crowded)
    p99_with = None if starved else statistics.fmean(run["p99_ms"] for run in crowded)
    errors = sum(run["errors"] for run in alone + crowded)
    ratio = None if p99_with is None else p99_with / p99_alone
    return {"p50_alone_ms": statistics.fmean(run["p50_ms"] for run in alone),
            "p50_with_ms": None if starved else statistics.fmean(run["p50_ms"] for run in crowded),
            "p99_alone_ms": p99_alone, "p99_with_ms": p99_with, "p99_ratio": ratio,
            "req_per_s_alone": statistics.fmean(run["req_per_s"] for run in alone),
            "req_per_s_with": statistics.fmean(run["req_per_s"] for run in crowded),
            "errors": errors, "pass": ratio is not None and ratio <= TARGET and errors == 0}


def report(figures: dict, meta: dict) -> str:
    arrangement = (f"the customer channel on its own gateway (1 worker x {figures['customer_threads']} threads), "
                   "the staff gateway 2 workers x 16 threads" if figures["channel_on_own_workers"] else
                   "one gateway (2 workers x 16 threads) serving staff and car owners alike (--shared)")
    out = [header_line(meta), "",
           f"{figures['sessions']} car owners ({figures['with_work']} with a work order) " + (
               f"following their car's screen (5 GETs at once) by their stream, read again on a change; the shop "
               f"making {figures['changes_per_s']:g} changes a second that reach a car owner, in every phase"
               if figures["follow"] == "stream" else
               f"refreshing their car's screen (5 GETs at once) every {figures['poll_s']:g} s") +
           f"; staff: wrk at {figures['connections']} "
           f"connections, {figures['duration_s']:g} s per target per phase, {figures['rounds']} rounds of alone / "
           f"with; {arrangement}.", "",
           "Staff reads (means over the rounds):", "",
           markdown_table(["target", "p50 alone ms", "p50 with ms", "p99 alone ms", "p99 with ms", "p99 ratio",
                           "req/s alone", "req/s with", "errors", f"target (p99 ratio ≤ {TARGET:g}×)"],
                          [[name, f"{s['p50_alone_ms']:.1f}", _ms(s["p50_with_ms"], 1), f"{s['p99_alone_ms']:.1f}",
                            _ms(s["p99_with_ms"], 1), "–" if s["p99_ratio"] is None else f"{s['p99_ratio']:.2f}×",
                            f"{s['req_per_s_alone']:.0f}", f"{s['req_per_s_with']:.0f}", s["errors"],
                            verdict(s["pass"])]
                           for name, s in figures["summary"].items()]),
           "", "(– : every staff request of a phase timed out, wrk's 5 s; errors: non-2xx and timeouts.)",
           "", "Every phase:", "",
           markdown_table(["round", "staff", "target", "req/s", "p50 ms", "p99 ms", "errors"],
                          [[phase["round"], "with owners" if phase["with_owners"] else "alone", name,
                            f"{run['req_per_s']:.0f}", f"{run['p50_ms']:.1f}", f"{run['p99_ms']:.1f}", run["errors"]]
                           for phase in figures["phases"] for name, run in phase["staff"].items()])]
    crowded = [phase for phase in figures["phases"] if phase["with_owners"]]
    out += ["", "The car owners' side, while the staff benchmark ran:", "",
            markdown_table(["round", "streams open", "changes made", "changes heard", "requests", "req/s", "p50 ms",
                            "p99 ms", "screens/s", "screen p50 ms", "screen p99 ms", "errors"],
                           [[phase["round"], o["streams_open"], phase["shop_changes"], o["changes_heard"],
                             o["requests"], f"{o['req_per_s']:.1f}", _ms(o["p50_ms"]),
                             _ms(o["p99_ms"]), f"{o['screens_per_s']:.1f}", _ms(o["screen_p50_ms"]),
                             _ms(o["screen_p99_ms"]),
                             ", ".join(f"{k}: {v}" for k, v in sorted(o["errors"].items())) or "0"]
                            for phase in crowded for o in [phase["owners"]]])]
    parts = sorted({part for phase in figures["phases"] for part in phase["cpu_seconds"]})
    out += ["", "CPU seconds spent during each phase's staff runs (2 cores: at most "
            f"{2 * 2 * (figures['duration_s'] + 2):g} s a phase; PostgreSQL and RabbitMQ: the whole machine's):", "",
            markdown_table(["part", *(f"r{p['round']} {'with' if p['with_owners'] else 'alone'}"
                                      for p in figures["phases"])],
                           [[part, *(f"{p['cpu_seconds'].get(part, 0):.1f}" for p in figures["phases"])]
                            for part in parts])]
    return "\n".join(out)


def _ms(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("customer_channel", __doc__)
    parser.add_argument("--sessions", type=int, default=200, help="car owners following their cars (200)")
    parser.add_argument("--with-work", type=int, default=20, help="of them, cars with a work order (20)")
    parser.add_argument("--follow", choices=("stream", "poll"), default="stream",
                        help="how a phone follows its car: its stream, as the app (stream), or reading every --poll s")
    parser.add_argument("--changes", type=float, default=1,
                        help="changes a second that reach a car owner, with --follow stream (1)")
    parser.add_argument("--poll", type=float, default=5,
                        help="seconds between a phone's refreshes with --follow poll; the spread of the first read (5)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16, as gateway_read)")
    parser.add_argument("--rounds", type=int, default=2, help="alone / with rounds (2)")
    parser.add_argument("--customer-threads", type=int, default=4,
                        help="the channel's gateway threads (CUSTOMER_GATEWAY_THREADS, 4)")
    parser.add_argument("--shared", action="store_true", help="one gateway for both sides (for comparison)")
    args = parser.parse_args(argv)
    meta = header("customer_channel")
    started = time.monotonic()
    # a car owner's real limit (CUSTOMER_RATE_PER_MINUTE's default): a refresh every 5 s is 60 calls a minute
    options = {"live": True, "channel": not args.shared, "customer_threads": args.customer_threads,
               "extra_env": {"CUSTOMER_RATE_PER_MINUTE": "120"}}
    with private_stack(args.keep_logs, **options) as (stack, _amqp_uri):
        figures = measure(args, stack)
    figures["run_id"] = uuid.uuid4().hex[:8]
    publish(meta, started, report(figures, meta), figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
