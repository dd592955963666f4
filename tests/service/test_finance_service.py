"""finance's entrypoints with nameko's worker_factory and a real SQLite session (no broker). Every
flow ends by checking that the trial balance still balances.

Worked example (the contract of `order`): labour 保养 ¥200.00 − ¥20.00 discount = ¥180.00 at 6% VAT
(tax 10.19), engine oil 4 × ¥60.00 = ¥240.00 at 13% (tax 27.61), oil filter ¥80.00 at 13% (tax 9.20),
environment fee ¥10.00 at 6% (tax 0.57): total ¥510.00, VAT ¥47.57, discount ¥20.00."""
from __future__ import annotations

import calendar

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select, update

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.outbox import OUTBOX
from services.finance.domain import cohorts, kpi_days, ledger
from services.finance.domain.ledger import credit, debit
from services.finance.models import (Base, Invoice, InterStoreSettlement, InvoiceLine, JournalEntry, KpiDay,
                                     KpiDayCategory, KpiMonth, KpiMonthCategory, PackageItem, RetentionCohort)
from services.finance.service import FinanceService
from tests.support.service import sqlite_session

STORE, OTHER = "store-a", "store-b"
CASHIER = Caller(user_id="cashier-1", role="cashier", store_ids=frozenset({STORE}), request_id="r-1")
MANAGER = Caller(user_id="manager-1", role="store_manager", store_ids=frozenset({STORE}))
OTHER_CASHIER = Caller(user_id="cashier-2", role="cashier", store_ids=frozenset({OTHER}))
HQ = Caller(user_id="hq", role="hq_admin")
SYSTEM = Caller()


@pytest.fixture
def session():
    session = sqlite_session(Base.metadata, "finance", CASHIER.to_context())
    yield session
    session.close()


def finance(session, caller=CASHIER):
    return worker_factory(FinanceService, db=session, caller=caller)


def envelope(fact_type: str, payload: dict, event_id: str | None = None) -> dict:
    return {"event_id": event_id or str(uuid.uuid4()), "type": fact_type, "version": 1,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "store_id": payload.get("store_id"),
            "request_id": None, "payload": payload}


def line(kind, description, total, tax_rate, tax, *, qty="1", unit=None, discount=0, op_code=None, sku=None,
         hours=None):
    return {"line_id": str(uuid.uuid4()), "kind": kind, "description": description, "op_code": op_code,
            "skill": None, "hours": hours, "sku": sku, "qty": qty, "unit_price_fen": unit or total + discount,
            "discount_fen": discount, "tax_rate": tax_rate, "tax_fen": tax, "total_fen": total}


def contract_lines():
    return [line("labour", "保养工时", 18000, "0.06", 1019, discount=2000, op_code="MAINT", hours="1.5"),
            line("part", "机油 5W-30", 24000, "0.13", 2761, qty="4", unit=6000, sku="OIL-5W30"),
            line("part", "机油滤芯", 8000, "0.13", 920, sku="OF-1"),
            line("fee", "环保处理费", 1000, "0.06", 57)]


def order(store_id=STORE, lines=None, deposit=None, customer_id="cust-1", advisor_id="advisor-1"):
    lines = lines if lines is not None else contract_lines()
    total = sum(item["total_fen"] for item in lines)
    return {"order_id": str(uuid.uuid4()), "order_number": f"SO{uuid.uuid4().hex[:8]}", "store_id": store_id,
            "visit_id": None, "quote_id": "q-1", "customer_id": customer_id, "vehicle_id": "veh-1",
            "advisor_id": advisor_id, "promised_at": None, "lines": lines,
            "totals": {"subtotal_fen": total + sum(item["discount_fen"] for item in lines),
                       "discount_fen": sum(item["discount_fen"] for item in lines),
                       "tax_fen": sum(item["tax_fen"] for item in lines), "total_fen": total, "currency": "CNY"},
            "deposit": deposit, "confirmed_at": datetime.now(timezone.utc).isoformat()}


def completed(confirmed: dict, parts_used=None, technicians=None, clocked="1.8") -> dict:
    labour_lines = [item for item in confirmed["lines"] if item["kind"] == "labour"]
    technicians = technicians or [{"technician_id": "tech-1", "user_id": "u-tech-1", "hours": clocked,
                                   "split_pct": "100"}]
    if parts_used is None:
        parts_used = [{"sku": item["sku"], "qty": item["qty"], "line_id": item["line_id"]}
                      for item in confirmed["lines"] if item["kind"] == "part"]
    return {"work_order_id": str(uuid.uuid4()), "order_id": confirmed["order_id"], "store_id": confirmed["store_id"],
            "customer_id": confirmed["customer_id"], "vehicle_id": confirmed["vehicle_id"],
            "jobs": [{"job_id": str(uuid.uuid4()), "line_id": item["line_id"], "op_code": item["op_code"],
                      "billed_hours": item["hours"] or "1", "technicians": technicians} for item in labour_lines],
            "parts_used": parts_used, "comeback": False, "completed_at": datetime.now(timezone.utc).isoformat()}


def issue(session, confirmed=None, **kwargs) -> dict:
    """order_confirmed then work_order_completed, as the events arrive; returns the invoice."""
    confirmed = confirmed or order(**kwargs)
    service = finance(session, SYSTEM)
    service.on_order_confirmed(envelope("sales.order_confirmed", confirmed))
    service.on_work_order_completed(envelope("workshop.work_order_completed", completed(confirmed)))
    [invoice] = finance(session, HQ).list_invoices({"order_id": confirmed["order_id"]})["items"]
    return invoice


def assert_books_balance(session, store_id=None):
    balance = finance(session, HQ).trial_balance({"store_id": store_id} if store_id else {})
    assert balance["balanced"], balance
    for entry in session.execute(select(JournalEntry)).scalars():
        assert sum(line.debit_fen for line in entry.lines) == sum(line.credit_fen for line in entry.lines)
    for store in finance(session, HQ).book_sides({})["stores"]:
        assert store["receivables_fen"] == store["open_invoices_fen"], store  # 1122 = what invoices leave unpaid
        assert store["card_liabilities_fen"] == store["open_cards_fen"], store  # 2205 + 2206 = what cards hold
        assert store["to_refund_fen"] == store["unapplied_intents_fen"], store  # 2241 = unapplied intents
    return {a["code"]: a["balance_debit_fen"] - a["balance_credit_fen"] for a in balance["accounts"]}


def events(session, fact=None):
    rows = session.execute(select(OUTBOX.c.type, OUTBOX.c.envelope)).all()
    return [envelope["payload"] for kind, envelope in rows if fact is None or kind == fact]


def stored_value_card(session, amount=100_000, bonus=10_000, customer_id="cust-1", store_id=STORE):
    return finance(session).issue_card({"kind": "stored_value", "customer_id": customer_id, "store_id": store_id,
                                        "top_up": {"amount_fen": amount, "bonus_fen": bonus, "method": "wechat"}})


# -- invoices ---------------------------------------------------------------------------------------------
def test_completed_work_order_issues_the_invoice_from_the_contract_and_consumes_the_deposit(session):
    invoice = issue(session, deposit={"amount_fen": 10_000, "method": "wechat", "reference": "wx-1"})
    full = finance(session).get_invoice(invoice["id"])
    assert (full["total_fen"], full["tax_fen"], full["discount_fen"]) == (51_000, 4_757, 2_000)
    assert (full["labour_fen"], full["parts_fen"], full["fees_fen"]) == (16_981, 28_319, 943)
    assert full["deposit_fen"] == full["paid_fen"] == 10_000 and full["due_fen"] == 41_000
    assert full["status"] == "partially_paid" and len(full["lines"]) == 4
    assert [p["kind"] for p in full["payments"]] == ["deposit"]
    [issued] = events(session, "invoice_issued")
    assert issued["total_fen"] == 51_000 and issued["due_fen"] == 41_000
    books = assert_books_balance(session)
    # AR holds what is due; revenue gross of discount; VAT; the deposit left customer deposits
    assert books["1122"] == 41_000 and books["1012"] == 10_000 and books.get("2203", 0) == 0
    assert books["4001"] == -(16_981 + 2_000) and books["4101"] == 2_000 and books["2221"] == -4_757


