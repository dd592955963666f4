"""What every benchmark script shares: statistics, the run's header (date, machine, load average),
a private stack that is always torn down, wrk, RPC counts by service,
and per-process CPU and memory readings.

Every script measures its ratios within one run on one machine; none of this is a test.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko imports eventlet

import psutil  # noqa: E402

from tests.support.infra import Databases, Vhost  # noqa: E402
from tests.support.stack import Stack  # noqa: E402


# -- statistics ----------------------------------------------------------------------------------

def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(seconds: list[float]) -> dict:
    values = sorted(seconds)
    return {"calls": len(values), "median_ms": statistics.median(values) * 1000,
            "p95_ms": percentile(values, 0.95) * 1000, "p99_ms": percentile(values, 0.99) * 1000,
            "mean_ms": statistics.fmean(values) * 1000, "max_ms": values[-1] * 1000}


def timed(call: Callable[[], object], n: int, warmup: int) -> dict:
    """Median, p95 and p99 of `n` sequential calls after `warmup` untimed ones."""
    return interleaved({"call": call}, n, warmup, rounds=1)["call"]


def interleaved(calls: dict[str, Callable[[], object]], n: int, warmup: int, rounds: int = 10) -> dict[str, dict]:
    """`n` sequential calls of each, taken in `rounds` alternating blocks, so that a change in the
    machine's load during the run weighs on every row alike (their ratios stay comparable)."""
    for call in calls.values():
        for _ in range(warmup):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    clock = time.perf_counter
    per_round = max(1, n // rounds)
    for _ in range(rounds):
        for name, call in calls.items():
            for _ in range(per_round):
                started = clock()
                call()
                samples[name].append(clock() - started)
    return {name: summarise(values) for name, values in samples.items()}


# -- the run's header ------------------------------------------------------------------------------

def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def header(name: str) -> dict:
    return {"bench": name, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(), "python": platform.python_version(), "argv": sys.argv[1:],
            "loadavg_start": loadavg()}


def header_line(meta: dict) -> str:
    return (f"{meta['bench']}: {meta['date']}, {meta['cpus']} cores, Python {meta['python']}, "
            f"load average at start {meta['loadavg_start']}")


def step(label: str) -> None:
    print(f"  … {label} (load {loadavg()})", file=sys.stderr, flush=True)


def markdown_table(columns: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def bench_parser(name: str, doc: str, *, stack: bool = True) -> argparse.ArgumentParser:
    """The script's parser with the options every benchmark has (`--json`; `--keep-logs` with a stack)."""
    parser = argparse.ArgumentParser(prog=f"python -m tests.bench.{name}", description=doc.split("\n")[0])
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    if stack:
        parser.add_argument("--keep-logs", action="store_true", help="keep the stack's log directory")
    return parser


def publish(meta: dict, started: float, text: str, figures: dict, json_path: str | None) -> None:
    """Prints the report, the run's duration and the load average at its end; the figures as JSON on request."""
    meta["seconds"] = round(time.monotonic() - started, 1)
    meta["loadavg_end"] = loadavg()
    print(text)
    print(f"\n(whole run {meta['seconds']} s, load average at the end {meta['loadavg_end']})")
    if json_path:
        Path(json_path).write_text(json.dumps({"meta": meta, **figures}, indent=2, ensure_ascii=False) + "\n")


def run_on_stack(name: str, args: argparse.Namespace, measure: Callable[[Stack, str], dict],
                 report: Callable[[dict, dict], str]) -> int:
    """One benchmark on a private stack: `measure(stack, amqp_uri)` gives the figures, `report(figures, meta)`
    the text."""
    meta = header(name)
    started = time.monotonic()
    with private_stack(args.keep_logs) as (stack, amqp_uri):
        figures = measure(stack, amqp_uri)
    publish(meta, started, report(figures, meta), figures, args.json)
    return 0


# -- a private stack -------------------------------------------------------------------------------

@contextlib.contextmanager
def private_stack(keep_logs: bool = False, **stack_options) -> Iterator[tuple[Stack, str]]:
    """The five services and the gateway against their own vhost and databases, all removed afterwards.
    Yields the stack and its AMQP URI."""
    log_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    vhost = Vhost().create()
    databases = Databases().create()
    stack = Stack(vhost.uri, databases.env(), log_dir, **stack_options)
    failed = True
    try:
        step(f"starting the stack (logs in {log_dir})")
        stack.start()
        yield stack, vhost.uri
        failed = False
    finally:
        stack.stop()
        databases.drop()
        vhost.drop()
        if failed or keep_logs:
            print(f"logs kept in {log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(log_dir, ignore_errors=True)


# -- HTTP load with wrk ----------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, headers: dict, connections: int, duration: float, threads: int = 2) -> dict:
    """One wrk run: req/s, p50/p99 under load, errors (socket errors and non-2xx)."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    threads = min(threads, connections)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(duration)}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(argv + [url], capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    socket_errors = re.search(r"Socket errors:.*", out)
    result = {"tool": f"wrk -t{threads} -c{connections} -d{int(duration)}s",
              "connections": connections,
              "req_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
              "requests": int(re.search(r"(\d+) requests in", out).group(1)),
              "errors": int((re.search(r"Non-2xx or 3xx responses: (\d+)", out) or [0, 0])[1])
              + sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)",
                                               socket_errors.group(0) if socket_errors else ""))}
    for label, key in (("50%", "p50_ms"), ("99%", "p99_ms")):
        result[key] = _ms(re.search(rf"{re.escape(label)}\s+([\d.]+\w+)", out).group(1))
    return result


def wrk_warm(url: str, headers: dict, connections: int, duration: float) -> dict:
    """A 2-second warm-up run (pools fill, code paths warm), then the measured one."""
    wrk(url, headers, connections, 2)
    return wrk(url, headers, connections, duration)


# -- counting RPCs on the wire (tests/support/rpc_tap.py) -----------------------------------------

def by_service(counts: Counter[str]) -> dict[str, int]:
    services: Counter[str] = Counter()
    for key, n in counts.items():
        services[key.split(".", 1)[0]] += n
    return dict(sorted(services.items()))


# -- processes -------------------------------------------------------------------------------------

def stack_processes(stack: Stack) -> dict[str, psutil.Process]:
    """Every service process by name, and each gunicorn worker of the gateway as `gateway worker N`."""
    processes = {}
    for name, popen in stack.processes.items():
        process = psutil.Process(popen.pid)
        if name == "gateway":
            processes["gateway master"] = process
            for number, worker in enumerate(sorted(process.children(), key=lambda p: p.pid), 1):
                processes[f"gateway worker {number}"] = worker
        else:
            processes[name] = process
    return processes


def rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def postgres_cpu_seconds() -> float:
    """CPU of every PostgreSQL backend on the machine (shared with other users of the server), those
    that exited included (the postmaster's reaped children), so the figure only grows."""
    total = 0.0
    names = ("postgres", "postmaster")
    for process in psutil.process_iter(["name", "ppid"]):
        if process.info["name"] in names:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
                if psutil.Process(process.info["ppid"]).name() not in names:  # the postmaster
                    total += times.children_user + times.children_system
    return total


def rabbitmq_cpu_seconds() -> float:
    total = 0.0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] == "beam.smp":
            with contextlib.suppress(psutil.Error):
                total += cpu_seconds(process)
    return total
