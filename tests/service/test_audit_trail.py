"""The audit trail of money and stock writes, per owning service (worker_factory + SQLite): every
kind of write leaves one row naming who (user, role; for event-driven writes the user whose request
caused the event, and the event), what (action, document, amounts and quantities) and the request
id; a write that fails or rolls back leaves none; a document is listed only to its stores and HQ."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from services.common.audit import AUDIT_TRAIL
from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, Invalid
from services.finance.domain import ledger
from services.finance.models import Base as FinanceBase
from services.finance.service import FinanceService
from services.inventory.models import Base as InventoryBase
from services.inventory.service import InventoryService
from services.sales.models import Base as SalesBase
from services.sales.service import SalesService
from tests.service import test_finance_service as fin
from tests.service import test_inventory_service as inv
from tests.service import test_sales_service as sal
from tests.support.service import sqlite_session

ADVISOR = {"user_id": "adv-9", "role": "service_advisor"}


def trail(service, document_type: str, document_id: str, **query) -> list[dict]:
    return service.list_audit({"document_type": document_type, "document_id": document_id, **query})["items"]


def who(entry: dict) -> tuple:
    return entry["action"], entry["user_id"], entry["role"], entry["request_id"]


def audit_rows(session) -> int:
    return session.scalar(select(func.count()).select_from(AUDIT_TRAIL))


def caused_by(envelope: dict, actor: dict, request_id: str) -> dict:
    return {**envelope, "actor": actor, "request_id": request_id}


# -- finance ------------------------------------------------------------------------------------------
@pytest.fixture
def finance_db():
    session = sqlite_session(FinanceBase.metadata, "finance", fin.CASHIER.to_context())
    yield session
    session.close()


def finance(session, caller=fin.CASHIER):
    return worker_factory(FinanceService, db=session, caller=caller)


def issued_invoice(session, deposit=None, **kwargs) -> dict:
    """The contract's event (caused by an advisor's request) and the work order's (no actor)."""
    confirmed = fin.order(deposit=deposit, **kwargs)
    handler = finance(session, fin.SYSTEM)
    handler.on_order_confirmed(caused_by(fin.envelope("sales.order_confirmed", confirmed), ADVISOR, "r-contract"))
    handler.on_work_order_completed(fin.envelope("workshop.work_order_completed", fin.completed(confirmed)))
    [invoice] = finance(session, fin.HQ).list_invoices({"order_id": confirmed["order_id"]})["items"]
    return invoice


def test_payments_refunds_and_card_use_are_audited_on_the_invoice_and_the_card(finance_db):
    invoice = issued_invoice(finance_db)
    card = fin.stored_value_card(finance_db, amount=50_000, bonus=0)
    paid = finance(finance_db).take_payment(invoice["id"], {"method": "wechat", "amount_fen": 30_000})["payment"]
    finance(finance_db).take_payment(invoice["id"], {"method": "stored_value", "amount_fen": 21_000,
                                                     "card_id": card["id"]})
    manager = Caller(user_id="manager-1", role="store_manager", store_ids=frozenset({fin.STORE}), request_id="r-9")
    refund = finance(finance_db, manager).refund_payment(paid["id"], {"amount_fen": 5_000, "reason": "返工"})

    refunded, second, first, issued = trail(finance(finance_db, manager), "invoice", invoice["id"])
    assert who(issued)[:2] == ("invoice_issued", None) and issued["event_id"]
    assert issued["details"]["total_fen"] == 51_000 and issued["store_id"] == fin.STORE
    assert who(first) == ("payment_taken", "cashier-1", "cashier", "r-1") and first["event_id"] is None
    assert first["details"] == {"payment_id": paid["id"], "method": "wechat", "amount_fen": 30_000, "card_id": None,
                                "before": {"paid_fen": 0, "status": "issued"},
                                "after": {"paid_fen": 30_000, "status": "partially_paid"}}
    assert second["details"]["after"] == {"paid_fen": 51_000, "status": "paid"}
    assert who(refunded) == ("refund_issued", "manager-1", "store_manager", "r-9")
    assert refunded["details"]["refund_id"] == refund["id"] and refunded["details"]["amount_fen"] == 5_000
    assert refunded["details"]["payment_refunded_fen"] == {"before": 0, "after": 5_000}

    charged, topped_up, opened = trail(finance(finance_db), "member_card", card["id"])
    assert [entry["action"] for entry in (opened, topped_up, charged)] == ["card_issued", "card_topped_up",
                                                                           "card_charged"]
    assert topped_up["details"]["balance_fen"] == {"before": 0, "after": 50_000}
    assert charged["details"]["amount_fen"] == 21_000 and charged["details"]["balance_after_fen"] == 29_000