def test_a_redelivered_or_repeated_completion_issues_one_invoice(session):
    confirmed = order()
    service = finance(session, SYSTEM)
    service.on_order_confirmed(envelope("sales.order_confirmed", confirmed))
    done = envelope("workshop.work_order_completed", completed(confirmed))
    service.on_work_order_completed(done)
    service.on_work_order_completed(done)
    service.on_work_order_completed(envelope("workshop.work_order_completed", completed(confirmed)))
    assert len(finance(session, HQ).list_invoices({})["items"]) == 1
    assert len(events(session, "invoice_issued")) == 1
    assert assert_books_balance(session)["1122"] == 51_000


def test_completion_before_the_order_is_known_is_refused_for_redelivery(session):
    with pytest.raises(NotFound):
        finance(session, SYSTEM).on_work_order_completed(
            envelope("workshop.work_order_completed", completed(order())))
    assert finance(session, HQ).list_invoices({})["items"] == []


def test_parts_bill_at_the_quantity_used_and_unknown_parts_are_listed_unbilled(session):
    confirmed = order()
    oil, _filter = [item for item in confirmed["lines"] if item["kind"] == "part"]
    service = finance(session, SYSTEM)
    service.on_order_confirmed(envelope("sales.order_confirmed", confirmed))
    service.on_work_order_completed(envelope("workshop.work_order_completed", completed(
        confirmed, parts_used=[{"sku": "OIL-5W30", "qty": "3", "line_id": oil["line_id"]},
                               {"sku": "WIPER-1", "qty": "1", "line_id": None}])))
    [invoice] = finance(session, HQ).list_invoices({})["items"]
    billed_oil = next(item for item in invoice["lines"] if item["sku"] == "OIL-5W30")
    # 3 of 4 at the contracted ¥60.00: ¥180.00, VAT 13% inside = 20.71
    assert (billed_oil["qty"], billed_oil["total_fen"], billed_oil["tax_fen"]) == (3, 18_000, 2_071)
    assert not any(item["sku"] == "OF-1" for item in invoice["lines"])  # nothing of it was used
    assert invoice["unbilled_parts"] == [{"line_id": None, "sku": "WIPER-1", "qty": "1.000"}]
    assert invoice["total_fen"] == 18_000 + 18_000 + 1_000
    assert_books_balance(session)


# -- payments -----------------------------------------------------------------------------------------
def test_deposit_wechat_and_stored_value_settle_the_invoice(session):
    invoice = issue(session, deposit={"amount_fen": 10_000, "method": "wechat", "reference": None})
    card = stored_value_card(session)
    till = finance(session)
    first = till.take_payment(invoice["id"], {"method": "wechat", "amount_fen": 30_000, "reference": "wx-2"})
    assert first["invoice"]["status"] == "partially_paid" and first["invoice"]["due_fen"] == 11_000
    assert_books_balance(session)
    second = till.take_payment(invoice["id"], {"method": "stored_value", "amount_fen": 11_000,
                                               "card_id": card["id"]})
    assert second["invoice"]["status"] == "paid" and second["invoice"]["due_fen"] == 0
    # pay 1,000 get 1,100: ¥110 spent is ¥100 of paid balance and ¥10 of bonus
    after = till.get_card(card["id"])
    assert (after["paid_balance_fen"], after["bonus_balance_fen"]) == (90_000, 9_000)
    assert [p["method"] for p in events(session, "payment_received")] == ["wechat", "stored_value"]
    [paid] = events(session, "invoice_paid")
    assert paid["total_fen"] == 51_000 and paid["order_id"] == invoice["order_id"]
    books = assert_books_balance(session)
    assert books["1122"] == 0 and books["2205"] == -90_000 and books["4101"] == 2_000 + 1_000


def test_overpayment_zero_and_unknown_methods_are_refused_and_nothing_is_posted(session):
    invoice = issue(session)
    till = finance(session)
    entries = session.scalar(select(func.count()).select_from(JournalEntry))
    with pytest.raises(Invalid) as over:
        till.take_payment(invoice["id"], {"method": "cash", "amount_fen": 51_001})
    assert "amount_fen" in over.value.fields
    for bad in ({"method": "cash", "amount_fen": 0}, {"method": "cash", "amount_fen": -5},
                {"method": "bitcoin", "amount_fen": 100}, {"method": "cash", "amount_fen": 10.5},
                {"method": "stored_value", "amount_fen": 100}):
        with pytest.raises(Invalid):
            till.take_payment(invoice["id"], bad)
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries
    assert events(session, "payment_received") == []


def test_a_retried_payment_with_the_same_key_pays_once(session):
    invoice = issue(session)
    till = finance(session)
    body = {"method": "cash", "amount_fen": 20_000}
    first = till.take_payment(invoice["id"], body, idempotency_key="till-1:abc")
    again = till.take_payment(invoice["id"], body, idempotency_key="till-1:abc")
    assert again["payment"]["id"] == first["payment"]["id"] and again["invoice"]["paid_fen"] == 20_000
    with pytest.raises(Conflict):
        till.take_payment(invoice["id"], {"method": "cash", "amount_fen": 1}, idempotency_key="till-1:abc")
    assert len(events(session, "payment_received")) == 1
    assert assert_books_balance(session)["1001"] == 20_000
    listed = finance(session).list_payments({"store_id": STORE, "method": "cash"})["items"]
    assert [p["id"] for p in listed] == [first["payment"]["id"]]
    [entry] = finance(session, MANAGER).journal({"store_id": STORE, "source_type": "payment"})["items"]
    assert entry["source_id"] == first["payment"]["id"] and entry["lines"] == [
        {"account": "1001", "debit_fen": 20_000, "credit_fen": 0}, {"account": "1122", "debit_fen": 0,
                                                                    "credit_fen": 20_000}]
    assert {"1001", "2205", "4101"} <= {a["code"] for a in finance(session, MANAGER).chart_of_accounts()["items"]}


def test_paying_a_void_or_paid_invoice_is_a_conflict_naming_its_state(session):
    invoice = issue(session)
    finance(session, MANAGER).void_invoice(invoice["id"], {"reason": "wrong customer"})
    with pytest.raises(Conflict) as void:
        finance(session).take_payment(invoice["id"], {"method": "cash", "amount_fen": 100})
    assert "void" in str(void.value)
    paid = issue(session)
    finance(session).take_payment(paid["id"], {"method": "alipay", "amount_fen": 51_000})
    with pytest.raises(Conflict) as again:
        finance(session).take_payment(paid["id"], {"method": "cash", "amount_fen": 1})
    assert "paid" in str(again.value)
    assert_books_balance(session)


def test_staff_of_another_store_cannot_see_or_pay_the_invoice(session):
    invoice = issue(session)
    with pytest.raises(Forbidden):
        finance(session, OTHER_CASHIER).get_invoice(invoice["id"])
    with pytest.raises(Forbidden):
        finance(session, OTHER_CASHIER).take_payment(invoice["id"], {"method": "cash", "amount_fen": 100})
    with pytest.raises(Forbidden):
        finance(session, OTHER_CASHIER).list_invoices({"store_id": STORE})
    assert finance(session, OTHER_CASHIER).list_invoices({})["items"] == []


# -- void ---------------------------------------------------------------------------------------------
def test_void_needs_a_manager_reverses_the_books_and_returns_the_deposit_to_the_order(session):
    invoice = issue(session, deposit={"amount_fen": 5_000, "method": "cash", "reference": None})
    with pytest.raises(Forbidden):
        finance(session).void_invoice(invoice["id"], {"reason": "priced wrong"})
    voided = finance(session, MANAGER).void_invoice(invoice["id"], {"reason": "priced wrong"})
    assert voided["status"] == "void" and voided["due_fen"] == 0 and voided["void_reason"] == "priced wrong"
    books = assert_books_balance(session)
    assert books.get("1122", 0) == 0 and books.get("4001", 0) == 0 and books["2203"] == -5_000
    with pytest.raises(Conflict):
        finance(session, MANAGER).void_invoice(invoice["id"], {"reason": "again"})
    with pytest.raises(Forbidden):
        finance(session).reissue_invoice(invoice["id"])
    again = finance(session, MANAGER).reissue_invoice(invoice["id"])
    assert again["id"] != invoice["id"] and again["order_id"] == invoice["order_id"]
    assert (again["total_fen"], again["deposit_fen"], again["status"]) == (51_000, 5_000, "partially_paid")
    with pytest.raises(Conflict):  # one open invoice per order
        finance(session, MANAGER).reissue_invoice(invoice["id"])
    books = assert_books_balance(session)
    assert books["1122"] == 46_000 and books.get("2203", 0) == 0


