"""What one nameko RPC hop costs, and what the gateway serves, on this machine, in one run.

    .venv/bin/python -m tests.bench.rpc_hop [--calls 1000] [--duration 10] [--json out.json]

Starts its own stack (five services + gateway under gunicorn, private RabbitMQ vhost, private
PostgreSQL databases, see tests/support/stack.py) and measures, all on loopback:

1. raw AMQP request/reply with pika: an echo responder thread (own connection) and a client with
   an exclusive reply queue, sequential calls, with the request and reply bodies (and headers) of
   the hop in 2 (`1.`, used for the ratio) and of the RPC behind 3 (`1c.`, crm.get_customer, whose
   reply the script captures from crm first); for reference also the gateway's `RpcClient`
   against that same echo responder;
2. one nameko RPC hop: crm's `ping` (a worker, no database) through `gateway.rpc.RpcClient` (then
   `health`, which adds `SELECT 1`), and for
   reference through nameko's standalone `ClusterRpcProxy`;
3. `GET /v1/customers/{id}` through the gateway: sequential latency, then throughput at
   16 connections for `--duration` seconds (wrk, or a Python thread-pool if wrk is missing);
4. a bare Falcon app (tests/bench/hello_app.py) under the same gunicorn settings: throughput.

Prints a table and the two ratios with their targets (hop / raw <= 3x; gateway / hello >= 25%).
A benchmark script, not a test: pytest does not collect it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko imports eventlet

import jwt  # noqa: E402
import pika  # noqa: E402
import requests  # noqa: E402

from gateway.rpc import RPC_EXCHANGE, RemoteError, RpcClient  # noqa: E402
from tests.support import data  # noqa: E402
from tests.support.infra import Databases, Vhost  # noqa: E402
from tests.support.stack import ROOT, Stack, free_port  # noqa: E402

HOP_TARGET = 3.0  # nameko hop median / raw AMQP median, at most
SHARE_TARGET = 0.25  # gateway GET req/s / hello req/s, at least
ECHO_SERVICE = "bench_echo"  # the echo responder listens where a nameko service of this name would
HEALTH_REPLY = {"result": {"service": "crm", "status": "ok"}, "error": None}  # what crm.ping/health answer


def rpc_request(**kwargs) -> bytes:
    """A nameko RPC request body, as gateway.rpc encodes it."""
    return json.dumps({"args": [], "kwargs": kwargs}, ensure_ascii=False, default=str).encode()


def rpc_context() -> dict:
    """What the gateway sends along with every RPC (see gateway.auth.Principal.rpc_context)."""
    return {"request_id": uuid.uuid4().hex, "user_id": "bench-user-" + uuid.uuid4().hex[:8],
            "role": "hq_admin", "store_ids": ""}


def nameko_headers(context: dict) -> dict:
    return {f"nameko.{key}": value for key, value in context.items()}


# -- statistics ----------------------------------------------------------------------------------

def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(seconds: list[float]) -> dict:
    values = sorted(seconds)
    return {"calls": len(values), "median_ms": statistics.median(values) * 1000,
            "p99_ms": percentile(values, 0.99) * 1000, "mean_ms": statistics.fmean(values) * 1000,
            "max_ms": values[-1] * 1000}


def timed(call, n: int, warmup: int) -> dict:
    for _ in range(warmup):
        call()
    samples = []
    clock = time.perf_counter
    for _ in range(n):
        started = clock()
        call()
        samples.append(clock() - started)
    return summarise(samples)


# -- 1. raw AMQP ----------------------------------------------------------------------------------

class EchoResponder(threading.Thread):
    """Answers `bench_echo.<method>` with the fixed reply body given for that method.

    Same topology and acknowledgement as a nameko service: bound to the `nameko-rpc` topic
    exchange, prefetch 10, the reply is published (transient, no confirms) before the ack.
    """

    def __init__(self, amqp_uri: str, replies: dict[str, bytes]):
        super().__init__(name="echo-responder", daemon=True)
        self.parameters = pika.URLParameters(amqp_uri)
        self.replies = replies
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            connection = pika.BlockingConnection(self.parameters)
            channel = connection.channel()
            channel.exchange_declare(RPC_EXCHANGE, exchange_type="topic", durable=True)
            queue = f"rpc-{ECHO_SERVICE}"
            channel.queue_declare(queue, exclusive=True, auto_delete=True)
            channel.queue_bind(queue, RPC_EXCHANGE, routing_key=f"{ECHO_SERVICE}.*")
            channel.basic_qos(prefetch_count=10)
            channel.basic_consume(queue, self._on_request)
            self.ready.set()
            while not self.stopping.is_set():
                connection.process_data_events(time_limit=0.2)
            connection.close()
        except BaseException as exc:  # reported by the main thread
            self.error = exc
            self.ready.set()

    def _on_request(self, channel, method, properties, _body: bytes) -> None:
        reply = self.replies[method.routing_key.rpartition(".")[2]]
        channel.basic_publish(RPC_EXCHANGE, properties.reply_to, reply, pika.BasicProperties(
            correlation_id=properties.correlation_id, content_type="application/json",
            content_encoding="utf-8", delivery_mode=1))
        channel.basic_ack(method.delivery_tag)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


class RawClient:
    """A plain pika request/reply client: one connection, an exclusive reply queue, one call at a time.

    Requests carry the given headers (the gateway's `nameko.*` context) and are transient."""

    def __init__(self, amqp_uri: str, headers: dict):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.reply_queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self.channel.queue_bind(self.reply_queue, RPC_EXCHANGE, routing_key=self.reply_queue)
        self.channel.basic_consume(self.reply_queue, self._on_reply, auto_ack=True)
        self.replies: dict[str, bytes] = {}
        self.headers = headers

    def _on_reply(self, _channel, _method, properties, body: bytes) -> None:
        self.replies[properties.correlation_id] = body

    def request(self, routing_key: str, body: bytes) -> bytes:
        correlation_id = uuid.uuid4().hex
        self.channel.basic_publish(RPC_EXCHANGE, routing_key, body, pika.BasicProperties(
            reply_to=self.reply_queue, correlation_id=correlation_id, content_type="application/json",
            content_encoding="utf-8", delivery_mode=1, headers=self.headers))
        deadline = time.monotonic() + 5
        while correlation_id not in self.replies:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no reply to {routing_key} within 5 s")
            self.connection.process_data_events(time_limit=1)
        return self.replies.pop(correlation_id)

    def close(self) -> None:
        self.connection.close()


# -- 3./4. HTTP load --------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def run_wrk(url: str, headers: dict, connections: int, duration: float, threads: int) -> dict:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(duration)}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(argv + [url], capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    result = {"tool": f"wrk -t{threads} -c{connections} -d{int(duration)}s",
              "req_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
              "requests": int(re.search(r"(\d+) requests in", out).group(1)),
              "non_2xx": int((re.search(r"Non-2xx or 3xx responses: (\d+)", out) or [0, 0])[1]),
              "socket_errors": sum(int(n) for n in re.findall(
                  r"(?:connect|read|write|timeout) (\d+)", (re.search(r"Socket errors:.*", out) or [""])[0]))}
    for label, key in (("50%", "median_ms"), ("99%", "p99_ms")):
        result[key] = _ms(re.search(rf"{re.escape(label)}\s+([\d.]+\w+)", out).group(1))
    return result


