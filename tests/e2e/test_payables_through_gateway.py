"""Procure to pay through the gateway (inventory, finance, RabbitMQ, PostgreSQL): goods received and
one sent back, a supplier invoice that matches (booked at once) and one that does not (held, then
approved by the manager), a payment over both, two payments of the same invoice at once (one wins),
the ageing, the supplier's statement and the balance sheet; after every step the store's
reconciliation holds — debits = credits, inventory = valuation, payables = open supplier invoices,
receivables = open invoices."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.test_stock_books_through_gateway import reconciled
from tests.support.accounts import create_store, make_user
from tests.support.one_car import ok

pytestmark = pytest.mark.e2e


def test_procure_to_pay_through_the_gateway_keeps_the_books_closed(stack, admin):
    url = stack.url
    gz = create_store(stack, admin, "广州天河店")["id"]
    manager, cashier = make_user(stack, admin, "store_manager", [gz]), make_user(stack, admin, "cashier", [gz])
    sku = f"AP-{uuid.uuid4().hex[:8].upper()}"
    ok(admin.post(f"{url}/v1/parts", json={"sku": sku, "name": "机油滤清器", "category": "filter", "unit": "piece",
                                           "list_price_fen": 8_800}))
    supplier = ok(admin.post(f"{url}/v1/suppliers", json={"code": f"SUP-{uuid.uuid4().hex[:6]}",
                                                          "name": "广州博世汽配"}))

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