def test_an_invoice_paid_at_the_till_cannot_be_voided(session):
    invoice = issue(session)
    finance(session).take_payment(invoice["id"], {"method": "cash", "amount_fen": 100})
    with pytest.raises(Conflict) as refused:
        finance(session, MANAGER).void_invoice(invoice["id"], {"reason": "too late"})
    assert "partially_paid" in str(refused.value)


# -- refunds ------------------------------------------------------------------------------------------
def test_refunds_go_to_the_original_method_and_never_exceed_the_payment(session):
    invoice = issue(session)
    card = stored_value_card(session)
    till = finance(session)
    cash = till.take_payment(invoice["id"], {"method": "cash", "amount_fen": 40_000})["payment"]
    sv = till.take_payment(invoice["id"], {"method": "stored_value", "amount_fen": 11_000,
                                           "card_id": card["id"]})["payment"]
    refund = till.refund_payment(cash["id"], {"amount_fen": 5_000, "reason": "机油降价"})
    assert refund["method"] == "cash" and refund["approved_by"] is None
    with pytest.raises(Invalid):
        finance(session, MANAGER).refund_payment(cash["id"], {"amount_fen": 35_001, "reason": "too much"})
    till.refund_payment(sv["id"], {"amount_fen": 11_000, "reason": "goodwill"})
    back = till.get_card(card["id"])
    assert (back["paid_balance_fen"], back["bonus_balance_fen"]) == (100_000, 10_000)
    full = till.get_invoice(invoice["id"])
    assert full["status"] == "paid" and full["refunded_fen"] == 16_000 and full["net_paid_fen"] == 35_000
    assert [r["amount_fen"] for r in events(session, "refund_issued")] == [5_000, 11_000]
    books = assert_books_balance(session)
    # VAT inside the refunds (4,757/51,000 of each): 466 + 1,026 no longer owed
    assert books["1001"] == 35_000 and books["4102"] == 16_000 - 1_492 and books["2205"] == -100_000
    assert books["2221"] == -(4_757 - 1_492)


def test_a_refund_above_the_store_limit_needs_a_manager(session):
    invoice = issue(session)
    payment = finance(session).take_payment(invoice["id"], {"method": "card", "amount_fen": 51_000})["payment"]
    with pytest.raises(Forbidden) as refused:
        finance(session).refund_payment(payment["id"], {"amount_fen": 50_001, "reason": "返工"})
    assert refused.value.code == "refund_needs_manager" and refused.value.params == {"limit_fen": 50_000}
    refund = finance(session, MANAGER).refund_payment(payment["id"], {"amount_fen": 50_001, "reason": "返工"})
    assert refund["approved_by"] == MANAGER.user_id
    assert_books_balance(session)


def test_a_partly_paid_invoice_cannot_be_refunded(session):
    invoice = issue(session)
    payment = finance(session).take_payment(invoice["id"], {"method": "cash", "amount_fen": 100})["payment"]
    with pytest.raises(Conflict) as refused:
        finance(session).refund_payment(payment["id"], {"amount_fen": 100, "reason": "mistake"})
    assert "partially_paid" in str(refused.value)


def test_a_cancelled_order_returns_its_deposit(session):
    confirmed = order(deposit={"amount_fen": 20_000, "method": "alipay", "reference": None})
    service = finance(session, SYSTEM)
    service.on_order_confirmed(envelope("sales.order_confirmed", confirmed))
    redelivered = envelope("sales.order_confirmed", confirmed)
    service.on_order_confirmed(redelivered)  # a second copy of the fact takes no second deposit
    assert assert_books_balance(session)["2203"] == -20_000
    service.on_order_cancelled(envelope("sales.order_cancelled", {
        "order_id": confirmed["order_id"], "store_id": STORE, "reason": "customer changed mind",
        "cancelled_at": datetime.now(timezone.utc).isoformat()}))
    books = assert_books_balance(session)
    assert books.get("2203", 0) == 0 and books.get("1013", 0) == 0


# -- cards --------------------------------------------------------------------------------------------
def test_a_package_card_redeems_across_two_stores_with_settlement(session):
    washes = [line("labour", "精洗", 5_000, "0.06", 283, op_code="WASH", hours="0.5")]
    seller = Caller(user_id="c", role="cashier", store_ids=frozenset({STORE}))
    card = finance(session, seller).issue_card({
        "kind": "package", "customer_id": "cust-1", "store_id": STORE, "package_name": "洗车10次",
        "items": [{"service_code": "WASH", "name": "精洗", "units": 10}], "price_fen": 30_000,
        "method": "wechat", "valid_days": 365})
    assert card["items"][0]["units_left"] == 10 and card["expires_on"]
    for store, caller in ((STORE, CASHIER), (OTHER, OTHER_CASHIER)):
        invoice = issue(session, store_id=store, lines=washes)
        result = finance(session, caller).take_payment(invoice["id"], {
            "method": "package", "amount_fen": 5_000, "card_id": card["id"], "service_code": "WASH"})
        assert result["invoice"]["status"] == "paid"
    left = finance(session).get_card(card["id"])
    assert left["items"][0]["units_left"] == 8 and left["items"][0]["value_left_fen"] == 24_000
    [settlement] = session.execute(select(InterStoreSettlement)).scalars().all()
    assert (settlement.debtor_store_id, settlement.creditor_store_id, settlement.amount_fen) == (STORE, OTHER, 3_000)
    issuing, serving = assert_books_balance(session, STORE), assert_books_balance(session, OTHER)
    assert issuing["2206"] == -24_000 and issuing["2190"] == -3_000 and serving["1190"] == 3_000
    assert_books_balance(session)
    positions = finance(session, MANAGER).settlement_positions({"store_id": STORE})["items"]
    assert positions == [{"store_id": OTHER, "receivable_fen": 0, "payable_fen": 3_000, "net_fen": -3_000}]
    with pytest.raises(Forbidden):
        finance(session, MANAGER).settle_between({"debtor_store_id": STORE, "creditor_store_id": OTHER})
    settled = finance(session, HQ).settle_between({"debtor_store_id": STORE, "creditor_store_id": OTHER})
    assert settled["amount_fen"] == 3_000 and settled["records"] == 1
    assert assert_books_balance(session, OTHER).get("1190", 0) == 0
    assert assert_books_balance(session, STORE).get("2190", 0) == 0
    with pytest.raises(Conflict):
        finance(session, HQ).settle_between({"debtor_store_id": STORE, "creditor_store_id": OTHER})
    with pytest.raises(Invalid):  # nothing billed for that service on a paid invoice
        finance(session).take_payment(issue(session, lines=contract_lines())["id"], {
            "method": "package", "amount_fen": 100, "card_id": card["id"], "service_code": "WASH"})


def test_an_expired_package_is_refused(session):
    washes = [line("labour", "精洗", 5_000, "0.06", 283, op_code="WASH", hours="0.5")]
    card = finance(session).issue_card({
        "kind": "package", "customer_id": "cust-1", "store_id": STORE, "package_name": "洗车",
        "items": [{"service_code": "WASH", "name": "精洗", "units": 2}], "price_fen": 8_000,
        "method": "cash", "expires_on": (date.today() - timedelta(days=2)).isoformat()})
    invoice = issue(session, lines=washes)
    with pytest.raises(Conflict) as expired:
        finance(session).take_payment(invoice["id"], {"method": "package", "amount_fen": 5_000,
                                                      "card_id": card["id"], "service_code": "WASH"})
    assert "expired" in str(expired.value)


def test_a_cancelled_stored_value_card_pays_back_the_unused_paid_balance_only(session):
    card = stored_value_card(session, amount=100_000, bonus=10_000)
    till = finance(session)
    till.top_up_card(card["id"], {"amount_fen": 50_000, "bonus_fen": 0, "method": "cash"}, idempotency_key="t-1")
    till.top_up_card(card["id"], {"amount_fen": 50_000, "bonus_fen": 0, "method": "cash"}, idempotency_key="t-1")
    assert till.get_card(card["id"])["paid_balance_fen"] == 150_000
    with pytest.raises(Forbidden):
        till.cancel_card(card["id"], {"method": "cash"})
    cancelled = finance(session, MANAGER).cancel_card(card["id"], {"method": "cash"})
    assert cancelled["status"] == "cancelled" and cancelled["balance_fen"] == 0
    books = assert_books_balance(session)
    assert books.get("2205", 0) == 0 and books["1001"] == 50_000 - 150_000


