"""The queries a store and HQ run, at two chain sizes seeded by tests/bench/chain_seed.py: p95 at the
large size against p95 at the small one, in one run.

    .venv/bin/python -m tests.bench.chain_queries [--small 0.01] [--large 1] [--calls 200] [--explain] [--only RE]

Calls the services' own RPC methods (nameko's `worker_factory`: the real method, schema and domain
code, with a session on the seeded database, like tests/service), as an HQ admin, with random keys:
search a customer by phone and by plate (crm.list_customers), a store's work-order board
(workshop.list_work_orders: its active orders in progress, and its newest orders), a customer's
history (crm.customer_history), a month's KPIs for one store and for the chain, per store and in one
row (finance.kpis), and a store's month of workshop figures (workshop.workshop_stats_for_stores, what
the KPI report joins); and the search boxes: a customer by a middle fragment of a plate, of a
mobile number or of a name, and by a fragment every customer matches (crm.list_customers `q`), a part by
pinyin initials, brand, name fragment or a fragment of its OE number (inventory.list_parts `q`; the catalogue
is the chain's, the same size at both scales); and the reports of issue 29 at a random store over a month: the
people report's calls (workshop.technician_scorecards, finance.people_figures, crm.order_ratings, and
sales.advisor_scorecards with the orders crm rated and the store's declined quotes of the month as inspection
findings' quotes), the market report (sales.price_comparison: competitors'
prices beside the store's own), customer sources and campaign results (crm's
customers or sends joined with finance's figures: both calls as the gateway makes them), retention cohorts over
12 months (one store, and the chain), member card liabilities (one store, the chain) and the KPIs beside the
previous period, the same days last year and the targets (finance.kpis three times, kpi_targets_over). The
two sizes' calls are interleaved, so the machine's load
weighs on both alike. `--explain` prints `EXPLAIN (ANALYZE, BUFFERS)` of every SELECT one call of each query
sends at the large size.
Target: p95 at the large size <= 2x p95 at the small size. Seed both sizes first. Not a test.
"""
from __future__ import annotations

import random
import re
import sys
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import date, timedelta

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko imports eventlet

from nameko.testing.services import worker_factory  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from services.common.context import Caller  # noqa: E402
from services.common.periods import COMPARISONS  # noqa: E402
from services.crm.service import CrmService  # noqa: E402
from services.finance.service import FinanceService  # noqa: E402
from services.inventory.service import InventoryService  # noqa: E402
from services.sales.service import SalesService  # noqa: E402
from services.workshop.service import WorkshopService  # noqa: E402
from tests.bench.chain_seed import (ACTIVE_STATUSES, Size, database_urls, existing, mobile, oe_number,  # noqa: E402
                                    plate, quote_rows, store_id)
from tests.bench.harness import (bench_parser, header, header_line, markdown_table, percentile, publish,  # noqa: E402
                                 step, verdict)
from tests.support.service import RecordingRelay  # noqa: E402

TARGET = 2.0  # p95 large / p95 small, at most
SERVICES = {"crm": CrmService, "workshop": WorkshopService, "finance": FinanceService, "inventory": InventoryService,
            "sales": SalesService}
HQ = Caller(user_id="bench-hq", role="hq_admin", request_id=uuid.uuid4().hex)


