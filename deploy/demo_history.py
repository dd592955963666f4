"""A few months of history for the demo chain (`make run` only, never production): regular customers'
cars checked in, quoted from the catalogue's packages, won or lost, worked, passed or failed by QC,
invoiced, paid and called back, on the days they happened; some regulars' stored-value cards, the
bookings of the next working days, each month's targets, and the work under way when the staff log in
(`_under_way`: a car at each step from a quote waiting for the customer to an invoice waiting at the till,
the store's `technician.<store>` login holding two jobs, one of them running).

History cannot be made through the running suite: every service stamps what it does with its own
clock, now. So this runs the five services' own RPC entrypoints in this process (nameko's
`worker_factory`, the services' real databases, each call its own unit of work, as behind the broker),
with the clock set to the moment of each step (`time_machine`), and delivers each committed event to
the handlers that subscribe to it at that same moment (`InProcessBus`, in place of the outbox relay:
the rows are marked sent, so the running suite never sees them twice). Every rule is the services' own:
prices, stock reservation and issue, the invoice, its journal entries and the KPI book, commissions,
history and follow-ups. A fixed seed: the same chain every time, its days counted back from today, the
work under way back from now.
`seed` skips a store whose history exists (its first regular customer is registered)."""
from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from select import POLLIN, poll
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import kombu.serialization
import time_machine
from nameko.extensions import DependencyProvider, Entrypoint
from nameko.testing.services import worker_factory
from sqlalchemy import Engine, event, select, update
from sqlalchemy.orm import Session, sessionmaker

from services.common import config
from services.common.context import Caller
from services.common.db import make_engine, utcnow
from services.common.errors import Conflict
from services.common.outbox import OUTBOX, Recorded
from services.common.retries import RetryingEventHandler
from services.common.upstream import GuardedProxy
from services.common.validators import vin_check_digit
from services.crm.service import CrmService
from services.finance.service import FinanceService
from services.inventory import demo as inventory_demo
from services.inventory.service import InventoryService
from services.sales.service import SalesService
from services.workshop.service import WorkshopService

SERVICES = {"crm": CrmService, "sales": SalesService, "workshop": WorkshopService, "inventory": InventoryService,
            "finance": FinanceService}
RPC_DEPENDENCIES = {"sales": ("crm", "inventory"), "workshop": ("sales", "finance"), "finance": ("inventory",)}
"""Each service's `ServiceRpc` dependencies (attribute name = the service called)."""
SEED = 20261206
DAYS = 90
"""How far back the history goes (days before today)."""
CARS_PER_DAY = (0, 1, 1, 2)
"""A store's cars on a working day, drawn at random (Sundays: none)."""
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟 芳 娜 敏 静 磊 强 军 洋 勇 艳 杰 涛 明 超 霞 平 刚 桂英 秀兰 志强 建华 晓东 海燕".split()
CARS = [("大众", "朗逸"), ("丰田", "卡罗拉"), ("本田", "思域"), ("日产", "轩逸"), ("别克", "英朗"), ("丰田", "汉兰达"),
        ("本田", "CR-V"), ("大众", "途观"), ("宝马", "3系"), ("奥迪", "A4L"), ("比亚迪", "秦"), ("吉利", "星瑞")]
PLATE_PREFIX = {"GZ-TH": "粤A", "SZ-NS": "粤B", "FS-CC": "粤E"}
MEMBERS = 8
"""Regulars of each store with a stored-value card (the first of them)."""
TOP_UPS = (100_000, 200_000, 300_000)
BOOKINGS = 4
"""Appointments of each store on its next working days."""
BOOKING_HOURS = (9.0, 10.0, 11.0, 14.0, 15.0, 16.0)
BOOKED_FOR = ("小保养", "大保养", "四轮定位", "更换刹车片", "空调检查")
PACKAGES = ("PKG-MINOR", "PKG-MINOR", "PKG-MINOR", "PKG-MAJOR", "PKG-ALIGN", "PKG-BRAKE-F")
"""What a car comes in for, as often as it happens."""
STOCK = {"OIL-5W30-4L": 60, "FLT-OIL-VW": 60, "FLT-AIR-TY": 20, "FLT-CABIN": 20, "SPK-IRIDIUM": 80,
         "BRK-PAD-FR": 20, "OIL-0W20-1L": 10}
