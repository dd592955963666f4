"""From the HTTP reply of contracting a quote to its work order being readable through the gateway.

    .venv/bin/python -m tests.bench.event_propagation [--orders 500] [--json out.json]

Starts its own stack (tests/bench/harness.py), prepares `--orders` approved quotes (a new customer,
car and visit each, tests/bench/flow.py), then one order at a time: `POST /v1/quotes/{id}/contract`,
and from its reply `GET /v1/work-orders?order_id=` in a tight loop until the work order is there
(sales' outbox -> `sales.order_confirmed` -> workshop's handler -> its commit); the work order's own
`opened_at` (same machine clock) says how much of that is the event path and how much the polling GETs. In the same run,
interleaved in blocks with the orders, the RPC hop (crm.ping through the gateway's RpcClient) for the
ratio. Target: p99 of the propagation < 10x the hop median. A benchmark script, not a test.
"""
from __future__ import annotations

import sys
import time
import uuid
from datetime import datetime, timezone

from tqdm import tqdm

from gateway.rpc import RpcClient
from tests.bench.flow import Shop
from tests.bench.harness import bench_parser, header_line, markdown_table, run_on_stack, step, summarise, verdict

TARGET = 10.0  # propagation p99 / RPC hop median, below
BLOCK = 50  # orders between two blocks of hop calls


def measure(args, stack, amqp_uri: str) -> dict:
    shop = Shop(stack)
    quotes = [shop.approved_quote(shop.part_lines(2))["id"]
              for _ in tqdm(range(args.orders), desc="approved quotes", unit="quote", file=sys.stderr)]
    client = RpcClient(amqp_uri, timeout=5)
    context = {"request_id": uuid.uuid4().hex, "role": "hq_admin", "store_ids": ""}
    for _ in range(50):
        client.call("crm", "ping", context)
    step(f"{args.orders} orders contracted one at a time, the hop in between")
    delays, opened, polls, hops = [], [], [], []
    for number, quote_id in enumerate(tqdm(quotes, desc="orders", unit="order", file=sys.stderr)):
        if number % BLOCK == 0:
            for _ in range(BLOCK):
                started = time.perf_counter()
                client.call("crm", "ping", context)
                hops.append(time.perf_counter() - started)
        order_id = shop.contract(quote_id)["id"]
        replied, replied_at = time.perf_counter(), datetime.now(timezone.utc)
        tries = 1
        while not (found := shop.work_order_of(order_id)):
            tries += 1
            if time.perf_counter() - replied > 30:
                raise RuntimeError(f"no work order for order {order_id} within 30 s")
        delays.append(time.perf_counter() - replied)
        opened.append((datetime.fromisoformat(found[0]["opened_at"]) - replied_at).total_seconds())
        polls.append(tries)
    client.close()
    shop.close()
    propagation, hop = summarise(delays), summarise(hops)
    return {"propagation": propagation, "opened": summarise(opened), "hop": hop,
            "polls_median": sorted(polls)[len(polls) // 2],
            "ratio_p99_over_hop": propagation["p99_ms"] / hop["median_ms"],
            "pass": propagation["p99_ms"] / hop["median_ms"] < TARGET}


def report(figures: dict, meta: dict) -> str:
    def row(name: str, f: dict) -> list:
        return [name, f["calls"], *(f"{f[key]:.1f}" for key in ("median_ms", "p95_ms", "p99_ms", "max_ms"))]

    return "\n".join([header_line(meta), "", markdown_table(
        ["measurement", "n", "median ms", "p95 ms", "p99 ms", "max ms"],
        [row("contract reply → work order readable (GET /v1/work-orders?order_id=)", figures["propagation"]),
         row("contract reply → work order opened in workshop (its `opened_at`; negative: before the reply)",
             figures["opened"]),
         row("RPC hop crm.ping (gateway RpcClient), same run", figures["hop"])]),
        "", f"GETs per order until readable (median, the first included): {figures['polls_median']}", "",
        markdown_table(["ratio", "value", "target", "result"],
                       [["propagation p99 ÷ hop median", f"{figures['ratio_p99_over_hop']:.1f}×", f"< {TARGET:g}×",
                         verdict(figures["pass"])]])])


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("event_propagation", __doc__)
    parser.add_argument("--orders", type=int, default=500, help="orders contracted (500)")
    args = parser.parse_args(argv)
    if args.orders < 1:
        parser.error("--orders at least 1")
    return run_on_stack("event_propagation", args, lambda stack, amqp_uri: measure(args, stack, amqp_uri), report)


if __name__ == "__main__":
    sys.exit(main())