class Chain:
    """One seeded size: a session per call on each owner's database, like a worker's."""

    def __init__(self, prefix: str, size: Size):
        urls = database_urls(prefix, size)
        if len(existing(urls)) < len(urls):
            raise SystemExit(f"scale {size.scale:g} is not seeded: "
                             f"python -m tests.bench.chain_seed --scale {size.scale:g}")
        self.size = size
        self.engines = {owner: create_engine(url, pool_size=2) for owner, url in urls.items() if owner in SERVICES}
        self.makers = {owner: sessionmaker(bind=engine, expire_on_commit=False)
                       for owner, engine in self.engines.items()}
        self.rnd = random.Random(11)
        self._finding_quotes: dict[str, list[str]] | None = None
        with self.makers["crm"]() as session:
            self.customer_ids = list(session.scalars(text(
                "SELECT id FROM customers TABLESAMPLE SYSTEM (10) LIMIT 5000")))

    def call(self, owner: str, method: str, *args):
        session = self.makers[owner]()
        session.info.update({"service": owner, "relay": RecordingRelay(), "outbox": [], "context": HQ.to_context()})
        try:
            return getattr(worker_factory(SERVICES[owner], db=session, caller=HQ), method)(*args)
        finally:
            session.close()

    def store(self) -> str:
        return store_id(self.rnd.randrange(self.size.stores))

    def queries(self) -> dict[str, Callable[[], object]]:
        month = {"from": date(2026, 9, 1).isoformat(), "to": date(2026, 9, 30).isoformat()}
        return {
            "customer by phone": lambda: self.call("crm", "list_customers", {
                "phone": mobile(self.rnd.randrange(self.size.customers))}),
            "customer by plate": lambda: self.call("crm", "list_customers", {
                "plate": plate(self.rnd.randrange(self.size.vehicles))}),
            "store's work orders in progress": lambda: self.call("workshop", "list_work_orders", {
                "store_id": self.store(), "status": self.rnd.choice(ACTIVE_STATUSES)}),
            "store's newest work orders (page of 20)": lambda: self.call("workshop", "list_work_orders", {
                "store_id": self.store(), "limit": 20}),
            "customer's history (page of 20)": lambda: self.call("crm", "customer_history",
                                                                 self.rnd.choice(self.customer_ids), {"limit": 20}),
            "month's KPIs, one store": lambda: self.call("finance", "kpis", {**month, "store_id": self.store()}),
            "month's workshop figures, one store": lambda: self.call("workshop", "workshop_stats_for_stores", {
                **month, "stores": [{"store_id": self.store(), "time_zone": "Asia/Shanghai"}]}),
            "month's KPIs, whole chain (a row per store)": lambda: self.call("finance", "kpis", month),
            "month's KPIs, whole chain (one row)": lambda: self.call("finance", "kpis", {**month, "group": "chain"}),
            "customer by 4 middle characters of a plate": lambda: self.call("crm", "list_customers", {
                "q": plate(self.rnd.randrange(self.size.vehicles))[2:6]}),
            "customer by 5 middle digits of a mobile": lambda: self.call("crm", "list_customers", {
                "q": mobile(self.rnd.randrange(self.size.customers))[3:8]}),
            "customer by 3 digits every mobile holds (130: the newest page)": lambda: self.call(
                "crm", "list_customers", {"q": "130"}),
            "customer by the end of a name (客户n → 户n)": lambda: self.call("crm", "list_customers", {
                "q": f"户{self.rnd.randrange(self.size.customers)}"}),
            "part by pinyin initials (scp: 刹车片, 刹车盘)": lambda: self.call("inventory", "list_parts", {"q": "scp"}),
            "part by brand (博世)": lambda: self.call("inventory", "list_parts", {"q": "博世"}),
            "part by part of its name (滤芯)": lambda: self.call("inventory", "list_parts", {"q": "滤芯"}),
            "part by 6 middle characters of an OE number": lambda: self.call("inventory", "list_parts", {
                "q": oe_number(self.rnd.randrange(self.size.parts))[2:8]}),
            **self.reports(month),
        }

    def reports(self, month: dict) -> dict[str, Callable[[], object]]:
        """Issue 29's reports: the owners' calls behind each, for a random store and a month."""
        year = {"from": "2025-10", "to": "2026-09"}
        return {
            "people: technician scorecards, one store (workshop)": lambda: self.call(
                "workshop", "technician_scorecards", {**month, "store_id": self.store(), "time_zone": "Asia/Shanghai"}),
            "people: revenue, commission, targets, one store (finance)": lambda: self.call(
                "finance", "people_figures", {**month, "store_id": self.store()}),
            "people: follow-up ratings by order, one store (crm)": lambda: self.call(
                "crm", "order_ratings", {**month, "store_id": self.store()}),
            "people: advisor scorecards, one store (crm + sales)": lambda: self.advisors(
                {**month, "store_id": self.store()}),
            "market: competitors' prices beside the store's, one store (sales)": lambda: self.call(
                "sales", "price_comparison", {"store_id": self.store(), "on": month["to"]}),
            "customer sources, one store (crm + finance)": lambda: self.sources({**month, "store_id": self.store()}),
            "campaign results, one store (crm + finance)": lambda: self.campaigns({**month, "store_id": self.store()}),
            "retention cohorts, 12 months, one store": lambda: self.call(
                "finance", "retention", {**year, "store_id": self.store()}),
            "retention cohorts, 12 months, whole chain": lambda: self.call("finance", "retention", year),
            "card liabilities, one store": lambda: self.call("finance", "card_liabilities", {"store_id": self.store()}),
            "card liabilities, whole chain (a row per store)": lambda: self.call("finance", "card_liabilities", {}),
            "month's KPIs beside last month, last year, targets, one store": lambda: self.compared(
                {**month, "store_id": self.store()}),
        }

    def advisors(self, query: dict) -> None:
        """GET /v1/reports/people?role=advisor's sales part: crm's rated orders, then sales' advisor scorecards
        with the advisors of those orders and, as workshop's finding quotes (not seeded in workshop), the store's
        declined quotes of the month (one visit in four)."""
        ratings = self.call("crm", "order_ratings", query)["follow_ups"]
        self.call("sales", "advisor_scorecards", {
            **query, "time_zone": "Asia/Shanghai", "finding_quotes": self.finding_quotes(query["store_id"]),
            "order_ids": sorted({rating["order_id"] for rating in ratings if rating["order_id"]})})

    def finding_quotes(self, store: str) -> list[str]:
        """The store's declined quotes presented in September 2026 (worked out from the seed once, not timed)."""
        if self._finding_quotes is None:
            found: dict[str, list[str]] = {}
            for visit, quote, state, at, _net in quote_rows(self.size):
                if state == "declined" and (at + timedelta(hours=8)).strftime("%Y-%m") == "2026-09":
                    found.setdefault(store_id(visit.store), []).append(quote)
            self._finding_quotes = found
        return self._finding_quotes.get(store, [])

    def sources(self, query: dict) -> None:
        """GET /v1/reports/customer-sources: crm's new customers by source, then finance's figures of them."""
        groups = self.call("crm", "new_customers_by_source", query)["items"]
        everyone = [customer for group in groups for customer in group["customer_ids"]]
        if everyone:
            self.call("finance", "customer_figures", {**query, "customer_ids": everyone})

    def campaigns(self, query: dict) -> None:
        """GET /v1/reports/campaigns: crm's sends, then finance's invoices within 30 days of each."""
        sends = {(send["customer_id"], send["day"]) for campaign in self.call("crm", "campaign_sends", query)["items"]
                 for send in campaign["sends"]}
        windows = [{"customer_id": customer, "from": day, "to": (date.fromisoformat(day) + timedelta(days=30))
                    .isoformat()} for customer, day in sorted(sends)]
        if windows:
            self.call("finance", "window_figures", {"windows": windows, "store_id": query["store_id"]})

    def compared(self, query: dict) -> None:
        """GET /v1/reports/kpis?compare=previous_period,same_period_last_year,target: the KPIs of the days, of the
        days before and of the same days a year earlier, and the store's targets."""
        first, last = date.fromisoformat(query["from"]), date.fromisoformat(query["to"])
        for span in [(first, last), *(compare(first, last) for compare in COMPARISONS.values())]:
            self.call("finance", "kpis", {**query, "from": span[0].isoformat(), "to": span[1].isoformat()})
        self.call("finance", "kpi_targets_over", {"store_ids": [query["store_id"]], "from": query["from"],
                                                  "to": query["to"]})

    def explain(self, name: str, run: Callable[[], object]) -> list[str]:
        """EXPLAIN (ANALYZE, BUFFERS) of every SELECT one call sends (parameters inlined)."""
        statements: list[tuple[str, str]] = []

        def capture(conn, cursor, statement, parameters, _context, _many):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append((owner_of[conn.engine], cursor.mogrify(statement, parameters).decode()))

        owner_of = {engine: owner for owner, engine in self.engines.items()}
        for engine in self.engines.values():
            event.listen(engine, "before_cursor_execute", capture)
        try:
            run()
        finally:
            for engine in self.engines.values():
                event.remove(engine, "before_cursor_execute", capture)
        plans = []
        for owner, sql in statements:
            with self.engines[owner].connect() as conn:
                explained = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}".replace("%", "%%"))
                plan = "\n".join(row[0] for row in explained)
            plans.append(f"-- {name} ({owner})\n{_shorten(sql)}\n{_shorten(plan)}")
        return plans

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()


