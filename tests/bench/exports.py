"""Exports of a large list: rows a second and the gateway's memory while CSV and xlsx are written.

    .venv/bin/python -m tests.bench.exports [--rows 200000] [--json out.json]

Starts its own stack (tests/bench/harness.py), makes one webhook and writes `--rows` rows of its delivery log
straight into the gateway's database (a list the gateway itself pages, 200 rows at a time by its keyset
cursor, as every list export does), then downloads `GET /v1/webhooks/{id}/deliveries?format=csv` and
`…format=xlsx` twice each: the whole list and a tenth of it (`?status=` filters the tenth). While each
download runs, every gateway worker's RSS is sampled; the figures are rows a second and the workers' RSS
growth over their size before the download. Memory is flat when the whole list grows RSS about as little as
the tenth (the ratio printed, measured in the same run). A benchmark script, not a test.
"""
from __future__ import annotations

import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from tests.bench.harness import (bench_parser, header_line, markdown_table, rss_mb, run_on_stack, stack_processes,
                                 step)

BATCH = 5000


def seed(stack, webhook_id: str, rows: int) -> None:
    """`rows` deliveries, one in ten `failed` (the tenth exported on its own), bodies like a real event's."""
    engine = create_engine(stack.env["GATEWAY_DATABASE_URL"])
    body = ('{"id":"%s","type":"crm.customer_registered","version":1,"occurred_at":"2026-12-06T08:00:00+00:00",'
            '"store_id":"s","data":{"customer_id":"C1","name":"压测客户","home_store_id":"s","source":null,'
            '"marketing_consent":false,"tags":[]}}')
    start = datetime(2026, 12, 1, tzinfo=timezone.utc)
    with engine.begin() as connection:
        for first in range(0, rows, BATCH):
            connection.execute(text(
                "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, body, status, attempts, "
                "created_at, attempted_at, response_status, duration_ms) VALUES (:id, :webhook, :event, "
                "'crm.customer_registered', :body, :status, 1, :at, :at, :code, 12)"),
                [{"id": f"{n:026d}", "webhook": webhook_id, "event": f"evt-{n}", "body": body % n,
                  "status": "failed" if n % 10 == 0 else "delivered", "code": 500 if n % 10 == 0 else 200,
                  "at": start + timedelta(seconds=n)} for n in range(first, min(first + BATCH, rows))])
    engine.dispose()


def download(stack, session, url: str, params: dict) -> dict:
    """One export streamed to nowhere, the gateway workers' RSS sampled every 0.1 s meanwhile."""
    workers = [p for name, p in stack_processes(stack).items() if name.startswith("gateway worker")]
    before = {p.pid: rss_mb(p) for p in workers}
    peak = dict(before)
    done = threading.Event()

    def sample():
        while not done.is_set():
            for process in workers:
                peak[process.pid] = max(peak[process.pid], rss_mb(process))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    size = 0
    with session.get(url, params=params, stream=True, timeout=600) as reply:
        reply.raise_for_status()
        first_byte = time.perf_counter() - started
        for chunk in reply.iter_content(1 << 16):
            size += len(chunk)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {"seconds": round(seconds, 2), "first_byte_s": round(first_byte, 2), "bytes": size,
            "rss_growth_mb": round(max(peak[pid] - before[pid] for pid in before), 1)}


def measure(args, stack) -> dict:
    admin = stack.login()
    store = admin.post(f"{stack.url}/v1/stores",
                       json={"code": f"EXP-{uuid.uuid4().hex[:6]}", "name": "导出门店"}).json()
    webhook = admin.post(f"{stack.url}/v1/webhooks", json={
        "url": "http://127.0.0.1:9/none", "event_types": ["crm.customer_registered"], "store_ids": [store["id"]]})
    webhook = webhook.json()
    step(f"writing {args.rows} deliveries")
    seed(stack, webhook["id"], args.rows)
    url = f"{stack.url}/v1/webhooks/{webhook['id']}/deliveries"
    figures = {"rows": args.rows}
    for kind in ("csv", "xlsx"):
        step(f"{kind}: a tenth, then all")
        tenth = download(stack, admin, url, {"format": kind, "status": "failed"})
        whole = download(stack, admin, url, {"format": kind})
        figures[kind] = {"tenth": tenth, "whole": whole,
                         "rows_per_second": round(args.rows / whole["seconds"]),
                         "growth_ratio": round(whole["rss_growth_mb"] / max(tenth["rss_growth_mb"], 1.0), 2)}
    return figures


def report(figures: dict, meta: dict) -> str:
    rows = []
    for kind in ("csv", "xlsx"):
        f = figures[kind]
        rows.append([kind, figures["rows"], f["whole"]["seconds"], f["rows_per_second"], f["whole"]["first_byte_s"],
                     round(f["whole"]["bytes"] / 2**20, 1), f["tenth"]["rss_growth_mb"], f["whole"]["rss_growth_mb"],
                     f["growth_ratio"]])
    table = markdown_table(["format", "rows", "seconds", "rows/s", "first byte (s)", "MB", "RSS +MB (a tenth)",
                            "RSS +MB (all)", "all / a tenth (≥ 1 MB)"], rows)
    return "\n".join([header_line(meta), "", table, "",
                      "Flat memory: the whole list grows a worker's RSS about as much as a tenth of it."])


def main() -> int:
    parser = bench_parser("exports", __doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    return run_on_stack("exports", args, lambda stack, _uri: measure(args, stack), report)


if __name__ == "__main__":
    sys.exit(main())
