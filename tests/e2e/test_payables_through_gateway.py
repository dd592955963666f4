"""Procure to pay through the gateway (inventory, finance, RabbitMQ, PostgreSQL): goods received and
one sent back, a supplier invoice that matches (booked at once) and one that does not (held, then
approved by the manager), a payment over both, two payments of the same invoice at once (one wins),
the ageing, the supplier's statement and the balance sheet, goods sent back after their invoice was
paid and the supplier's credit note for them (2209 cleared, the supplier owing us); after every step the store's
reconciliation holds — debits = credits, inventory = valuation, payables = open supplier invoices,
receivables = open invoices."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.test_stock_books_through_gateway import reconciled
from tests.support.accounts import create_store, make_user
from tests.support.one_car import ok, part_and_supplier

pytestmark = pytest.mark.e2e


def test_procure_to_pay_through_the_gateway_keeps_the_books_closed(stack, admin):
    url = stack.url
    gz = create_store(stack, admin, "广州天河店")["id"]
    manager, cashier = make_user(stack, admin, "store_manager", [gz]), make_user(stack, admin, "cashier", [gz])
    sku, supplier = part_and_supplier(url, admin, {"name": "机油滤清器", "category": "filter", "unit": "piece",
                                                   "list_price_fen": 8_800}, "广州博世汽配")

    def books(what: str) -> dict:
        invariants = reconciled(stack, manager, gz, what)
        sheet = ok(manager.get(f"{url}/v1/ledger/balance-sheet", params={"store_id": gz}))
        assert sheet["balanced"], sheet
        return invariants

    def received(qty: int, cost: int) -> dict:
        po = ok(manager.post(f"{url}/v1/purchase-orders", json={
            "store_id": gz, "supplier_id": supplier["id"], "submit": True,
            "lines": [{"sku": sku, "qty": qty, "unit_cost_fen": cost}]}))
        ok(manager.post(f"{url}/v1/purchase-orders/{po['id']}/receipts", json={"lines": [{"sku": sku, "qty": qty}]}))
        return po

    first = received(10, 2_000)
    books("a receipt")
    matched = ok(cashier.post(f"{url}/v1/supplier-invoices", json={
        "purchase_order_id": first["id"], "number": f"FP-{uuid.uuid4().hex[:8]}", "issued_on": "2026-11-01",
        "vat_fen": 2_301, "lines": [{"sku": sku, "qty": 10, "unit_price_fen": 2_000}]}), 201)
    assert matched["status"] == "open" and matched["received_value_fen"] == 20_000
    assert books("a matched invoice")["payables_equal_open_supplier_invoices"]["left_fen"] == 20_000

    second = received(5, 1_000)
    ok(manager.post(f"{url}/v1/purchase-orders/{second['id']}/returns", json={
        "lines": [{"sku": sku, "qty": 1}], "reason": "包装破损"}), 201)
    books("goods sent back")
    held = ok(cashier.post(f"{url}/v1/supplier-invoices", json={
        "purchase_order_id": second["id"], "number": f"FP-{uuid.uuid4().hex[:8]}", "issued_on": "2026-11-01",
        "lines": [{"sku": sku, "qty": 5, "unit_price_fen": 1_000}]}), 201)
    assert held["status"] == "held" and [issue["kind"] for issue in held["issues"]] == ["quantity"]
    books("a held invoice")
    refused = cashier.post(f"{url}/v1/supplier-invoices/{held['id']}/decision",
                           json={"approve": True, "reason": "补发"})
    assert refused.status_code == 403
    approved = ok(manager.post(f"{url}/v1/supplier-invoices/{held['id']}/decision",
                               json={"approve": True, "reason": "供应商补发一件"}))
    assert approved["status"] == "open"
    assert books("an approved invoice")["payables_equal_open_supplier_invoices"]["right_fen"] == 25_000

    paid = ok(manager.post(f"{url}/v1/supplier-payments", json={"method": "bank", "reference": "BANK-1",
                                                                "allocations": [
        {"supplier_invoice_id": matched["id"], "amount_fen": 5_000},
        {"supplier_invoice_id": held["id"], "amount_fen": 5_000}]}, headers={"Idempotency-Key": uuid.uuid4().hex}),
        201)
    assert paid["amount_fen"] == 10_000 and paid["supplier_name"] == "广州博世汽配"
    books("a payment over two invoices")
    ageing = ok(manager.get(f"{url}/v1/reports/payables-ageing", params={"store_id": gz, "as_of": "2026-12-16"}))
    assert ageing["chain"]["days_1_30_fen"] == 15_000 == ageing["chain"]["total_fen"]  # due 12-01: 15 days late
    assert ageing["stores"][0]["suppliers"][0]["supplier_name"] == "广州博世汽配"

    # the rest of the first invoice paid twice at the same moment: one payment, one 409
    rest = {"method": "cash", "allocations": [{"supplier_invoice_id": matched["id"], "amount_fen": 15_000}]}
    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(lambda _: manager.post(f"{url}/v1/supplier-payments", json=rest), range(2)))
    assert sorted(reply.status_code for reply in replies) == [201, 409], [reply.text for reply in replies]
    [loser] = [reply.json() for reply in replies if reply.status_code == 409]
    assert loser["error"]["code"] in ("supplier_payment_above_due", "supplier_invoice_state")
    invoice = ok(manager.get(f"{url}/v1/supplier-invoices/{matched['id']}"))
    assert (invoice["status"], invoice["paid_fen"]) == ("paid", 20_000)
    books("two payments of the same invoice at once")

    statement = ok(manager.get(f"{url}/v1/suppliers/{supplier['id']}/statement", params={
        "store_id": gz, "from": "2026-01-01", "to": "2099-12-31"}))
    assert statement["closing_balance_fen"] == 0 and len(statement["lines"]) == 4
    assert manager.get(f"{url}/v1/supplier-invoices", params={"store_id": "elsewhere"}).status_code == 403
    paths = ok(admin.get(f"{url}/openapi.json"))["paths"]
    assert {"/v1/supplier-invoices", "/v1/supplier-payments", "/v1/reports/payables-ageing",
            "/v1/ledger/balance-sheet"} <= set(paths)

    # two of the first order sent back after its invoice was booked and paid: a debit on 2209 until the
    # supplier's credit note (红字发票) clears it; the supplier then owes us (payables below zero)
    def grni() -> int:
        balance = ok(manager.get(f"{url}/v1/ledger/trial-balance", params={"store_id": gz}))
        return sum(row["debit_fen"] - row["credit_fen"] for row in balance["accounts"] if row["code"] == "2209")

    sent_back = ok(manager.post(f"{url}/v1/purchase-orders/{first['id']}/returns", json={
        "lines": [{"sku": sku, "qty": 2}], "reason": "质量问题"}), 201)
    books("goods sent back after invoicing")
    assert grni() == sent_back["value_fen"] == 4_000
    note = {"store_id": gz, "supplier_id": supplier["id"], "supplier_invoice_id": matched["id"],
            "return_id": sent_back["id"], "number": f"HZ-{uuid.uuid4().hex[:8]}", "issued_on": "2026-12-01",
            "total_fen": 4_520, "vat_fen": 520, "returned_value_fen": 4_000}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    credit = ok(cashier.post(f"{url}/v1/supplier-credit-notes", json=note, headers=key), 201)
    assert ok(cashier.post(f"{url}/v1/supplier-credit-notes", json=note, headers=key), 201)["id"] == credit["id"]
    assert (credit["applied_fen"], credit["unapplied_fen"]) == (0, 4_520)  # the invoice was paid in full
    owed = books("a credit note")["payables_equal_open_supplier_invoices"]
    assert owed["left_fen"] == owed["right_fen"] == -4_520 and grni() == 0
    taken = cashier.post(f"{url}/v1/supplier-credit-notes", json={**note, "total_fen": 1, "vat_fen": 0})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "supplier_credit_note_taken", taken.text
    listed = ok(cashier.get(f"{url}/v1/supplier-credit-notes", params={"store_id": gz}))["items"]
    assert [item["id"] for item in listed] == [credit["id"]]
    statement = ok(manager.get(f"{url}/v1/suppliers/{supplier['id']}/statement", params={
        "store_id": gz, "from": "2026-01-01", "to": "2099-12-31"}))
    assert statement["closing_balance_fen"] == -4_520
    assert [(line["kind"], line["amount_fen"]) for line in statement["lines"] if line["kind"] == "credit_note"] == [
        ("credit_note", -4_520)]
    assert cashier.post(f"{url}/v1/supplier-credit-notes", json={**note, "store_id": "elsewhere"}).status_code == 403


def test_a_suppliers_credit_is_applied_by_one_payment_only_through_the_gateway(stack, admin):
    """A credit note left as a credit (against the order) applied when paying the supplier's invoices: two
    payments applying all of it at the same moment, one wins (201) and one is refused (409, the credit
    used up); the bank pays the invoices less the credit and the store's books still reconcile."""
    url = stack.url
    gz = create_store(stack, admin, "广州白云店")["id"]
    manager, cashier = make_user(stack, admin, "store_manager", [gz]), make_user(stack, admin, "cashier", [gz])
    sku, supplier = part_and_supplier(url, admin, {"name": "火花塞", "category": "ignition", "unit": "piece",
                                                   "list_price_fen": 6_000}, "佛山电装")
    po = ok(manager.post(f"{url}/v1/purchase-orders", json={
        "store_id": gz, "supplier_id": supplier["id"], "submit": True,
        "lines": [{"sku": sku, "qty": 10, "unit_cost_fen": 3_000}]}))
    ok(manager.post(f"{url}/v1/purchase-orders/{po['id']}/receipts", json={"lines": [{"sku": sku, "qty": 10}]}))
    invoices = [ok(cashier.post(f"{url}/v1/supplier-invoices", json={
        "purchase_order_id": po["id"], "number": f"FP-{uuid.uuid4().hex[:8]}", "issued_on": "2026-11-01",
        "lines": [{"sku": sku, "qty": 4, "unit_price_fen": 3_000}]}), 201) for _ in range(2)]
    sent_back = ok(manager.post(f"{url}/v1/purchase-orders/{po['id']}/returns", json={
        "lines": [{"sku": sku, "qty": 1}], "reason": "型号不符"}), 201)
    note = ok(cashier.post(f"{url}/v1/supplier-credit-notes", json={
        "store_id": gz, "supplier_id": supplier["id"], "purchase_order_id": po["id"], "return_id": sent_back["id"],
        "number": f"HZ-{uuid.uuid4().hex[:8]}", "issued_on": "2026-11-02", "total_fen": 3_390, "vat_fen": 390,
        "returned_value_fen": sent_back["value_fen"]}), 201)
    reconciled(stack, manager, gz, "a credit left as a credit")
    offered = ok(cashier.get(f"{url}/v1/supplier-credit-notes", params={
        "store_id": gz, "supplier_id": supplier["id"], "open": "true"}))["items"]
    assert [item["id"] for item in offered] == [note["id"]]

    def paying(invoice: dict) -> dict:
        return {"method": "bank", "allocations": [{"supplier_invoice_id": invoice["id"], "amount_fen": 12_000}],
                "credits": [{"supplier_credit_note_id": note["id"], "amount_fen": 3_390}]}

    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(lambda invoice: manager.post(f"{url}/v1/supplier-payments", json=paying(invoice)),
                                invoices))
    assert sorted(reply.status_code for reply in replies) == [201, 409], [reply.text for reply in replies]
    [won] = [reply.json() for reply in replies if reply.status_code == 201]
    [lost] = [reply.json() for reply in replies if reply.status_code == 409]
    assert lost["error"]["code"] == "supplier_credit_above_unapplied"
    assert int(lost["error"]["params"]["unapplied_fen"]) == 0  # params travel as text
    assert (won["amount_fen"], won["credited_fen"], won["credits"][0]["number"]) == (8_610, 3_390, note["number"])
    books = reconciled(stack, manager, gz, "a payment applying the credit")
    assert books["payables_equal_open_supplier_invoices"]["left_fen"] == 12_000  # the other invoice, unpaid
    assert ok(cashier.get(f"{url}/v1/supplier-credit-notes", params={
        "store_id": gz, "supplier_id": supplier["id"], "open": "true"}))["items"] == []

    # the other invoice paid in full from the bank; every payment listed with what it applied
    other = next(invoice for invoice in invoices if invoice["id"] != won["allocations"][0]["supplier_invoice_id"])
    ok(manager.post(f"{url}/v1/supplier-payments", json={"method": "bank", "allocations": [
        {"supplier_invoice_id": other["id"], "amount_fen": 12_000}]}), 201)
    assert reconciled(stack, manager, gz, "all paid")["payables_equal_open_supplier_invoices"]["left_fen"] == 0
    made = ok(manager.get(f"{url}/v1/supplier-payments", params={"store_id": gz}))["items"]
    assert sorted((item["amount_fen"], item["credited_fen"]) for item in made) == [(8_610, 3_390), (12_000, 0)]
    schema = ok(admin.get(f"{url}/openapi.json"))["paths"]["/v1/supplier-payments"]["post"]
    assert "credits" in str(schema)
