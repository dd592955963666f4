"""inventory's entrypoints with nameko's worker_factory and a real SQLite session (no broker):
purchasing, reservations driven by events, issue at moving average cost, transfers,
stocktakes, batches, valuation, and the ledger check after all of it."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.outbox import OUTBOX
from services.contracts import EVENTS
from services.inventory.models import Base, Movement, Part, StockLevel
from services.inventory.service import InventoryService
from tests.support.service import sqlite_session

S1, S2 = "store-gz", "store-sz"
MANAGER = Caller(user_id="m1", role="store_manager", store_ids=frozenset({S1}), request_id="r-1")
MANAGER_2 = Caller(user_id="m2", role="store_manager", store_ids=frozenset({S2}), request_id="r-2")
HQ = Caller(user_id="hq", role="hq_admin", request_id="r-hq")
SYSTEM = Caller()


@pytest.fixture
def session():
    session = sqlite_session(Base.metadata, "inventory", MANAGER.to_context())
    yield session
    session.close()


def inv(session, caller=MANAGER):
    return worker_factory(InventoryService, db=session, caller=caller)


def events(session, fact=None):
    rows = session.execute(select(OUTBOX.c.type, OUTBOX.c.envelope).order_by(OUTBOX.c.created_at)).all()
    found = [envelope for kind, envelope in rows if fact is None or kind == fact]
    for envelope in found:  # every payload honours the published contract
        EVENTS[(*envelope["type"].split("."), envelope["version"])]().load(envelope["payload"])
    return found


def envelope(source_fact: str, payload: dict) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": source_fact, "version": 1,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "store_id": payload.get("store_id"),
            "request_id": None, "payload": payload}


def order_confirmed(order_id, lines, store_id=S1, promised_at=None):
    return envelope("sales.order_confirmed", {
        "order_id": order_id, "order_number": f"SO-{order_id}", "store_id": store_id, "quote_id": "q",
        "customer_id": "c", "promised_at": promised_at, "confirmed_at": datetime.now(timezone.utc).isoformat(),
        "totals": {"subtotal_fen": 0, "discount_fen": 0, "tax_fen": 0, "total_fen": 0},
        "lines": [{"line_id": f"l{i}", "kind": "part", "description": sku, "sku": sku, "qty": qty,
                   "unit_price_fen": 100, "discount_fen": 0, "tax_rate": "0.13", "tax_fen": 0, "total_fen": 100}
                  for i, (sku, qty) in enumerate(lines)] +
                 [{"line_id": "lab", "kind": "labour", "description": "保养", "qty": 1, "unit_price_fen": 10000,
                   "discount_fen": 0, "tax_rate": "0.06", "tax_fen": 0, "total_fen": 10000}]})


def work_order_completed(order_id, used, store_id=S1):
    return envelope("workshop.work_order_completed", {
        "work_order_id": f"wo-{order_id}", "order_id": order_id, "store_id": store_id, "customer_id": "c",
        "jobs": [], "comeback": False, "completed_at": datetime.now(timezone.utc).isoformat(),
        "parts_used": [{"sku": sku, "qty": qty} for sku, qty in used]})


def new_part(service, sku=None, **extra) -> dict:
    body = {"sku": sku or f"P-{uuid.uuid4().hex[:8]}", "name": "机油滤清器", "brand": "曼牌", "category": "filter",
            "unit": "piece", "list_price_fen": 8800, **extra}
    return inv(service, HQ).create_part(body)


def supplier(session) -> dict:
    return inv(session, HQ).create_supplier({"code": f"SUP-{uuid.uuid4().hex[:6]}", "name": "广州汽配批发"})


def receive(session, sku, qty, unit_cost_fen, store_id=S1, caller=MANAGER, **line_extra) -> dict:
    """Order and receive `qty` of `sku` in one go (a PO placed at once)."""
    service = inv(session, caller)
    po = service.create_purchase_order({"store_id": store_id, "supplier_id": supplier(session)["id"], "submit": True,
                                        "lines": [{"sku": sku, "qty": qty, "unit_cost_fen": unit_cost_fen}]})
    service.receive_purchase_order(po["id"], {"lines": [{"sku": sku, "qty": qty, **line_extra}]})
    return po


def stock(session, sku, store_id=S1, caller=HQ) -> dict:
    [line] = inv(session, caller).list_stock({"store_id": store_id, "sku": sku})["items"]
    return line


def wire(fields: dict) -> dict:
    """Error fields as a client sees them (JSON object keys are strings)."""
    return json.loads(json.dumps(fields))


def assert_ledger_ok(session):
    result = inv(session, HQ).check_ledger({})
    assert result["ok"], result["problems"]
    return result


# -- catalogue -----------------------------------------------------------------------------------------
def test_sku_is_unique_in_the_chain_and_searchable_by_oe_number_barcode_and_name(session):
    part = new_part(session, "oil-5w30-4l", name="全合成机油 5W-30", oe_number="A0009899301", barcode="6901234567892",
                    unit="bottle", category="oil", batch_tracked=True)
    assert part["sku"] == "OIL-5W30-4L" and part["tax_rate"] == "0.13"
    with pytest.raises(Conflict) as duplicate:
        new_part(session, "OIL-5W30-4L")
    assert "sku" in duplicate.value.fields
    service = inv(session)
    for q in ("oil-5w30-4l", "A0009899301", "6901234567892", "全合成"):
        assert [p["id"] for p in service.list_parts({"q": q})["items"]] == [part["id"]]
    with pytest.raises(Invalid) as bad:
        service.create_part({"sku": "X", "name": "x", "category": "c", "list_price_fen": -1, "unit": "bucket"})
    assert {"list_price_fen", "unit"} <= set(bad.value.fields)
    with pytest.raises(Invalid):
        service.update_part(part["id"], {"sku": "OTHER"})


# -- purchasing ----------------------------------------------------------------------------------------
def test_receipts_raise_stock_and_update_moving_average_cost(session):
    sku = new_part(session)["sku"]
    service = inv(session)
    po = service.create_purchase_order({"store_id": S1, "supplier_id": supplier(session)["id"],
                                        "lines": [{"sku": sku, "qty": 10, "unit_cost_fen": 1000}]})
    assert po["status"] == "draft" and po["total_fen"] == 10000
    with pytest.raises(Conflict):  # a draft is not received
        service.receive_purchase_order(po["id"], {"lines": [{"sku": sku, "qty": 1}]})
    assert service.place_purchase_order(po["id"])["status"] == "ordered"
    assert stock(session, sku)["on_order"] == 10

    first = service.receive_purchase_order(po["id"], {"lines": [{"sku": sku, "qty": 4}], "delivery_note": "DN-1"})
    assert first["lines"][0]["unit_cost_fen"] == 1000
    assert service.get_purchase_order(po["id"])["status"] == "partially_received"
    service.receive_purchase_order(po["id"], {"lines": [{"sku": sku, "qty": 6, "unit_cost_fen": 1300}]})
    level = stock(session, sku)
    assert service.get_purchase_order(po["id"])["status"] == "received"
    assert (level["on_hand"], level["on_order"], level["value_fen"]) == (10, 0, 4 * 1000 + 6 * 1300)
    assert level["avg_cost_fen"] == 1180
    kinds = [m["kind"] for m in service.list_movements({"store_id": S1, "sku": sku})["items"]]
    assert kinds == ["receipt", "receipt"]
    assert_ledger_ok(session)


def test_receiving_more_than_ordered_is_refused_and_changes_nothing(session):
    sku = new_part(session)["sku"]
    service = inv(session)
    po = service.create_purchase_order({"store_id": S1, "supplier_id": supplier(session)["id"], "submit": True,
                                        "lines": [{"sku": sku, "qty": 5, "unit_cost_fen": 1000}]})
    with pytest.raises(Conflict) as over:
        service.receive_purchase_order(po["id"], {"lines": [{"sku": sku, "qty": 6}]})
    assert "more than ordered" in over.value.message
    with pytest.raises(Invalid) as negative:
        service.receive_purchase_order(po["id"], {"lines": [{"sku": sku, "qty": -1}]})
    assert "qty" in wire(negative.value.fields)["lines"]["0"]
    with pytest.raises(Invalid) as not_on_po:
        service.receive_purchase_order(po["id"], {"lines": [{"sku": "NOPE", "qty": 1}]})
    assert "sku" in not_on_po.value.fields["lines"]["0"]
    level = stock(session, sku)
    assert (level["on_hand"], level["on_order"]) == (0, 5)
    assert service.get_purchase_order(po["id"])["status"] == "ordered"
    assert session.scalars(select(Movement)).all() == []

    lenient = service.create_purchase_order({"store_id": S1, "supplier_id": supplier(session)["id"], "submit": True,
                                             "allow_over_receipt": True,
                                             "lines": [{"sku": sku, "qty": 5, "unit_cost_fen": 1000}]})
    service.receive_purchase_order(lenient["id"], {"lines": [{"sku": sku, "qty": 6}]})
    assert stock(session, sku)["on_hand"] == 6


def test_unknown_skus_and_suppliers_are_named_in_the_error(session):
    service = inv(session)
    with pytest.raises(Invalid) as unknown:
        service.create_purchase_order({"store_id": S1, "supplier_id": supplier(session)["id"],
                                       "lines": [{"sku": "GHOST-1", "qty": 1, "unit_cost_fen": 1}]})
    assert "GHOST-1" in unknown.value.fields["lines"]["0"]["sku"][0]
    with pytest.raises(Invalid) as no_supplier:
        service.create_purchase_order({"store_id": S1, "supplier_id": "nope",
                                       "lines": [{"sku": new_part(session)["sku"], "qty": 1, "unit_cost_fen": 1}]})
    assert "supplier_id" in no_supplier.value.fields


def test_staff_work_only_in_their_own_stores(session):
    sku = new_part(session)["sku"]
    po = receive(session, sku, 3, 500)
    with pytest.raises(Forbidden):
        inv(session, MANAGER_2).get_purchase_order(po["id"])
    with pytest.raises(Forbidden):
        inv(session, MANAGER).list_stock({"store_id": S2})
    with pytest.raises(Forbidden):
        inv(session, MANAGER).create_purchase_order({"store_id": S2, "supplier_id": supplier(session)["id"],
                                                     "lines": [{"sku": sku, "qty": 1, "unit_cost_fen": 1}]})
    with pytest.raises(NotFound):
        inv(session).get_purchase_order("missing")


# -- reservations --------------------------------------------------------------------------------------
def test_confirmed_order_reserves_its_parts(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 5, 1000)
    inv(session, SYSTEM).on_order_confirmed(order_confirmed("o1", [(sku, 2), (sku, 1)]))
    level = stock(session, sku)
    assert (level["on_hand"], level["reserved"], level["available"]) == (5, 3, 2)
    [reserved] = events(session, "stock_reserved")
    assert reserved["payload"]["lines"] == [{"sku": sku, "qty_requested": 3, "qty_reserved": 3, "qty_short": 0}]
    assert reserved["store_id"] == S1


def test_short_order_reserves_what_there_is_and_receipt_fills_earliest_promise_first(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 2, 1000)
    soon = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    later = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    system = inv(session, SYSTEM)
    system.on_order_confirmed(order_confirmed("late", [(sku, 3)], promised_at=later))
    system.on_order_confirmed(order_confirmed("early", [(sku, 2)], promised_at=soon))
    shortages = events(session, "stock_shortage")
    assert [e["payload"]["order_id"] for e in shortages] == ["late", "early"]
    assert shortages[0]["payload"]["lines"][0] == {"sku": sku, "qty_requested": 3, "qty_reserved": 2,
                                                   "qty_short": 1}
    assert shortages[1]["payload"]["lines"][0]["qty_reserved"] == 0
    waiting = inv(session).list_reservations({"store_id": S1, "waiting": True})["items"]
    assert {r["order_id"] for r in waiting} == {"late", "early"}

    receive(session, sku, 2, 1000)  # enough for "early" (promised sooner), not yet for "late"
    assert [e["payload"]["order_id"] for e in events(session, "stock_reserved")] == ["early"]
    receive(session, sku, 1, 1000)
    assert [e["payload"]["order_id"] for e in events(session, "stock_reserved")] == ["early", "late"]
    level = stock(session, sku)
    assert (level["on_hand"], level["reserved"], level["available"]) == (5, 5, 0)
    assert_ledger_ok(session)


def test_completed_work_order_issues_used_parts_at_cost_and_releases_the_rest(session):
    filter_sku, oil_sku = new_part(session)["sku"], new_part(session, category="oil", unit="litre")["sku"]
    receive(session, filter_sku, 4, 1000)
    receive(session, filter_sku, 2, 1300)  # average (4×1000 + 2×1300) / 6 = 1100
    receive(session, oil_sku, 10, 4500)
    system = inv(session, SYSTEM)
    system.on_order_confirmed(order_confirmed("o9", [(filter_sku, 2), (oil_sku, 4.5)]))
    system.on_work_order_completed(work_order_completed("o9", [(filter_sku, 1), (oil_sku, 4.2)]))

    [issued] = events(session, "stock_issued")
    payload = issued["payload"]
    assert payload["order_id"] == "o9" and payload["work_order_id"] == "wo-o9"
    lines = {line["sku"]: line for line in payload["lines"]}
    assert lines[filter_sku] == {"sku": filter_sku, "qty": 1, "unit_cost_fen": 1100, "cost_fen": 1100}
    assert lines[oil_sku]["qty"] == 4.2 and lines[oil_sku]["cost_fen"] == 18900
    assert payload["cost_fen"] == 1100 + 18900
    filt, oil = stock(session, filter_sku), stock(session, oil_sku)
    assert (filt["on_hand"], filt["reserved"], filt["value_fen"]) == (5, 0, 6 * 1100 - 1100)
    assert (oil["on_hand"], oil["reserved"]) == (5.8, 0)
    statuses = {r["sku"]: r["status"] for r in inv(session).list_reservations({"store_id": S1, "order_id": "o9"})[
        "items"]}
    assert statuses == {filter_sku: "issued", oil_sku: "issued"}
    system.on_work_order_completed(work_order_completed("o9", [(filter_sku, 1)]))  # a second completion: no-op
    assert len(events(session, "stock_issued")) == 1
    assert_ledger_ok(session)


def test_unused_reservation_is_released_to_a_waiting_order(session):
    a, b = new_part(session)["sku"], new_part(session)["sku"]
    receive(session, a, 1, 1000)
    receive(session, b, 1, 1000)
    system = inv(session, SYSTEM)
    system.on_order_confirmed(order_confirmed("first", [(a, 1), (b, 1)]))
    system.on_order_confirmed(order_confirmed("second", [(b, 1)]))
    assert events(session, "stock_shortage")[0]["payload"]["order_id"] == "second"
    system.on_work_order_completed(work_order_completed("first", [(a, 1)]))  # b was not needed after all
    assert [e["payload"]["order_id"] for e in events(session, "stock_reserved")] == ["first", "second"]
    assert stock(session, b)["reserved"] == 1


def test_cancelled_order_releases_everything(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 3, 1000)
    system = inv(session, SYSTEM)
    system.on_order_confirmed(order_confirmed("o-c", [(sku, 3)]))
    assert stock(session, sku)["available"] == 0
    system.on_order_cancelled(envelope("sales.order_cancelled", {
        "order_id": "o-c", "store_id": S1, "reason": "客户取消",
        "cancelled_at": datetime.now(timezone.utc).isoformat()}))
    level = stock(session, sku)
    assert (level["reserved"], level["available"]) == (0, 3)
    assert inv(session).list_reservations({"store_id": S1, "order_id": "o-c"})["items"][0]["status"] == "released"
    assert_ledger_ok(session)


def test_a_redelivered_event_reserves_once(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 5, 1000)
    event = order_confirmed("o-dup", [(sku, 2)])
    inv(session, SYSTEM).on_order_confirmed(event)
    inv(session, SYSTEM).on_order_confirmed(event)
    assert stock(session, sku)["reserved"] == 2
    assert len(events(session, "stock_reserved")) == 1


def test_stock_low_is_published_once_per_crossing(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 10, 1000)
    inv(session).configure_stock({"store_id": S1, "sku": sku, "reorder_point": 5, "reorder_qty": 20})
    system = inv(session, SYSTEM)
    system.on_order_confirmed(order_confirmed("a", [(sku, 6)]))  # available 4 < 5: crossing
    system.on_order_confirmed(order_confirmed("b", [(sku, 1)]))  # still below: no second signal
    [low] = events(session, "stock_low")
    assert low["payload"] == {"store_id": S1, "sku": sku, "available": 4, "reorder_point": 5, "reorder_qty": 20,
                              "on_hand": 10, "on_order": 0}
    assert [s["sku"] for s in inv(session).list_stock({"store_id": S1, "below_reorder": True})["items"]] == [sku]
    receive(session, sku, 10, 1000)  # back above: re-armed
    system.on_order_confirmed(order_confirmed("c", [(sku, 10)]))  # below again: a new crossing
    assert len(events(session, "stock_low")) == 2


# -- adjustments ---------------------------------------------------------------------------------------
def test_adjustments_cannot_take_reserved_or_missing_stock(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 3, 1000)
    inv(session, SYSTEM).on_order_confirmed(order_confirmed("r", [(sku, 2)]))
    service = inv(session)
    with pytest.raises(Conflict):
        service.adjust_stock({"store_id": S1, "sku": sku, "qty": -2, "reason": "damaged"})
    [movement] = service.adjust_stock({"store_id": S1, "sku": sku, "qty": -1, "reason": "damaged"})["items"]
    assert movement["kind"] == "adjustment" and movement["value_fen"] == -1000
    with pytest.raises(Invalid):
        service.adjust_stock({"store_id": S1, "sku": sku, "qty": 0, "reason": "damaged"})
    assert_ledger_ok(session)


def test_stock_worth_more_than_the_largest_amount_is_refused_not_overflowed(session):
    """A level worth more than the largest amount (¥10,000,000.00) is refused (422) before the database's integer
    overflows: the fuzzer's 268,435.457 units found, at ¥5,000.00 each, answered 500."""
    sku = new_part(session)["sku"]
    receive(session, sku, 1, 500_000)  # ¥5,000.00 each
    service = inv(session)
    with pytest.raises(Invalid) as refused:
        service.adjust_stock({"store_id": S1, "sku": sku, "qty": "268435.457", "reason": "found"})
    assert refused.value.code == "stock_value_too_large" and refused.value.params["max_fen"] == "1000000000"
    [movement] = service.adjust_stock({"store_id": S1, "sku": sku, "qty": 1, "reason": "found"})["items"]
    assert movement["on_hand_after"] == 2
    assert_ledger_ok(session)