def test_an_event_driven_write_names_the_user_whose_request_caused_it_and_the_event(finance_db):
    confirmed = fin.order(deposit={"amount_fen": 8_000, "method": "cash", "reference": None})
    event = caused_by(fin.envelope("sales.order_confirmed", confirmed), ADVISOR, "r-contract")
    finance(finance_db, fin.SYSTEM).on_order_confirmed(event)
    finance(finance_db, fin.SYSTEM).on_order_cancelled(fin.envelope("sales.order_cancelled", {
        "order_id": confirmed["order_id"], "store_id": fin.STORE, "reason": "customer",
        "cancelled_at": datetime.now(timezone.utc).isoformat()}))
    [deposit] = finance(finance_db).list_payments({})["items"]
    returned, taken = trail(finance(finance_db), "deposit", deposit["id"])
    assert who(taken) == ("deposit_taken", "adv-9", "service_advisor", "r-contract")
    assert taken["event_id"] == event["event_id"] and taken["details"]["amount_fen"] == 8_000
    assert who(returned) == ("deposit_refunded", None, None, None) and returned["event_id"]


def test_void_reissue_card_cancel_expense_close_and_settlement_are_audited(finance_db):
    manager = Caller(user_id="manager-1", role="store_manager", store_ids=frozenset({fin.STORE}), request_id="r-m")
    invoice = issued_invoice(finance_db)
    finance(finance_db, manager).void_invoice(invoice["id"], {"reason": "priced wrong"})
    again = finance(finance_db, manager).reissue_invoice(invoice["id"])
    reissued, voided, _issued = trail(finance(finance_db), "invoice", invoice["id"])
    assert who(voided) == ("invoice_voided", "manager-1", "store_manager", "r-m")
    assert (voided["details"]["before"], voided["details"]["after"]) == ({"status": "issued"}, {"status": "void"})
    assert reissued["details"]["new_invoice_id"] == again["id"]
    [new_issue] = trail(finance(finance_db), "invoice", again["id"])
    assert who(new_issue) == ("invoice_issued", "manager-1", "store_manager", "r-m")

    card = fin.stored_value_card(finance_db, amount=10_000, bonus=1_000)
    finance(finance_db, manager).cancel_card(card["id"], {"method": "cash"})
    cancelled = trail(finance(finance_db), "member_card", card["id"])[0]
    assert cancelled["action"] == "card_cancelled" and cancelled["details"]["refund_fen"] == 10_000

    expense = finance(finance_db, manager).record_expense({"store_id": fin.STORE, "category": "other",
                                                           "amount_fen": 500})
    [recorded] = trail(finance(finance_db), "expense", expense["id"])
    assert recorded["action"] == "expense_recorded" and recorded["details"]["amount_fen"] == 500

    today = ledger.business_date(finance_db, fin.STORE).isoformat()
    finance(finance_db, manager).close_day({"store_id": fin.STORE, "date": today, "cash_counted_fen": 0})
    [closed] = trail(finance(finance_db), "daily_close", f"{fin.STORE}:{today}")
    assert who(closed) == ("day_closed", "manager-1", "store_manager", "r-m")

    other_card = fin.stored_value_card(finance_db, amount=10_000, bonus=0)
    finance(finance_db, fin.OTHER_CASHIER).top_up_card(other_card["id"], {"amount_fen": 2_000, "method": "cash",
                                                                          "store_id": fin.OTHER})
    settled = finance(finance_db, fin.HQ).settle_between({"debtor_store_id": fin.OTHER,
                                                          "creditor_store_id": fin.STORE})
    [settlement] = trail(finance(finance_db, fin.HQ), "settlement", settled["reference"])
    assert settlement["action"] == "settlement_recorded" and settlement["details"]["amount_fen"] == 2_000


