"""Procure-to-pay on one SQLite database per owner, no broker: goods received and sent back in
inventory, their stock events booked by finance, supplier invoices matched three ways against
inventory's purchase order (read through the guarded RPC proxy: never inside a write), held
mismatches decided by a manager, supplier payments over several invoices; and after every step
each store's reconciliation holds (debits = credits, inventory = valuation, payables = open
supplier invoices, receivables = open invoices) and the balance sheet balances."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from nameko.testing.services import worker_factory

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden
from services.contracts.rpc.finance import reconcile
from services.finance.service import FinanceService
from tests.service.test_inventory_service import HQ, MANAGER, S1, inv, new_part, supplier
from tests.service.test_stock_books import accounts, books_db, deliver, stock_db  # noqa: F401  (fixtures)
from tests.support.service import guarded

CASHIER = Caller(user_id="c1", role="cashier", store_ids=frozenset({S1}), request_id="r-c")


class Inventory:
    """inventory's RPC answered from its own database, as the caller."""

    def __init__(self, stock, caller):
        self.stock_db, self.caller = stock, caller

    def get_purchase_order(self, po_id):
        return inv(self.stock_db, self.caller).get_purchase_order(po_id)


def finance(books, stock, caller=MANAGER):
    service = worker_factory(FinanceService, db=books, caller=caller)
    service.inventory = guarded(Inventory(stock, caller), "inventory", books)
    return service


def holds(stock, books) -> dict:
    """Every invariant of every store holds, and the balance sheet balances: S1's invariants by code."""
    result = reconcile(finance(books, stock, HQ).book_sides({})["stores"], inv(stock, HQ).valuation({})["stores"])
    assert result["ok"], result
    sheet = finance(books, stock, HQ).balance_sheet({"store_id": S1})
    assert sheet["balanced"] and sheet["total_assets_fen"] == sheet["total_liabilities_fen"] + sheet["total_equity_fen"]
    [store] = [store for store in result["stores"] if store["store_id"] == S1]
    return {item["code"]: item for item in store["invariants"]}


def ordered_and_received(stock, lines: list[tuple[str, int, int]], supplier_id: str | None = None) -> dict:
    keeper = inv(stock)
    po = keeper.create_purchase_order({"store_id": S1, "supplier_id": supplier_id or supplier(stock)["id"],
                                       "submit": True,
                                       "lines": [{"sku": sku, "qty": qty, "unit_cost_fen": cost}
                                                 for sku, qty, cost in lines]})
    keeper.receive_purchase_order(po["id"], {"lines": [{"sku": sku, "qty": qty} for sku, qty, _cost in lines]})
    return po


