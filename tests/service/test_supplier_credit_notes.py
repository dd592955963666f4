"""Supplier credit notes (红字发票): goods sent back after their invoice was booked leave a debit on
2209 goods received not invoiced; the supplier's credit note clears it (Dr 2202 · Cr 1171 · Cr 2209,
any difference to the goods' value on 5002), takes what it can off the invoice it names, leaves the
rest as a credit with the supplier; it shows on the supplier's statement and the payables ageing,
and after each step every invariant holds (debits = credits, payables = open documents)."""
from __future__ import annotations

from datetime import date

import pytest

from services.common.errors import Conflict, Forbidden, Invalid
from services.common.context import Caller
from tests.service.test_inventory_service import HQ, S1, inv, new_part
from tests.service.test_payables import CASHIER, finance, holds, ordered_and_received
from tests.service.test_stock_books import accounts, books_db, deliver, stock_db  # noqa: F401  (fixtures)

ISSUED = date(2026, 11, 1).isoformat()


def payables(stock, books) -> tuple[int, int]:
    check = holds(stock, books)["payables_equal_open_supplier_invoices"]
    return check["left_fen"], check["right_fen"]


def test_a_credit_note_for_goods_sent_back_clears_2209_and_what_the_supplier_is_owed(stock_db, books_db):  # noqa: F811
    delivered: set = set()
    sync = lambda: deliver(stock_db, books_db, delivered)  # noqa: E731
    sku = new_part(stock_db)["sku"]
    po = ordered_and_received(stock_db, [(sku, 10, 1_130)])
    sync()
    invoice = finance(books_db, stock_db, CASHIER).record_supplier_invoice({
        "purchase_order_id": po["id"], "number": "FP-1001", "issued_on": ISSUED, "vat_fen": 1_300,
        "lines": [{"sku": sku, "qty": 10, "unit_price_fen": 1_130}]})
    assert invoice["status"] == "open" and invoice["due_fen"] == 11_300
    assert accounts(books_db, S1)["2209"] == 0

    # two sent back after the invoice was booked: a debit on 2209 until the supplier credits them
    sent_back = inv(stock_db).return_to_supplier(po["id"], {"lines": [{"sku": sku, "qty": 2}], "reason": "破损"})
    sync()
    assert accounts(books_db, S1)["2209"] == sent_back["value_fen"] == 2_260
    holds(stock_db, books_db)

    note = {"store_id": S1, "supplier_id": po["supplier_id"], "supplier_invoice_id": invoice["id"],
            "return_id": sent_back["id"], "number": "HZ-0001", "issued_on": ISSUED, "total_fen": 2_260,
            "vat_fen": 260, "returned_value_fen": sent_back["value_fen"], "reason": "退货红字"}
    made = finance(books_db, stock_db, CASHIER).record_supplier_credit_note(note, idempotency_key="c1:hz-1")
    again = finance(books_db, stock_db, CASHIER).record_supplier_credit_note(note, idempotency_key="c1:hz-1")
    assert again["id"] == made["id"]  # a retry records nothing more
    assert (made["applied_fen"], made["unapplied_fen"], made["supplier_name"]) == (2_260, 0, invoice["supplier_name"])
    books = accounts(books_db, S1)
    assert (books["2209"], books["2202"], books["1171"]) == (0, -(11_300 - 2_260), 1_300 - 260)
    credited = finance(books_db, stock_db).get_supplier_invoice(invoice["id"])
    assert (credited["credited_fen"], credited["due_fen"], credited["status"]) == (2_260, 9_040, "open")
    assert payables(stock_db, books_db) == (9_040, 9_040)
    with pytest.raises(Conflict) as taken:
        finance(books_db, stock_db).record_supplier_credit_note({**note, "total_fen": 1_000})
    assert taken.value.code == "supplier_credit_note_taken"
    with pytest.raises(Conflict) as reused:
        finance(books_db, stock_db, CASHIER).record_supplier_credit_note({**note, "number": "HZ-9"},
                                                                         idempotency_key="c1:hz-1")
    assert reused.value.code == "idempotency_key_reused"

    # the rest paid; then a second credit note for the invoice paid in full stands as a credit
    finance(books_db, stock_db).pay_suppliers({"method": "bank", "allocations": [
        {"supplier_invoice_id": invoice["id"], "amount_fen": 9_040}]})
    assert finance(books_db, stock_db).get_supplier_invoice(invoice["id"])["status"] == "paid"
    late = finance(books_db, stock_db).record_supplier_credit_note({
        **note, "number": "HZ-0002", "total_fen": 565, "vat_fen": 65, "returned_value_fen": None, "return_id": None})
    assert (late["applied_fen"], late["unapplied_fen"], late["returned_value_fen"]) == (0, 565, 500)
    assert payables(stock_db, books_db) == (-565, -565)  # the supplier owes us: a debit on 2202
    ageing = finance(books_db, stock_db).payables_ageing({"store_id": S1})
    assert ageing["chain"]["current_fen"] == -565 == ageing["chain"]["total_fen"]
    assert ageing["stores"][0]["suppliers"][0]["total_fen"] == -565

    statement = finance(books_db, stock_db).supplier_statement(po["supplier_id"], {
        "store_id": S1, "from": "2026-01-01", "to": "2099-12-31"})
    assert [(line["kind"], line["number"], line["amount_fen"]) for line in statement["lines"]] == [
        ("invoice", "FP-1001", 11_300), ("credit_note", "HZ-0001", -2_260), ("credit_note", "HZ-0002", -565),
        ("payment", None, -9_040)]
    assert statement["closing_balance_fen"] == -565
    listed = finance(books_db, stock_db, CASHIER).list_supplier_credit_notes({"store_id": S1})["items"]
    assert [item["number"] for item in listed] == ["HZ-0002", "HZ-0001"]
    holds(stock_db, books_db)


