"""Seed chain-sized data into each owner's own PostgreSQL database (an ops/benchmark tool).

    .venv/bin/python -m tests.bench.chain_seed --scale 0.01            # 1 %: 5 stores, 20k customers, ...
    .venv/bin/python -m tests.bench.chain_seed --scale 1               # 500 stores, 2M customers, 3M vehicles,
                                                                       # 10M stock movements, 5M invoices
    .venv/bin/python -m tests.bench.chain_seed --scale 0.01 --drop     # drop that size's databases
    make bench-drop                                                    # drop the sizes `make bench` seeded

At `--scale 1`: 500 stores; crm 2M customers (home store, unique mobile), 3M vehicles (unique plates),
5M history entries and 5M follow-ups (one per invoice: rated, a tenth unreachable), a source on 7 customers in 8,
a campaign a month per store and one chain-wide, 4M campaign messages (a tenth skipped); workshop 8 technicians a
store, 5M delivered work orders plus 20 active ones per store, a job on each delivered one with its technician;
inventory a catalogue of 20,000 parts (the chain's, the same at every scale: named as
kind, brand and number, with OE numbers and pinyin initials) and 10M stock movements; finance 5M invoices over
the 24 months before `--until`, two lines each (labour and part) and their cost of sales, the KPI and retention
books recomputed from them (production keeps them with every invoice), each invoice's job with its technician
and its advisor (the
people report), commission targets per technician and KPI targets per store and month, 200k member cards
(half stored value, half packages) with the journal lines of their sale (2205/2206); sales a counter visit, a
quote (two lines) and its order before each invoice (the order's id is finance's and crm's), a declined quote on
one visit in four, store settings, the chain's 40 packages and the price list of 20 compared items (prices
changed every six months, one store in two overriding half of them) and competitors' prices of those items (3
competitors, every store, every month: 720k). Stores scale with the data, so a
store's own month looks the same at every scale; the chain grows.

Databases are named `<prefix>_<scale>_<owner>` (e.g. `chain_0_01_crm`), migrated to head with each
owner's alembic history, then filled with `COPY` (rows generated in Python, ids time-ordered like the
services' own), then `VACUUM ANALYZE`d. An existing database of that name is refused unless `--replace`.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Connection, create_engine, text
from tqdm import tqdm

from services.common.migrate import upgrade
from services.common.search import pinyin_initials
from services.common.validators import PROVINCES
from services.contracts.rpc.crm.customers import SOURCES
from services.finance.domain import cohorts, kpi_days
from tests.support.infra import PG_ADMIN_URL

OWNERS = ("crm", "workshop", "inventory", "finance", "sales")
FULL = {"stores": 500, "customers": 2_000_000, "vehicles": 3_000_000, "stock_movements": 10_000_000,
        "invoices": 5_000_000, "parts": 20_000, "campaign_messages": 4_000_000, "member_cards": 200_000}
ACTIVE_WORK_ORDERS_PER_STORE = 20
TECHNICIANS_PER_STORE = 8
ADVISORS_PER_STORE = 3
ACTIVE_STATUSES = ("open", "dispatched", "in_progress", "qc")  # workshop ACTIVE
MONTHS = 24
CHUNK = 50_000
_B32 = "0123456789abcdefghjkmnpqrstvwxyz"
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_PLATE_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
NULL = r"\N"


def ulid(at: datetime, n: int) -> str:
    """A 26-character id ordered by `at` (milliseconds), unique by `n` (as services.common.ids)."""
    value = (int(at.timestamp() * 1000) << 80) | n
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_B32[rem])
    return "".join(reversed(chars))


def mobile(n: int) -> str:
    return f"1{3 + n // 1_000_000_000 % 7}{n % 1_000_000_000:09d}"


def plate(n: int) -> str:
    """A valid regular plate, unique for n < 31 x 24 x 34^5 (about 34 billion)."""
    tail = "".join(_PLATE_ALNUM[(n // 34 ** i) % 34] for i in range(5))
    rest = n // 34 ** 5
    return f"{PROVINCES[rest % len(PROVINCES)]}{_PLATE_LETTERS[rest // len(PROVINCES) % 24]}{tail}"


def store_id(number: int) -> str:
    return f"store-{number:05d}"


@dataclass
class Size:
    scale: float
    until: date

    def __post_init__(self) -> None:
        for name, full in FULL.items():
            setattr(self, name, max(1, round(full * self.scale)) if name != "parts" else full)
        self.since = self.until - timedelta(days=30 * MONTHS)
        self.span_ms = int((self.until - self.since).total_seconds() * 1000)
        self.start = datetime.combine(self.since, datetime.min.time(), timezone.utc)

    def moment(self, rnd: random.Random) -> datetime:
        return self.start + timedelta(milliseconds=rnd.randrange(self.span_ms))

    @property
    def tag(self) -> str:
        return f"{self.scale:g}".replace(".", "_")


def ts(moment: datetime) -> str:
    return moment.isoformat()


# -- rows per table (tab-separated text for COPY) -------------------------------------------------

def customers(size: Size) -> Iterator[list[str]]:
    rnd = random.Random(1)
    for n in range(size.customers):
        at = size.moment(rnd)
        yield [ulid(at, n), f"客户{n}", mobile(n), "unknown", store_id(n % size.stores), source(n), "true", "standard",
               "0", "0", ts(at), ts(at)]


def source(n: int) -> str:
    """Every source in turn, and one customer in eight with none recorded."""
    return SOURCES[n % (len(SOURCES) + 1)] if n % (len(SOURCES) + 1) < len(SOURCES) else NULL


_ids_cache: dict[tuple, list[str]] = {}


def ids_of(size: Size, rows: Callable[[Size], Iterator[list[str]]]) -> list[str]:
    """The ids a table's rows were given (same seed, same draws), to refer to them from other tables."""
    key = (rows.__name__, size.scale, size.until)
    if key not in _ids_cache:
        _ids_cache[key] = [row[0] for row in rows(size)]
    return _ids_cache[key]