# -- transfers -----------------------------------------------------------------------------------------
def test_transfer_moves_goods_and_cost_and_records_the_discrepancy(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 10, 1200, store_id=S2, caller=MANAGER_2)
    requested = inv(session, MANAGER).request_transfer({"from_store_id": S2, "to_store_id": S1,
                                                        "lines": [{"sku": sku, "qty": 5}]})
    assert requested["status"] == "requested"
    with pytest.raises(Forbidden):  # the requesting store does not ship for the other one
        inv(session, MANAGER).ship_transfer(requested["id"], {})
    shipped = inv(session, MANAGER_2).ship_transfer(requested["id"], {})
    assert shipped["status"] == "shipped" and shipped["lines"][0]["shipped_value_fen"] == 6000
    assert stock(session, sku, S2)["on_hand"] == 5
    with pytest.raises(Invalid):
        inv(session, MANAGER).receive_transfer(requested["id"], {"lines": [{"sku": sku, "qty": 6}]})
    received = inv(session, MANAGER).receive_transfer(requested["id"], {"lines": [{"sku": sku, "qty": 4}],
                                                                         "notes": "一件破损"})
    line = received["lines"][0]
    assert received["status"] == "partially_received"
    assert (line["qty_received"], line["discrepancy_qty"], line["discrepancy_value_fen"]) == (4, 1, 1200)
    here = stock(session, sku, S1)
    assert (here["on_hand"], here["value_fen"], here["avg_cost_fen"]) == (4, 4800, 1200)
    with pytest.raises(Conflict):
        inv(session, MANAGER).receive_transfer(requested["id"], {})
    assert_ledger_ok(session)