# -- costs, expenses, close ---------------------------------------------------------------------------
def test_stock_issued_posts_cost_of_goods_sold(session):
    invoice = issue(session)
    finance(session, SYSTEM).on_stock_issued(envelope("inventory.stock_issued", {
        "order_id": invoice["order_id"], "work_order_id": invoice["work_order_id"], "store_id": STORE,
        "lines": [{"sku": "OIL-5W30", "qty": "4", "unit_cost_fen": 3_000, "cost_fen": 12_000},
                  {"sku": "OF-1", "qty": "1", "unit_cost_fen": 2_500, "cost_fen": 2_500}], "cost_fen": 14_500}))
    books = assert_books_balance(session)
    assert books["5001"] == 14_500 and books["1405"] == -14_500


def test_expenses_post_to_their_category(session):
    expense = finance(session, MANAGER).record_expense({
        "store_id": STORE, "category": "utilities", "amount_fen": 88_000, "paid_from": "bank",
        "vendor": "供电局", "attachments": ["receipt-2026-11.pdf"]})
    assert expense["attachments"] == ["receipt-2026-11.pdf"]
    assert finance(session, MANAGER).list_expenses({"store_id": STORE})["items"][0]["id"] == expense["id"]
    with pytest.raises(Forbidden):
        finance(session, OTHER_CASHIER).record_expense({"store_id": STORE, "category": "rent", "amount_fen": 1})
    books = assert_books_balance(session)
    assert books["6602"] == 88_000 and books["1002"] == -88_000


def test_daily_close_matches_the_day_and_a_closed_day_takes_no_more_postings(session):
    invoice = issue(session, deposit={"amount_fen": 1_000, "method": "cash", "reference": None})
    till = finance(session)
    till.take_payment(invoice["id"], {"method": "cash", "amount_fen": 20_000})
    till.take_payment(invoice["id"], {"method": "wechat", "amount_fen": 30_000})
    finance(session, MANAGER).record_expense({"store_id": STORE, "category": "other", "amount_fen": 500,
                                              "paid_from": "cash"})
    today = ledger.business_date(session, STORE)
    report = finance(session, MANAGER).daily_close({"store_id": STORE, "date": today.isoformat()})
    assert report["takings"] == {"cash": 21_000, "wechat": 30_000} and report["takings_total_fen"] == 51_000
    assert report["invoices_issued"] == 1 and report["invoices_paid"] == 1
    assert report["cash_expected_fen"] == 21_000 - 500 and report["closed"] is False
    with pytest.raises(Forbidden):
        till.close_day({"store_id": STORE, "date": today.isoformat(), "cash_counted_fen": 20_400})
    closed = finance(session, MANAGER).close_day({"store_id": STORE, "date": today.isoformat(),
                                                  "cash_counted_fen": 20_400, "note": "short 1 yuan"})
    assert closed["closed"] and closed["difference_fen"] == -100
    with pytest.raises(Conflict):
        finance(session, MANAGER).close_day({"store_id": STORE, "date": today.isoformat(), "cash_counted_fen": 0})
    books = assert_books_balance(session)
    assert books["6711"] == 100
    # anything after the close lands on the next day; the closed day's report does not move
    later = issue(session)
    assert later["business_date"] == (today + timedelta(days=1)).isoformat()
    assert finance(session, MANAGER).daily_close({"store_id": STORE, "date": today.isoformat()}) == closed


# -- commission and reports ---------------------------------------------------------------------------
def test_commission_for_a_job_split_60_40(session):
    finance(session, MANAGER).set_commission_rule(STORE, {"labour_pct": "10", "labour_per_hour_fen": 1000,
                                                          "parts_gp_pct": "5", "sales_pct": "1"})
    confirmed = order()
    service = finance(session, SYSTEM)
    service.on_order_confirmed(envelope("sales.order_confirmed", confirmed))
    service.on_work_order_completed(envelope("workshop.work_order_completed", completed(confirmed, technicians=[
        {"technician_id": "t-a", "user_id": "u-a", "hours": "1.0", "split_pct": "60"},
        {"technician_id": "t-b", "user_id": None, "hours": "0.8", "split_pct": "40"}])))
    invoice = finance(session, HQ).list_invoices({})["items"][0]
    service.on_stock_issued(envelope("inventory.stock_issued", {
        "order_id": confirmed["order_id"], "work_order_id": None, "store_id": STORE,
        "lines": [], "cost_fen": 14_500}))
    month = invoice["business_date"][:7]
    finance(session, MANAGER).set_commission_target(STORE, {"employee_id": "u-a", "month": month,
                                                            "target_fen": 20_000})
    finance(session, MANAGER).set_commission_target(STORE, {"employee_id": "u-new", "month": month,
                                                            "target_fen": 5_000})
    result = finance(session, MANAGER).commissions({"store_id": STORE, "month": month})
    by = {item["employee_id"]: item for item in result["items"]}
    # labour 10% of 169.81 = 16.98 + 1.5 h × ¥10 = 31.98 → 60/40 = 19.19 / 12.79
    assert (by["u-a"]["labour_fen"], by["t-b"]["labour_fen"]) == (1_919, 1_279)
    # parts gross profit 283.19 − 145.00 = 138.19; 5% = 6.91 → 4.15 / 2.76
    assert (by["u-a"]["parts_fen"], by["t-b"]["parts_fen"]) == (415, 276)
    # the advisor: 1% of 462.43 revenue tax excluded
    assert by["advisor-1"]["sales_fen"] == 462 and by["advisor-1"]["role"] == "advisor"
    # the target measures labour revenue produced: 60% of 169.81 = 101.89 of 200.00
    assert by["u-a"]["revenue_fen"] == 10_189 and by["u-a"]["achievement_pct"] == "50.9"
    assert result["total_fen"] == 1_919 + 1_279 + 415 + 276 + 462
    # a target set for someone who has earned nothing yet is listed all the same, at 0 %
    assert (by["u-new"]["role"], by["u-new"]["total_fen"], by["u-new"]["target_fen"],
            by["u-new"]["achievement_pct"]) == (None, 0, 5_000, "0.0")
    # the people report's figures over the invoice's day: the same commission and revenue, the month's target shared
    # by the days asked (one day of the month), none for a month without one
    day = date.fromisoformat(invoice["business_date"])
    people = {(item["employee_id"], item["role"]): item for item in finance(session, MANAGER).people_figures(
        {"store_id": STORE, "from": day.isoformat(), "to": day.isoformat()})["items"]}
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    assert people[("u-a", "technician")]["commission_fen"] == by["u-a"]["total_fen"]
    assert people[("u-a", "technician")]["revenue_fen"] == 10_189
    assert people[("u-a", "technician")]["target_fen"] == round(20_000 / days_in_month)
    assert people[("advisor-1", "advisor")]["revenue_fen"] == by["advisor-1"]["revenue_fen"]
    assert people[("u-new", None)]["target_fen"] == round(5_000 / days_in_month)
    earlier = day.replace(day=1) - timedelta(days=1)  # the last day of the month before: no target then
    spanning = finance(session, MANAGER).people_figures({"store_id": STORE, "from": earlier.isoformat(),
                                                         "to": day.isoformat()})["items"]
    assert all(item["target_fen"] is None for item in spanning)