def test_procure_to_pay_keeps_every_invariant_after_each_step(stock_db, books_db):  # noqa: F811
    delivered: set = set()
    sync = lambda: deliver(stock_db, books_db, delivered)  # noqa: E731
    filters, pads = new_part(stock_db)["sku"], new_part(stock_db)["sku"]
    first = ordered_and_received(stock_db, [(filters, 10, 1_234), (pads, 3, 33_333)])
    sync()
    assert accounts(books_db, S1)["2209"] == -112_339
    holds(stock_db, books_db)

    # matched three ways: booked at once, goods received not invoiced cleared
    issued = date(2026, 11, 1)
    matched = finance(books_db, stock_db, CASHIER).record_supplier_invoice({
        "purchase_order_id": first["id"], "number": "FP-0001", "issued_on": issued.isoformat(), "vat_fen": 12_924,
        "lines": [{"sku": filters, "qty": 10, "unit_price_fen": 1_250},
                  {"sku": pads, "qty": 3, "unit_price_fen": 33_333}]})
    assert (matched["status"], matched["matched"], matched["issues"]) == ("open", True, [])
    assert matched["total_fen"] == 112_499 and matched["due_on"] == (issued + timedelta(30)).isoformat()
    books = accounts(books_db, S1)
    assert (books["2209"], books["2202"], books["1171"]) == (0, -112_499, 12_924)
    assert books["5002"] == 112_499 - 12_924 - 112_339  # billed 1.6 fen a filter above the order, VAT apart
    assert holds(stock_db, books_db)["payables_equal_open_supplier_invoices"]["left_fen"] == 112_499

    with pytest.raises(Conflict) as taken:  # the same supplier's invoice number twice
        finance(books_db, stock_db).record_supplier_invoice({
            "purchase_order_id": first["id"], "number": "FP-0001", "issued_on": issued.isoformat(),
            "lines": [{"sku": filters, "qty": 1, "unit_price_fen": 1_234}]})
    assert taken.value.code == "supplier_invoice_taken"

    # a second order: 5 received, 1 sent back, then billed 5 at 10 % above the order: held
    second = ordered_and_received(stock_db, [(filters, 5, 1_000)], first["supplier_id"])
    inv(stock_db).return_to_supplier(second["id"], {"lines": [{"sku": filters, "qty": 1}], "reason": "破损"})
    sync()
    holds(stock_db, books_db)
    held = finance(books_db, stock_db, CASHIER).record_supplier_invoice({
        "purchase_order_id": second["id"], "number": "FP-0002", "issued_on": issued.isoformat(),
        "lines": [{"sku": filters, "qty": 5, "unit_price_fen": 1_100}]})
    assert held["status"] == "held" and {issue["kind"] for issue in held["issues"]} == {"price", "quantity"}
    assert held["lines"][0]["qty_matchable"] == 4 and held["due_fen"] == 0
    assert accounts(books_db, S1)["2202"] == -112_499  # nothing booked while held
    holds(stock_db, books_db)
    with pytest.raises(Forbidden):
        finance(books_db, stock_db, CASHIER).decide_supplier_invoice(held["id"], {"approve": True, "reason": "已核"})
    approved = finance(books_db, stock_db).decide_supplier_invoice(held["id"], {"approve": True,
                                                                                "reason": "供应商补发一件"})
    assert approved["status"] == "open" and approved["received_value_fen"] == 4_000
    assert accounts(books_db, S1)["2202"] == -112_499 - 5_500
    holds(stock_db, books_db)
    with pytest.raises(Conflict) as twice:
        finance(books_db, stock_db).decide_supplier_invoice(held["id"], {"approve": False, "reason": "重复"})
    assert twice.value.code == "supplier_invoice_state"

    # one payment over both invoices: the first in part, the second in full
    pay = {"method": "bank", "reference": "BANK-77", "allocations": [
        {"supplier_invoice_id": matched["id"], "amount_fen": 50_000},
        {"supplier_invoice_id": held["id"], "amount_fen": 5_500}]}
    payment = finance(books_db, stock_db).pay_suppliers(pay, idempotency_key="m1:pay-1")
    assert payment["amount_fen"] == 55_500
    again = finance(books_db, stock_db).pay_suppliers(pay, idempotency_key="m1:pay-1")  # a retry pays nothing
    assert again["id"] == payment["id"]
    books = accounts(books_db, S1)
    assert (books["2202"], books["1002"]) == (-(112_499 + 5_500 - 55_500), -55_500)
    statuses = {i["id"]: i["status"] for i in finance(books_db, stock_db).list_supplier_invoices({})["items"]}
    assert (statuses[matched["id"]], statuses[held["id"]]) == ("partially_paid", "paid")
    assert holds(stock_db, books_db)["payables_equal_open_supplier_invoices"]["right_fen"] == 62_499
    with pytest.raises(Conflict) as above:
        finance(books_db, stock_db).pay_suppliers({"method": "cash", "allocations": [
            {"supplier_invoice_id": matched["id"], "amount_fen": 62_500}]})
    assert above.value.code == "supplier_payment_above_due" and above.value.params["due_fen"] == 62_499

    # ageing: 40 days past due, the rest in 31–60, per supplier, store and chain
    ageing = finance(books_db, stock_db).payables_ageing({"store_id": S1, "as_of": (
        issued + timedelta(70)).isoformat()})
    assert ageing["chain"]["days_31_60_fen"] == 62_499 == ageing["chain"]["total_fen"]
    [store] = ageing["stores"]
    assert store["suppliers"][0]["supplier_name"] == "广州汽配批发" and store["total_fen"] == 62_499

    # the supplier's statement: both invoices, then the payment, with the running balance
    statement = finance(books_db, stock_db).supplier_statement(first["supplier_id"], {
        "store_id": S1, "from": "2026-01-01", "to": "2099-12-31"})
    assert [(line["kind"], line["balance_fen"]) for line in statement["lines"]] == [
        ("invoice", 112_499), ("invoice", 117_999), ("payment", 117_999 - 55_500)]
    assert statement["closing_balance_fen"] == 62_499 and statement["supplier_name"] == "广州汽配批发"
    holds(stock_db, books_db)


def test_an_invoice_for_another_stores_order_is_refused(stock_db, books_db):  # noqa: F811
    po = ordered_and_received(stock_db, [(new_part(stock_db)["sku"], 1, 500)])
    other = Caller(user_id="m2", role="store_manager", store_ids=frozenset({"store-sz"}), request_id="r-2")
    with pytest.raises(Forbidden):
        finance(books_db, stock_db, other).record_supplier_invoice({
            "purchase_order_id": po["id"], "number": "FP-X", "issued_on": "2026-11-01",
            "lines": [{"sku": po["lines"][0]["sku"], "qty": 1, "unit_price_fen": 500}]})