def run_threadpool(url: str, headers: dict, connections: int, duration: float) -> dict:
    """Fallback load generator: `connections` threads, a requests.Session each, for `duration` s."""
    deadline = time.monotonic() + duration

    def worker() -> tuple[list[float], int]:
        session = requests.Session()
        session.headers.update(headers)
        samples, errors = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                ok = session.get(url, timeout=5).status_code < 400
            except requests.RequestException:
                ok = False
            samples.append(time.perf_counter() - started)
            errors += not ok
        session.close()
        return samples, errors

    started = time.monotonic()
    with ThreadPoolExecutor(connections) as pool:
        results = [f.result() for f in [pool.submit(worker) for _ in range(connections)]]
    elapsed = time.monotonic() - started
    samples = [s for result in results for s in result[0]]
    stats = summarise(samples)
    return {"tool": f"python thread-pool ({connections} threads x requests.Session; wrk not found)",
            "req_per_s": len(samples) / elapsed, "requests": len(samples),
            "non_2xx": sum(result[1] for result in results), "socket_errors": 0,
            "median_ms": stats["median_ms"], "p99_ms": stats["p99_ms"]}


def load(url: str, headers: dict, args) -> dict:
    if shutil.which("wrk"):
        run_wrk(url, headers, args.connections, 2, args.wrk_threads)  # warm-up: pools fill, code paths warm
        return run_wrk(url, headers, args.connections, args.duration, args.wrk_threads)
    run_threadpool(url, headers, args.connections, 2)
    return run_threadpool(url, headers, args.connections, args.duration)


