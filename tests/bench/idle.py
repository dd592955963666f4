"""CPU of every process of a stack at rest: what a store's server spends when nobody is at the counter.

    .venv/bin/python -m tests.bench.idle [--duration 30] [--json out.json]

Starts its own stack (tests/bench/harness.py), waits for it to settle, then reads each process's CPU
seconds over `--duration` seconds in which nobody calls it: what is left is timers and pollers (outbox
relays, message and payment polls, the webhook deliverer, the stream's heartbeat). The test stack's
settings are kept (faster polls than production's defaults), so this is an upper bound.
Target: < 5 % of one core per process. A benchmark script, not a test.
"""
from __future__ import annotations

import sys
import time

from tests.bench.harness import bench_parser, cpu_seconds, header_line, markdown_table, run_on_stack, stack_processes
from tests.bench.harness import step, verdict

TARGET_PERCENT = 5.0
SETTLE_SECONDS = 10


def measure(args, stack) -> dict:
    processes = stack_processes(stack)
    step(f"settling {SETTLE_SECONDS} s, then {args.duration:g} s at rest")
    time.sleep(SETTLE_SECONDS)
    before = {name: cpu_seconds(process) for name, process in processes.items()}
    time.sleep(args.duration)
    percent = {name: 100 * (cpu_seconds(process) - before[name]) / args.duration
               for name, process in processes.items()}
    return {"percent_of_a_core": percent, "total_percent": sum(percent.values()),
            "pass": all(value < TARGET_PERCENT for value in percent.values())}


def report(figures: dict, meta: dict) -> str:
    rows = [[name, f"{value:.1f}", verdict(value < TARGET_PERCENT)]
            for name, value in sorted(figures["percent_of_a_core"].items(), key=lambda item: -item[1])]
    return "\n".join([header_line(meta), "", markdown_table(
        ["process", "CPU at rest, % of one core", f"< {TARGET_PERCENT:g} %"], rows), "",
        f"whole stack at rest: {figures['total_percent']:.1f} % of one core"])


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("idle", __doc__)
    parser.add_argument("--duration", type=float, default=30, help="seconds at rest (30)")
    args = parser.parse_args(argv)
    return run_on_stack("idle", args, lambda stack, _amqp_uri: measure(args, stack), report)


if __name__ == "__main__":
    sys.exit(main())
