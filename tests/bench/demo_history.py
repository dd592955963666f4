"""How long the demo chain's history takes to seed (`make run`'s second step, deploy/demo_history.py).

    .venv/bin/python -m tests.bench.demo_history [--db sqlite|postgresql] [--days 90] [--runs 2]
        [--profile out.prof] [--json out.json]

Starts its own stack (tests/support/stack.py: SQLite files under a temporary folder, as `make run`, or private
PostgreSQL databases), seeds the demo chain through the gateway as `make run` does before printing the logins
(`deploy/demo.py`, no history), reads the stores and their staff, and stops the stack. Then, `--runs` times, on a
fresh copy of those databases (SQLite: the files copied; PostgreSQL: `CREATE DATABASE … TEMPLATE`), it times
`demo_history.seed` for `--days` days — with no service process running beside it, so the figure is the seeding's
own — and a second `seed` on the same copy (it must seed nothing). `--profile` writes the last run's cProfile,
that run seeding the stores one after the other in this process (`seed_one`; the profiler sees no other process).
CPU seconds are those of every process of the seeding (this one and the stores' own).
Everything it created is removed at the end. A benchmark script, not a test.
"""
from __future__ import annotations

import contextlib
import cProfile
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.bench.harness import bench_parser, header, header_line, markdown_table, publish, step
from tests.support.infra import PG_ADMIN_URL, Databases, Vhost
from tests.support.stack import Stack


def prepared(kind: str, folder: Path) -> tuple[Callable[[int], Callable[[str], str]], Callable[[], None],
                                               list, dict]:
    """The demo chain without history on `kind` databases; returns (the databases of run n, drop everything,
    the stores, their staff)."""
    from deploy import demo
    from services.common.migrate import OWNERS

    vhost = Vhost().create()
    databases = Databases().create() if kind == "postgresql" else None
    env = databases.env() if databases else {f"{owner.upper()}_DATABASE_URL": f"sqlite:///{folder}/{owner}.db"
                                             for owner in OWNERS}
    (folder / "logs").mkdir()
    stack = Stack(vhost.uri, env, folder / "logs")
    try:
        stack.start()
        demo.store_accounts(stack.store_accounts)
        api = stack.login()
        demo.seed(api, stack.url, lambda owner: env[f"{owner.upper()}_DATABASE_URL"], 0)
        stores = {s["code"]: s for s in api.get(f"{stack.url}/v1/stores", params={"limit": 200}).json()["items"]}
        users = {code: {user["role"]: user for user in api.get(f"{stack.url}/v1/users", params={
            "store_id": stores[code]["id"], "limit": 200}).json()["items"]} for code, _name, _addr in demo.STORES}
    finally:
        stack.stop()
        vhost.drop()
    chain = [(code, stores[code]) for code, _name, _address in demo.STORES]
    if databases:
        return _pg_copies(databases), databases.drop, chain, users
    return _sqlite_copies(folder), lambda: None, chain, users


def _sqlite_copies(folder: Path) -> Callable[[int], Callable[[str], str]]:
    from deploy import demo_history

    def copy(run: int) -> Callable[[str], str]:
        target = folder / f"run{run}"
        target.mkdir()
        for name in demo_history.SERVICES:
            shutil.copy(folder / f"{name}.db", target / f"{name}.db")  # WAL checkpointed: the stack stopped
        return {owner: f"sqlite:///{target}/{owner}.db" for owner in demo_history.SERVICES}.__getitem__
    return copy


def _pg_copies(databases: Databases) -> Callable[[int], Callable[[str], str]]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def copy(run: int) -> Callable[[str], str]:
        copies = Databases(f"{databases.prefix}_r{run}")
        with admin.connect() as connection:
            for owner in copies.urls:
                connection.execute(text(f'CREATE DATABASE "{copies.prefix}_{owner}" '
                                        f'TEMPLATE "{databases.prefix}_{owner}"'))
        _copies.append(copies)
        return copies.urls.__getitem__
    return copy


_copies: list[Databases] = []


class TreeCpu:
    """CPU seconds of this process and every process under it (the seeding's own processes come and go):
    each descendant's last reading, taken every 0.2 s by a thread."""

    def __init__(self):
        self.me = psutil.Process()
        self.seen: dict[int, float] = {}
        self.running = True
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while self.running:
            for child in self.me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    self.seen[child.pid] = sum(child.cpu_times()[:2])
            time.sleep(0.2)

    def __enter__(self) -> "TreeCpu":
        self.started = time.process_time()
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.running = False
        self.thread.join()
        self.seconds = time.process_time() - self.started + sum(self.seen.values())


@contextmanager
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="bench-demo-history-"))
    try:
        yield folder
    finally:
        for copies in _copies:
            copies.drop()
        shutil.rmtree(folder, ignore_errors=True)


def one_run(stores: list, users: dict, urls: Callable[[str], str], days: int, profile: str | None) -> dict:
    """The history seeded once on fresh databases, then seeded again (nothing to add)."""
    from deploy import demo_history

    started = time.perf_counter()
    with TreeCpu() as cpu:
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            given = {name: urls(name) for name in demo_history.SERVICES}
            cars = sum(demo_history.seed_one(code, store, users[code], given, days) for code, store in stores)
            profiler.disable()
            profiler.dump_stats(profile)
        else:
            cars = demo_history.seed(stores, users, urls, days)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = demo_history.seed(stores, users, urls, days)
    return {"cars": cars, "seconds": round(seconds, 2), "cpu_seconds": round(cpu.seconds, 2),
            "second_seed_cars": again, "second_seed_seconds": round(time.perf_counter() - started, 2)}


def main() -> None:
    parser = bench_parser("demo_history", __doc__, stack=False)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--profile", metavar="PATH", help="write the last run's cProfile to PATH")
    args = parser.parse_args()
    meta, began = header("demo_history"), time.monotonic()
    runs = []
    with scratch() as folder:
        step(f"the demo chain on {args.db}, no history yet")
        copy, drop, stores, users = prepared(args.db, folder)
        try:
            for run in range(1, args.runs + 1):
                step(f"run {run}: {args.days} days")
                runs.append(one_run(stores, users, copy(run), args.days,
                                    args.profile if run == args.runs else None))
        finally:
            drop()
    rows = [[n, args.db, args.days, r["cars"], f"{r['seconds']:.1f}", f"{r['cpu_seconds']:.1f}",
             f"{1000 * r['seconds'] / r['cars']:.0f}", f"{r['second_seed_cars']} in {r['second_seed_seconds']:.2f} s"]
            for n, r in enumerate(runs, 1)]
    report = markdown_table(["run", "database", "days", "cars", "seconds", "CPU seconds (all its processes)",
                             "ms per car", "a second seed: cars"], rows)
    publish(meta, began, f"{header_line(meta)}\n\n{report}", {"db": args.db, "days": args.days, "runs": runs},
            args.json)


if __name__ == "__main__":
    main()