def test_a_credit_note_against_the_order_and_the_refusals(stock_db, books_db):  # noqa: F811
    delivered: set = set()
    sku = new_part(stock_db)["sku"]
    po = ordered_and_received(stock_db, [(sku, 4, 1_000)])
    deliver(stock_db, books_db, delivered)
    invoice = finance(books_db, stock_db).record_supplier_invoice({
        "purchase_order_id": po["id"], "number": "FP-2001", "issued_on": ISSUED,
        "lines": [{"sku": sku, "qty": 4, "unit_price_fen": 1_000}]})
    sent_back = inv(stock_db).return_to_supplier(po["id"], {"lines": [{"sku": sku, "qty": 1}], "reason": "错货"})
    deliver(stock_db, books_db, delivered)
    base = {"store_id": S1, "supplier_id": po["supplier_id"], "purchase_order_id": po["id"],
            "return_id": sent_back["id"], "number": "HZ-PO-1", "issued_on": ISSUED, "total_fen": 1_130,
            "vat_fen": 130, "returned_value_fen": 1_000}
    made = finance(books_db, stock_db).record_supplier_credit_note(base)
    assert (made["applied_fen"], made["unapplied_fen"], made["purchase_order_id"]) == (0, 1_130, po["id"])
    assert payables(stock_db, books_db) == (invoice["total_fen"] - 1_130,) * 2  # a credit beside the invoice
    books = accounts(books_db, S1)
    assert (books["2209"], books["1171"]) == (0, -130)  # the goods' value cleared; the VAT it takes back

    with pytest.raises(Invalid) as nothing:  # neither an invoice nor an order
        finance(books_db, stock_db).record_supplier_credit_note({**base, "purchase_order_id": None, "number": "X"})
    assert "supplier_invoice_id" in nothing.value.fields
    with pytest.raises(Invalid) as vat:
        finance(books_db, stock_db).record_supplier_credit_note({**base, "vat_fen": 2_000, "number": "Y"})
    assert "vat_fen" in vat.value.fields
    with pytest.raises(Invalid) as mismatch:
        finance(books_db, stock_db).record_supplier_credit_note({**base, "supplier_id": "another", "number": "Z"})
    assert mismatch.value.code == "credit_note_document_mismatch"
    stranger = Caller(user_id="m2", role="store_manager", store_ids=frozenset({"store-sz"}), request_id="r-2")
    with pytest.raises(Forbidden):
        finance(books_db, stock_db, stranger).record_supplier_credit_note({**base, "number": "W"})
    assert finance(books_db, stock_db, stranger).list_supplier_credit_notes({})["items"] == []
    assert len(finance(books_db, stock_db, HQ).list_supplier_credit_notes({})["items"]) == 1
    holds(stock_db, books_db)