def test_shipping_more_than_is_free_is_refused(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 2, 1000, store_id=S2, caller=MANAGER_2)
    transfer = inv(session).request_transfer({"from_store_id": S2, "to_store_id": S1,
                                              "lines": [{"sku": sku, "qty": 3}]})
    with pytest.raises(Conflict) as short:
        inv(session, MANAGER_2).ship_transfer(transfer["id"], {})
    assert "available" in short.value.message
    assert stock(session, sku, S2)["on_hand"] == 2
    with pytest.raises(Invalid):
        inv(session).request_transfer({"from_store_id": S1, "to_store_id": S1, "lines": [{"sku": sku, "qty": 1}]})


# -- stocktakes ----------------------------------------------------------------------------------------
def test_stocktake_posts_variances_against_stock_at_count_time(session):
    counted, moving, untouched = (new_part(session)["sku"], new_part(session)["sku"],
                                  new_part(session, category="tyre")["sku"])
    receive(session, counted, 10, 1000)
    receive(session, moving, 8, 500)
    receive(session, untouched, 4, 30000)
    service = inv(session)
    take = service.open_stocktake({"store_id": S1, "category": "filter"})
    assert {line["sku"] for line in take["lines"]} == {counted, moving}
    with pytest.raises(Conflict):  # the same stock cannot be counted twice at once
        service.open_stocktake({"store_id": S1})

    service.record_counts(take["id"], {"counts": [{"sku": counted, "qty": 6, "location": "A1"}], "counter": "张三"})
    service.record_counts(take["id"], {"counts": [{"sku": counted, "qty": 3, "location": "B2"}], "counter": "李四"})
    service.record_counts(take["id"], {"counts": [{"sku": counted, "qty": 2, "location": "B2"}], "counter": "李四"})
    service.record_counts(take["id"], {"counts": [{"sku": moving, "qty": 7}]})
    receive(session, moving, 5, 500)  # goods arrive after the count: not a variance
    with pytest.raises(Invalid):  # outside the counted category
        service.record_counts(take["id"], {"counts": [{"sku": untouched, "qty": 1}]})

    posted = service.post_stocktake(take["id"], {})
    lines = {line["sku"]: line for line in posted["lines"]}
    assert (lines[counted]["qty_counted"], lines[counted]["variance_qty"]) == (8, -2)  # 6 + 2 (李四 recounted)
    assert lines[counted]["variance_value_fen"] == -2000
    assert (lines[moving]["variance_qty"], lines[moving]["variance_value_fen"]) == (-1, -500)
    assert posted["variance_value_fen"] == -2500 and posted["status"] == "posted"
    assert stock(session, counted)["on_hand"] == 8 and stock(session, moving)["on_hand"] == 12
    assert stock(session, untouched)["on_hand"] == 4
    kinds = {m["kind"] for m in service.list_movements({"store_id": S1, "reference_id": take["id"]})["items"]}
    assert kinds == {"stocktake_variance"}
    with pytest.raises(Conflict):
        service.post_stocktake(take["id"], {})
    assert_ledger_ok(session)


