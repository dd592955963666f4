"""Resident memory of every service process and gateway worker, idle and under load.

    .venv/bin/python -m tests.bench.memory [--duration 20] [--json out.json]

Starts its own stack (tests/bench/harness.py) and a store (tests/bench/flow.py), reads each
process's RSS idle (after a first request of each kind, so code paths and pools exist), then for
`--duration` seconds runs wrk on `GET /v1/customers/{id}` and `GET /v1/work-orders/{id}` (16
connections each) while a thread opens quotes with 10 lines and contracts them (events flow to
workshop, inventory, crm), sampling RSS every half second. Target: < 150 MB each, under load.
A benchmark script, not a test.
"""
from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tests.bench.flow import Shop
from tests.bench.harness import (bench_parser, header_line, loadavg, markdown_table, rss_mb, run_on_stack,
                                 stack_processes, step, verdict, wrk)

TARGET_MB = 150


def measure(args, stack) -> dict:
    shop = Shop(stack)
    customer_id = shop.visit()["customer_id"]
    order = shop.contract(shop.approved_quote(shop.part_lines(10))["id"])
    work_order_id = shop.wait_work_order(order["id"])["id"]
    auth = {"Authorization": shop.advisor.headers["Authorization"]}
    processes = stack_processes(stack)
    time.sleep(3)  # let the first requests' garbage go
    idle = {name: rss_mb(p) for name, p in processes.items()}

    peak = dict(idle)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for name, process in processes.items():
                peak[name] = max(peak[name], rss_mb(process))
            time.sleep(0.5)

    def writes() -> tuple[int, int]:
        """Orders written and contracted, and the attempts that failed (e.g. an RPC timeout under load)."""
        done = failed = 0
        while not stop.is_set():
            try:
                shop.contract(shop.approved_quote(shop.part_lines(10))["id"])
                done += 1
            except RuntimeError:
                failed += 1
        return done, failed

    step(f"load for {args.duration:g} s: wrk on two GETs, quotes written and contracted")
    with ThreadPoolExecutor(4) as pool:
        sampler, writer = pool.submit(sample), pool.submit(writes)
        reads = [pool.submit(wrk, url, auth, 16, args.duration) for url in (
            f"{stack.url}/v1/customers/{customer_id}", f"{stack.url}/v1/work-orders/{work_order_id}")]
        read_results = [future.result() for future in reads]
        stop.set()
        sampler.result()
        orders, failed = writer.result()
    shop.close()
    return {"idle_mb": idle, "load_peak_mb": peak, "orders_written": orders, "order_attempts_failed": failed,
            "reads": [{k: r[k] for k in ("req_per_s", "requests", "errors")} for r in read_results],
            "loadavg_under_load": loadavg(),
            "pass": all(mb < TARGET_MB for mb in peak.values())}


def report(figures: dict, meta: dict) -> str:
    rows = [[name, f"{figures['idle_mb'][name]:.0f}", f"{mb:.0f}", verdict(mb < TARGET_MB)]
            for name, mb in figures["load_peak_mb"].items()]
    reads = ", ".join(f"{r['req_per_s']:.0f} req/s ({r['errors']} errors)" for r in figures["reads"])
    return "\n".join([header_line(meta), "", markdown_table(
        ["process", "RSS idle MB", "RSS peak under load MB", f"< {TARGET_MB} MB"], rows), "",
        f"load: GETs {reads}; {figures['orders_written']} orders written and contracted "
        f"({figures['order_attempts_failed']} attempts failed); "
        f"load average at the end of the load {figures['loadavg_under_load']}"])


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("memory", __doc__)
    parser.add_argument("--duration", type=float, default=20, help="seconds of load (20)")
    args = parser.parse_args(argv)
    return run_on_stack("memory", args, lambda stack, _amqp_uri: measure(args, stack), report)


if __name__ == "__main__":
    sys.exit(main())
