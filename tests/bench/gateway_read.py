"""What the gateway serves on a read, against a bare Falcon handler under the same gunicorn settings.

    .venv/bin/python -m tests.bench.gateway_read [--duration 10] [--connections 1,16,64] [--json out.json]

Starts its own stack (tests/bench/harness.py), creates a customer and a contracted order with its
work order (tests/bench/flow.py), then for 1, 16 and 64 connections runs wrk (2 s warm-up, then
`--duration` s) against, in turn: `GET /v1/customers/{id}` and `GET /v1/work-orders/{id}` as the
store's advisor (who sees full phone numbers, so crm audits every customer read), and a bare
Falcon app (tests/bench/hello_app.py) under deploy/gunicorn.conf.py. Also prints the CPU seconds
each process spent per request during the 16-connection runs, which says what saturates.

Targets at 16 connections: req/s >= 40 % of bare Falcon, p99 <= 5x p50, zero errors.
A benchmark script, not a test.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import requests

from tests.bench.flow import Shop, ok
from tests.bench.harness import (bench_parser, cpu_seconds, header_line, markdown_table, postgres_cpu_seconds,
                                 rabbitmq_cpu_seconds, run_on_stack, stack_processes, step, verdict, wrk, wrk_warm)
from tests.support.stack import ROOT, free_port

SHARE_TARGET = 0.40  # gateway req/s / bare Falcon req/s at 16 connections, at least
TAIL_TARGET = 5.0  # p99 / p50 under load, at most


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


def cpu_per_request(stack, run) -> tuple[dict, dict[str, float]]:
    """Runs `run()` (a wrk run) and returns its result and the CPU ms per request of every process
    of the stack, PostgreSQL and RabbitMQ (these two are shared with anyone else on the machine)."""
    processes = stack_processes(stack)
    before = {name: cpu_seconds(p) for name, p in processes.items()}
    before["postgresql (all)"], before["rabbitmq (all)"] = postgres_cpu_seconds(), rabbitmq_cpu_seconds()
    result = run()
    after = {name: cpu_seconds(p) for name, p in processes.items()}
    after["postgresql (all)"], after["rabbitmq (all)"] = postgres_cpu_seconds(), rabbitmq_cpu_seconds()
    return result, {name: (after[name] - before[name]) * 1000 / result["requests"] for name in after}


def measure(args, stack, log_dir: Path) -> dict:
    shop = Shop(stack)
    customer_id = shop.visit()["customer_id"]
    order = shop.contract(shop.approved_quote(shop.part_lines(2))["id"])
    work_order_id = shop.wait_work_order(order["id"])["id"]
    auth = {"Authorization": shop.advisor.headers["Authorization"]}
    targets = {"GET /v1/customers/{id}": f"{stack.url}/v1/customers/{customer_id}",
               "GET /v1/work-orders/{id}": f"{stack.url}/v1/work-orders/{work_order_id}"}
    for url in targets.values():
        ok(shop.advisor.get(url))
    shop.close()

    figures: dict = {"runs": [], "cpu_ms_per_request": {}}
    for name, url in targets.items():
        for connections in args.connections:
            step(f"{name} at {connections} connections, {args.duration:g} s")
            wrk(url, auth, connections, 2)  # warm-up: pools fill, code paths warm
            result, cpu = cpu_per_request(stack, partial(wrk, url, auth, connections, args.duration))
            figures["runs"].append({"target": name, **result})
            if connections == 16:
                figures["cpu_ms_per_request"][name] = cpu
    hello, hello_url = start_hello(stack.env, log_dir)
    try:
        for connections in args.connections:
            step(f"bare Falcon at {connections} connections, {args.duration:g} s")
            figures["runs"].append({"target": "bare Falcon", **wrk_warm(hello_url, {}, connections, args.duration)})
    finally:
        hello.send_signal(signal.SIGTERM)
        try:
            hello.wait(timeout=15)
        except subprocess.TimeoutExpired:
            hello.kill()

    bare = {run["connections"]: run["req_per_s"] for run in figures["runs"] if run["target"] == "bare Falcon"}
    for run in figures["runs"]:
        run["share_of_bare"] = run["req_per_s"] / bare[run["connections"]]
        run["tail_ratio"] = run["p99_ms"] / run["p50_ms"]
        run["pass"] = (run["target"] == "bare Falcon" or run["connections"] != 16) or (
            run["share_of_bare"] >= SHARE_TARGET and run["tail_ratio"] <= TAIL_TARGET and run["errors"] == 0)
    return figures


def report(figures: dict, meta: dict) -> str:
    rows = [[run["target"], run["connections"], f"{run['req_per_s']:.0f}", f"{run['p50_ms']:.2f}",
             f"{run['p99_ms']:.2f}", f"{run['tail_ratio']:.1f}×", run["errors"], f"{run['share_of_bare']:.1%}",
             "" if run["target"] == "bare Falcon" or run["connections"] != 16 else verdict(run["pass"])]
            for run in figures["runs"]]
    out = [header_line(meta), "",
           markdown_table(["target", "conns", "req/s", "p50 ms", "p99 ms", "p99÷p50", "errors", "share of bare",
                           f"target (16 conns: ≥ {SHARE_TARGET:.0%}, p99 ≤ {TAIL_TARGET:g}× p50, 0 errors)"], rows)]
    names = sorted({name for cpu in figures["cpu_ms_per_request"].values() for name in cpu})
    out += ["", "CPU ms per request at 16 connections (PostgreSQL and RabbitMQ: every process on the machine):", "",
            markdown_table(["process", *figures["cpu_ms_per_request"]],
                           [[name, *(f"{cpu.get(name, 0):.2f}" for cpu in figures["cpu_ms_per_request"].values())]
                            for name in names])]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("gateway_read", __doc__)
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--connections", default="1,16,64", help="comma-separated connection counts (1,16,64)")
    args = parser.parse_args(argv)
    args.connections = [int(n) for n in args.connections.split(",")]
    if 16 not in args.connections:
        parser.error("the targets are read at 16 connections: include 16")
    return run_on_stack("gateway_read", args, lambda stack, _amqp_uri: measure(args, stack, stack.log_dir),
                        report)


if __name__ == "__main__":
    sys.exit(main())