def vehicle_owner(size: Size, v: int) -> int:
    """Vehicles 0..customers-1 belong one each; the rest go to every other customer as a second car."""
    return v if v < size.customers else (2 * (v - size.customers)) % size.customers


def vehicles(size: Size) -> Iterator[list[str]]:
    rnd = random.Random(2)
    ids = ids_of(size, customers)
    for v in range(size.vehicles):
        at = size.moment(rnd)
        yield [ulid(at, v), ids[vehicle_owner(size, v)], plate(v), "丰田", "卡罗拉", str(2010 + v % 15),
               str(10_000 + v % 150_000), ts(at), ts(at)]


@dataclass
class Visit:
    """Invoice n: a car of a customer of a store, delivered at a moment."""
    n: int
    at: datetime
    customer: int
    vehicle: int
    store: int

    @property
    def order_id(self) -> str:
        return f"order-{self.n:09d}"


def visits(size: Size) -> Iterator[Visit]:
    rnd = random.Random(3)
    for n in range(size.invoices):
        vehicle = rnd.randrange(size.vehicles)
        customer = vehicle_owner(size, vehicle)
        yield Visit(n, size.moment(rnd), customer, vehicle, customer % size.stores)


def history_entries(size: Size) -> Iterator[list[str]]:
    customer_ids, vehicle_ids = ids_of(size, customers), ids_of(size, vehicles)
    for visit in visits(size):
        yield [ulid(visit.at, visit.n), customer_ids[visit.customer], vehicle_ids[visit.vehicle],
               store_id(visit.store), "delivery", visit.order_id, "保养交车", str(20_000 + visit.n % 100_000),
               str(30_000 + visit.n % 50_000), ts(visit.at), f"seed-{visit.n:030d}"]


def work_orders(size: Size) -> Iterator[list[str]]:
    customer_ids, vehicle_ids = ids_of(size, customers), ids_of(size, vehicles)

    def row(n: int, visit_customer: int, visit_vehicle: int, store: int, at: datetime, status: str) -> list[str]:
        done = status == "delivered"
        return [ulid(at, n), store_id(store), f"order-{n:09d}", f"SO{n:09d}", customer_ids[visit_customer],
                vehicle_ids[visit_vehicle], status, ts(at), "1", "false", "false", "0", "true" if done else "false",
                ts(at - timedelta(hours=3)), ts(at) if done else NULL, ts(at) if done else NULL, ts(at)]

    for visit in visits(size):
        yield row(visit.n, visit.customer, visit.vehicle, visit.store, visit.at, "delivered")
    rnd = random.Random(4)
    now = datetime.combine(size.until, datetime.min.time(), timezone.utc)
    n = size.invoices
    for store in range(size.stores):
        for k in range(ACTIVE_WORK_ORDERS_PER_STORE):
            vehicle = rnd.randrange(size.vehicles)
            yield row(n, vehicle_owner(size, vehicle), vehicle, store, now - timedelta(minutes=k),
                      ACTIVE_STATUSES[k % len(ACTIVE_STATUSES)])
            n += 1


def follow_ups(size: Size) -> Iterator[list[str]]:
    """A follow-up three days after each delivery: rated 1-5 (one in fifty with a complaint), a tenth unreachable."""
    customer_ids, vehicle_ids = ids_of(size, customers), ids_of(size, vehicles)
    for visit in visits(size):
        done = visit.at + timedelta(days=3)
        reached = visit.n % 10 != 0
        yield [ulid(done, visit.n), store_id(visit.store), customer_ids[visit.customer], vehicle_ids[visit.vehicle],
               ulid(visit.at, visit.n), visit.order_id, ts(visit.at), ts(done),
               "completed" if reached else "unreachable", "1", "true" if reached else "false",
               str(1 + visit.n % 5) if reached else NULL, ts(done),
               ulid(done, visit.n + 1) if reached and visit.n % 50 == 0 else NULL, ts(visit.at)]


def month_start(size: Size, m: int) -> datetime:
    return size.start + timedelta(days=30 * m)


def campaign_id(size: Size, m: int, store: int | None) -> str:
    """Month m's campaign of a store (None: the chain-wide one)."""
    return ulid(month_start(size, m), m * (size.stores + 1) + (size.stores if store is None else store))