def _shorten(sql: str) -> str:
    """Long id lists (selectin loads) cut to their first two ids."""
    sql = re.sub(r"IN \(('[^']*'), ('[^']*')(, '[^']*')+\)", r"IN (\1, \2, …)", sql)
    return re.sub(r"'\{([^,}]*),([^,}]*)(,[^,}]*)+\}'", r"'{\1,\2,…}'", sql)


def measure(args, small: Chain, large: Chain) -> dict:
    figures = {}
    small_queries, large_queries = small.queries(), large.queries()
    for name in [name for name in small_queries if re.search(args.only, name)]:
        step(f"{name}: {args.calls} calls at each size, interleaved")
        seconds: dict[str, list[float]] = {"small": [], "large": []}
        for _ in range(3):  # warm-up
            small_queries[name]()
            large_queries[name]()
        for _ in range(args.calls):
            for which, query in (("small", small_queries[name]), ("large", large_queries[name])):
                started = time.perf_counter()
                query()
                seconds[which].append(time.perf_counter() - started)
        p95 = {which: percentile(sorted(values), 0.95) * 1000 for which, values in seconds.items()}
        p50 = {which: percentile(sorted(values), 0.5) * 1000 for which, values in seconds.items()}
        figures[name] = {"p50_ms": p50, "p95_ms": p95, "ratio": p95["large"] / p95["small"],
                         "pass": p95["large"] / p95["small"] <= TARGET}
    return figures


