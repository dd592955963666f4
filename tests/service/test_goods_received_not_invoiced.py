"""Goods received not invoiced (2209, 暂估应付款) proven against the receipts: its balance equals what
inventory received from suppliers less what it sent back, less the received value booked supplier
invoices matched and plus what their credit notes gave back — the receipts no invoice has matched
yet. Held up after each step of a purchase order's life; a posting to 2209 that no document stands
for, or a receipt the books missed, shows as the difference (and only there, for the stray posting)."""
from __future__ import annotations

from datetime import date

from services.contracts.rpc.finance import reconcile
from services.finance.domain import ledger
from services.finance.domain.ledger import GRNI, PRICE_VARIANCE, credit, debit
from tests.service.test_inventory_service import HQ, S1, inv, new_part
from tests.service.test_payables import finance, holds, ordered_and_received
from tests.service.test_stock_books import accounts, books_db, deliver, stock_db  # noqa: F401  (fixtures)

ISSUED = date(2026, 11, 1).isoformat()
CODE = "grni_equals_unmatched_receipts"


def checks(stock, books) -> dict:
    """S1's invariants by code, holding or not."""
    result = reconcile(finance(books, stock, HQ).book_sides({})["stores"], inv(stock, HQ).valuation({})["stores"])
    [store] = [store for store in result["stores"] if store["store_id"] == S1]
    return {item["code"]: item for item in store["invariants"]}


def unmatched(stock, books) -> int:
    """2209 as the invariant found it holding: both sides, the same."""
    check = holds(stock, books)[CODE]
    assert check["left_fen"] == check["right_fen"] == -accounts(books, S1).get("2209", 0)
    return check["right_fen"]


def test_2209_follows_the_receipts_not_yet_invoiced_through_a_purchase_orders_life(stock_db, books_db):  # noqa: F811
    delivered: set = set()
    sync = lambda: deliver(stock_db, books_db, delivered)  # noqa: E731
    sku = new_part(stock_db)["sku"]
    po = ordered_and_received(stock_db, [(sku, 10, 1_000)])
    sync()
    assert unmatched(stock_db, books_db) == 10_000  # received, nothing billed
    valued = inv(stock_db, HQ).valuation({"store_id": S1})["stores"][0]
    assert valued["received_fen"] == 10_000

    first = finance(books_db, stock_db).record_supplier_invoice({
        "purchase_order_id": po["id"], "number": "GR-1", "issued_on": ISSUED, "vat_fen": 600,
        "lines": [{"sku": sku, "qty": 6, "unit_price_fen": 1_000}]})
    assert first["status"] == "open" and unmatched(stock_db, books_db) == 4_000

    inv(stock_db).return_to_supplier(po["id"], {"lines": [{"sku": sku, "qty": 1}], "reason": "破损"})
    sync()
    assert unmatched(stock_db, books_db) == 3_000  # sent back before it was billed: less to match

    held = finance(books_db, stock_db).record_supplier_invoice({  # billed above the order: held, books nothing
        "purchase_order_id": po["id"], "number": "GR-2", "issued_on": ISSUED,
        "lines": [{"sku": sku, "qty": 3, "unit_price_fen": 1_500}]})
    assert held["status"] == "held" and unmatched(stock_db, books_db) == 3_000
    finance(books_db, stock_db).decide_supplier_invoice(held["id"], {"approve": True, "reason": "涨价已确认"})
    assert unmatched(stock_db, books_db) == 0  # all received is billed, at what was received

    # one more sent back after billing: a debit on 2209 (billed, not kept) until the credit note clears it
    sent_back = inv(stock_db).return_to_supplier(po["id"], {"lines": [{"sku": sku, "qty": 1}], "reason": "质量问题"})
    sync()
    assert unmatched(stock_db, books_db) == -1_000
    finance(books_db, stock_db).record_supplier_credit_note({
        "store_id": S1, "supplier_id": po["supplier_id"], "supplier_invoice_id": first["id"],
        "return_id": sent_back["id"], "number": "GR-HZ-1", "issued_on": ISSUED, "total_fen": 1_130, "vat_fen": 130,
        "returned_value_fen": sent_back["value_fen"]})
    assert unmatched(stock_db, books_db) == 0


def test_a_posting_to_2209_no_document_stands_for_shows_as_the_difference(stock_db, books_db):  # noqa: F811
    delivered: set = set()
    sku = new_part(stock_db)["sku"]
    ordered_and_received(stock_db, [(sku, 5, 2_000)])
    deliver(stock_db, books_db, delivered)
    assert unmatched(stock_db, books_db) == 10_000

    ledger.post_journal_entry(books_db, S1, [debit(GRNI, 700), credit(PRICE_VARIANCE, 700)],
                              source_type="manual", source_id="stray-1", memo="A stray clearing of 2209")
    books_db.commit()
    found = checks(stock_db, books_db)
    assert (found[CODE]["left_fen"], found[CODE]["right_fen"], found[CODE]["difference_fen"]) == (9_300, 10_000, -700)
    assert [code for code, item in found.items() if item["difference_fen"]] == [CODE]  # the other books hold
    assert found[CODE]["left"] == "finance:2209"


def test_a_receipt_the_books_missed_shows_as_the_difference(stock_db, books_db):  # noqa: F811
    delivered: set = set()
    sku = new_part(stock_db)["sku"]
    ordered_and_received(stock_db, [(sku, 2, 3_000)])
    deliver(stock_db, books_db, delivered)
    ordered_and_received(stock_db, [(sku, 1, 4_000)])  # its stock event not yet booked
    found = checks(stock_db, books_db)
    assert (found[CODE]["left_fen"], found[CODE]["right_fen"]) == (6_000, 10_000)
    deliver(stock_db, books_db, delivered)
    assert unmatched(stock_db, books_db) == 10_000
