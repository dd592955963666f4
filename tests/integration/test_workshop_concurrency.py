"""workshop against real PostgreSQL with simultaneous callers: two clock-ins of one technician,
two advisors dispatching one job, one order confirmed twice at once. Row locks and unique
constraints keep every outcome consistent."""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from services.common.context import Caller
from services.common.db import make_engine
from services.common.errors import Conflict
from services.common.migrate import upgrade
from services.workshop.models import Assignment, TimeEntry, WorkOrder
from services.workshop.service import WorkshopService
from tests.service.test_workshop_service import envelope, labour, order_confirmed
from tests.support.service import RecordingRelay

STORE = "store-c"
MANAGER = Caller(user_id="m", role="store_manager", store_ids=frozenset({STORE}))
SYSTEM = Caller()


@pytest.fixture(scope="module")
def engine(databases):
    url = databases.urls["workshop"]
    upgrade("workshop", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    opened = []

    def make():
        session = factory()
        session.info.update({"service": "workshop", "relay": RecordingRelay(), "outbox": [], "context": {}})
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


def service(session, caller=MANAGER):
    return worker_factory(WorkshopService, db=session, caller=caller)


def new_work_order(sessions, lines) -> dict:
    payload = order_confirmed(lines=lines, store_id=STORE)
    shop = service(sessions(), SYSTEM)
    shop.on_order_confirmed(envelope("sales.order_confirmed", payload))
    return shop.list_work_orders({"order_id": payload["order_id"]})["items"][0]


def new_technician(sessions, skills, user_id=None) -> dict:
    return service(sessions()).create_technician({
        "store_id": STORE, "name": f"技师{uuid.uuid4().hex[:4]}", "level": "senior", "hourly_cost_fen": 5000,
        "skills": skills, "user_id": user_id})


def all_at_once(calls):
    """Run the callables in threads released together; each result is the value or the exception."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        except Exception as exc:  # collected and asserted on by the test
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_simultaneous_clock_ins_of_one_technician_into_different_jobs_let_exactly_one_in(sessions, engine):
    user_id = f"u-{uuid.uuid4().hex[:8]}"
    tech = new_technician(sessions, ["maintenance"], user_id=user_id)
    orders = [new_work_order(sessions, [labour("OIL", "maintenance")]) for _ in range(6)]
    for wo in orders:
        service(sessions()).dispatch(wo["id"], {"jobs": [{"job_id": wo["jobs"][0]["id"], "technicians": [
            {"technician_id": tech["id"], "split_pct": 100}]}]})
    me = Caller(user_id=user_id, role="technician", store_ids=frozenset({STORE}))
    results = all_at_once([
        (lambda wo=wo: service(sessions(), me).clock_in(wo["id"], wo["jobs"][0]["id"], {})) for wo in orders])
    winners = [r for r in results if isinstance(r, dict)]
    assert len(winners) == 1, results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, dict)), results
    with engine.connect() as conn:
        open_entries = conn.scalar(select(func.count()).select_from(TimeEntry).where(
            TimeEntry.technician_id == tech["id"], TimeEntry.ended_at.is_(None)))
        started = conn.scalar(select(func.count()).select_from(WorkOrder).where(
            WorkOrder.id.in_([wo["id"] for wo in orders]), WorkOrder.status == "in_progress"))
    assert open_entries == 1 and started == 1


def test_two_advisors_dispatching_one_job_at_once_leave_one_whole_split(sessions, engine):
    a, b, c = (new_technician(sessions, ["brakes"]) for _ in range(3))
    for _ in range(5):
        wo = new_work_order(sessions, [labour("BRK", "brakes")])
        job_id = wo["jobs"][0]["id"]
        first = {"jobs": [{"job_id": job_id, "technicians": [{"technician_id": a["id"], "split_pct": 50},
                                                             {"technician_id": b["id"], "split_pct": 50}]}]}
        second = {"jobs": [{"job_id": job_id, "technicians": [{"technician_id": c["id"], "split_pct": 100}]}]}
        results = all_at_once([lambda plan=plan, wo_id=wo["id"]: service(sessions()).dispatch(wo_id, plan)
                               for plan in (first, second)])
        assert all(isinstance(r, dict) for r in results), results
        with engine.connect() as conn:
            split = dict(conn.execute(select(Assignment.technician_id, Assignment.split_pct)
                                      .where(Assignment.job_id == job_id)).all())
            status, version = conn.execute(select(WorkOrder.status, WorkOrder.version)
                                           .where(WorkOrder.id == wo["id"])).one()
        assert split in ({a["id"]: Decimal(50), b["id"]: Decimal(50)}, {c["id"]: Decimal(100)})
        assert status == "dispatched" and version == wo["version"] + 3  # two dispatches + one transition


def test_dispatch_with_the_version_seen_refuses_the_slower_of_two_advisors(sessions):
    a, b = new_technician(sessions, ["brakes"]), new_technician(sessions, ["brakes"])
    wo = new_work_order(sessions, [labour("BRK", "brakes")])
    job_id = wo["jobs"][0]["id"]
    bodies = [{"expected_version": wo["version"],
               "jobs": [{"job_id": job_id, "technicians": [{"technician_id": t["id"], "split_pct": 100}]}]}
              for t in (a, b)]
    results = all_at_once([lambda body=body: service(sessions()).dispatch(wo["id"], body) for body in bodies])
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"], results


def test_one_order_confirmed_twice_at_once_opens_one_work_order(sessions, engine):
    payload = order_confirmed(lines=[labour("OIL", "maintenance")], store_id=STORE)
    results = all_at_once([
        (lambda: service(sessions(), SYSTEM).on_order_confirmed(envelope("sales.order_confirmed", payload)))
        for _ in range(4)])
    assert not [r for r in results if isinstance(r, Exception)], results
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(WorkOrder)
                           .where(WorkOrder.order_id == payload["order_id"])) == 1