"""The opening delivery of each store, before its history begins (the demo's own stock comes on top)."""


def _wire(value):
    """`value` as an RPC's caller or callee sees it: through the suite's JSON serializer and back."""
    _type, _encoding, body = kombu.serialization.dumps(value, "json")
    return json.loads(body)


class Chain:
    """The five services in this process, on their own databases."""

    def __init__(self, database_url: Callable[[str], str]):
        self.engines: dict[str, Engine] = {name: _seeding_engine(database_url(name)) for name in SERVICES}
        self.sessions = {name: sessionmaker(bind=engine, expire_on_commit=False)
                         for name, engine in self.engines.items()}
        self.handlers = _handlers()
        self.workers = {name: Workers(cls) for name, cls in SERVICES.items()}

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()

    def call(self, service: str, method: str, caller: Caller, *args, **kwargs):
        """`service.method(*args, **kwargs)` as `caller`, in a unit of work of its own."""
        session = self._session(service, caller)
        dependencies = {name: GuardedProxy(Remote(self, name, caller), name, lambda: [session])
                        for name in RPC_DEPENDENCIES.get(service, ())}
        worker = self.workers[service].worker(db=session, caller=caller, **dependencies)
        try:
            return _wire(getattr(worker, method)(*_wire(list(args)), **_wire(kwargs)))
        finally:
            session.close()

    def deliver(self, envelope: dict) -> None:
        """An event to every handler of it, each in its own unit of work, as the broker would."""
        source, fact = envelope["type"].split(".", 1)
        for service, method in self.handlers.get((source, fact), ()):
            session = self._session(service, Caller())
            worker = self.workers[service].worker(db=session, caller=Caller())
            try:
                getattr(worker, method)(_wire(envelope))
            finally:
                session.close()

    def _session(self, service: str, caller: Caller) -> Session:
        session = self.sessions[service]()
        session.info.update({"context": caller.to_context(), "relay": InProcessBus(self, service), "outbox": [],
                             "service": service})
        return session


class Workers:
    """nameko's `worker_factory` for one service, its cost paid once: the service's dependency providers are
    found and the ones not given (metrics, tracing, storage, messaging…) made MagicMocks once; each `worker` is
    then a new instance of the service holding those and the dependencies given for the call."""

    def __init__(self, cls: type):
        self.cls = cls
        template = worker_factory(cls)
        self.absent = {name: value for name, value in vars(template).items()
                       if isinstance(getattr(cls, name, None), DependencyProvider)}

    def worker(self, **dependencies):
        unknown = dependencies.keys() - self.absent.keys()
        if unknown:
            raise TypeError(f"{self.cls.__name__} has no dependencies {sorted(unknown)}")
        worker = self.cls()
        vars(worker).update({**self.absent, **dependencies})
        return worker


def _seeding_engine(url: str) -> Engine:
    """The service's engine as `make_engine` makes it, except that this process's connections do not wait
    for a disk flush at each commit: on SQLite `synchronous=NORMAL` (the database stays in WAL mode, which
    the running services share: it syncs at checkpoints), on PostgreSQL `synchronous_commit=off`. A power
    cut can lose the seeding's last commits, never a database's consistency. Each setting is a connection's
    own: it ends with this process's connections (`Chain.close`) and no other process's commits change.
    Thousands of small commits: the flushes were a fifth of the seeding's time on SQLite."""
    engine = make_engine(url)
    pragma = {"sqlite": "PRAGMA synchronous=NORMAL", "postgresql": "SET synchronous_commit TO off"}.get(
        engine.dialect.name)
    if pragma:
        @event.listens_for(engine, "connect")
        def _no_flush_per_commit(dbapi_connection, _record):  # pragma: no branch - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute(pragma)
            cursor.close()
            dbapi_connection.commit()  # psycopg2 began a transaction for it; a SET rolled back would be undone
    return engine