def start_hello(env: dict, log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(log_dir / "hello.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "tests.bench.hello_app:app"],
        cwd=ROOT, env={**env, "GATEWAY_PORT": str(port)}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/hello"
    for _ in range(100):  # up to ~30 s
        if process.poll() is not None:
            raise RuntimeError(f"hello app exited with {process.returncode}; see {log_dir}/hello.log")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return process, url
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError("hello app did not answer")


# -- the run -----------------------------------------------------------------------------------------

def measure(args, stack: Stack, amqp_uri: str, log_dir: Path) -> dict:
    figures: dict = {}
    n, warmup = args.calls, args.warmup

    def step(label: str) -> None:
        print(f"  … {label}", file=sys.stderr, flush=True)

    # the customer behind 3, and crm.get_customer's reply to the gateway as it is on the wire
    admin = stack.login()
    reply = admin.post(f"{stack.url}/v1/customers", json={
        "name": "张伟", "mobile": data.mobile(), "gender": "male", "birthday": "1985-04-12",
        "tags": ["vip"], "marketing_consent": True})
    if reply.status_code != 201:
        raise RuntimeError(f"POST /v1/customers: {reply.status_code} {reply.text[:300]}")
    customer_id = reply.json()["id"]
    token = admin.headers["Authorization"].split()[1]
    admin_context = {**rpc_context(), "user_id": jwt.decode(token, options={"verify_signature": False})["sub"]}
    context = rpc_context()
    health_request = rpc_request()
    customer_request = rpc_request(customer_id=customer_id)
    probe = RawClient(amqp_uri, nameko_headers(admin_context))
    try:
        customer_reply = probe.request("crm.get_customer", customer_request)
    finally:
        probe.close()
    if json.loads(customer_reply).get("error"):
        raise RuntimeError(f"crm.get_customer: {customer_reply[:300]!r}")
    figures["payload_bytes"] = {"health": [len(health_request), len(json.dumps(HEALTH_REPLY))],
                                "get_customer": [len(customer_request), len(customer_reply)]}

    # 1. raw AMQP, and the gateway's client against the same echo responder
    step(f"raw AMQP echo, {n} calls, health-sized and get_customer-sized")
    echo = EchoResponder(amqp_uri, {"health": json.dumps(HEALTH_REPLY).encode(), "get_customer": customer_reply})
    echo.start()
    if not echo.ready.wait(10) or echo.error:
        raise RuntimeError(f"echo responder did not start: {echo.error!r}")
    try:
        raw = RawClient(amqp_uri, nameko_headers(context))
        try:
            if json.loads(raw.request(f"{ECHO_SERVICE}.health", health_request)) != HEALTH_REPLY:
                raise RuntimeError("echo responder answered something else")
            figures["raw_amqp"] = timed(lambda: raw.request(f"{ECHO_SERVICE}.health", health_request), n, warmup)
            figures["raw_amqp_customer_size"] = timed(
                lambda: raw.request(f"{ECHO_SERVICE}.get_customer", customer_request), n, warmup)
        finally:
            raw.close()
        step(f"gateway RpcClient -> echo, {n} calls")
        client = RpcClient(amqp_uri, timeout=5)
        figures["rpcclient_echo"] = timed(lambda: client.call(ECHO_SERVICE, "health", context), n, warmup)
    finally:
        echo.stop()

    # 2. one nameko hop: crm.ping (a worker, no database), and crm.health (plus SELECT 1)
    step(f"nameko hop crm.ping via RpcClient, {n} calls")
    for method in ("ping", "health"):
        if client.call("crm", method, context) != HEALTH_REPLY["result"]:
            raise RuntimeError(f"crm.{method} answered something else")
    figures["hop_rpcclient"] = timed(lambda: client.call("crm", "ping", context), n, warmup)
    step(f"crm.health (ping + SELECT 1) via RpcClient, {n} calls")
    figures["hop_health"] = timed(lambda: client.call("crm", "health", context), n, warmup)

    # a lower bound of the service side without adding an RPC: an unknown method is answered with
    # MethodNotFound by crm's rpc consumer itself (consume -> error reply -> ack; no worker, no DB)
    def unknown_method():
        try:
            client.call("crm", "bench_no_such_method", context)
        except RemoteError as exc:
            if exc.exc_type != "MethodNotFound":
                raise
        else:
            raise RuntimeError("crm answered an unknown method")

    step(f"nameko consume->reply without a worker (unknown method), {n} calls")
    figures["hop_no_worker"] = timed(unknown_method, n, warmup)
    client.close()

    step(f"nameko hop crm.ping via ClusterRpcProxy, {n} calls")
    from nameko.standalone.rpc import ClusterRpcProxy
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=5, context_data=rpc_context()) as proxy:
        figures["hop_clusterrpcproxy"] = timed(proxy.crm.ping, n, warmup)

    # 3. GET /v1/customers/{id} through the gateway
    customer_url = f"{stack.url}/v1/customers/{customer_id}"
    first = admin.get(customer_url)
    first.raise_for_status()
    figures["customer_response_bytes"] = len(first.content)
    step(f"GET /v1/customers/{{id}} sequential, {n} calls")

    def get_customer():
        response = admin.get(customer_url, timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"GET customer: {response.status_code} {response.text[:200]}")

    figures["gateway_get_seq"] = timed(get_customer, n, warmup)
    step(f"GET /v1/customers/{{id}} at {args.connections} connections, {args.duration:g} s")
    figures["gateway_get_load"] = load(customer_url, {"Authorization": admin.headers["Authorization"]}, args)
    admin.close()

    # 4. bare Falcon under the same gunicorn settings
    hello, hello_url = start_hello(stack.env, log_dir)
    try:
        step(f"hello sequential, {n} calls")
        session = requests.Session()
        figures["hello_seq"] = timed(lambda: session.get(hello_url, timeout=10).raise_for_status(), n, warmup)
        session.close()
        step(f"hello at {args.connections} connections, {args.duration:g} s")
        figures["hello_load"] = load(hello_url, {}, args)
    finally:
        hello.send_signal(signal.SIGTERM)
        try:
            hello.wait(timeout=15)
        except subprocess.TimeoutExpired:
            hello.kill()

    figures["ratio_hop_over_raw"] = figures["hop_rpcclient"]["median_ms"] / figures["raw_amqp"]["median_ms"]
    figures["ratio_gateway_over_hello"] = (figures["gateway_get_load"]["req_per_s"]
                                           / figures["hello_load"]["req_per_s"])
    figures["hop_pass"] = figures["ratio_hop_over_raw"] <= HOP_TARGET
    figures["share_pass"] = figures["ratio_gateway_over_hello"] >= SHARE_TARGET
    return figures


def table(figures: dict, meta: dict) -> str:
    def latency(name: str, key: str, note: str = "") -> str:
        f = figures[key]
        return f"| {name} | {f['median_ms']:.2f} | {f['p99_ms']:.2f} | | {note} |"

    def throughput(name: str, key: str) -> str:
        f = figures[key]
        errors = f["non_2xx"] + f["socket_errors"]
        return (f"| {name} | {f['median_ms']:.2f} | {f['p99_ms']:.2f} | {f['req_per_s']:.0f} | "
                f"{f['tool']}, {f['requests']} requests, {errors} errors |")

    n = figures["raw_amqp"]["calls"]
    hop, share = figures["ratio_hop_over_raw"], figures["ratio_gateway_over_hello"]
    lines = [
        f"rpc_hop: {meta['date']}, {meta['cpus']} cores, Python {meta['python']}, "
        f"{n} sequential calls per latency row, load average at start {meta['loadavg']}",
        "",
        "| measurement | median ms | p99 ms | req/s | note |",
        "|---|---|---|---|---|",
        latency("1. raw AMQP request/reply (pika ↔ pika echo)", "raw_amqp",
                "transient, no confirms; request {} B, reply {} B (as 2)".format(
                    *figures["payload_bytes"]["health"])),
        latency("1b. gateway RpcClient ↔ pika echo", "rpcclient_echo", "client cost, no service"),
        latency("1c. raw AMQP, get_customer-sized", "raw_amqp_customer_size",
                "request {} B, reply {} B".format(*figures["payload_bytes"]["get_customer"])),
        latency("2. nameko hop crm.ping via gateway RpcClient", "hop_rpcclient", "a worker, no database"),
        latency("2d. crm.health via gateway RpcClient", "hop_health", "the hop plus SELECT 1 on PostgreSQL"),
        latency("2b. nameko hop crm.ping via ClusterRpcProxy", "hop_clusterrpcproxy",
                "reference; persistent + confirms"),
        latency("2c. crm, unknown method via gateway RpcClient", "hop_no_worker",
                "reference; MethodNotFound reply, no worker, no DB"),
        latency("3. GET /v1/customers/{id}, sequential", "gateway_get_seq",
                f"requests.Session, {figures['customer_response_bytes']} B body"),
        throughput("3. GET /v1/customers/{id}, 16 conns", "gateway_get_load"),
        latency("4. hello, sequential", "hello_seq", "requests.Session"),
        throughput("4. hello (bare Falcon, same gunicorn), 16 conns", "hello_load"),
        "",
        "| ratio | value | target | result |",
        "|---|---|---|---|",
        f"| nameko hop ÷ raw AMQP (medians) | {hop:.2f}× | ≤ {HOP_TARGET:g}× | "
        f"{'PASS' if figures['hop_pass'] else 'MISS'} |",
        f"| gateway GET req/s ÷ hello req/s | {share:.1%} | ≥ {SHARE_TARGET:.0%} | "
        f"{'PASS' if figures['share_pass'] else 'MISS'} |",
        f"| (reference) 2c ÷ 1: nameko consume→reply, no worker | "
        f"{figures['hop_no_worker']['median_ms'] / figures['raw_amqp']['median_ms']:.2f}× | | |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.rpc_hop", description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="sequential calls per latency row (1000)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls before each latency row (50)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per throughput run (10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent HTTP connections (16)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t (2)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--keep-logs", action="store_true", help="keep the stack's log directory")
    args = parser.parse_args(argv)
    if not 1 <= args.calls <= 100_000 or not 1 <= args.duration <= 120 or not 1 <= args.connections <= 256:
        parser.error("keep --calls in 1..100000, --duration in 1..120, --connections in 1..256")

    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpus": os.cpu_count(),
            "python": platform.python_version(), "argv": sys.argv[1:],
            "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    log_dir = Path(tempfile.mkdtemp(prefix="rpc-hop-"))
    started = time.monotonic()
    vhost = Vhost().create()
    databases = Databases().create()
    stack = Stack(vhost.uri, databases.env(), log_dir)
    failed = True
    try:
        print(f"starting the stack (logs in {log_dir}) …", file=sys.stderr, flush=True)
        stack.start()
        figures = measure(args, stack, vhost.uri, log_dir)
        failed = False
    finally:
        stack.stop()
        databases.drop()
        vhost.drop()
        if failed or args.keep_logs:
            print(f"logs kept in {log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(log_dir, ignore_errors=True)
    meta["seconds"] = round(time.monotonic() - started, 1)
    print(table(figures, meta))
    print(f"\n(whole run {meta['seconds']} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, **figures}, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