def test_a_count_below_reservations_gives_way_to_the_earliest_promise(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 4, 1000)
    system = inv(session, SYSTEM)
    system.on_order_confirmed(order_confirmed("soon", [(sku, 2)], promised_at="2026-01-01T09:00:00+08:00"))
    system.on_order_confirmed(order_confirmed("later", [(sku, 2)], promised_at="2026-01-05T09:00:00+08:00"))
    service = inv(session)
    take = service.open_stocktake({"store_id": S1})
    service.record_counts(take["id"], {"counts": [{"sku": sku, "qty": 3}]})
    service.post_stocktake(take["id"], {})
    [shortage] = events(session, "stock_shortage")
    assert shortage["payload"]["order_id"] == "later" and shortage["payload"]["lines"][0]["qty_short"] == 1
    level = stock(session, sku)
    assert (level["on_hand"], level["reserved"]) == (3, 3)
    assert_ledger_ok(session)


# -- batches, valuation, reports -----------------------------------------------------------------------
def test_batches_are_issued_first_expiry_first_out_and_listed_when_expiring(session):
    sku = new_part(session, category="oil", unit="litre", batch_tracked=True)["sku"]
    soon, later = date.today() + timedelta(days=20), date.today() + timedelta(days=400)
    with pytest.raises(Invalid) as missing:
        receive(session, sku, 1, 1000)
    assert "batch_no" in missing.value.fields["lines"]["0"]
    receive(session, sku, 5, 1000, batch_no="B-LATE", expiry_date=later.isoformat())
    receive(session, sku, 3, 1000, batch_no="B-SOON", expiry_date=soon.isoformat())
    expiring = inv(session).expiring_batches({"store_id": S1, "days": 30})["items"]
    assert [(b["batch_no"], b["qty_on_hand"]) for b in expiring] == [("B-SOON", 3)]

    inv(session, SYSTEM).on_order_confirmed(order_confirmed("oil", [(sku, 4)]))
    inv(session, SYSTEM).on_work_order_completed(work_order_completed("oil", [(sku, 4)]))
    issued = inv(session).list_movements({"store_id": S1, "sku": sku, "kind": "issue"})["items"]
    assert sorted((m["batch_no"], m["qty"]) for m in issued) == [("B-LATE", -1), ("B-SOON", -3)]
    assert inv(session).expiring_batches({"store_id": S1, "days": 30})["items"] == []
    assert_ledger_ok(session)