class Remote:
    """Another service as a `ServiceRpc` dependency sees it, called as the same caller."""

    def __init__(self, chain: Chain, service: str, caller: Caller):
        self.chain, self.service, self.caller = chain, service, caller

    def __getattr__(self, method: str):
        return lambda *args, **kwargs: self.chain.call(self.service, method, self.caller, *args, **kwargs)


class InProcessBus:
    """The outbox relay of one service in this process: a committed event is marked sent and handed
    to its subscribers at once, at the same (travelled) moment. As the real relay's fast path
    (`relay.OutboxRelay.claim_at_commit`), the events the unit of work just recorded are taken in its own
    transaction — here marked sent by one UPDATE before its commit, its row count proving every row is
    there — and delivered from memory in the order recorded; otherwise they are read, marked sent in a
    transaction of their own and delivered after the commit."""

    def __init__(self, chain: Chain, service: str):
        self.chain, self.service = chain, service

    def claim_at_commit(self, session: Session, event_ids: list[str]) -> list[Recorded]:
        recorded = session.info.get("outbox_recorded", {})
        if not event_ids or any(event_id not in recorded for event_id in event_ids):
            return []
        kept = set(session.execute(update(OUTBOX).where(OUTBOX.c.event_id.in_(event_ids), OUTBOX.c.sent_at.is_(None))
                                   .values(sent_at=utcnow(), attempts=1).returning(OUTBOX.c.event_id)).scalars())
        return [recorded[event_id] for event_id in dict.fromkeys(event_ids) if event_id in kept]  # rows a savepoint
        # rolled back are not there: the rest are delivered

    def publish_pending(self, event_ids: list[str], claimed: Sequence[Recorded] = ()) -> int:
        if claimed:
            for event in claimed:
                self.chain.deliver(event.envelope)
            return len(claimed)
        engine = self.chain.engines[self.service]
        with engine.begin() as connection:
            rows = connection.execute(select(OUTBOX.c.event_id, OUTBOX.c.envelope).where(
                OUTBOX.c.event_id.in_(event_ids), OUTBOX.c.sent_at.is_(None))
                .order_by(OUTBOX.c.created_at)).all()
            connection.execute(update(OUTBOX).where(OUTBOX.c.event_id.in_([r.event_id for r in rows]))
                               .values(sent_at=utcnow(), attempts=OUTBOX.c.attempts + 1))
        for row in rows:
            self.chain.deliver(row.envelope)
        return len(rows)

    def sweep(self) -> int:
        return 0


def _handlers() -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(source, fact) -> [(service, handler method)] of the five services' event handlers."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for service, cls in SERVICES.items():
        for name in dir(cls):
            for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ()):
                if isinstance(entrypoint, RetryingEventHandler):
                    found.setdefault((entrypoint.source_service, entrypoint.event_type), []).append((service, name))
                elif not isinstance(entrypoint, Entrypoint):
                    raise TypeError(f"{service}.{name}: unknown entrypoint {entrypoint!r}")
    return found


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """The suite's clock (this process's) stopped at `moment`."""
    with time_machine.travel(moment, tick=False):
        yield