def test_a_refused_or_rolled_back_payment_leaves_no_audit_row(finance_db, monkeypatch):
    invoice = issued_invoice(finance_db)
    before = audit_rows(finance_db)
    with pytest.raises(Invalid):
        finance(finance_db).take_payment(invoice["id"], {"method": "cash", "amount_fen": 51_001})
    assert audit_rows(finance_db) == before

    def broker_of_events_fails(*args, **kwargs):  # after the audit row was written
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr("services.finance.domain.payments.record_event", broker_of_events_fails)
    with pytest.raises(RuntimeError):
        finance(finance_db).take_payment(invoice["id"], {"method": "cash", "amount_fen": 100})
    assert audit_rows(finance_db) == before
    assert finance(finance_db).get_invoice(invoice["id"])["paid_fen"] == 0


def test_a_documents_trail_is_listed_to_its_stores_and_hq_only(finance_db):
    invoice = issued_invoice(finance_db)
    finance(finance_db).take_payment(invoice["id"], {"method": "cash", "amount_fen": 100})
    with pytest.raises(Forbidden):
        trail(finance(finance_db, fin.OTHER_CASHIER), "invoice", invoice["id"])
    assert len(trail(finance(finance_db, fin.HQ), "invoice", invoice["id"])) == 2
    first = finance(finance_db).list_audit({"document_type": "invoice", "document_id": invoice["id"], "limit": 1})
    rest = finance(finance_db).list_audit({"document_type": "invoice", "document_id": invoice["id"],
                                           "cursor": first["next_cursor"]})
    assert [e["action"] for e in first["items"] + rest["items"]] == ["payment_taken", "invoice_issued"]
    with pytest.raises(Invalid):  # kept by inventory
        trail(finance(finance_db), "transfer", invoice["id"])
    assert trail(finance(finance_db), "expense", "no-such-expense") == []


# -- inventory ----------------------------------------------------------------------------------------
@pytest.fixture
def inventory_db():
    session = sqlite_session(InventoryBase.metadata, "inventory", inv.MANAGER.to_context())
    yield session
    session.close()


def inventory(session, caller=inv.MANAGER):
    return worker_factory(InventoryService, db=session, caller=caller)


def test_receipts_transfers_stocktakes_and_adjustments_are_audited(inventory_db):
    sku = inv.new_part(inventory_db)["sku"]
    po = inv.receive(inventory_db, sku, 10, 1200)
    [received] = trail(inventory(inventory_db), "purchase_order", po["id"])
    assert who(received) == ("stock_received", "m1", "store_manager", "r-1") and received["store_id"] == inv.S1
    assert received["details"]["lines"] == [{"sku": sku, "qty": "10.000", "unit_cost_fen": 1200}]
    assert received["details"]["after"] == {"status": "received"}

    transfer = inventory(inventory_db, inv.MANAGER_2).request_transfer(
        {"from_store_id": inv.S1, "to_store_id": inv.S2, "lines": [{"sku": sku, "qty": 4}]})
    inventory(inventory_db).ship_transfer(transfer["id"], {})
    inventory(inventory_db, inv.MANAGER_2).receive_transfer(transfer["id"], {"lines": [{"sku": sku, "qty": 3}]})
    arrived, shipped = trail(inventory(inventory_db, inv.MANAGER_2), "transfer", transfer["id"])
    assert who(shipped) == ("transfer_shipped", "m1", "store_manager", "r-1") and shipped["store_id"] == inv.S1
    assert who(arrived) == ("transfer_received", "m2", "store_manager", "r-2") and arrived["store_id"] == inv.S2
    assert arrived["details"]["lines"][0]["discrepancy_qty"] == "1.000"
    assert arrived["details"]["after"] == {"status": "partially_received"}

    take = inventory(inventory_db).open_stocktake({"store_id": inv.S1})
    inventory(inventory_db).record_counts(take["id"], {"counts": [{"sku": sku, "qty": 5}]})
    inventory(inventory_db).post_stocktake(take["id"], {})
    [posted] = trail(inventory(inventory_db), "stocktake", take["id"])
    assert posted["action"] == "stocktake_posted"
    assert posted["details"]["adjustments"] == [{"sku": sku, "variance_qty": "-1.000", "variance_value_fen": -1200}]

    [movement] = inventory(inventory_db).adjust_stock({"store_id": inv.S1, "sku": sku, "qty": -1,
                                                       "reason": "damaged"})["items"]
    [adjusted] = trail(inventory(inventory_db), "stock_adjustment", movement["reference_id"])
    assert who(adjusted) == ("stock_adjusted", "m1", "store_manager", "r-1")
    assert adjusted["details"] == {"sku": sku, "qty": "-1.000", "reason": "damaged", "value_fen": -1200}


