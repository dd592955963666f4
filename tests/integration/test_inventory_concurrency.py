"""Never oversell: many reservations racing for the last units on real PostgreSQL (row locks),
each in its own connection and transaction, as competing service workers would."""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from services.common.context import Caller
from services.common.db import make_engine
from services.common.outbox import OUTBOX
from services.common.schemas import load
from services.inventory.domain import catalogue, purchasing, reservations
from services.inventory.models import Reservation, StockLevel
from services.inventory.domain.reports import check_ledger
from services.contracts.rpc.inventory import PartCreate, SupplierCreate

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def db(migrated):
    engine = make_engine(migrated.urls["inventory"], pool_size=12, max_overflow=0)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def session_of(db):
    session = db()
    session.info.update({"service": "inventory", "context": {}, "outbox": []})
    return session


def stocked_part(db, store_id: str, qty: int) -> str:
    with session_of(db) as session:
        sku = catalogue.create_part(session, load(PartCreate(), {
            "sku": f"RACE-{uuid.uuid4().hex[:8]}", "name": "火花塞", "category": "ignition",
            "list_price_fen": 5000})).sku
        supplier = catalogue.create_supplier(session, load(SupplierCreate(), {
            "code": f"S-{uuid.uuid4().hex[:8]}", "name": "供应商"}))
        po = purchasing.create_purchase_order(session, {
            "store_id": store_id, "supplier_id": supplier.id, "submit": True,
            "lines": [{"sku": sku, "qty": Decimal(qty), "unit_cost_fen": 2000}]}, None)
        purchasing.receive(session, po.id, {"lines": [{"sku": sku, "qty": Decimal(qty)}]}, Caller())
        session.commit()
    return sku


def confirmed(order_id: str, store_id: str, sku: str, qty) -> dict:
    return {"order_id": order_id, "store_id": store_id, "promised_at": None,
            "lines": [{"kind": "part", "sku": sku, "qty": qty, "line_id": "l1"}]}


def race(db, payloads: list[dict], work) -> list:
    start = threading.Barrier(len(payloads))

    def one(payload):
        session = session_of(db)
        try:
            start.wait(timeout=30)
            result = work(session, payload)
            session.commit()
            return result
        finally:
            session.close()

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(one, payloads))


def level_of(db, store_id: str, sku: str) -> StockLevel:
    with session_of(db) as session:
        return session.scalars(select(StockLevel).join(StockLevel.part).where(
            StockLevel.store_id == store_id, StockLevel.part.has(sku=sku))).one()


def test_parallel_reservations_of_the_last_units_get_exactly_the_stock_there_is(db):
    store_id, units, orders = f"race-{uuid.uuid4().hex[:6]}", 5, 12
    sku = stocked_part(db, store_id, units)
    order_ids = [f"race-order-{i}-{uuid.uuid4().hex[:6]}" for i in range(orders)]
    facts = race(db, [confirmed(o, store_id, sku, 1) for o in order_ids], reservations.reserve_order)

    assert sorted(facts) == sorted(["stock_reserved"] * units + ["stock_shortage"] * (orders - units))
    level = level_of(db, store_id, sku)
    assert (level.on_hand, level.reserved, level.available) == (units, units, 0)
    with session_of(db) as session:
        held = session.scalars(select(Reservation.qty_reserved).where(Reservation.order_id.in_(order_ids))).all()
        assert sorted(held) == [0] * (orders - units) + [1] * units
        published = session.execute(select(OUTBOX.c.type).where(
            OUTBOX.c.envelope["payload"]["order_id"].as_string().in_(order_ids))).scalars().all()
        assert sorted(published) == sorted(facts)
        assert check_ledger(session, store_id)["ok"]


def test_uneven_parallel_reservations_never_drive_available_negative(db):
    store_id = f"race-{uuid.uuid4().hex[:6]}"
    sku = stocked_part(db, store_id, 10)
    quantities = [3, 2.5, 4, 1, 2, 3.5, 1.5, 2, 0.5, 3]
    payloads = [confirmed(f"uneven-{i}-{uuid.uuid4().hex[:6]}", store_id, sku, q) for i, q in enumerate(quantities)]
    race(db, payloads, reservations.reserve_order)
    level = level_of(db, store_id, sku)
    assert level.reserved == 10 and level.available == 0
    with session_of(db) as session:
        rows = session.scalars(select(Reservation).where(
            Reservation.order_id.in_([p["order_id"] for p in payloads]))).all()
        assert sum(r.qty_reserved for r in rows) == 10
        assert all(0 <= r.qty_reserved <= r.qty_requested for r in rows)
        assert check_ledger(session, store_id)["ok"]


def test_parallel_completions_and_cancellations_keep_the_ledger_exact(db):
    store_id = f"race-{uuid.uuid4().hex[:6]}"
    sku = stocked_part(db, store_id, 12)
    order_ids = [f"mix-{i}-{uuid.uuid4().hex[:6]}" for i in range(12)]
    race(db, [confirmed(o, store_id, sku, 1) for o in order_ids], reservations.reserve_order)

    def finish(session, order_id):
        if order_ids.index(order_id) % 2:
            return reservations.release_order(session, {"order_id": order_id})
        return reservations.issue_for_work_order(session, {
            "order_id": order_id, "work_order_id": f"wo-{order_id}", "store_id": store_id,
            "parts_used": [{"sku": sku, "qty": 1}]})

    race(db, order_ids, finish)
    level = level_of(db, store_id, sku)
    assert (level.on_hand, level.reserved, level.value_fen) == (6, 0, 6 * 2000)
    with session_of(db) as session:
        assert check_ledger(session, store_id)["ok"]


def test_a_cancellation_racing_its_confirmation_never_strands_a_reservation(db):
    store_id = f"race-{uuid.uuid4().hex[:6]}"
    sku = stocked_part(db, store_id, 20)
    order_ids = [f"cc-{i}-{uuid.uuid4().hex[:6]}" for i in range(6)]
    work = [("confirm", o) for o in order_ids] + [("cancel", o) for o in order_ids]

    def handle(session, item):
        kind, order_id = item
        if kind == "confirm":
            return reservations.reserve_order(session, confirmed(order_id, store_id, sku, 1))
        return reservations.release_order(session, {"order_id": order_id, "store_id": store_id})

    race(db, work, handle)
    level = level_of(db, store_id, sku)
    assert level.reserved == 0 and level.available == 20
    with session_of(db) as session:
        stranded = session.scalars(select(Reservation).where(Reservation.order_id.in_(order_ids),
                                                             Reservation.status == "open")).all()
        assert stranded == []
        assert check_ledger(session, store_id)["ok"]