class Store:
    """One demo store's people (gateway users and workshop technicians) as callers."""

    def __init__(self, chain: Chain, code: str, store: dict, users: dict[str, dict]):
        self.chain, self.code, self.id, self.zone = chain, code, store["id"], ZoneInfo(store.get("timezone")
                                                                                        or "Asia/Shanghai")
        self.today = datetime.now(self.zone).date()  # read before any travel
        self.callers = {role: staff(code, self.id, role, user) for role, user in users.items()}
        self.crew = chain.call("workshop", "list_technicians", self.callers["store_manager"],
                               {"store_id": self.id, "limit": 50})["items"]
        self.login_technician = next(t for t in self.crew if t["user_id"] == users["technician"]["id"])

    def call(self, role: str, service: str, method: str, *args, **kwargs):
        return self.chain.call(service, method, self.callers[role], *args, **kwargs)

    def local(self, day: date, hour: float) -> datetime:
        return datetime.combine(day, time(0), self.zone) + timedelta(hours=hour)


def staff(code: str, store_id: str, role: str, user: dict) -> Caller:
    """A store's user as the caller of the seeding's calls."""
    return Caller(user_id=user["id"], role=role, store_ids=frozenset({store_id}), request_id=f"demo-history-{code}")


def customers_of(code: str, rng: random.Random, count: int) -> list[tuple[str, str, str, str, str, int]]:
    """`count` regular customers of a store: name, mobile, plate, make, model, mileage (a fixed seed)."""
    number = {"GZ-TH": 1, "SZ-NS": 2, "FS-CC": 3}[code]
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    people = []
    for index in range(count):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        plate = f"{PLATE_PREFIX[code]}{letters[index % 24]}{rng.randrange(1000):03d}{rng.choice(letters)}"
        make, model = rng.choice(CARS)
        people.append((name, f"1390{number}{index:06d}", plate, make, model, rng.randrange(8000, 150000, 10)))
    return people


def demo_vin(code: str, index: int) -> str:
    """A regular customer's VIN (17 characters with a right check digit; the repair health record needs one),
    from the store and the customer's place, so the seed's random sequence is unchanged."""
    body = f"LFV2A21K0{ {'GZ-TH': 1, 'SZ-NS': 2, 'FS-CC': 3}[code]}{index:07d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def seed_store(chain: Chain, store: Store, rng: random.Random, days: int) -> int:
    """The store's history; returns the number of cars that came in."""
    first = store.today - timedelta(days=days)
    people = customers_of(store.code, rng, 60)
    with at(store.local(first - timedelta(days=3), 10)):
        _open_stock(store)
    garage: list[dict] = []
    for index, (name, mobile, plate, make, model, mileage) in enumerate(people):
        with at(store.local(first - timedelta(days=2), 9 + index * 0.1)):
            customer = store.call("service_advisor", "crm", "register_customer", {
                "name": name, "mobile": mobile, "home_store_id": store.id, "source": rng.choice(
                    ["walk_in", "walk_in", "referral", "online"]), "marketing_consent": rng.random() < 0.6,
                "tags": ["demo"]})
            vehicle = store.call("service_advisor", "crm", "add_vehicle", customer["id"], {
                "plate": plate, "vin": demo_vin(store.code, index), "make": make, "model": model,
                "year": rng.randrange(2014, 2025), "mileage_km": mileage})
        garage.append({"name": name, "customer_id": customer["id"], "vehicle_id": vehicle["id"],
                       "mileage": mileage})
    with at(store.local(first - timedelta(days=1), 11)):
        _member_cards(store, rng, garage[:MEMBERS])
    cars = 0
    brakes = _brakes_twice(store, garage[-1], first, days)
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() == 6:
            continue
        for slot in range(rng.choice(CARS_PER_DAY)):
            one_car(store, rng, rng.choice(garage), day, 9.5 + slot * 2.2 + rng.random())
            cars += 1
        if day in brakes:  # after the day's other cars, on a generator of its own: theirs stay as they were
            one_car(store, brakes[day], garage[-1], day, 17.5, package="PKG-BRAKE-F")
            cars += 1
    with at(store.local(store.today - timedelta(days=1), 17)):
        _bookings(store, rng, garage)
        _targets(store, first)
    return cars + _under_way(store, rng, garage)


