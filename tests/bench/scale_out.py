"""Scale-out: throughput of a database-bound RPC with 1, 2 and 4 instances of the service
(competing consumers of one queue) against PostgreSQL.

    .venv/bin/python -m tests.bench.scale_out [--duration 10] [--threads 32] [--instances 1,2,4]

Starts its own stack (tests/bench/harness.py), registers a customer, then for each instance count
(extra crm processes are started like `docker compose up --scale crm=N`) calls `crm.get_customer`
as an HQ user (a customer read plus its audit row, committed) from `--threads` threads of the
gateway's `RpcClient` for `--duration` seconds, and records calls/s, latency, and the CPU each
process used, which says what saturates. A benchmark script, not a test.
"""
from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import psutil

from gateway.rpc import RpcClient
from tests.bench.harness import (bench_parser, cpu_seconds, header_line, markdown_table, postgres_cpu_seconds,
                                 rabbitmq_cpu_seconds, run_on_stack, step, summarise)
from tests.support import data


def wait_consumers(amqp_uri: str, queue: str, count: int, timeout: float = 60) -> None:
    vhost = urllib.parse.unquote(amqp_uri.rsplit("/", 1)[1])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "consumers"],
                             capture_output=True, text=True).stdout
        found = dict(line.split("\t") for line in out.splitlines() if "\t" in line)
        if int(found.get(queue, 0)) >= count:
            return
        time.sleep(0.5)
    raise RuntimeError(f"{queue} did not reach {count} consumers")


def load(client: RpcClient, context: dict, customer_id: str, threads: int, duration: float) -> dict:
    deadline = time.monotonic() + duration
    samples: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads

    def worker(n: int) -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                client.call("crm", "get_customer", context, customer_id=customer_id)
            except Exception:
                errors[n] += 1
            samples[n].append(time.perf_counter() - started)

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    flat = [s for per_thread in samples for s in per_thread]
    return {**summarise(flat), "calls_per_s": len(flat) / elapsed, "errors": sum(errors)}


def measure(args, stack, amqp_uri: str) -> dict:
    admin = stack.login()
    customer_id = admin.post(f"{stack.url}/v1/customers", json={
        "name": "张伟", "mobile": data.mobile(), "tags": ["vip"]}).json()["id"]
    admin.close()
    context = {"request_id": uuid.uuid4().hex, "user_id": "bench-" + uuid.uuid4().hex[:8], "role": "hq_admin",
               "store_ids": ""}
    client = RpcClient(amqp_uri, timeout=10, max_idle=args.threads)
    me = psutil.Process()
    runs = []
    running = 1
    try:
        for instances in args.instances:
            while running < instances:
                running += 1
                stack.start_service("crm", instance=running)
            wait_consumers(amqp_uri, "rpc-crm", instances)
            load(client, context, customer_id, args.threads, 2)  # warm-up
            step(f"crm.get_customer, {instances} crm instance(s), {args.threads} threads, {args.duration:g} s")
            crm = [psutil.Process(p.pid) for name, p in stack.processes.items() if name.split("#")[0] == "crm"]
            before = (sum(map(cpu_seconds, crm)), postgres_cpu_seconds(), rabbitmq_cpu_seconds(), cpu_seconds(me))
            wall = time.monotonic()
            result = load(client, context, customer_id, args.threads, args.duration)
            wall = time.monotonic() - wall
            after = (sum(map(cpu_seconds, crm)), postgres_cpu_seconds(), rabbitmq_cpu_seconds(), cpu_seconds(me))
            used = [(a - b) / wall for a, b in zip(after, before, strict=True)]
            runs.append({"instances": instances, **result,
                         "cores_used": dict(zip(["crm (all instances)", "postgresql", "rabbitmq", "load generator"],
                                                used, strict=True)),
                         "loadavg": " ".join(f"{x:.2f}" for x in psutil.getloadavg())})
    finally:
        client.close()
        for number in range(2, running + 1):
            stack.stop_service(f"crm#{number}")
    base = runs[0]["calls_per_s"]
    for run in runs:
        run["scaling"] = run["calls_per_s"] / base
    return {"runs": runs, "cpus": psutil.cpu_count()}


def report(figures: dict, meta: dict) -> str:
    rows = [[r["instances"], f"{r['calls_per_s']:.0f}", f"{r['scaling']:.2f}×", f"{r['median_ms']:.1f}",
             f"{r['p99_ms']:.1f}", r["errors"], *(f"{v:.2f}" for v in r["cores_used"].values()),
             f"{sum(r['cores_used'].values()):.2f} of {figures['cpus']}", r["loadavg"]] for r in figures["runs"]]
    return "\n".join([header_line(meta), "", markdown_table(
        ["crm instances", "calls/s", "scaling", "median ms", "p99 ms", "errors",
         *[f"cores: {k}" for k in figures["runs"][0]["cores_used"]], "cores (sum)", "load average after"], rows)])


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("scale_out", __doc__)
    parser.add_argument("--duration", type=float, default=10, help="seconds per instance count (10)")
    parser.add_argument("--threads", type=int, default=32, help="concurrent callers (32)")
    parser.add_argument("--instances", default="1,2,4", help="instance counts, ascending (1,2,4)")
    args = parser.parse_args(argv)
    args.instances = [int(n) for n in args.instances.split(",")]
    if args.instances != sorted(args.instances) or args.instances[0] != 1:
        parser.error("--instances ascending, starting at 1")
    return run_on_stack("scale_out", args, lambda stack, amqp_uri: measure(args, stack, amqp_uri), report)


if __name__ == "__main__":
    sys.exit(main())
