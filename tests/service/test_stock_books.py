"""inventory's stock value reaches finance's books: inventory's entrypoints move stock every way
on one SQLite database, the events they write into the outbox are handed to finance's handlers on
another (no broker), and after each move every store's inventory account equals the valuation,
goods in transit equal what is shipped to it, and its debits equal its credits."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from services.common.errors import Conflict
from services.common.outbox import OUTBOX
from services.contracts.rpc.finance import reconcile
from services.finance.models import Base as FinanceBase, JournalEntry
from services.finance.service import FinanceService
from services.inventory.domain import ledger
from services.inventory.models import Base as InventoryBase
from tests.service.test_inventory_service import (HQ, MANAGER, MANAGER_2, S1, S2, SYSTEM, inv, new_part,
                                                  order_confirmed, receive, work_order_completed)
from tests.support.service import sqlite_session

BOOKED = {"stock_valued": "on_stock_valued", "stock_issued": "on_stock_issued"}


@pytest.fixture
def stock_db():
    session = sqlite_session(InventoryBase.metadata, "inventory", MANAGER.to_context())
    yield session
    session.close()


@pytest.fixture
def books_db():
    session = sqlite_session(FinanceBase.metadata, "finance", {})
    yield session
    session.close()


def finance(session, caller=SYSTEM):
    return worker_factory(FinanceService, db=session, caller=caller)


def deliver(stock_db, books_db, delivered: set) -> list[dict]:
    """Hand finance every stock event inventory wrote since the last call (as the broker would)."""
    rows = stock_db.execute(select(OUTBOX.c.event_id, OUTBOX.c.type, OUTBOX.c.envelope)
                            .where(OUTBOX.c.type.in_(BOOKED)).order_by(OUTBOX.c.created_at)).all()
    new = [(fact, envelope) for event_id, fact, envelope in rows if event_id not in delivered]
    for fact, envelope in new:
        getattr(finance(books_db), BOOKED[fact])(envelope)
        delivered.add(envelope["event_id"])
    return [envelope for _fact, envelope in new]


def accounts(books_db, store_id) -> dict[str, int]:
    balance = finance(books_db, HQ).trial_balance({"store_id": store_id})
    assert balance["balanced"]
    return {a["code"]: a["balance_debit_fen"] - a["balance_credit_fen"] for a in balance["accounts"]}


def assert_reconciled(stock_db, books_db) -> dict:
    result = reconcile(finance(books_db, HQ).book_sides({})["stores"],
                       inv(stock_db, HQ).valuation({})["stores"])
    assert result["ok"], result
    return {store["store_id"]: store for store in result["stores"]}


def test_every_way_stock_moves_is_booked_and_the_books_follow_the_valuation(stock_db, books_db):
    delivered: set = set()
    sync = lambda: deliver(stock_db, books_db, delivered)  # noqa: E731
    filters, pads = new_part(stock_db)["sku"], new_part(stock_db)["sku"]

    receive(stock_db, filters, 10, 1234)
    receive(stock_db, pads, 3, 33_333)
    [filter_receipt, _pads] = sync()
    assert (filter_receipt["payload"]["kind"], filter_receipt["payload"]["value_fen"]) == ("receipt", 12_340)
    assert accounts(books_db, S1)["1405"] == 12_340 + 99_999 and accounts(books_db, S1)["2209"] == -112_339
    assert_reconciled(stock_db, books_db)

    system = inv(stock_db, SYSTEM)  # a work order uses 3 filters: the cost of sale, booked once
    system.on_order_confirmed(order_confirmed("o-1", [(filters, 3)]))
    system.on_work_order_completed(work_order_completed("o-1", [(filters, 3)]))
    assert [e["type"] for e in sync()] == ["inventory.stock_issued"]
    assert accounts(books_db, S1)["5001"] == 3_702
    assert_reconciled(stock_db, books_db)

    keeper = inv(stock_db)
    keeper.adjust_stock({"store_id": S1, "sku": filters, "qty": -1, "reason": "damaged"})
    keeper.adjust_stock({"store_id": S1, "sku": filters, "qty": 2, "reason": "found"})
    keeper.adjust_stock({"store_id": S1, "sku": filters, "qty": 1, "reason": "customer_return"})
    assert [e["payload"]["kind"] for e in sync()] == ["adjustment", "adjustment", "return"]
    assert_reconciled(stock_db, books_db)

    take = keeper.open_stocktake({"store_id": S1})
    keeper.record_counts(take["id"], {"counts": [{"sku": filters, "qty": 7}, {"sku": pads, "qty": 4}]})
    posted = keeper.post_stocktake(take["id"], {})
    assert [line["variance_qty"] for line in posted["lines"]] in ([-2, 1], [1, -2])
    [variance] = sync()
    assert variance["payload"]["value_fen"] == posted["variance_value_fen"] != 0
    assert_reconciled(stock_db, books_db)

    transfer = inv(stock_db, MANAGER_2).request_transfer({"from_store_id": S1, "to_store_id": S2, "lines": [
        {"sku": filters, "qty": 4}, {"sku": pads, "qty": 2}]})
    shipped = keeper.ship_transfer(transfer["id"], {})
    sync()
    stores = assert_reconciled(stock_db, books_db)
    in_transit = sum(line["shipped_value_fen"] for line in shipped["lines"])
    assert stores[S2]["invariants"][1]["left_fen"] == in_transit > 0
    assert accounts(books_db, S1)["1191"] == in_transit == -accounts(books_db, S2)["1191"]

    received = inv(stock_db, MANAGER_2).receive_transfer(transfer["id"], {"lines": [{"sku": filters, "qty": 3},
                                                                                     {"sku": pads, "qty": 2}]})
    sync()
    stores = assert_reconciled(stock_db, books_db)
    assert stores[S2]["invariants"][1]["left_fen"] == 0  # out of transit, a lost filter is S2's loss
    assert accounts(books_db, S2)["6712"] == sum(line["discrepancy_value_fen"] for line in received["lines"]) > 0
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    for store_id in (S1, S2):  # the profit and loss counts shrinkage (less stock found) as an expense
        report = finance(books_db, HQ).pnl({"store_id": store_id, "month": month})
        assert report["expenses"]["inventory_gains_losses"] == accounts(books_db, store_id).get("6712", 0)
    valued = {s["store_id"]: s["value_fen"] for s in inv(stock_db, HQ).valuation({})["stores"]}
    assert accounts(books_db, S1)["1405"] == valued[S1] and accounts(books_db, S2)["1405"] == valued[S2] > 0


def test_a_stock_event_delivered_twice_is_booked_once(stock_db, books_db):
    receive(stock_db, new_part(stock_db)["sku"], 5, 2_000)
    [receipt] = deliver(stock_db, books_db, set())
    finance(books_db).on_stock_valued(receipt)  # the broker redelivers it
    entries = books_db.scalars(select(JournalEntry).where(JournalEntry.source_type == "stock_receipt")).all()
    assert len(entries) == 1 and accounts(books_db, S1)["1405"] == 10_000
    assert_reconciled(stock_db, books_db)


def test_a_transfer_booked_twice_moves_its_value_once_at_both_stores(stock_db, books_db):
    sku = new_part(stock_db)["sku"]
    receive(stock_db, sku, 4, 2_500)
    transfer = inv(stock_db, MANAGER_2).request_transfer({"from_store_id": S1, "to_store_id": S2,
                                                         "lines": [{"sku": sku, "qty": 2}]})
    inv(stock_db).ship_transfer(transfer["id"], {})
    events = deliver(stock_db, books_db, set())
    for envelope in events:
        finance(books_db).on_stock_valued(envelope)
    assert accounts(books_db, S1)["1405"] == 5_000 and accounts(books_db, S2)["1402"] == 5_000
    assert_reconciled(stock_db, books_db)


def test_a_movement_nobody_announces_cannot_be_committed(stock_db):
    """The class of fault: a new way to move stock that forgets the books fails at commit."""
    sku = new_part(stock_db)["sku"]
    part = ledger.part_by_sku(stock_db, sku)
    level = ledger.lock_level(stock_db, S1, part.id)
    ledger.stock_in(stock_db, level, "adjustment", 1, 500, reference_type="adjustment", reference_id="ADJ-X",
                    user_id=None)
    with pytest.raises(AssertionError, match="not announced to finance"):
        stock_db.commit()
    stock_db.rollback()
    assert inv(stock_db, HQ).valuation({})["value_fen"] == 0


def test_goods_sent_back_to_the_supplier_reverse_goods_received_not_invoiced(stock_db, books_db):
    delivered: set = set()
    sku = new_part(stock_db)["sku"]
    po = receive(stock_db, sku, 4, 2_500)
    deliver(stock_db, books_db, delivered)
    sent_back = inv(stock_db).return_to_supplier(po["id"], {"lines": [{"sku": sku, "qty": 1}], "reason": "破损"})
    assert sent_back["value_fen"] == 2_500 and sent_back["purchase_order_number"] == po["number"]
    [event] = deliver(stock_db, books_db, delivered)
    assert (event["payload"]["kind"], event["payload"]["value_fen"]) == ("supplier_return", -2_500)
    assert event["payload"]["purchase_order_id"] == po["id"]
    assert accounts(books_db, S1)["1405"] == 7_500 and accounts(books_db, S1)["2209"] == -7_500
    assert_reconciled(stock_db, books_db)
    assert inv(stock_db).get_purchase_order(po["id"])["lines"][0]["qty_returned"] == 1
    with pytest.raises(Conflict) as refused:  # 3 left of the 4 received: a 4th is refused, nothing moves
        inv(stock_db).return_to_supplier(po["id"], {"lines": [{"sku": sku, "qty": 4}], "reason": "破损"})
    assert refused.value.code == "over_return"
    assert deliver(stock_db, books_db, delivered) == []


def test_goods_sent_back_leave_at_what_they_cost_on_their_order_not_the_average(stock_db, books_db):
    sku = new_part(stock_db)["sku"]
    receive(stock_db, sku, 4, 1_000)
    dear = receive(stock_db, sku, 2, 4_000)  # average now (4 000 + 8 000) / 6 = 2 000
    sent_back = inv(stock_db).return_to_supplier(dear["id"], {"lines": [{"sku": sku, "qty": 1}], "reason": "错货"})
    assert sent_back["value_fen"] == 4_000
    deliver(stock_db, books_db, set())
    assert accounts(books_db, S1)["2209"] == -(4_000 + 8_000 - 4_000)
    assert_reconciled(stock_db, books_db)