def _member_cards(store: Store, rng: random.Random, members: list[dict]) -> None:
    """Stored-value cards of the store's first regulars, topped up at the counter (with the store's bonus)."""
    for member in members:
        amount = rng.choice(TOP_UPS)
        store.call("cashier", "finance", "issue_card", {
            "kind": "stored_value", "customer_id": member["customer_id"], "store_id": store.id,
            "top_up": {"amount_fen": amount, "bonus_fen": amount // 10, "method": rng.choice(["wechat", "alipay"])}})


def _bookings(store: Store, rng: random.Random, garage: list[dict]) -> None:
    """Regulars booked for the next working days (what the counter sees first in the morning)."""
    day, booked = store.today, 0
    while booked < BOOKINGS:
        day += timedelta(days=1)
        if day.weekday() == 6:
            continue
        for hour in rng.sample(BOOKING_HOURS, 2):
            car = rng.choice(garage)
            store.call("service_advisor", "sales", "book_appointment", {
                "store_id": store.id, "customer_id": car["customer_id"], "vehicle_id": car["vehicle_id"],
                "slot_start": store.local(day, hour).isoformat(), "services": [rng.choice(BOOKED_FOR)]})
            booked += 1


def _targets(store: Store, first: date) -> None:
    """Each month's targets from the history's first to this one, a little above what the store does (the
    dashboard compares a range with the targets of its days: every day of the history has one)."""
    month = first.replace(day=1)
    while month <= store.today:
        store.call("store_manager", "finance", "set_kpi_targets", store.id, month.strftime("%Y-%m"), {
            "sales_fen": 1_500_000, "car_count": 26, "parts_gross_profit_pct": "30", "labour_gross_profit_pct": "45",
            "technician_efficiency_pct": "100", "average_satisfaction": "4.6"})
        month = (month + timedelta(days=32)).replace(day=1)


UNDER_WAY = ("presented", "discount_asked", "contracted", "dispatched", "running", "at_qc", "at_till")
"""The steps the work under way has reached, a car at each (`_under_way`)."""


def _under_way(store: Store, rng: random.Random, garage: list[dict]) -> int:
    """Cars in the store now, a car at each step of UNDER_WAY, checked in over the last hours: what each
    login finds to do (the advisor a quote to follow, the manager a discount to approve and a car to
    dispatch, the technician two jobs of their own, one running, the cashier an invoice). Returns the cars."""
    now = datetime.now(store.zone).replace(microsecond=0)
    cars = rng.sample(garage[MEMBERS:], len(UNDER_WAY))  # regulars without cards: the till takes any method
    running: tuple[dict, dict] | None = None
    for index, (reached, car) in enumerate(zip(UNDER_WAY, cars, strict=True)):
        arrived = now - timedelta(minutes=30 + 45 * index)  # the further along, the earlier it came
        step = iter(arrived + timedelta(minutes=6 * n) for n in range(60))
        car["mileage"] += rng.randrange(3000, 9000)
        with at(next(step)):
            quote = _checked_in_and_quoted(store, car, PACKAGES[index % len(PACKAGES)])
        if reached == "discount_asked":
            with at(next(step)):
                store.call("service_advisor", "sales", "set_quote_discount", quote["id"], {
                    "kind": "percent", "value": 20, "reason": "老客户回馈，车主要求再优惠"})
            continue
        with at(next(step)):
            store.call("service_advisor", "sales", "present_quote", quote["id"])
        if reached == "presented":
            continue
        with at(next(step)):
            store.call("service_advisor", "sales", "decide_quote", quote["id"], {
                "approved_line_ids": [line["id"] for line in quote["lines"]], "declined_line_ids": []})
            order = store.call("service_advisor", "sales", "contract_quote", quote["id"], {
                "payment_method": "wechat", "signed_by": car["name"]})
        if reached == "contracted":
            continue
        [work_order] = store.call("service_advisor", "workshop", "list_work_orders", {"order_id": order["id"]})[
            "items"]
        technician = (store.login_technician if reached in ("dispatched", "running")
                      else _fit(store, rng, work_order, avoid=store.login_technician))
        with at(next(step)):
            store.call("store_manager", "workshop", "dispatch", work_order["id"], {"jobs": [
                {"job_id": job["id"], "technicians": [{"technician_id": technician["id"], "split_pct": 100}]}
                for job in work_order["jobs"]]})
        if reached == "dispatched":
            continue
        if reached == "running":
            running = (work_order, technician)
            continue
        _jobs_done(store, rng, work_order, technician, step)
        with at(next(step)):
            store.call("store_manager", "workshop", "request_qc", work_order["id"], {})
        if reached == "at_qc":
            continue
        with at(next(step)):
            store.call("store_manager", "workshop", "record_qc", work_order["id"], {"passed": True})
            store.call("service_advisor", "workshop", "complete", work_order["id"], {})
    assert running is not None
    work_order, technician = running
    with at(now - timedelta(minutes=25)):
        store.call("store_manager", "workshop", "clock_in", work_order["id"], work_order["jobs"][0]["id"],
                   {"technician_id": technician["id"]})
    return len(cars)


def _fit(store: Store, rng: random.Random, work_order: dict, avoid: dict | None = None) -> dict:
    """One of the crew who holds every skill the work order's jobs ask for (the cheaper, the likelier), other
    than `avoid` when another can."""
    asked = {job["skill"] for job in work_order["jobs"] if job.get("skill")}
    able = [t for t in store.crew if asked <= set(t["skills"])]
    able = [t for t in able if t is not avoid] or able
    return rng.choices(able, weights=[1 / (t["hourly_cost_fen"] or 1) for t in able])[0]


def _jobs_done(store: Store, rng: random.Random, work_order: dict, technician: dict, step: Iterator[datetime]
               ) -> None:
    """Each job clocked in and out, taking about its billed hours (a good technician beats them a little)."""
    for job in work_order["jobs"]:
        started = next(step)
        with at(started):
            store.call("store_manager", "workshop", "clock_in", work_order["id"], job["id"],
                       {"technician_id": technician["id"]})
        finished = started + timedelta(hours=float(job["billed_hours"] or 0.5) * rng.uniform(0.75, 1.15))
        while next(step) < finished:
            pass
        with at(finished):
            store.call("store_manager", "workshop", "clock_out", work_order["id"], job["id"],
                       {"technician_id": technician["id"], "job_finished": True})


def _open_stock(store: Store) -> None:
    supplier = store.call("store_manager", "inventory", "list_suppliers", {"limit": 1})["items"][0]
    po = store.call("store_manager", "inventory", "create_purchase_order", {
        "store_id": store.id, "supplier_id": supplier["id"], "submit": True,
        "lines": [{"sku": sku, "qty": qty, "unit_cost_fen": _cost(sku)} for sku, qty in STOCK.items()]})
    expiry = (date.today() + timedelta(days=540)).isoformat()
    batch = {"OIL-5W30-4L", "OIL-0W20-1L"}
    store.call("store_manager", "inventory", "receive_purchase_order", po["id"], {
        "delivery_note": f"HIST-{store.code}", "lines": [
            {"sku": sku, "qty": qty, **({"batch_no": f"H{store.code[:2]}1", "expiry_date": expiry}
                                        if sku in batch else {})} for sku, qty in STOCK.items()]})


def _cost(sku: str) -> int:
    """The demo catalogue's unit cost of `sku` (services/inventory/demo.py)."""
    return next(part[7] for part in inventory_demo.PARTS if part[0] == sku)


def _brakes_twice(store: Store, car: dict, first: date, days: int) -> dict[date, random.Random]:
    """A comeback (返修) in every store's history: its last regular's front brake pads replaced on the first
    working day and the car back for them three days later (the comeback rate has a value however short the
    history is). Each visit's own choices come from a generator of the store's."""
    working = [first + timedelta(days=n) for n in range(days) if (first + timedelta(days=n)).weekday() != 6]
    again = next((day for day in working if day >= working[0] + timedelta(days=3)), None) if working else None
    if again is None:
        return {}
    return {day: random.Random(f"{store.code}-brakes-{day}") for day in (working[0], again)}


def one_car(store: Store, rng: random.Random, car: dict, day: date, hour: float, package: str | None = None) -> None:
    """A car's visit: check-in, a quote from a package, the customer's decision; if won, the work
    (sometimes failed by QC once), the invoice paid, delivery and the call-back three days later. A `package`
    named is what the car comes in for, and the customer takes it."""
    car["mileage"] += rng.randrange(3000, 9000)
    step = iter(store.local(day, hour) + timedelta(minutes=12 * n) for n in range(200))
    try:
        won = _quote(store, rng, car, step, package)
    except Conflict as refused:  # the running sales service expired the back-dated quote meanwhile: lost
        if refused.params.get("status") != "expired":
            raise
        return
    if won:
        _work(store, rng, car, day, step, won)


def _quote(store: Store, rng: random.Random, car: dict, step: Iterator[datetime], package: str | None = None
           ) -> dict | None:
    """Check-in, a quote from a package, the customer's decision; the order when won."""
    with at(next(step)):
        quote = _checked_in_and_quoted(store, car, package or rng.choice(PACKAGES))
    with at(next(step)):
        store.call("service_advisor", "sales", "present_quote", quote["id"])
    lines = [line["id"] for line in quote["lines"]]
    won = package is not None or rng.random() < 0.8
    with at(next(step)):
        store.call("service_advisor", "sales", "decide_quote", quote["id"], {
            "approved_line_ids": lines if won else [], "declined_line_ids": [] if won else lines})
        if not won:
            return None
        return store.call("service_advisor", "sales", "contract_quote", quote["id"], {
            "payment_method": rng.choice(["wechat", "alipay", "cash", "card"]), "signed_by": car["name"]})


def _checked_in_and_quoted(store: Store, car: dict, package: str) -> dict:
    """The car checked in for maintenance and a quote of `package` made (not yet presented)."""
    visit = store.call("service_advisor", "sales", "check_in", {
        "store_id": store.id, "customer_id": car["customer_id"], "vehicle_id": car["vehicle_id"],
        "mileage_km": car["mileage"], "needs": ["maintenance"]})
    quote = store.call("service_advisor", "sales", "create_quote", {"visit_id": visit["id"]})
    return store.call("service_advisor", "sales", "add_quote_package", quote["id"], {"package": package})


def _work(store: Store, rng: random.Random, car: dict, day: date, step: Iterator[datetime], order: dict) -> None:
    """The won order worked (sometimes failed by QC once), invoiced, paid, delivered and called back."""
    [work_order] = store.call("service_advisor", "workshop", "list_work_orders", {"order_id": order["id"]})["items"]
    w = work_order["id"]
    technician = _fit(store, rng, work_order)
    with at(next(step)):
        store.call("store_manager", "workshop", "dispatch", w, {"jobs": [
            {"job_id": job["id"], "technicians": [{"technician_id": technician["id"], "split_pct": 100}]}
            for job in work_order["jobs"]]})
    rework = rng.random() < 0.1
    for attempt in range(2 if rework else 1):
        _jobs_done(store, rng, work_order, technician, step)
        with at(next(step)):
            store.call("store_manager", "workshop", "request_qc", w, {})
        with at(next(step)):
            passed = attempt == 1 or not rework
            store.call("store_manager", "workshop", "record_qc", w, {"passed": passed} if passed else {
                "passed": False, "reasons": ["螺栓扭矩未复核"]})
    with at(next(step)):
        store.call("service_advisor", "workshop", "complete", w, {})
    [invoice] = store.call("cashier", "finance", "list_invoices", {"store_id": store.id, "order_id": order["id"]})[
        "items"]
    with at(next(step)):
        method = rng.choice(["wechat", "wechat", "alipay", "cash", "card"])
        store.call("cashier", "finance", "take_payment", invoice["id"], {
            "method": method, "amount_fen": invoice["due_fen"],
            **({"reference": f"H{rng.randrange(10 ** 9):09d}"} if method != "cash" else {})},
            f"demo-history-{invoice['id']}")
    with at(next(step)):
        store.call("service_advisor", "workshop", "deliver", w, {
            "mileage_out_km": car["mileage"] + 2, "accepted_by": car["name"], "satisfied": True})
    call_back = store.local(day + timedelta(days=3), 15)
    if call_back.date() >= store.today:
        return
    with at(call_back):
        follow_ups = store.call("service_advisor", "crm", "list_follow_ups", {
            "store_id": store.id, "customer_id": car["customer_id"]})["items"]
        for follow_up in (f for f in follow_ups if f["status"] in ("scheduled", "due")):
            score = rng.choice([5, 5, 5, 4, 4, 3])
            store.call("service_advisor", "crm", "complete_follow_up", follow_up["id"], {
                "reached": True, "satisfaction": score, "comment": "服务不错" if score >= 4 else "等待时间有点长"})


def seed(stores: list[tuple[str, dict]], users: Mapping[str, Mapping[str, dict]],
         database_url: Callable[[str], str] = config.database_url, days: int = DAYS) -> int:
    """`days` of history before today for the demo stores ((code, store) from the gateway,
    users[code][role] of each) that have none yet; returns the cars seeded (0 when every store has its
    history). The stores are seeded side by side, each in a process of its own (`seed_one`): nothing of
    one store's history depends on another's, and each store's choices come from its own generator, so
    the history is the same as one after the other."""
    urls = {name: database_url(name) for name in SERVICES}
    chain = Chain(urls.__getitem__)
    try:
        jobs = [(code, store, dict(users[code]), urls, days) for code, store in stores
                if not has_history(chain, code, store, users[code])]
    finally:
        chain.close()
    if len(jobs) < 2:
        return sum(seed_one(*job) for job in jobs)
    with store_processes(len(jobs)) as pool:
        return sum(pool.map(seed_one, *zip(*jobs, strict=True)))


def store_processes(count: int) -> ProcessPoolExecutor:
    """`count` processes that import this module once (a fork server) and end with the seeder: killed alone,
    the seeder would otherwise leave its stores seeding on, and a store half seeded is never seeded again."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(count, mp_context=context, initializer=_end_with, initargs=(os.getpid(),))


def _end_with(seeder: int) -> None:
    """Watch the seeder from a thread of this store's process and end the process with it (gone at once if the
    seeder already is); the fork server then ends with the last of them."""
    try:
        watched = os.pidfd_open(seeder)
    except ProcessLookupError:
        os._exit(1)

    def watch() -> None:
        ended = poll()
        ended.register(watched, POLLIN)  # readable once the seeder has ended
        ended.poll()
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="end-with-the-seeder", daemon=True).start()


def has_history(chain: Chain, code: str, store: dict, users: Mapping[str, dict]) -> bool:
    """Whether the store's history is seeded: its first regular customer is registered."""
    first_mobile = customers_of(code, random.Random(), 1)[0][1]  # mobiles are numbered
    advisor = staff(code, store["id"], "service_advisor", users["service_advisor"])
    return bool(chain.call("crm", "list_customers", advisor, {"q": first_mobile})["items"])


def seed_one(code: str, store: dict, users: dict[str, dict], urls: dict[str, str], days: int) -> int:
    """One store's history on engines of its own (`urls`: each service's database); returns its cars."""
    chain = Chain(urls.__getitem__)
    try:
        return seed_store(chain, Store(chain, code, store, users), random.Random(f"{SEED}-{code}"), days)
    finally:
        chain.close()