def test_reservations_issues_and_releases_name_the_user_behind_the_event(inventory_db):
    sku = inv.new_part(inventory_db)["sku"]
    inv.receive(inventory_db, sku, 5, 1000)
    handler = inventory(inventory_db, inv.SYSTEM)
    confirmed = caused_by(inv.order_confirmed("o-1", [(sku, 3)]), ADVISOR, "r-contract")
    handler.on_order_confirmed(confirmed)
    handler.on_work_order_completed(caused_by(inv.work_order_completed("o-1", [(sku, 2)]),
                                              {"user_id": "adv-9", "role": "service_advisor"}, "r-complete"))
    handler.on_order_confirmed(inv.order_confirmed("o-2", [(sku, 2)]))
    [stuck] = inventory(inventory_db).list_reservations({"store_id": inv.S1, "order_id": "o-2"})["items"]
    inventory(inventory_db).release_reservation(stuck["id"])

    issued, reserved = trail(inventory(inventory_db), "order_parts", "o-1")
    assert who(reserved) == ("stock_reserved", "adv-9", "service_advisor", "r-contract")
    assert reserved["event_id"] == confirmed["event_id"]
    assert reserved["details"]["lines"] == [{"sku": sku, "qty_requested": "3.000", "qty_reserved": "3.000"}]
    assert who(issued) == ("stock_issued", "adv-9", "service_advisor", "r-complete")
    assert issued["details"]["cost_fen"] == 2000 and issued["details"]["lines"][0]["qty"] == "2.000"
    released, system_reserved = trail(inventory(inventory_db), "order_parts", "o-2")
    assert who(system_reserved)[1:] == (None, None, None) and system_reserved["event_id"]
    assert who(released) == ("reservation_released", "m1", "store_manager", "r-1")
    # the event inventory published from the issue carries the user along to finance
    [stock_issued] = inv.events(inventory_db, "stock_issued")
    assert stock_issued["actor"] == ADVISOR


def test_a_refused_or_rolled_back_receipt_leaves_no_audit_row(inventory_db, monkeypatch):
    sku = inv.new_part(inventory_db)["sku"]
    service = inventory(inventory_db)
    po = service.create_purchase_order({"store_id": inv.S1, "supplier_id": inv.supplier(inventory_db)["id"],
                                        "submit": True, "lines": [{"sku": sku, "qty": 2, "unit_cost_fen": 100}]})
    with pytest.raises(Conflict):
        service.receive_purchase_order(po["id"], {"lines": [{"sku": sku, "qty": 3}]})
    assert audit_rows(inventory_db) == 0

    def waiting_orders_fail(*args, **kwargs):  # after the audit row was written
        raise RuntimeError("filling waiting orders failed")

    monkeypatch.setattr("services.inventory.domain.purchasing.ledger.after_stock_in", waiting_orders_fail)
    with pytest.raises(RuntimeError):
        service.receive_purchase_order(po["id"], {"lines": [{"sku": sku, "qty": 2}]})
    assert audit_rows(inventory_db) == 0
    assert service.get_purchase_order(po["id"])["status"] == "ordered"


