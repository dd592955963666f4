"""Stock held before the books followed it (inventory revision 8e3f5a0c2d71): on SQLite and
PostgreSQL, a database holding stock, past work-order issues and a transfer on its way is upgraded;
the opening events it leaves in the outbox, booked by finance on top of the cost of sales finance
already holds, make each store's inventory and goods-in-transit accounts equal the valuation.
Downgrading removes the opening events not yet sent."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from alembic import command
from nameko.testing.services import worker_factory
from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import make_engine
from services.common.migrate import alembic_config, upgrade
from services.common.outbox import OUTBOX
from services.contracts.rpc.finance import reconcile
from services.finance.models import Base as FinanceBase
from services.finance.service import FinanceService
from services.inventory.domain import reports
from services.inventory.models import Movement, StockLevel, Transfer, TransferLine
from tests.support.service import sqlite_session

BEFORE, OPENING = "1fd09d860e59", "8e3f5a0c2d71"
GZ, SZ = "store-gz", "store-sz"


@pytest.fixture
def url(scratch_url):
    return scratch_url


def stock_before_the_books(session: Session) -> None:
    """GZ holds 6 filters worth 7,200 and issued 2 to work orders (2,400, booked by finance as cost of
    sale); 3 more worth 3,600 are on their way from GZ to SZ."""
    # the parts table as it was at BEFORE (the model has columns added since, e.g. name_initials)
    parts = table("parts", *(column(name) for name in ("id", "sku", "name", "category", "unit", "list_price_fen",
                                                       "currency", "tax_class", "batch_tracked", "hazardous",
                                                       "active", "created_at", "updated_at")))
    part = SimpleNamespace(id=str(uuid.uuid4())[:26], sku="FLT-OPEN")
    now = datetime.now(UTC).replace(tzinfo=None)
    session.execute(parts.insert().values(
        id=part.id, sku=part.sku, name="机油滤清器", category="filter", unit="piece", list_price_fen=6800,
        currency="CNY", tax_class="standard", batch_tracked=False, hazardous=False, active=True, created_at=now,
        updated_at=now))
    session.add(StockLevel(store_id=GZ, part_id=part.id, on_hand=Decimal(6), value_fen=7_200))
    session.add(Movement(store_id=GZ, part_id=part.id, sku=part.sku, kind="issue", qty=Decimal(-2),
                         unit_cost_fen=1_200, value_fen=-2_400, on_hand_after=Decimal(6),
                         reference_type="work_order", reference_id="wo-1"))
    transfer = Transfer(number="TR-OPEN", from_store_id=GZ, to_store_id=SZ, status="shipped")
    transfer.lines.append(TransferLine(position=0, part_id=part.id, sku=part.sku, qty_requested=Decimal(3),
                                       qty_shipped=Decimal(3), unit_cost_fen=1_200, shipped_value_fen=3_600))
    session.add(transfer)
    session.commit()


def opening_events(session: Session) -> list[dict]:
    rows = session.execute(select(OUTBOX.c.envelope).where(OUTBOX.c.type == "stock_valued")).scalars().all()
    return sorted(rows, key=lambda envelope: envelope["store_id"])


def test_stock_held_before_enters_the_books_as_an_opening_balance(url):
    upgrade("inventory", url, BEFORE)
    engine = make_engine(url)
    with Session(engine) as session:
        stock_before_the_books(session)
    upgrade("inventory", url)
    with Session(engine) as session:
        events = opening_events(session)
        valuation = reports.valuation(session, None)["stores"]
    assert [(e["store_id"], e["payload"]["kind"], e["payload"]["value_fen"], e["payload"]["in_transit_fen"])
            for e in events] == [(GZ, "opening", 7_200 + 2_400, 0), (SZ, "opening", 0, 3_600)]

    books = sqlite_session(FinanceBase.metadata, "finance", {})
    finance = worker_factory(FinanceService, db=books, caller=Caller())
    finance.on_stock_issued({**events[0], "event_id": str(uuid.uuid4()), "type": "inventory.stock_issued",
                             "payload": {"order_id": "o-1", "work_order_id": "wo-1", "store_id": GZ, "cost_fen": 2_400,
                                         "lines": [{"sku": "FLT-OPEN", "qty": 2, "unit_cost_fen": 1_200,
                                                    "cost_fen": 2_400}]}})
    for envelope in events:
        finance.on_stock_valued(envelope)
    result = reconcile(worker_factory(FinanceService, db=books, caller=Caller(role="hq_admin", user_id="hq"))
                       .book_sides({})["stores"], valuation)
    assert result["ok"] and {s["store_id"] for s in result["stores"]} == {GZ, SZ}, result
    books.close()

    command.downgrade(alembic_config("inventory", url), BEFORE)
    with Session(engine) as session:
        assert opening_events(session) == []
    engine.dispose()