def report(figures: dict, meta: dict, small: Size, large: Size) -> str:
    rows = [[name, f"{f['p50_ms']['small']:.1f}", f"{f['p95_ms']['small']:.1f}", f"{f['p50_ms']['large']:.1f}",
             f"{f['p95_ms']['large']:.1f}", f"{f['ratio']:.2f}×", verdict(f["pass"])] for name, f in figures.items()]
    return "\n".join([header_line(meta), "", markdown_table(
        ["query (the service's RPC method)", f"p50 ms at {small.scale:g}", f"p95 ms at {small.scale:g}",
         f"p50 ms at {large.scale:g}", f"p95 ms at {large.scale:g}", "p95 ratio", f"≤ {TARGET:g}×"], rows)])


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("chain_queries", __doc__, stack=False)
    parser.add_argument("--small", type=float, default=0.01, help="the small seeded scale (0.01)")
    parser.add_argument("--large", type=float, default=1.0, help="the large seeded scale (1)")
    parser.add_argument("--prefix", default="chain", help="database name prefix given to chain_seed (chain)")
    parser.add_argument("--until", type=date.fromisoformat, default=date(2026, 11, 1), help="as given to chain_seed")
    parser.add_argument("--calls", type=int, default=200, help="calls of each query at each size (200)")
    parser.add_argument("--explain", action="store_true", help="print the query plans at the large size")
    parser.add_argument("--only", default="", help="measure only the queries whose name matches this regex")
    args = parser.parse_args(argv)

    meta = header("chain_queries")
    started = time.monotonic()
    small_size, large_size = Size(args.small, args.until), Size(args.large, args.until)
    small, large = Chain(args.prefix, small_size), Chain(args.prefix, large_size)
    try:
        figures = measure(args, small, large)
        plans = [plan for name, query in large.queries().items() if name in figures
                 for plan in large.explain(name, query)] \
            if args.explain else []
    finally:
        small.close()
        large.close()
    text = report(figures, meta, small_size, large_size) + "".join(f"\n\n```\n{plan}\n```" for plan in plans)
    publish(meta, started, text, figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