def test_store_kpi_targets_are_set_by_managers_listed_and_shared_over_a_range(session):
    manager = finance(session, MANAGER)
    manager.set_kpi_targets(STORE, "2026-11", {"sales_fen": 3_000_000, "car_count": 300,
                                               "average_satisfaction": "4.5"})
    set_again = manager.set_kpi_targets(STORE, "2026-11", {"sales_fen": 3_000_000, "car_count": 300})
    assert set_again["average_satisfaction"] is None  # what is left out has no target
    manager.set_kpi_targets(STORE, "2026-12", {"sales_fen": 3_100_000, "car_count": 310})
    with pytest.raises(Forbidden):
        finance(session).set_kpi_targets(STORE, "2026-12", {"sales_fen": 1})  # a cashier
    with pytest.raises(Forbidden):
        finance(session, OTHER_CASHIER).kpi_targets(STORE, {"from": "2026-11", "to": "2026-12"})
    with pytest.raises(Invalid):
        manager.set_kpi_targets(STORE, "2026-13", {"sales_fen": 1})
    listed = manager.kpi_targets(STORE, {"from": "2026-10", "to": "2026-12"})["items"]
    assert [(t["month"], t["sales_fen"]) for t in listed] == [("2026-11", 3_000_000), ("2026-12", 3_100_000)]
    over = finance(session, HQ).kpi_targets_over({"store_ids": [STORE, OTHER], "from": "2026-11-21",
                                                  "to": "2026-12-10"})["stores"]
    assert list(over) == [STORE]  # the other store has none
    assert (over[STORE]["sales_fen"], over[STORE]["car_count"], over[STORE]["aro_fen"]) == (2_000_000, 200, 10_000)
    # a manager asking about another store's targets is given only its own
    assert list(manager.kpi_targets_over({"store_ids": [OTHER], "from": "2026-11-01", "to": "2026-11-30"})[
        "stores"]) == []


def test_pnl_and_kpis_for_the_month_equal_the_figures_by_hand(session):
    first = issue(session)
    second = issue(session, lines=[line("labour", "四轮定位", 30_000, "0.06", 1_698, op_code="ALIGN",
                                         hours="1.0")])
    finance(session, SYSTEM).on_stock_issued(envelope("inventory.stock_issued", {
        "order_id": first["order_id"], "work_order_id": None, "store_id": STORE, "lines": [], "cost_fen": 14_500}))
    finance(session, MANAGER).record_expense({"store_id": STORE, "category": "rent", "amount_fen": 100_000})
    payment = finance(session).take_payment(second["id"], {"method": "card", "amount_fen": 30_000})["payment"]
    finance(session, MANAGER).refund_payment(payment["id"], {"amount_fen": 2_000, "reason": "等待时间长"})
    month = first["business_date"][:7]
    report = finance(session, MANAGER).pnl({"store_id": STORE, "month": month})
    assert report["revenue"] == {"labour_fen": 16_981 + 2_000 + 28_302, "parts_fen": 28_319, "fees_fen": 943}
    # the ¥20 refund holds 1.13 of VAT (1,698/30,000): 18.87 of revenue goes back
    assert report["discounts_fen"] == 2_000 and report["refunds_fen"] == 1_887
    net = 16_981 + 28_302 + 28_319 + 943 - 1_887
    assert report["net_revenue_fen"] == net and report["cogs_fen"] == 14_500
    assert report["expenses"]["rent"] == 100_000 and report["net_profit_fen"] == net - 14_500 - 100_000
    kpis = finance(session, MANAGER).kpis({"store_id": STORE, "from": first["business_date"],
                                           "to": first["business_date"]})
    [store] = kpis["items"]
    sales = 16_981 + 28_302 + 28_319 + 943
    assert store["car_count"] == 2 and store["sales_fen"] == sales and store["aro_fen"] == 37_273  # 745.45 ÷ 2, half up
    assert store["parts_gross_profit_fen"] == 28_319 - 14_500
    assert store["parts_gross_profit_pct"] == "48.80"  # 138.19 ÷ 283.19
    # labour 452.83 over 2.5 billed hours; 2.5 billed ÷ 3.6 clocked
    assert store["effective_labour_rate_fen"] == 18_113 and store["technician_efficiency_pct"] == "69.44"
    assert "close_ratio" in kpis["owned_elsewhere"]
    assert store["sales_by_category"] == {"MAINT": 16_981, "ALIGN": 28_302, "parts": 28_319, "fees": 943}
    trend = finance(session, MANAGER).kpis({"store_id": STORE, "from": first["business_date"],
                                            "to": first["business_date"], "group": "day"})["items"]
    assert [(row["period"], row["car_count"]) for row in trend] == [(first["business_date"], 2)]
    chain = finance(session, HQ).kpis({"from": first["business_date"], "to": first["business_date"]})["items"]
    assert [row["store_id"] for row in chain] == [STORE]
    assert_books_balance(session)


def day_book(session) -> list[tuple]:
    """The KPI book's rows with something in them: days, months, then their categories."""
    rows = []
    for sums, categories in ((KpiDay, KpiDayCategory), (KpiMonth, KpiMonthCategory)):
        rows += [(sums.__tablename__, *row) for row in session.execute(select(sums.__table__).order_by(
            sums.store_id, sums.business_date)) if row.car_count or row.parts_cost_fen]
        rows += [(categories.__tablename__, *row) for row in session.execute(select(categories.__table__).order_by(
            categories.store_id, categories.business_date, categories.category)) if row.net_fen]
    return rows


def test_the_kpi_day_book_kept_with_each_invoice_equals_one_rebuilt_from_the_invoices(session):
    first = issue(session)
    second = issue(session, lines=[line("labour", "四轮定位", 30_000, "0.06", 1_698, op_code="ALIGN", hours="1.0")])
    issue(session, store_id=OTHER)
    finance(session, SYSTEM).on_stock_issued(envelope("inventory.stock_issued", {
        "order_id": first["order_id"], "work_order_id": None, "store_id": STORE, "lines": [], "cost_fen": 14_500}))
    finance(session, MANAGER).void_invoice(second["id"], {"reason": "priced wrong"})
    kept = day_book(session)
    day = date.fromisoformat(first["business_date"])
    assert ("kpi_days", STORE, day, 1, 16_981, 28_319, 943, Decimal("1.500"), Decimal("1.800"), 14_500) in kept
    assert ("kpi_months", STORE, day.replace(day=1), 1, 16_981, 28_319, 943, Decimal("1.500"), Decimal("1.800"),
            14_500) in kept
    assert not any(row[3] == "ALIGN" for row in kept)  # the void took its category out
    kpi_days.rebuild(session.connection())
    assert day_book(session) == kept
    kpis = finance(session, MANAGER).kpis({"store_id": STORE, "from": first["business_date"],
                                           "to": first["business_date"], "group": "day"})["items"]
    assert [(row["car_count"], row["sales_by_category"]) for row in kpis] == [
        (1, {"MAINT": 16_981, "parts": 28_319, "fees": 943})]


def test_whole_months_from_the_month_book_and_the_days_around_them_add_up_like_the_days_alone(session):
    """Invoices and costs on random days of four months in two stores, counted into the book; for random
    periods the per-store rows (months + edge days) equal their day-by-day trend, and `chain` their sum."""
    import random
    rnd, start = random.Random(7), date(2026, 6, 20)
    edge_days = [date(2026, 6, 30), date(2026, 7, 1), date(2026, 7, 31), date(2026, 8, 1)]
    for n, (day, store) in enumerate([(day, store) for day in edge_days for store in (STORE, OTHER)] + [
            (start + timedelta(days=rnd.randrange(110)), rnd.choice((STORE, OTHER))) for _ in range(300)]):
        invoice = Invoice(store_id=store, business_date=day, labour_fen=rnd.randrange(100_000),
                          parts_fen=rnd.randrange(100_000), fees_fen=rnd.randrange(2_000),
                          billed_hours=Decimal(rnd.randrange(40)) / 10, clocked_hours=Decimal(rnd.randrange(40)) / 10,
                          lines=[InvoiceLine(kind="labour", op_code=rnd.choice(("MAINT", "ALIGN", None)),
                                             total_fen=rnd.randrange(50_000), tax_fen=rnd.randrange(1_000))])
        kpi_days.count_invoice(session, invoice, sign=-1 if n % 17 == 0 else 1)
        kpi_days.count_cost(session, store, day, rnd.randrange(30_000))
    figures = ("car_count", "sales_fen", "labour_fen", "parts_fen", "fees_fen", "parts_cost_fen")
    edges = [(date(2026, 7, 1), date(2026, 7, 31)), (date(2026, 7, 1), date(2026, 8, 1)),
             (date(2026, 6, 30), date(2026, 8, 31)), (date(2026, 7, 31), date(2026, 8, 1)),
             (date(2026, 8, 1), date(2026, 8, 1)), (date(2026, 6, 20), date(2026, 10, 7))]
    randoms = [(day, day + timedelta(days=rnd.randrange(110)))
               for day in (start + timedelta(days=rnd.randrange(110)) for _ in range(30))]
    for since, until in edges + randoms:
        period = {"from": since.isoformat(), "to": until.isoformat()}
        stores = finance(session, HQ).kpis(period)["items"]
        days = finance(session, HQ).kpis({**period, "group": "day"})["items"]
        for row in stores:
            mine = [d for d in days if d["store_id"] == row["store_id"]]
            assert {name: row[name] for name in figures} == {name: sum(d[name] for d in mine) for name in figures}
            by_category = defaultdict(int)
            for d in mine:
                for category, net in d["sales_by_category"].items():
                    by_category[category] += net
            assert row["sales_by_category"] == {k: v for k, v in sorted(by_category.items()) if v}
        [chain] = finance(session, HQ).kpis({**period, "group": "chain"})["items"]
        assert chain["store_id"] is None
        assert {name: chain[name] for name in figures} == {name: sum(r[name] for r in stores) for name in figures}