def test_valuation_per_store_and_slow_movers(session):
    fast, slow = new_part(session)["sku"], new_part(session, category="tyre")["sku"]
    receive(session, fast, 10, 1000)
    receive(session, slow, 2, 50000)
    receive(session, fast, 1, 2000, store_id=S2, caller=MANAGER_2)
    inv(session, SYSTEM).on_order_confirmed(order_confirmed("v", [(fast, 1)]))
    inv(session, SYSTEM).on_work_order_completed(work_order_completed("v", [(fast, 1)]))
    old = datetime.now(timezone.utc) - timedelta(days=200)
    for level in session.scalars(select(StockLevel)):
        level.last_receipt_at = old
    session.commit()

    chain = inv(session, HQ).valuation({})
    assert {s["store_id"]: s["value_fen"] for s in chain["stores"]} == {S1: 9000 + 100000, S2: 2000}
    assert chain["value_fen"] == 111000
    mine = inv(session).valuation({})
    assert [s["store_id"] for s in mine["stores"]] == [S1]
    assert {c["category"]: c["value_fen"] for c in mine["stores"][0]["categories"]} == {"filter": 9000,
                                                                                         "tyre": 100000}
    slow_movers = inv(session).slow_movers({"store_id": S1, "days": 90})["items"]
    assert [m["sku"] for m in slow_movers] == [slow]


