"""A write through the gateway: a quote with 10 part lines, priced by inventory, and the RPCs it makes.

    .venv/bin/python -m tests.bench.gateway_write [--quotes 100] [--lines 10] [--json out.json]

Starts its own stack (tests/bench/harness.py) and a store with ten parts in stock
(tests/bench/flow.py), then, one visit per quote, measures sequentially, interleaved:

- one request: `POST /v1/quotes` with the visit and its 10 lines;
- line by line: `POST /v1/quotes`, then `POST /v1/quotes/{id}/lines` ten times (11 requests).

An RPC tap (a queue of its own bound to nameko's RPC exchange, tests/bench/harness.py) counts every
RPC request on the wire during each write, gateway -> service and service -> service alike.
Target: one RPC per service touched (sales once, inventory once), no N+1. A benchmark script, not a test.
"""
from __future__ import annotations

import sys
import time
from collections import Counter

from tests.bench.flow import Shop, ok
from tests.bench.harness import (bench_parser, by_service, header_line, markdown_table, run_on_stack, step,
                                 summarise, verdict)
from tests.support.rpc_tap import RpcTap


def measure(args, stack, amqp_uri: str) -> dict:
    shop = Shop(stack)
    lines = shop.part_lines(args.lines)
    visits = [shop.visit()["id"] for _ in range(2 * args.quotes)]
    url = f"{stack.url}/v1/quotes"

    def one_request(visit_id: str) -> None:
        quote = ok(shop.advisor.post(url, json={"visit_id": visit_id, "lines": lines}))
        assert len(quote["lines"]) == args.lines

    def line_by_line(visit_id: str) -> None:
        quote = ok(shop.advisor.post(url, json={"visit_id": visit_id}))
        for line in lines:
            quote = ok(shop.advisor.post(f"{url}/{quote['id']}/lines", json=line))
        assert len(quote["lines"]) == args.lines

    ways = {"one request with the lines": one_request, "line by line (1 + lines requests)": line_by_line}
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    rpcs: dict[str, Counter[str]] = {}
    with RpcTap(amqp_uri) as tap:
        for name, write in ways.items():  # warm-up, and the RPCs of one write counted alone
            tap.take()
            write(visits.pop())
            rpcs[name] = tap.take()
        step(f"{args.quotes} quotes of {args.lines} lines each way, interleaved")
        for _ in range(args.quotes - 1):
            for name, write in ways.items():
                started = time.perf_counter()
                write(visits.pop())
                seconds[name].append(time.perf_counter() - started)
    shop.close()
    figures = {}
    for name in ways:
        stats = summarise(seconds[name])
        services = by_service(rpcs[name])
        figures[name] = {**stats, "quotes_per_s": 1000 / stats["mean_ms"], "rpcs": dict(rpcs[name]),
                         "rpcs_by_service": services,
                         "pass": all(n == 1 for n in services.values())}
    return figures


def report(figures: dict, meta: dict, lines: int) -> str:
    rows = [[name, f"{f['median_ms']:.1f}", f"{f['p99_ms']:.1f}", f"{f['quotes_per_s']:.1f}",
             sum(f["rpcs"].values()), ", ".join(f"{k} ×{v}" for k, v in sorted(f["rpcs"].items())),
             verdict(f["pass"])] for name, f in figures.items()]
    return "\n".join([header_line(meta), "", markdown_table(
        ["a quote with {} part lines".format(lines), "median ms", "p99 ms", "quotes/s (sequential)", "RPCs",
         "RPCs on the wire", "one RPC per service touched"], rows)])


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("gateway_write", __doc__)
    parser.add_argument("--quotes", type=int, default=100, help="quotes written each way (100)")
    parser.add_argument("--lines", type=int, default=10, help="part lines per quote (10)")
    args = parser.parse_args(argv)
    if args.quotes < 2 or not 1 <= args.lines <= 100:
        parser.error("--quotes at least 2, --lines in 1..100")
    return run_on_stack("gateway_write", args, lambda stack, amqp_uri: measure(args, stack, amqp_uri),
                        lambda figures, meta: report(figures, meta, args.lines))


if __name__ == "__main__":
    sys.exit(main())
