"""sales' counter rules against real PostgreSQL and SQLite files with simultaneous callers (one
bay per car in a slot, one open visit per car and store), and the revision that brought them upgrading and
downgrading a database that already holds the duplicates, on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from nameko.testing.services import worker_factory
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.orm import sessionmaker

from services.common.context import Caller
from services.common.db import make_engine
from services.common.errors import Conflict
from services.common.migrate import alembic_config, upgrade
from services.sales.models import Appointment, Order, Visit
from services.sales.service import SalesService
from tests.integration.test_workshop_concurrency import all_at_once
from tests.service.test_sales_service import SHANGHAI, FakeCrm, FakeInventory, contract, line_ids, quote_with_lines
from tests.support.infra import Databases
from tests.support.service import RecordingRelay

pytestmark = pytest.mark.integration
STORE = "s1"
ADVISOR = Caller(user_id="adv", role="service_advisor", store_ids=frozenset({STORE}))
BEFORE = "14f9eb75a469"  # the revision before the rules


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def engine(request, databases, tmp_path_factory):
    url = (databases.urls["sales"] if request.param == "postgresql"
           else f"sqlite:///{tmp_path_factory.mktemp('sales') / 'sales.db'}")  # the embedded default
    upgrade("sales", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def sales(engine):
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    opened = []

    def make(caller=ADVISOR):
        session = factory()
        session.info.update({"service": "sales", "relay": RecordingRelay(), "outbox": [], "context": {}})
        opened.append(session)
        return worker_factory(SalesService, db=session, caller=caller, crm=FakeCrm(), inventory=FakeInventory())

    yield make
    for service in opened:
        service.close()


def a_slot(hour: int) -> str:
    day = datetime.now(SHANGHAI).date() + timedelta(days=5 + int(uuid.uuid4().int % 300))
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).isoformat()


def test_the_same_car_booked_into_one_slot_at_once_takes_one_bay(sales, engine):
    booking = {"store_id": STORE, "customer_id": "c1", "vehicle_id": "v1", "slot_start": a_slot(10)}
    results = all_at_once([lambda: sales().book_appointment(booking) for _ in range(4)])
    booked = [r for r in results if isinstance(r, dict)]
    assert len(booked) == 1, results
    # on SQLite too: writers queue behind BEGIN IMMEDIATE, so a loser meets the rule, never "database is locked"
    assert all(isinstance(r, Conflict) and r.code == "already_booked" for r in results if r not in booked), results
    with engine.connect() as conn:
        held = conn.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.vehicle_id == "v1", Appointment.slot_start == datetime.fromisoformat(booking["slot_start"]),
            Appointment.state == "booked"))
    assert held == 1


def test_a_car_checked_in_twice_at_once_has_one_open_visit(sales, engine):
    check_in = {"store_id": STORE, "customer_id": "c1", "vehicle_id": "v2", "needs": ["maintenance"]}
    results = all_at_once([lambda: sales().check_in(check_in) for _ in range(4)])
    assert all(isinstance(r, dict) for r in results), results
    assert len({r["id"] for r in results}) == 1  # every click answers with the same visit
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Visit).where(
            Visit.vehicle_id == "v2", Visit.closed_at.is_(None))) == 1


def test_a_quote_contracted_twice_at_once_gives_one_order(sales, engine):
    quote = quote_with_lines(sales, vehicle_id="v3")
    sales().present_quote(quote["id"])
    sales().decide_quote(quote["id"], {"approved_line_ids": line_ids(quote), "declined_line_ids": []})
    results = all_at_once([lambda: contract(sales, quote["id"]) for _ in range(4)])
    assert all(isinstance(r, dict) for r in results), results
    assert len({r["id"] for r in results}) == 1  # a loser undoes its repricing and answers with the winner's order
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Order).where(Order.quote_id == quote["id"])) == 1


# -- the revision on a database holding duplicates ------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sales.db'}"
        return
    databases = Databases().create()
    yield databases.urls["sales"]
    databases.drop()


def test_the_revision_keeps_every_row_and_resolves_existing_duplicates(old_database):
    config = alembic_config("sales", old_database)
    command.upgrade(config, BEFORE)
    engine = make_engine(old_database)
    slot = datetime(2026, 12, 20, 2, tzinfo=timezone.utc)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(Appointment.__table__), [
            {"id": f"A{n}", "store_id": STORE, "customer_id": "c1", "vehicle_id": "v1", "slot_start": slot,
             "slot_minutes": 60, "services": [], "state": "booked", "overbooked": False,
             "created_at": now + timedelta(seconds=n), "updated_at": now} for n in range(4)])
        conn.execute(text("INSERT INTO store_settings (store_id, labour_rate_fen, vat_rate, tax_inclusive, "
                          "discount_limits, slot_minutes, slot_capacity, timezone, quote_valid_days, updated_at) "
                          "VALUES ('s1', 12000, 0.13, true, '{}', 60, 4, 'Asia/Shanghai', 7, :now)"), {"now": now})
        conn.execute(insert(Visit.__table__), [
            {"id": f"V{n}", "store_id": STORE, "customer_id": "c1", "vehicle_id": "v1", "vehicle_class": "sedan",
             "needs": [], "checked_in_at": now + timedelta(seconds=n)} for n in range(3)])
    command.upgrade(config, "head")
    with engine.connect() as conn:
        states = dict(conn.execute(select(Appointment.id, Appointment.state).order_by(Appointment.id)).all())
        assert states == {"A0": "booked", "A1": "cancelled", "A2": "cancelled", "A3": "cancelled"}
        open_visits = conn.scalars(select(Visit.id).where(Visit.closed_at.is_(None))).all()
        assert open_visits == ["V2"] and conn.scalar(select(func.count()).select_from(Visit)) == 3
        hours = conn.execute(text("SELECT opens_at, closes_at FROM store_settings")).one()
        assert [str(value)[:5] for value in hours] == ["08:30", "18:00"]
    command.downgrade(config, BEFORE)
    with engine.connect() as conn:
        assert "closed_at" not in {c["name"] for c in inspect(conn).get_columns("visits")}
        assert conn.scalar(select(func.count()).select_from(Appointment.__table__)) == 4
    command.upgrade(config, "head")
    engine.dispose()