def test_ledger_check_finds_a_level_that_does_not_match_its_movements(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 5, 1000)
    level = session.scalars(select(StockLevel)).one()
    level.on_hand = Decimal("6")
    session.commit()
    result = inv(session, HQ).check_ledger({})
    assert not result["ok"]
    assert result["problems"][0]["problem"] == "on_hand differs from the sum of movements"
    with pytest.raises(Forbidden):
        inv(session).check_ledger({})


def test_availability_gives_store_price_and_free_stock_for_quoting(session):
    sku = new_part(session, list_price_fen=8800)["sku"]
    receive(session, sku, 3, 1000)
    inv(session).configure_stock({"store_id": S1, "sku": sku, "price_override_fen": 7900})
    inv(session, SYSTEM).on_order_confirmed(order_confirmed("q", [(sku, 1)]))
    [known, unknown] = inv(session).availability({"store_id": S1, "skus": [sku, "nope"]})
    assert (known["price_fen"], known["available"], known["tax_rate"]) == (7900, 2, "0.13")
    assert unknown == {**unknown, "known": False, "available": 0}


def test_quote_parts_prices_every_sku_of_a_request_in_one_call(session):
    sku = new_part(session, list_price_fen=8800)["sku"]
    receive(session, sku, 4, 3000)
    inv(session).configure_stock({"store_id": S1, "sku": sku, "price_override_fen": 8500})
    answer = inv(session).quote_parts(S1, [sku.lower(), "GHOST"])
    [item] = answer["items"]
    assert answer["unknown"] == ["GHOST"]
    assert (item["sku"], item["catalogue_sku"]) == (sku.lower(), sku)
    assert (item["unit_price_fen"], item["cost_fen"], item["available"]) == (8500, 3000, 4) and "in_stock" not in item
    with pytest.raises(Forbidden):
        inv(session).quote_parts(S2, [sku])