def test_a_payment_applies_the_suppliers_unapplied_credit_once_and_pays_the_rest(stock_db, books_db):  # noqa: F811
    """The supplier's credit (a note against the order, nothing to take off) is applied when paying its
    invoices: the bank pays the invoices less the credit, 2202 comes to nought, and the credit is gone."""
    delivered: set = set()
    sku = new_part(stock_db)["sku"]
    po = ordered_and_received(stock_db, [(sku, 10, 1_000)])
    deliver(stock_db, books_db, delivered)
    first, second = (finance(books_db, stock_db).record_supplier_invoice({
        "purchase_order_id": po["id"], "number": number, "issued_on": ISSUED,
        "lines": [{"sku": sku, "qty": qty, "unit_price_fen": 1_000}]})
        for number, qty in (("FP-3001", 6), ("FP-3002", 4)))
    sent_back = inv(stock_db).return_to_supplier(po["id"], {"lines": [{"sku": sku, "qty": 1}], "reason": "错货"})
    deliver(stock_db, books_db, delivered)
    note = finance(books_db, stock_db).record_supplier_credit_note({
        "store_id": S1, "supplier_id": po["supplier_id"], "purchase_order_id": po["id"], "return_id": sent_back["id"],
        "number": "HZ-3", "issued_on": ISSUED, "total_fen": 1_130, "vat_fen": 130, "returned_value_fen": 1_000})
    assert note["unapplied_fen"] == 1_130
    offered = finance(books_db, stock_db).list_supplier_credit_notes({"store_id": S1, "supplier_id": po["supplier_id"],
                                                                       "open": True})["items"]
    assert [item["number"] for item in offered] == ["HZ-3"]

    # ¥5 of the credit against the first invoice: the bank pays ¥55
    request = {"method": "bank", "allocations": [{"supplier_invoice_id": first["id"], "amount_fen": 6_000}],
               "credits": [{"supplier_credit_note_id": note["id"], "amount_fen": 500}]}
    paid = finance(books_db, stock_db).pay_suppliers(request, idempotency_key="m1:pay-3001")
    assert finance(books_db, stock_db).pay_suppliers(request, idempotency_key="m1:pay-3001")["id"] == paid["id"]
    assert (paid["amount_fen"], paid["credited_fen"]) == (5_500, 500)
    assert paid["allocations"] == [{"supplier_invoice_id": first["id"], "number": "FP-3001", "amount_fen": 6_000,
                                    "credited_fen": 500}]
    assert paid["credits"] == [{"supplier_credit_note_id": note["id"], "number": "HZ-3", "amount_fen": 500}]
    invoice = finance(books_db, stock_db).get_supplier_invoice(first["id"])
    assert (invoice["status"], invoice["paid_fen"], invoice["credited_fen"], invoice["due_fen"]) == (
        "paid", 5_500, 500, 0)
    assert payables(stock_db, books_db) == (4_000 - 630,) * 2
    assert accounts(books_db, S1)["1002"] == -5_500  # the credit applied books nothing
    with pytest.raises(Conflict) as reused:
        finance(books_db, stock_db).pay_suppliers({**request, "credits": []}, idempotency_key="m1:pay-3001")
    assert reused.value.code == "idempotency_key_reused"

    # the refusals: more than is left of the credit; credits above what is settled; another supplier's note
    pay_second = {"method": "bank", "allocations": [{"supplier_invoice_id": second["id"], "amount_fen": 4_000}]}
    with pytest.raises(Conflict) as short:
        finance(books_db, stock_db).pay_suppliers({**pay_second, "credits": [
            {"supplier_credit_note_id": note["id"], "amount_fen": 700}]})
    assert (short.value.code, short.value.params) == ("supplier_credit_above_unapplied",
                                                      {"number": "HZ-3", "unapplied_fen": 630})
    with pytest.raises(Invalid) as above:
        finance(books_db, stock_db).pay_suppliers({"method": "bank", "allocations": [
            {"supplier_invoice_id": second["id"], "amount_fen": 100}], "credits": [
            {"supplier_credit_note_id": note["id"], "amount_fen": 630}]})
    assert above.value.code == "supplier_credits_above_settled"
    other_po = ordered_and_received(stock_db, [(sku, 1, 1_000)])
    deliver(stock_db, books_db, delivered)
    other = finance(books_db, stock_db).record_supplier_credit_note({
        "store_id": S1, "supplier_id": other_po["supplier_id"], "purchase_order_id": other_po["id"], "number": "HZ-X",
        "issued_on": ISSUED, "total_fen": 100})
    with pytest.raises(Invalid) as stranger:
        finance(books_db, stock_db).pay_suppliers({**pay_second, "credits": [
            {"supplier_credit_note_id": other["id"], "amount_fen": 100}]})
    assert stranger.value.code == "credit_note_not_this_supplier"
    assert finance(books_db, stock_db).get_supplier_invoice(second["id"])["paid_fen"] == 0  # nothing of a refusal kept
    assert finance(books_db, stock_db).list_supplier_credit_notes({"supplier_id": po["supplier_id"], "open": True})[
        "items"][0]["unapplied_fen"] == 630

    # the rest of the credit against the second: the supplier is square, the credit used up
    rest = finance(books_db, stock_db).pay_suppliers({**pay_second, "credits": [
        {"supplier_credit_note_id": note["id"], "amount_fen": 630}]})
    assert (rest["amount_fen"], rest["credited_fen"]) == (3_370, 630)
    assert finance(books_db, stock_db).list_supplier_credit_notes({"supplier_id": po["supplier_id"], "open": True})[
        "items"] == []
    with pytest.raises(Conflict) as twice:  # the credit cannot be applied again
        finance(books_db, stock_db).pay_suppliers({"method": "cash", "allocations": [
            {"supplier_invoice_id": second["id"], "amount_fen": 1}], "credits": [
            {"supplier_credit_note_id": note["id"], "amount_fen": 1}]})
    assert twice.value.code in ("supplier_credit_above_unapplied", "supplier_invoice_state")
    assert accounts(books_db, S1)["1002"] == -(5_500 + 3_370)
    statement = finance(books_db, stock_db).supplier_statement(po["supplier_id"], {
        "store_id": S1, "from": "2026-01-01", "to": "2099-12-31"})
    assert statement["closing_balance_fen"] == 0
    assert sorted(line["amount_fen"] for line in statement["lines"] if line["kind"] == "payment") == [-5_500, -3_370]
    assert payables(stock_db, books_db) == (-100, -100)  # only the other supplier's note stands
    holds(stock_db, books_db)