def test_a_trend_shows_its_periods_without_sales_as_zero_rows(session):
    """Sales on the 1st and the 3rd: the day trend has the 2nd as a zero row, the week trend every week."""
    for day in (date(2026, 5, 1), date(2026, 5, 3)):
        kpi_days.count_invoice(session, Invoice(store_id=STORE, business_date=day, labour_fen=10_000, parts_fen=0,
                                                fees_fen=0, billed_hours=Decimal(1), clocked_hours=Decimal(1),
                                                lines=[]))
    period = {"from": "2026-05-01", "to": "2026-05-03", "store_id": STORE}
    days = finance(session, HQ).kpis({**period, "group": "day"})["items"]
    assert [(row["period"], row["sales_fen"], row["aro_fen"]) for row in days] == [
        ("2026-05-01", 10_000, 10_000), ("2026-05-02", 0, None), ("2026-05-03", 10_000, 10_000)]
    weeks = finance(session, HQ).kpis({**period, "from": "2026-04-20", "group": "week"})["items"]
    assert [(row["period"], row["car_count"]) for row in weeks] == [("2026-W17", 0), ("2026-W18", 2)]


def test_every_flow_in_turn_keeps_the_books_balanced_after_each_step(session):
    """Deposit → invoice → split payment with a card → refund → void → cancellation → COGS → expense →
    package sale and cross-store redemption → card cancellation → daily close: balanced after each."""
    steps = []

    def step(name):
        steps.append(name)
        assert_books_balance(session)
        assert_books_balance(session, STORE)
        assert_books_balance(session, OTHER)

    confirmed = order(deposit={"amount_fen": 5_000, "method": "cash", "reference": None})
    finance(session, SYSTEM).on_order_confirmed(envelope("sales.order_confirmed", confirmed))
    step("deposit")
    finance(session, SYSTEM).on_work_order_completed(envelope("workshop.work_order_completed", completed(confirmed)))
    invoice = finance(session, HQ).list_invoices({"order_id": confirmed["order_id"]})["items"][0]
    step("invoice issued, deposit consumed")
    card = stored_value_card(session, amount=20_000, bonus=2_000)
    step("stored-value card sold")
    finance(session).top_up_card(card["id"], {"amount_fen": 10_000, "bonus_fen": 0, "method": "alipay",
                                             "store_id": STORE})
    step("top-up")
    card_payment = finance(session).take_payment(invoice["id"], {"method": "stored_value", "amount_fen": 6_000,
                                                                 "card_id": card["id"]})["payment"]
    step("stored value spent")
    finance(session).take_payment(invoice["id"], {"method": "card", "amount_fen": 40_000})
    step("bank card, invoice paid")
    finance(session).refund_payment(card_payment["id"], {"amount_fen": 2_500, "reason": "部分退款"})
    step("refund onto the card")
    spare = issue(session)
    finance(session, MANAGER).void_invoice(spare["id"], {"reason": "duplicate"})
    step("void")
    cancelled = order(deposit={"amount_fen": 3_000, "method": "wechat", "reference": None})
    finance(session, SYSTEM).on_order_confirmed(envelope("sales.order_confirmed", cancelled))
    finance(session, SYSTEM).on_order_cancelled(envelope("sales.order_cancelled", {
        "order_id": cancelled["order_id"], "store_id": STORE, "reason": "no show",
        "cancelled_at": datetime.now(timezone.utc).isoformat()}))
    step("order cancelled, deposit returned")
    finance(session, SYSTEM).on_stock_issued(envelope("inventory.stock_issued", {
        "order_id": confirmed["order_id"], "work_order_id": None, "store_id": STORE, "lines": [], "cost_fen": 9_900}))
    step("cost of goods sold")
    finance(session, MANAGER).record_expense({"store_id": STORE, "category": "wages", "amount_fen": 500_000,
                                              "paid_from": "bank"})
    step("expense")
    package = finance(session).issue_card({
        "kind": "package", "customer_id": "cust-1", "store_id": STORE, "package_name": "保养套餐",
        "items": [{"service_code": "MAINT", "name": "保养", "units": 3}], "price_fen": 45_000, "method": "card"})
    elsewhere = issue(session, store_id=OTHER)
    finance(session, OTHER_CASHIER).take_payment(elsewhere["id"], {
        "method": "package", "amount_fen": 18_000, "card_id": package["id"], "service_code": "MAINT"})
    step("package redeemed at another store")
    finance(session, OTHER_CASHIER).take_payment(elsewhere["id"], {"method": "cash", "amount_fen": 33_000})
    step("rest paid in cash elsewhere")
    finance(session, MANAGER).cancel_card(card["id"], {"method": "cash"})
    step("stored-value card cancelled")
    today = ledger.business_date(session, STORE)
    finance(session, MANAGER).close_day({"store_id": STORE, "date": today.isoformat(), "cash_counted_fen": 0})
    step("daily close with a shortage")
    assert len(steps) == 15


def test_a_deposit_by_bank_transfer_is_banked_and_consumed_by_the_invoice(session):
    invoice = issue(session, deposit={"amount_fen": 51_000, "method": "transfer", "reference": "网银"})
    assert invoice["status"] == "paid" and invoice["due_fen"] == 0
    assert len(events(session, "invoice_paid")) == 1
    books = assert_books_balance(session)
    assert books["1002"] == 51_000 and books.get("1122", 0) == 0 and books.get("2203", 0) == 0
    [deposit] = finance(session).get_invoice(invoice["id"])["payments"]
    finance(session, MANAGER).refund_payment(deposit["id"], {"amount_fen": 51_000, "reason": "整单退款"})
    assert assert_books_balance(session)["1002"] == 0


def test_a_deposit_larger_than_the_invoice_refunds_its_excess_from_customer_deposits(session):
    invoice = issue(session, deposit={"amount_fen": 60_000, "method": "cash", "reference": None})
    assert invoice["status"] == "paid" and invoice["deposit_fen"] == 51_000
    assert assert_books_balance(session)["2203"] == -9_000
    [deposit] = finance(session).get_invoice(invoice["id"])["payments"]
    finance(session, MANAGER).refund_payment(deposit["id"], {"amount_fen": 10_000, "reason": "多收定金"})
    books = assert_books_balance(session)
    # 9,000 was never revenue: it leaves customer deposits; the other 1,000 is a refund of the invoice
    assert books.get("2203", 0) == 0 and books["4102"] == 1_000 - 93 and books["1001"] == 50_000
    assert finance(session).get_invoice(invoice["id"])["refunded_fen"] == 1_000


def test_a_top_up_taken_at_another_store_is_owed_to_the_cards_store_until_hq_settles(session):
    card = stored_value_card(session, amount=10_000, bonus=0)
    finance(session, OTHER_CASHIER).top_up_card(card["id"], {"amount_fen": 20_000, "method": "cash",
                                                             "store_id": OTHER})
    assert finance(session).get_card(card["id"])["paid_balance_fen"] == 30_000
    issuing, taking = assert_books_balance(session, STORE), assert_books_balance(session, OTHER)
    assert issuing["2205"] == -30_000 and issuing["1190"] == 20_000
    assert taking["1001"] == 20_000 and taking["2190"] == -20_000
    [position] = finance(session, MANAGER).settlement_positions({"store_id": STORE})["items"]
    assert (position["store_id"], position["receivable_fen"], position["net_fen"]) == (OTHER, 20_000, 20_000)
    finance(session, HQ).settle_between({"debtor_store_id": OTHER, "creditor_store_id": STORE})
    assert assert_books_balance(session, STORE).get("1190", 0) == 0
    assert assert_books_balance(session, OTHER).get("2190", 0) == 0