def test_reorder_suggestions_count_what_is_already_on_order(session):
    short, covered, fine = new_part(session)["sku"], new_part(session)["sku"], new_part(session)["sku"]
    for sku in (short, covered, fine):
        receive(session, sku, 3, 1500)
        inv(session).configure_stock({"store_id": S1, "sku": sku, "reorder_point": 5, "reorder_qty": 10})
    receive(session, fine, 5, 1500)
    inv(session).create_purchase_order({"store_id": S1, "supplier_id": supplier(session)["id"], "submit": True,
                                        "lines": [{"sku": covered, "qty": 4, "unit_cost_fen": 1600}]})
    [suggestion] = inv(session).reorder_suggestions({"store_id": S1})["items"]
    assert (suggestion["sku"], suggestion["suggested_qty"], suggestion["last_unit_cost_fen"]) == (short, 10, 1500)
    assert suggestion["last_supplier_id"]


def test_goods_in_transit_are_valued_at_the_receiving_store_until_received(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 4, 2500, store_id=S2, caller=MANAGER_2)
    transfer = inv(session).request_transfer({"from_store_id": S2, "to_store_id": S1,
                                              "lines": [{"sku": sku, "qty": 2}]})
    inv(session, MANAGER_2).ship_transfer(transfer["id"], {})
    chain = inv(session, HQ).valuation({})
    stores = {s["store_id"]: s for s in chain["stores"]}
    assert (stores[S2]["value_fen"], stores[S1]["in_transit_fen"], chain["in_transit_fen"]) == (5000, 5000, 5000)
    inv(session).receive_transfer(transfer["id"], {})
    stores = {s["store_id"]: s for s in inv(session, HQ).valuation({})["stores"]}
    assert (stores[S1]["value_fen"], stores[S1]["in_transit_fen"]) == (5000, 0)


def test_batches_travel_with_a_transfer_and_keep_their_expiry(session):
    sku = new_part(session, category="oil", unit="litre", batch_tracked=True)["sku"]
    soon, later = date.today() + timedelta(days=60), date.today() + timedelta(days=600)
    receive(session, sku, 2, 4000, store_id=S2, caller=MANAGER_2, batch_no="OLD", expiry_date=soon.isoformat())
    receive(session, sku, 5, 4600, store_id=S2, caller=MANAGER_2, batch_no="NEW", expiry_date=later.isoformat())
    transfer = inv(session).request_transfer({"from_store_id": S2, "to_store_id": S1,
                                              "lines": [{"sku": sku, "qty": 4}]})
    inv(session, MANAGER_2).ship_transfer(transfer["id"], {})
    inv(session).receive_transfer(transfer["id"], {"lines": [{"sku": sku, "qty": 3}]})
    here = inv(session).expiring_batches({"store_id": S1, "days": 3650})["items"]
    assert [(b["batch_no"], b["expiry_date"], b["qty_on_hand"]) for b in here] == [
        ("OLD", soon.isoformat(), 2), ("NEW", later.isoformat(), 1)]
    there = inv(session, MANAGER_2).expiring_batches({"store_id": S2, "days": 3650})["items"]
    assert [(b["batch_no"], b["qty_on_hand"]) for b in there] == [("NEW", 3)]
    assert_ledger_ok(session)