def campaigns(size: Size) -> Iterator[list[str]]:
    for m in range(MONTHS):
        at = month_start(size, m)
        for store in (*range(size.stores), None):
            yield [campaign_id(size, m, store), NULL if store is None else store_id(store), f"第{m + 1}月保养提醒",
                   "sms", "{name}，您的爱车该保养了", "{}", ts(at), "completed", "0", ts(at)]


def campaign_messages(size: Size) -> Iterator[list[str]]:
    """Each customer in turn (twice: a message in the first year and one in the second, at most one a campaign),
    from their home store's campaign of a month (one in four from the chain-wide one), of their home store; a tenth
    skipped for the weekly allowance."""
    rnd = random.Random(6)
    customer_ids = ids_of(size, customers)
    for n in range(size.campaign_messages):
        customer = n % size.customers
        m = (n // size.customers * 12 + customer // size.stores % 12) % MONTHS  # a store's customers: every month
        at = month_start(size, m) + timedelta(seconds=rnd.randrange(30 * 86_400))
        chain_wide, sent = rnd.random() < 0.25, rnd.random() >= 0.1  # drawn: n's residues would follow the store
        yield [ulid(at, n), campaign_id(size, m, None if chain_wide else customer % size.stores),
               customer_ids[customer], store_id(customer % size.stores), "sms", "您的爱车该保养了",
               "sent" if sent else "skipped", "1" if sent else "0", ts(at), ts(at) if sent else NULL]


def technician_id(size: Size, store: int, k: int) -> str:
    return ulid(size.start, store * TECHNICIANS_PER_STORE + k)


def technician_user(store: int, k: int) -> str:
    return f"user-t-{store:05d}-{k}"


def advisor_user(store: int, k: int) -> str:
    return f"user-a-{store:05d}-{k}"


def technicians(size: Size) -> Iterator[list[str]]:
    for store in range(size.stores):
        for k in range(TECHNICIANS_PER_STORE):
            yield [technician_id(size, store, k), store_id(store), technician_user(store, k), f"技师{store}-{k}",
                   "senior", "6000", "Asia/Shanghai", "true", ts(size.start), ts(size.start)]


def jobs(size: Size) -> Iterator[list[str]]:
    """One job on each delivered work order (its id is the work order's: one each)."""
    for visit in visits(size):
        yield [ulid(visit.at, visit.n), ulid(visit.at, visit.n), "0", f"line-{visit.n}", "MAINT-01", "机油保养",
               "1.500", "false", ts(visit.at)]


def job_assignments(size: Size) -> Iterator[list[str]]:
    for visit in visits(size):
        yield [ulid(visit.at, visit.n), technician_id(size, visit.store, visit.n % TECHNICIANS_PER_STORE), "100.000",
               "1.400", ts(visit.at)]


PART_KINDS = ("刹车片", "机油滤芯", "空气滤芯", "空调滤芯", "火花塞", "雨刮片", "刹车盘", "全合成机油 5W-30", "蓄电池",
              "减震器")
PART_BRANDS = ("博世", "曼牌", "马勒", "美孚", "壳牌", "布雷博", "NGK", "瓦尔塔", "法雷奥", "电装")


def part_brand(p: int) -> str:
    return PART_BRANDS[p // len(PART_KINDS) % len(PART_BRANDS)]


def part_name(p: int) -> str:
    return f"{part_brand(p)}{PART_KINDS[p % len(PART_KINDS)]} {p}"


def oe_number(p: int) -> str:
    return f"{p * 7919 % 100_000:05d}-{p:05d}"


def parts(size: Size) -> Iterator[list[str]]:
    at = size.start
    for p in range(size.parts):
        name = part_name(p)
        yield [ulid(at, p), f"SKU-{p:05d}", name, pinyin_initials(name), part_brand(p), oe_number(p),
               "oil" if p % 2 else "brakes", str(1000 + p), "piece", "CNY", "standard", "false", "false", "true",
               ts(at), ts(at)]


def stock_movements(size: Size) -> Iterator[list[str]]:
    rnd = random.Random(5)
    part_ids = ids_of(size, parts)
    for n in range(size.stock_movements):
        at = size.moment(rnd)
        p = rnd.randrange(size.parts)
        receipt = n % 3 == 0
        qty = "10.000" if receipt else "-1.000"
        yield [ulid(at, n), store_id(n % size.stores), part_ids[p], f"SKU-{p:05d}", "receipt" if receipt else "issue",
               qty, "500", "5000" if receipt else "-500", "100.000", "purchase_order" if receipt else "work_order",
               f"ref-{n}", ts(at)]


def invoices(size: Size) -> Iterator[list[str]]:
    customer_ids, vehicle_ids = ids_of(size, customers), ids_of(size, vehicles)
    for visit in visits(size):
        labour, part = 20_000 + visit.n % 30_000, 8_000 + visit.n % 20_000
        total = labour + part
        tax = total * 13 // 113
        yield [ulid(visit.at, visit.n), f"INV{visit.n:010d}", store_id(visit.store), visit.order_id,
               customer_ids[visit.customer], vehicle_ids[visit.vehicle],
               advisor_user(visit.store, visit.n % ADVISORS_PER_STORE), "paid", str(labour), str(part), "0", "0",
               str(tax), str(total), str(total), "1.500", "1.400", ts(visit.at), "CNY", "0", "0", "false", "[]",
               business_day(visit.at), ts(visit.at)]


def business_day(at: datetime) -> str:
    return (at + timedelta(hours=8)).date().isoformat()


def invoice_lines(size: Size) -> Iterator[list[str]]:
    for visit in visits(size):
        invoice = ulid(visit.at, visit.n)
        labour, part = 20_000 + visit.n % 30_000, 8_000 + visit.n % 20_000
        for position, (kind, amount) in enumerate((("labour", labour), ("part", part))):
            yield [ulid(visit.at, 2 * visit.n + position), invoice, str(position), kind,
                   "机油保养" if kind == "labour" else "机油", "MAINT-01" if kind == "labour" else NULL,
                   NULL if kind == "labour" else f"SKU-{visit.n % FULL['parts']:05d}", "1.000", str(amount), "0",
                   "0.13", str(amount * 13 // 113), str(amount)]


def costs_of_sales(size: Size) -> Iterator[list[str]]:
    for visit in visits(size):
        yield [ulid(visit.at, visit.n), visit.order_id, store_id(visit.store), str(4_000 + visit.n % 10_000), "[]",
               (visit.at + timedelta(hours=8)).date().isoformat(), ts(visit.at)]


def invoice_jobs(size: Size) -> Iterator[list[str]]:
    """Each invoice's job (workshop's) and the technician credited with it (commission)."""
    for visit in visits(size):
        k = visit.n % TECHNICIANS_PER_STORE
        technician = {"technician_id": technician_id(size, visit.store, k), "user_id": technician_user(visit.store, k),
                      "split_pct": "100"}
        yield [ulid(visit.at, visit.n), ulid(visit.at, visit.n), ulid(visit.at, visit.n), f"line-{visit.n}",
               "MAINT-01", "1.500", json.dumps([technician])]


def months(size: Size) -> list[str]:
    return sorted({f"{size.since + timedelta(days=day):%Y-%m}" for day in range(30 * MONTHS + 1)})


def commission_targets(size: Size) -> Iterator[list[str]]:
    n = 0
    for store in range(size.stores):
        for month in months(size):
            for k in range(TECHNICIANS_PER_STORE):
                yield [ulid(size.start, n), store_id(store), technician_user(store, k), month, "3000000"]
                n += 1


def kpi_targets(size: Size) -> Iterator[list[str]]:
    n = 0
    for store in range(size.stores):
        for month in months(size):
            yield [ulid(size.start, n), store_id(store), month, "12000000", "400", ts(size.start)]
            n += 1


def member_cards(size: Size) -> Iterator[list[str]]:
    """Cards of customers drawn at random, from their home store (every store alike): odd ones stored value, even
    ones a package (its value: its one item's, `package_items`); one in ten cancelled."""
    rnd = random.Random(7)
    customer_ids = ids_of(size, customers)
    for c in range(size.member_cards):
        at = size.moment(rnd)
        customer = rnd.randrange(size.customers)
        stored = c % 2 == 1
        yield [ulid(at, c), f"MC{c:010d}", "stored_value" if stored else "package",
               "cancelled" if c % 10 == 0 else "active", customer_ids[customer], store_id(customer % size.stores),
               "CNY", str(50_000 + c % 50_000) if stored else "0", str(5_000) if stored else "0",
               "0" if stored else str(25_000 * (1 + c % 4)), NULL if stored else "保养套餐", "100000", ts(at)]


def package_items(size: Size) -> Iterator[list[str]]:
    for c, card in enumerate(member_cards(size)):
        if c % 2 == 0:
            yield [card[0], card[0], "MAINT-01", "机油保养", "4", str(1 + c % 4), str(25_000 * (1 + c % 4))]


def journal_entries(size: Size) -> Iterator[list[str]]:
    """Each card's sale (the liability side only: what card liabilities reads)."""
    for card in member_cards(size):
        yield [card[0], card[5], business_day(datetime.fromisoformat(card[-1])), "card_sale", card[0], "售卡", "CNY",
               ts(datetime.fromisoformat(card[-1]))]


def journal_lines(size: Size) -> Iterator[list[str]]:
    for c, entry in enumerate(journal_entries(size)):
        yield [str(c + 1), entry[0], entry[1], entry[2], "2205" if c % 2 else "2206", "0",
               str(50_000 + c % 50_000) if c % 2 else str(25_000 * (1 + c % 4))]


# -- sales: the counter's visits, quotes and orders; the price list and competitors' prices -----------------

PACKAGES = 40  # the chain's packages, the same at every scale (like the parts catalogue)
COMPETITORS = ("途虎养车工场店", "天猫养车", "京东京车会")
COMPARED_ITEMS = 20  # items a store's staff check at the competitors, each competitor, every month


def package_code(k: int) -> str:
    return f"PKG-{k:03d}"


def packages(size: Size) -> Iterator[list[str]]:
    for k in range(PACKAGES):
        fixed = k % 2 == 0
        yield [ulid(size.start, k), package_code(k), f"保养套餐{k}", "保养", "fixed" if fixed else "sum",
               str(30_000 + 1_000 * k) if fixed else NULL, "true", ts(size.start), ts(size.start)]


def compared_item(i: int) -> tuple[str, str]:
    """The i-th item staff compare: the labour rate, packages and parts of the chain's catalogue."""
    if i == 0:
        return "labour_rate", "general"
    if i % 2:
        return "package", package_code(i % PACKAGES)
    return "part", f"SKU-{i * 37 % FULL['parts']:05d}"


def price_entries(size: Size) -> Iterator[list[str]]:
    """The chain's price of each compared item, changed every six months, and one store in two overriding the
    first half of them from the second year."""
    n = 0
    for i in range(COMPARED_ITEMS):
        kind, key = compared_item(i)
        for half in range(MONTHS // 6):
            at = month_start(size, 6 * half)
            yield [ulid(at, n), kind, key, NULL, str(20_000 + 1_000 * i + 500 * half), at.date().isoformat(), ts(at)]
            n += 1
    for store in range(0, size.stores, 2):
        at = month_start(size, 12)
        for i in range(COMPARED_ITEMS // 2):
            kind, key = compared_item(i)
            yield [ulid(at, n), kind, key, store_id(store), str(19_000 + 1_000 * i), at.date().isoformat(), ts(at)]
            n += 1


def quote_count(size: Size) -> int:
    return size.invoices + (size.invoices + 3) // 4


def price_entry_count(size: Size) -> int:
    return COMPARED_ITEMS * (MONTHS // 6) + (size.stores + 1) // 2 * (COMPARED_ITEMS // 2)


def competitor_prices(size: Size) -> Iterator[list[str]]:
    """Every store, every month: each competitor's price of each compared item (1,440 a store over 24 months)."""
    n = 0
    for store in range(size.stores):
        for m in range(MONTHS):
            at = month_start(size, m) + timedelta(days=store % 28)
            for competitor, name in enumerate(COMPETITORS):
                for i in range(COMPARED_ITEMS):
                    kind, key = compared_item(i)
                    yield [ulid(at, n), store_id(store), name, kind, key,
                           str(18_000 + 1_000 * i + 700 * competitor + 100 * (m % 5)), business_day(at), ts(at)]
                    n += 1


def store_settings(size: Size) -> Iterator[list[str]]:
    for store in range(size.stores):
        yield [store_id(store), "18000", "0.13", "true", '{"advisor": 5, "store_manager": 15}', "30", "4",
               "Asia/Shanghai", "08:30:00", "18:00:00", "7", ts(size.start)]


def sales_visits(size: Size) -> Iterator[list[str]]:
    """A counter visit before each invoice (the customer's car checked in two hours before delivery)."""
    customer_ids, vehicle_ids = ids_of(size, customers), ids_of(size, vehicles)
    for visit in visits(size):
        at = visit.at - timedelta(hours=3)
        yield [ulid(at, visit.n), store_id(visit.store), customer_ids[visit.customer], vehicle_ids[visit.vehicle],
               plate(visit.vehicle), "standard", "[]", advisor_user(visit.store, visit.n % ADVISORS_PER_STORE),
               ts(at), ts(visit.at)]


def declined(n: int) -> bool:
    """One visit in four also had a quote the customer declined (presented before the one they approved)."""
    return n % 4 == 0


def quote_rows(size: Size) -> Iterator[tuple[Visit, str, str, datetime, int]]:
    """(visit, quote id, state, presented at, lines' net) of each quote: the approved one of every visit (its
    order's) and a declined one of one visit in four."""
    for visit in visits(size):
        if declined(visit.n):
            at = visit.at - timedelta(hours=2, minutes=30)
            yield visit, ulid(at, size.invoices + visit.n), "declined", at, 60_000 + visit.n % 20_000
        at = visit.at - timedelta(hours=2)
        yield visit, ulid(at, visit.n), "contracted", at, 28_000 + visit.n % 50_000


def quotes(size: Size) -> Iterator[list[str]]:
    customer_ids, vehicle_ids = ids_of(size, customers), ids_of(size, vehicles)
    for visit, quote, state, at, net in quote_rows(size):
        tax = net * 13 // 113
        yield [quote, f"Q{visit.n:010d}{'D' if state == 'declined' else ''}", quote, "1", store_id(visit.store),
               ulid(visit.at - timedelta(hours=3), visit.n), customer_ids[visit.customer], vehicle_ids[visit.vehicle],
               "standard", state, "0.13", "true", "18000", "not_required", "[]", "[]", str(net), "0", str(tax),
               str(net - tax), str(net), ts(at + timedelta(days=7)),
               advisor_user(visit.store, visit.n % ADVISORS_PER_STORE), ts(at), ts(at), ts(at),
               ts(at + timedelta(minutes=20))]


def quote_lines(size: Size) -> Iterator[list[str]]:
    """Two lines a quote (labour and a part), approved or declined with it."""
    for visit, quote, state, at, net in quote_rows(size):
        labour = net * 3 // 5
        decision = "approved" if state == "contracted" else "declined"
        for position, (kind, amount) in enumerate((("labour", labour), ("part", net - labour))):
            tax = amount * 13 // 113
            yield [ulid(at, 2 * (visit.n + (size.invoices if state == "declined" else 0)) + position), quote,
                   str(position), kind, "机油保养" if kind == "labour" else "机油",
                   "MAINT-01" if kind == "labour" else NULL, "1.000", str(amount), "price_list", "0", decision,
                   str(amount), "0", str(amount), str(tax), str(amount - tax), str(amount)]


def sales_orders(size: Size) -> Iterator[list[str]]:
    """The order of each visit's approved quote (the id finance and crm know it by), delivered and paid."""
    customer_ids, vehicle_ids = ids_of(size, customers), ids_of(size, vehicles)
    for visit in visits(size):
        at = visit.at - timedelta(hours=2)
        net = 28_000 + visit.n % 50_000
        tax = net * 13 // 113
        yield [visit.order_id, f"SO{visit.n:09d}", store_id(visit.store), ulid(at, visit.n),
               ulid(visit.at - timedelta(hours=3), visit.n), customer_ids[visit.customer], vehicle_ids[visit.vehicle],
               advisor_user(visit.store, visit.n % ADVISORS_PER_STORE), "closed", str(net), "0", str(tax),
               str(net - tax), str(net), "0.13", "true", "wechat", "0", f"客户{visit.customer}",
               ts(at + timedelta(minutes=20)), ts(at + timedelta(minutes=20)), ts(visit.at), ts(visit.at),
               ts(visit.at)]


@dataclass
class Table:
    owner: str
    name: str
    columns: str
    rows: Callable[[Size], Iterator[list[str]]]
    count: Callable[[Size], int]


TABLES = [
    Table("crm", "customers", "id, name, mobile, gender, home_store_id, source, marketing_consent, tier, points, "
          "spend_fen, created_at, updated_at", customers, lambda s: s.customers),
    Table("crm", "vehicles", "id, customer_id, plate, make, model, year, mileage_km, created_at, updated_at",
          vehicles, lambda s: s.vehicles),
    Table("crm", "history_entries", "id, customer_id, vehicle_id, store_id, kind, reference_id, summary, mileage_km, "
          "amount_fen, occurred_at, source_event_id", history_entries, lambda s: s.invoices),
    Table("crm", "follow_ups", "id, store_id, customer_id, vehicle_id, work_order_id, order_id, delivered_at, due_at, "
          "status, attempts, reached, satisfaction, completed_at, complaint_id, created_at", follow_ups,
          lambda s: s.invoices),
    Table("crm", "campaigns", "id, store_id, name, channel, template, segment, scheduled_at, status, audience_count, "
          "created_at", campaigns, lambda s: MONTHS * (s.stores + 1)),
    Table("crm", "campaign_messages", "id, campaign_id, customer_id, store_id, channel, body, status, attempts, "
          "created_at, sent_at", campaign_messages, lambda s: s.campaign_messages),
    Table("workshop", "technicians", "id, store_id, user_id, name, level, hourly_cost_fen, time_zone, active, "
          "created_at, "
          "updated_at", technicians, lambda s: s.stores * TECHNICIANS_PER_STORE),
    Table("workshop", "work_orders", "id, store_id, order_id, order_number, customer_id, vehicle_id, status, "
          "status_changed_at, version, waiting_parts, comeback, rework_count, qc_passed, opened_at, completed_at, "
          "delivered_at, updated_at", work_orders, lambda s: s.invoices + s.stores * ACTIVE_WORK_ORDERS_PER_STORE),
    Table("workshop", "jobs", "id, work_order_id, position, line_id, op_code, description, billed_hours, comeback, "
          "finished_at", jobs, lambda s: s.invoices),
    Table("workshop", "job_assignments", "job_id, technician_id, split_pct, actual_hours, assigned_at",
          job_assignments, lambda s: s.invoices),
    Table("inventory", "parts", "id, sku, name, name_initials, brand, oe_number, category, list_price_fen, unit, "
          "currency, tax_class, batch_tracked, hazardous, active, created_at, updated_at", parts, lambda s: s.parts),
    Table("inventory", "stock_movements", "id, store_id, part_id, sku, kind, qty, unit_cost_fen, value_fen, "
          "on_hand_after, reference_type, reference_id, created_at", stock_movements, lambda s: s.stock_movements),
    Table("finance", "invoices", "id, number, store_id, order_id, customer_id, vehicle_id, advisor_id, status, "
          "labour_fen, "
          "parts_fen, fees_fen, discount_fen, tax_fen, total_fen, paid_fen, billed_hours, clocked_hours, issued_at, "
          "currency, deposit_fen, refunded_fen, comeback, unbilled_parts, business_date, paid_at",
          invoices, lambda s: s.invoices),
    Table("finance", "invoice_lines", "id, invoice_id, position, kind, description, op_code, sku, qty, "
          "unit_price_fen, discount_fen, tax_rate, tax_fen, total_fen", invoice_lines, lambda s: 2 * s.invoices),
    Table("finance", "costs_of_sales", "id, order_id, store_id, cost_fen, lines, business_date, created_at",
          costs_of_sales, lambda s: s.invoices),
    Table("finance", "invoice_jobs", "id, invoice_id, job_id, line_id, op_code, billed_hours, technicians",
          invoice_jobs, lambda s: s.invoices),
    Table("finance", "commission_targets", "id, store_id, employee_id, month, target_fen", commission_targets,
          lambda s: s.stores * len(months(s)) * TECHNICIANS_PER_STORE),
    Table("finance", "kpi_targets", "id, store_id, month, sales_fen, car_count, updated_at", kpi_targets,
          lambda s: s.stores * len(months(s))),
    Table("finance", "member_cards", "id, number, kind, status, customer_id, store_id, currency, paid_balance_fen, "
          "bonus_balance_fen, package_value_fen, package_name, price_fen, created_at", member_cards,
          lambda s: s.member_cards),
    Table("finance", "package_items", "id, card_id, service_code, name, units_total, units_left, value_left_fen",
          package_items, lambda s: (s.member_cards + 1) // 2),
    Table("finance", "journal_entries", "id, store_id, business_date, source_type, source_id, memo, currency, "
          "posted_at", journal_entries, lambda s: s.member_cards),
    Table("finance", "journal_lines", "id, entry_id, store_id, business_date, account, debit_fen, credit_fen",
          journal_lines, lambda s: s.member_cards),
    Table("sales", "store_settings", "store_id, labour_rate_fen, vat_rate, tax_inclusive, discount_limits, "
          "slot_minutes, slot_capacity, timezone, opens_at, closes_at, quote_valid_days, updated_at", store_settings,
          lambda s: s.stores),
    Table("sales", "packages", "id, code, name, category, pricing, fixed_price_fen, active, created_at, updated_at",
          packages, lambda s: PACKAGES),
    Table("sales", "price_entries", "id, kind, key, store_id, price_fen, effective_from, created_at", price_entries,
          price_entry_count),
    Table("sales", "competitor_prices", "id, store_id, competitor, kind, key, price_fen, observed_on, created_at",
          competitor_prices, lambda s: s.stores * MONTHS * len(COMPETITORS) * COMPARED_ITEMS),
    Table("sales", "visits", "id, store_id, customer_id, vehicle_id, plate, vehicle_class, needs, advisor_id, "
          "checked_in_at, closed_at", sales_visits, lambda s: s.invoices),
    Table("sales", "quotes", "id, number, group_id, version, store_id, visit_id, customer_id, vehicle_id, "
          "vehicle_class, state, tax_rate, tax_inclusive, labour_rate_fen, approval_status, approval_reasons, "
          "approved_below_cost, subtotal_fen, discount_fen, tax_fen, total_excl_tax_fen, total_fen, valid_until, "
          "advisor_id, created_at, updated_at, presented_at, decided_at", quotes, quote_count),
    Table("sales", "quote_lines", "id, quote_id, position, kind, description, op_code, qty, unit_price_fen, "
          "price_source, package_discount_fen, decision, gross_fen, discount_fen, net_fen, tax_fen, excl_tax_fen, "
          "total_fen", quote_lines, lambda s: 2 * quote_count(s)),
    Table("sales", "orders", "id, number, store_id, quote_id, visit_id, customer_id, vehicle_id, advisor_id, state, "
          "subtotal_fen, discount_fen, tax_fen, total_excl_tax_fen, total_fen, tax_rate, tax_inclusive, "
          "payment_method, deposit_fen, signed_by, signed_at, confirmed_at, delivered_at, paid_at, updated_at",
          sales_orders, lambda s: s.invoices),
]


# -- databases -----------------------------------------------------------------------------------

def database_urls(prefix: str, size: Size) -> dict[str, str]:
    base = urllib.parse.urlsplit(PG_ADMIN_URL)
    return {owner: urllib.parse.urlunsplit(base._replace(path=f"/{prefix}_{size.tag}_{owner}")) for owner in OWNERS}


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


@contextlib.contextmanager
def admin_connection() -> Iterator[Connection]:
    """An autocommit connection to the server's maintenance database (CREATE/DROP DATABASE)."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def existing(urls: dict[str, str]) -> list[str]:
    with admin_connection() as conn:
        names = set(conn.scalars(text("SELECT datname FROM pg_database")))
    return [database_name(url) for url in urls.values() if database_name(url) in names]


def drop(urls: dict[str, str]) -> None:
    with admin_connection() as conn:
        for url in urls.values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)'))


def create(urls: dict[str, str]) -> None:
    with admin_connection() as conn:
        for url in urls.values():
            conn.execute(text(f'CREATE DATABASE "{database_name(url)}"'))
    for owner, url in urls.items():
        upgrade(owner, url)


def sizes_mb(urls: dict[str, str]) -> dict[str, float]:
    with admin_connection() as conn:
        return {database_name(url): conn.scalar(text("SELECT pg_database_size(:name)"), {"name": database_name(url)})
                / 2**20 for url in urls.values()}


def copy_rows(cursor, raw, table: Table, size: Size, progress: tqdm) -> None:
    buffer, pending = io.StringIO(), 0

    def flush() -> None:
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table.name} ({table.columns}) FROM STDIN", buffer)
        raw.commit()
        buffer.seek(0)
        buffer.truncate()

    for row in table.rows(size):
        buffer.write("\t".join(row))
        buffer.write("\n")
        pending += 1
        if pending == CHUNK:
            flush()
            progress.update(pending)
            pending = 0
    flush()
    progress.update(pending)


def bulk_load(url: str, tables: list[Table], size: Size, progress: tqdm) -> None:
    """COPY into an owner's tables the way bulk loads are done: their keys, indexes and foreign keys
    (also those of other tables pointing at them) dropped first and rebuilt once at the end."""
    names = [table.name for table in tables]
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET synchronous_commit = off; SET maintenance_work_mem = '256MB'")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE (contype IN ('p', 'u') AND conrelid = ANY(%(t)s::regclass[])) OR (contype = 'f' AND "
            "(conrelid = ANY(%(t)s::regclass[]) OR confrelid = ANY(%(t)s::regclass[]))) "
            "ORDER BY contype = 'f' DESC", {"t": names})
        constraints = cursor.fetchall()  # foreign keys first: they depend on the keys
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND "
                       "tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)", (names,))
        indexes = cursor.fetchall()
        for table, name, _definition, _kind in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        raw.commit()
        for table in tables:
            progress.set_postfix_str(f"{table.owner}.{table.name}")
            copy_rows(cursor, raw, table, size, progress)
        progress.set_postfix_str(f"{tables[0].owner}: keys, indexes, foreign keys")
        for table, name, definition, _kind in reversed(constraints):
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            cursor.execute(definition)
        raw.commit()
        if tables[0].owner in DERIVED:
            progress.set_postfix_str(f"{tables[0].owner}: derived tables")
            with engine.begin() as connection:
                names += DERIVED[tables[0].owner](connection)
        raw.commit()
        driver = raw.driver_connection
        assert driver is not None
        driver.autocommit = True  # VACUUM runs outside a transaction
        for name in names:  # the visibility map autovacuum keeps in production: index-only scans read no heap
            cursor.execute(f"VACUUM ANALYZE {name}")
    finally:
        raw.close()
        engine.dispose()


def finance_day_book(connection: Connection) -> list[str]:
    """The KPI book (days and months) and the retention book, kept with every invoice in production, recomputed
    once after the load."""
    kpi_days.rebuild(connection)
    cohorts.rebuild(connection)
    return ["kpi_days", "kpi_day_categories", "kpi_months", "kpi_month_categories", "retention_cohorts"]


DERIVED: dict[str, Callable[[Connection], list[str]]] = {"finance": finance_day_book}


def seed(prefix: str, size: Size) -> dict[str, str]:
    urls = database_urls(prefix, size)
    create(urls)
    total = sum(table.count(size) for table in TABLES)
    with tqdm(total=total, unit="row", unit_scale=True, desc=f"seeding scale {size.scale:g}", file=sys.stderr,
              smoothing=0.05) as progress:
        for owner in OWNERS:
            bulk_load(urls[owner], [table for table in TABLES if table.owner == owner], size, progress)
    return urls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.chain_seed", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.01, help="fraction of the full chain (0.01 = 1 %%)")
    parser.add_argument("--prefix", default="chain", help="database name prefix (chain)")
    parser.add_argument("--until", type=date.fromisoformat, default=date(2026, 11, 1),
                        help="the data covers the 24 months before this day (2026-11-01)")
    parser.add_argument("--replace", action="store_true", help="drop this size's databases first if they exist")
    parser.add_argument("--keep-existing", action="store_true",
                        help="if this size is already seeded, keep it, only migrated to head (for `make bench`)")
    parser.add_argument("--drop", action="store_true", help="only drop this size's databases")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale in (0, 1]")
    size = Size(args.scale, args.until)
    urls = database_urls(args.prefix, size)
    if args.drop:
        drop(urls)
        print(f"dropped {', '.join(database_name(url) for url in urls.values())}")
        return 0
    found = existing(urls)
    if args.keep_existing and len(found) == len(urls):
        for owner, url in urls.items():
            upgrade(owner, url)  # newer migrations, with their backfills (e.g. finance's KPI day book)
        print(f"scale {size.scale:g} already seeded: {', '.join(found)} (migrated to head)")
        return 0
    if found and not args.replace:
        parser.error(f"{', '.join(found)} exist; --replace to seed again, --drop to remove")
    drop(urls)
    started = time.monotonic()
    seed(args.prefix, size)
    print(f"seeded scale {size.scale:g} in {time.monotonic() - started:.0f} s:")
    for name, mb in sizes_mb(urls).items():
        print(f"  {name}: {mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