def test_another_stores_stock_documents_are_refused_but_a_transfer_is_seen_by_both_ends(inventory_db):
    sku = inv.new_part(inventory_db)["sku"]
    po = inv.receive(inventory_db, sku, 4, 500)
    with pytest.raises(Forbidden):
        trail(inventory(inventory_db, inv.MANAGER_2), "purchase_order", po["id"])
    transfer = inventory(inventory_db, inv.MANAGER_2).request_transfer(
        {"from_store_id": inv.S1, "to_store_id": inv.S2, "lines": [{"sku": sku, "qty": 1}]})
    inventory(inventory_db).ship_transfer(transfer["id"], {})
    assert [e["action"] for e in trail(inventory(inventory_db, inv.MANAGER_2), "transfer", transfer["id"])] == [
        "transfer_shipped"]


# -- sales --------------------------------------------------------------------------------------------
@pytest.fixture
def sales():
    session = sqlite_session(SalesBase.metadata, "sales", sal.ADVISOR.to_context())
    crm, stock = sal.FakeCrm(), sal.FakeInventory()

    def make(caller=sal.ADVISOR):
        return worker_factory(SalesService, db=session, caller=caller, crm=crm, inventory=stock)

    make.session = session
    yield make
    session.close()


def test_discounts_their_approval_and_the_contract_are_audited_on_the_quote(sales):
    quote = sal.quote_with_lines(sales)
    sales().set_quote_discount(quote["id"], {"kind": "percent", "value": 15, "reason": "老客户"})
    manager = Caller(user_id="mgr", role="store_manager", store_ids=frozenset({"s1"}), request_id="r-approve")
    sales(manager).approve_quote_discount(quote["id"], {"note": "同意"})  # before it is presented
    sales().present_quote(quote["id"])
    sales().decide_quote(quote["id"], {"approved_line_ids": sal.line_ids(quote), "declined_line_ids": []})
    order = sal.contract(sales, quote["id"])

    contracted, approved, discounted = trail(sales(manager), "quote", quote["id"])
    assert who(discounted) == ("discount_set", "adv", "service_advisor", "r-1")
    assert discounted["details"]["before"] == {"discount_fen": 0, "total_fen": 39_200}
    assert discounted["details"]["after"] == {"discount_fen": 5_880, "total_fen": 33_320}
    assert discounted["details"]["approval_status"] == "pending"
    assert who(approved) == ("discount_approved", "mgr", "store_manager", "r-approve")
    assert who(contracted) == ("quote_contracted", "adv", "service_advisor", "r-1")
    assert contracted["details"]["order_id"] == order["id"] and contracted["details"]["deposit_fen"] == 10_000
    assert contracted["details"]["after"] == {"state": "contracted"}
    with pytest.raises(Forbidden):
        trail(sales(sal.OTHER), "quote", quote["id"])


def test_a_rejected_discount_is_audited_with_the_managers_reason(sales):
    quote = sal.quote_with_lines(sales)
    sales().set_quote_discount(quote["id"], {"kind": "percent", "value": 15, "reason": "老客户"})
    manager = Caller(user_id="mgr", role="store_manager", store_ids=frozenset({"s1"}), request_id="r-reject")
    sales(manager).reject_quote_discount(quote["id"], {"reason": "最多给 10%"})
    rejected, _discounted = trail(sales(manager), "quote", quote["id"])
    assert who(rejected) == ("discount_rejected", "mgr", "store_manager", "r-reject")
    assert rejected["details"]["reason"] == "最多给 10%" and rejected["details"]["discount_fen"] == 5_880
    assert [need["code"] for need in rejected["details"]["needs"]] == ["discount_above_limit"]


def test_a_refused_contract_leaves_no_audit_row(sales):
    quote = sal.quote_with_lines(sales)
    sales().present_quote(quote["id"])
    sales().decide_quote(quote["id"], {"approved_line_ids": sal.line_ids(quote), "declined_line_ids": []})
    with pytest.raises(Invalid):
        sal.contract(sales, quote["id"], deposit_fen=10_000_000)
    assert audit_rows(sales.session) == 0