def test_receivables_age_from_the_day_the_invoice_was_issued(session):
    invoice = issue(session)
    finance(session).take_payment(invoice["id"], {"method": "cash", "amount_fen": 1_000})
    issued = date.fromisoformat(invoice["business_date"])
    late = finance(session, MANAGER).receivables_ageing({"store_id": STORE,
                                                         "as_of": (issued + timedelta(45)).isoformat()})
    assert late["chain"]["days_31_60_fen"] == invoice["total_fen"] - 1_000 == late["chain"]["total_fen"]
    [store] = late["stores"]
    assert store["store_id"] == STORE and store["days_31_60_fen"] == late["chain"]["total_fen"]
    today = finance(session, MANAGER).receivables_ageing({"store_id": STORE, "as_of": issued.isoformat()})
    assert today["chain"]["current_fen"] == today["chain"]["total_fen"] == invoice["total_fen"] - 1_000
    with pytest.raises(Forbidden):
        finance(session, MANAGER).receivables_ageing({"store_id": OTHER})


def test_retention_counts_each_months_new_customers_and_who_came_back_within_each_window(session):
    """January's new customers: one back in 27 days, one in 240, one never; a window not over for the whole
    month is null (a young cohort never looks lost); another store's first visits are its own."""
    visits = {"a": [date(2026, 1, 5), date(2026, 2, 1)], "b": [date(2026, 1, 20), date(2026, 9, 17)],
              "c": [date(2026, 1, 31)], "d": [date(2025, 12, 30), date(2026, 1, 10)], "e": [date(2026, 11, 2)]}
    for customer, days in visits.items():
        for day in days:
            invoice = issue(session, customer_id=f"cust-{customer}")
            session.execute(update(Invoice).where(Invoice.id == invoice["id"]).values(business_date=day))
    issue(session, store_id=OTHER, customer_id="cust-c")
    session.commit()
    report = finance(session, MANAGER).retention({"from": "2026-01", "to": "2026-11"})["items"]
    january = report[0]
    assert (january["month"], january["new_customers"]) == ("2026-01", 3)  # d came first in December
    year_over = date.today() >= date(2026, 1, 31) + timedelta(days=365)
    returns = (january["returned_90"], january["returned_180"], january["returned_365"])
    assert returns == (1, 1, 2 if year_over else None)
    assert january["retention_90_pct"] == pytest.approx(33.3)
    november = report[-1]
    assert (november["new_customers"], november["returned_90"], november["retention_90_pct"]) == (1, None, None)
    assert [row["month"] for row in report] == [f"2026-{m:02d}" for m in range(1, 12)]
    with pytest.raises(Forbidden):
        finance(session, MANAGER).retention({"from": "2026-01", "to": "2026-02", "store_id": OTHER})
    with pytest.raises(Invalid):
        finance(session, MANAGER).retention({"from": "2026-05", "to": "2026-01"})


def retention_book(session) -> list[tuple]:
    return [tuple(row) for row in session.execute(select(RetentionCohort.__table__).order_by(
        RetentionCohort.first_month, RetentionCohort.returned_within)) if row.customers]


def test_the_chains_retention_from_the_book_kept_with_each_invoice_equals_the_invoices_read(session, monkeypatch):
    """The chain's cohorts come from the retention book, moved by each invoice issued or voided: a second visit at
    another store, two invoices on one day (one visit), a void taking a return (or a first visit) back, a late invoice
    dated before the first. The book equals one rebuilt from the invoices, and the chain's report equals every
    store's read from them."""
    day = {"at": date(2026, 1, 1)}
    monkeypatch.setattr(ledger, "business_date", lambda *args, **kwargs: day["at"])

    def visit(customer: str, on: date, store: str = STORE) -> dict:
        day["at"] = on
        return issue(session, store_id=store, customer_id=f"cust-{customer}")
    visit("d", date(2025, 12, 30))
    visit("a", date(2026, 1, 5))
    visit("d", date(2026, 1, 10))
    visit("b", date(2026, 1, 20))
    visit("b", date(2026, 1, 20), store=OTHER)  # the same day: one visit
    visit("c", date(2026, 1, 31))
    visit("a", date(2026, 2, 1))
    wrong = visit("f", date(2026, 2, 2))
    visit("e", date(2026, 3, 1))
    visit("c", date(2026, 3, 1), store=OTHER)
    returned = visit("e", date(2026, 3, 20))
    finance(session, MANAGER).void_invoice(returned["id"], {"reason": "wrong customer"})
    finance(session, MANAGER).void_invoice(wrong["id"], {"reason": "wrong customer"})
    visit("f", date(2026, 4, 1))
    visit("g", date(2026, 6, 1))
    visit("g", date(2026, 5, 1))  # a late invoice: g came first in May
    visit("b", date(2026, 9, 17))
    session.commit()
    kept = retention_book(session)
    assert (date(2026, 1, 1), 90, 2) in kept and (date(2026, 1, 1), 365, 1) in kept  # a and c (at OTHER); b
    assert (date(2026, 3, 1), 0, 1) in kept and not [row for row in kept if row[0] == date(2026, 2, 1)]  # e; f
    today = date(2027, 6, 1)
    chain = cohorts.cohorts(session, None, "2025-12", "2026-11", today)
    assert chain == cohorts.cohorts(session, [STORE, OTHER], "2025-12", "2026-11", today)
    assert [(row["month"], row["new_customers"], row["returned_90"], row["returned_365"]) for row in chain[:7]] == [
        ("2025-12", 1, 1, 1), ("2026-01", 3, 2, 3), ("2026-02", 0, 0, 0), ("2026-03", 1, 0, 0),
        ("2026-04", 1, 0, 0), ("2026-05", 1, 1, 1), ("2026-06", 0, 0, None)]
    cohorts.rebuild(session.connection())
    assert retention_book(session) == kept
    assert finance(session, HQ).retention({"from": "2025-12", "to": "2026-11"})["items"] == finance(
        session, Caller(user_id="m", role="store_manager", store_ids=frozenset({STORE, OTHER}))).retention(
        {"from": "2025-12", "to": "2026-11"})["items"]


def test_a_closed_month_takes_no_posting_a_late_one_lands_on_the_first_open_day(session):
    """月结: once a month is over the manager closes it; a posting dated in it afterwards (a late event) is dated the
    first open day after it, so the month's trial balance stays as it was closed."""
    today = ledger.today(session, STORE)
    last_day = today.replace(day=1) - timedelta(days=1)
    last_month = f"{last_day:%Y-%m}"
    ledger.post_journal_entry(session, STORE, [debit("1001", 500), credit("4101", 500)], source_type="test",
                              source_id="before", memo="before the close", day=last_day)
    as_closed = finance(session, HQ).trial_balance({"store_id": STORE, "as_of": last_day.isoformat()})
    with pytest.raises(Forbidden):
        finance(session, CASHIER).close_month({"store_id": STORE, "month": last_month})
    with pytest.raises(Invalid) as not_over:
        finance(session, MANAGER).close_month({"store_id": STORE, "month": f"{today:%Y-%m}"})
    assert not_over.value.code == "month_not_over"
    closed = finance(session, MANAGER).close_month({"store_id": STORE, "month": last_month})
    assert (closed["month"], closed["closed"], closed["over"]) == (last_month, True, True)
    with pytest.raises(Conflict) as again:
        finance(session, MANAGER).close_month({"store_id": STORE, "month": last_month})
    assert again.value.code == "month_closed"
    late = ledger.post_journal_entry(session, STORE, [debit("1001", 700), credit("4101", 700)], source_type="test",
                                     source_id="late", memo="a late event", day=last_day)
    assert late is not None and late.business_date == ledger.business_date(session, STORE) >= today
    assert finance(session, HQ).trial_balance({"store_id": STORE, "as_of": last_day.isoformat()}) == as_closed
    months = finance(session, MANAGER).month_closes({"store_id": STORE})["items"]
    assert [m["month"] for m in months][:2] == [f"{today:%Y-%m}", last_month] and len(months) == 12
    assert (months[0]["over"], months[0]["closed"], months[1]["closed"]) == (False, False, True)
    with pytest.raises(Forbidden):
        finance(session, Caller(user_id="m-2", role="store_manager", store_ids=frozenset({OTHER}))).month_closes(
            {"store_id": STORE})
    assert_books_balance(session)