def test_parts_used_beyond_the_reservation_come_from_free_stock_and_the_rest_is_reported(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 3, 1000)
    system = inv(session, SYSTEM)
    system.on_order_confirmed(order_confirmed("extra", [(sku, 1), ("NOT-IN-CATALOGUE", 2)]))
    [shortage] = events(session, "stock_shortage")
    assert {"sku": "NOT-IN-CATALOGUE", "qty_requested": 2, "qty_reserved": 0, "qty_short": 2} in shortage[
        "payload"]["lines"]
    system.on_work_order_completed(work_order_completed("extra", [(sku, 5)]))
    [line] = events(session, "stock_issued")[0]["payload"]["lines"]
    assert (line["qty"], line["qty_unissued"], line["cost_fen"]) == (3, 2, 3000)
    assert stock(session, sku)["on_hand"] == 0
    assert_ledger_ok(session)


def test_parts_are_found_by_any_part_of_name_sku_brand_oe_number_or_pinyin_initials(session):
    brake = new_part(session, "BRK-PAD-FR", name="前刹车片（陶瓷）", brand="博世", oe_number="04465-33450")
    oil = new_part(session, "OIL-5W30-4L", name="全合成机油 5W-30 4L", brand="美孚", oe_number="A0009899301")
    filter_ = new_part(session, "FLT-CABIN", name="空调滤芯 活性炭", brand="曼牌")
    service = inv(session)

    def found(q: str) -> set[str]:
        return {p["id"] for p in service.list_parts({"q": q})["items"]}

    assert session.get(Part, brake["id"]).name_initials == "qscp tc"  # kept with the name
    for q, wanted in (("scp", brake), ("刹车片", brake), ("博世", brake), ("PAD", brake), ("33450", brake),
                      ("5w-30", oil), ("9899", oil), ("qhcjy", oil), ("美孚", oil), ("滤芯", filter_),
                      ("ktlx", filter_), ("cabin", filter_)):
        assert found(q) == {wanted["id"]}, q
    assert found("%") == found("_") == set()
    changed = inv(session, HQ).update_part(filter_["id"], {"name": "空气滤清器"})
    assert changed["name"] == "空气滤清器" and found("kqlq") == {filter_["id"]} and found("ktlx") == set()


def test_counters_count_blind_while_managers_see_the_books(session):
    sku = new_part(session, name="刹车片 前")["sku"]
    receive(session, sku, 6, 1000)
    take = inv(session).open_stocktake({"store_id": S1})
    technician = Caller(user_id="t1", role="technician", store_ids=frozenset({S1}))
    counted = inv(session, technician).record_counts(take["id"], {"counts": [{"sku": sku, "qty": 5}]})
    [line] = counted["lines"]
    assert counted["blind"] and line["qty_at_open"] is None and line["counts"][0]["qty_book"] is None
    assert line["qty_counted"] == 5 and line["counts"][0]["counter_id"] == "t1"
    [managed] = inv(session).get_stocktake(take["id"])["lines"]
    assert (managed["qty_at_open"], managed["counts"][0]["qty_book"]) == (6, 6)
    assert [s["sku"] for s in inv(session).list_stock({"store_id": S1, "q": "刹车"})["items"]] == [sku]


def test_a_cancellation_handled_before_its_confirmation_leaves_nothing_reserved(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 3, 1000)
    system = inv(session, SYSTEM)
    system.on_order_cancelled(envelope("sales.order_cancelled", {
        "order_id": "early-cancel", "store_id": S1, "reason": "客户取消",
        "cancelled_at": datetime.now(timezone.utc).isoformat()}))
    system.on_order_confirmed(order_confirmed("early-cancel", [(sku, 2)]))
    assert stock(session, sku)["reserved"] == 0
    assert inv(session).list_reservations({"store_id": S1, "order_id": "early-cancel"})["items"] == []
    assert events(session, "stock_reserved") == events(session, "stock_shortage") == []


def test_a_keeper_releases_a_stuck_reservation_and_the_waiting_order_gets_it(session):
    sku = new_part(session)["sku"]
    receive(session, sku, 1, 1000)
    system = inv(session, SYSTEM)
    system.on_order_confirmed(order_confirmed("stuck", [(sku, 1)]))
    system.on_order_confirmed(order_confirmed("waiting", [(sku, 1)]))
    [stuck] = inv(session).list_reservations({"store_id": S1, "order_id": "stuck"})["items"]
    with pytest.raises(Forbidden):
        inv(session, MANAGER_2).release_reservation(stuck["id"])
    assert inv(session).release_reservation(stuck["id"])["status"] == "released"
    assert [e["payload"]["order_id"] for e in events(session, "stock_reserved")] == ["stuck", "waiting"]
    with pytest.raises(Conflict):
        inv(session).release_reservation(stuck["id"])
    assert_ledger_ok(session)