def test_customer_figures_count_the_named_customers_invoices_and_revenue_over_the_days(session):
    """Per customer named: invoices over the business days at the caller's stores (void, other days, other
    stores and customers not named left out); managers only."""
    kept = [issue(session, customer_id=customer) for customer in ("src-a", "src-a", "src-b")]
    issue(session, customer_id="src-c")
    issue(session, store_id=OTHER, customer_id="src-b")
    old = issue(session, customer_id="src-b")
    session.execute(update(Invoice).where(Invoice.id == old["id"]).values(business_date=date(2020, 1, 1)))
    session.commit()
    day = kept[0]["business_date"]
    rows = finance(session, MANAGER).customer_figures({"customer_ids": ["src-a", "src-b", "src-z"], "from": day,
                                                       "to": day})["items"]
    assert {row["customer_id"]: (row["invoices"], row["revenue_fen"]) for row in rows} == {
        "src-a": (2, kept[0]["total_fen"] + kept[1]["total_fen"]), "src-b": (1, kept[2]["total_fen"])}
    with pytest.raises(Forbidden):
        finance(session, CASHIER).customer_figures({"customer_ids": ["src-a"], "from": day, "to": day})
    with pytest.raises(Forbidden):
        finance(session, MANAGER).customer_figures({"customer_ids": ["src-a"], "from": day, "to": day,
                                                    "store_id": OTHER})


def test_a_package_cards_value_kept_on_the_card_follows_its_items_through_redeem_refund_and_cancel(session):
    """Card liabilities read a package's unredeemed value kept on the card: after each redemption, refund of one
    and the cancel it equals what the items hold (and the ledger's 2206)."""
    package = finance(session).issue_card({
        "kind": "package", "customer_id": "cust-5", "store_id": STORE, "package_name": "保养套餐",
        "items": [{"service_code": "WASH", "name": "精洗", "units": 10}, {"service_code": "OIL", "name": "换油",
                                                                        "units": 2}],
        "price_fen": 40_000, "method": "wechat"})

    def kept_and_held() -> tuple[int, int, int]:
        total = finance(session, HQ).card_liabilities({})["total"]
        held = session.execute(select(func.sum(PackageItem.value_left_fen))
                               .where(PackageItem.card_id == package["id"])).scalar()
        return total["package_value_fen"], int(held), total["ledger_fen"]
    assert kept_and_held() == (40_000, 40_000, 40_000)
    invoice = issue(session, customer_id="cust-5",
                    lines=[line("labour", "精洗", 5_000, "0.06", 283, op_code="WASH", hours="0.5")])
    redeemed = finance(session).take_payment(invoice["id"], {"method": "package", "amount_fen": 5_000,
                                                             "card_id": package["id"], "service_code": "WASH"})
    value, held, ledger_fen = kept_and_held()
    assert value == held == ledger_fen < 40_000
    finance(session, MANAGER).refund_payment(redeemed["payment"]["id"], {"amount_fen": 5_000, "reason": "返工"})
    assert kept_and_held() == (40_000, 40_000, 40_000)
    finance(session, MANAGER).cancel_card(package["id"], {"method": "cash"})
    total = finance(session, HQ).card_liabilities({})["total"]
    assert (total["package_cards"], total["package_value_fen"], total["ledger_fen"]) == (0, 0, 0)
    assert_books_balance(session)


def test_card_liabilities_per_store_equal_the_ledgers_2205_and_2206(session):
    """Open stored-value cards (principal and bonus apart), a package partly redeemed, a cancelled card left
    out, another store's card its own; per store and in total the liability equals the ledger's 2205 + 2206."""
    spent = stored_value_card(session, amount=100_000, bonus=10_000)
    stored_value_card(session, amount=50_000, bonus=0, customer_id="cust-2")
    gone = stored_value_card(session, amount=20_000, bonus=2_000, customer_id="cust-3")
    finance(session, MANAGER).cancel_card(gone["id"], {"method": "cash"})
    finance(session, OTHER_CASHIER).issue_card({"kind": "stored_value", "customer_id": "cust-4", "store_id": OTHER,
                                                "top_up": {"amount_fen": 30_000, "bonus_fen": 3_000, "method": "cash"}})
    package = finance(session).issue_card({
        "kind": "package", "customer_id": "cust-5", "store_id": STORE, "package_name": "洗车10次",
        "items": [{"service_code": "WASH", "name": "精洗", "units": 10}], "price_fen": 30_000, "method": "wechat"})
    invoice = issue(session, customer_id="cust-5",
                    lines=[line("labour", "精洗", 5_000, "0.06", 283, op_code="WASH", hours="0.5")])
    finance(session).take_payment(invoice["id"], {"method": "package", "amount_fen": 5_000, "card_id": package["id"],
                                                  "service_code": "WASH"})
    other = issue(session)
    finance(session).take_payment(other["id"], {"method": "stored_value", "amount_fen": 11_000, "card_id": spent["id"]})
    books = assert_books_balance(session, STORE)
    report = finance(session, MANAGER).card_liabilities({})
    [mine] = report["items"]
    assert (mine["store_id"], mine["stored_value_cards"], mine["package_cards"]) == (STORE, 2, 1)
    assert (mine["paid_balance_fen"], mine["bonus_balance_fen"]) == (100_000 - 10_000 + 50_000, 10_000 - 1_000)
    assert mine["package_value_fen"] == 27_000  # 9 of 10 washes left of ¥300
    assert mine["liability_fen"] == mine["ledger_fen"] == -books["2205"] - books["2206"]
    assert mine["difference_fen"] == 0 and report["total"]["liability_fen"] == mine["liability_fen"]
    chain = finance(session, HQ).card_liabilities({})
    chain_books = assert_books_balance(session)
    assert [row["store_id"] for row in chain["items"]] == sorted([STORE, OTHER])
    assert chain["total"]["liability_fen"] == chain["total"]["ledger_fen"] == -chain_books["2205"] - chain_books["2206"]
    assert chain["total"]["bonus_balance_fen"] == 9_000 + 3_000 and chain["total"]["difference_fen"] == 0
    with pytest.raises(Forbidden):
        finance(session, CASHIER).card_liabilities({})
    with pytest.raises(Forbidden):
        finance(session, MANAGER).card_liabilities({"store_id": OTHER})


def test_window_figures_count_each_customers_invoices_within_their_own_days(session):
    """Per window named: the customer's invoices over its business days at the caller's stores (other days, other
    stores, void left out; windows with none absent); the same customer in two windows counted in each."""
    a1, a2 = issue(session, customer_id="win-a"), issue(session, customer_id="win-a")
    issue(session, store_id=OTHER, customer_id="win-b")
    old = issue(session, customer_id="win-b")
    session.execute(update(Invoice).where(Invoice.id == old["id"]).values(business_date=date(2020, 1, 1)))
    session.commit()
    day = date.fromisoformat(a1["business_date"])
    windows = [{"customer_id": "win-a", "from": day.isoformat(), "to": day.isoformat()},
               {"customer_id": "win-a", "from": (day - timedelta(days=9)).isoformat(),
                "to": (day - timedelta(days=1)).isoformat()},
               {"customer_id": "win-b", "from": "2020-01-01", "to": day.isoformat()}]
    rows = finance(session, MANAGER).window_figures({"windows": windows})["items"]
    assert rows == [{"customer_id": "win-a", "from": day.isoformat(), "to": day.isoformat(), "invoices": 2,
                     "revenue_fen": a1["total_fen"] + a2["total_fen"]},
                    {"customer_id": "win-b", "from": "2020-01-01", "to": day.isoformat(), "invoices": 1,
                     "revenue_fen": old["total_fen"]}]
    with pytest.raises(Forbidden):
        finance(session, CASHIER).window_figures({"windows": windows})
    with pytest.raises(Forbidden):
        finance(session, MANAGER).window_figures({"windows": windows, "store_id": OTHER})
