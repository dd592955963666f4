"""The audit trail through the gateway against the real services: a payment, a refund and a stock
receipt made with known X-Request-IDs are listed per document with that request id and user; another
store's manager is refused, and so is a cashier."""
from __future__ import annotations

import uuid

import pytest

from tests.e2e.test_finance_through_gateway import invoice_for
from tests.e2e.test_inventory_through_gateway import new_part, ok, purchase
from tests.support.accounts import create_store, make_user

pytestmark = pytest.mark.e2e


def trail(stack, session, document_type: str, document_id: str) -> list[dict]:
    return ok(session.get(f"{stack.url}/v1/audit-trail", params={
        "document_type": document_type, "document_id": document_id}))["items"]


def test_payment_refund_and_receipt_are_listed_per_document_with_request_id_and_user(stack, vhost, admin):
    store, other = create_store(stack, admin, "审计店"), create_store(stack, admin, "别的店")
    manager = make_user(stack, admin, "store_manager", [store["id"]])
    cashier = make_user(stack, admin, "cashier", [store["id"]])
    other_manager = make_user(stack, admin, "store_manager", [other["id"]])
    run = uuid.uuid4().hex[:8]

    invoice = invoice_for(stack, vhost, manager, store["id"])
    paid = cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payments", json={
        "method": "wechat", "amount_fen": invoice["due_fen"]}, headers={"X-Request-ID": f"audit-pay-{run}"})
    assert paid.status_code == 201 and paid.headers["X-Request-ID"] == f"audit-pay-{run}", paid.text
    payment = paid.json()["payment"]
    refunded = manager.post(f"{stack.url}/v1/payments/{payment['id']}/refunds", json={
        "amount_fen": 1_000, "reason": "返工补偿"}, headers={"X-Request-ID": f"audit-refund-{run}"})
    assert refunded.status_code == 201, refunded.text

    part = new_part(stack, admin)
    supplier = ok(admin.post(f"{stack.url}/v1/suppliers", json={"code": f"AU-{run}", "name": "审计汽配"}), 201)
    po = purchase(stack, manager, store["id"], supplier["id"], [(part["sku"], 6, 2_500)])
    received = manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts",
                            json={"lines": [{"sku": part["sku"], "qty": 6}]},
                            headers={"X-Request-ID": f"audit-receive-{run}"})
    assert received.status_code == 201, received.text

    rows = [row for row in trail(stack, manager, "invoice", invoice["id"])  # (the health record's upload, which
            if not row["action"].startswith("health_record_")]             # this store's missing licence fails)
    refund_row, payment_row, issued_row = rows
    assert (payment_row["action"], payment_row["request_id"]) == ("payment_taken", f"audit-pay-{run}")
    assert (payment_row["user_id"], payment_row["role"]) == (cashier.user_id, "cashier")
    assert payment_row["details"]["payment_id"] == payment["id"]
    assert payment_row["details"]["after"] == {"paid_fen": invoice["total_fen"], "status": "paid"}
    assert (refund_row["action"], refund_row["request_id"]) == ("refund_issued", f"audit-refund-{run}")
    assert (refund_row["user_id"], refund_row["details"]["amount_fen"]) == (manager.user_id, 1_000)
    assert issued_row["action"] == "invoice_issued" and issued_row["event_id"]

    [receipt_row] = trail(stack, manager, "purchase_order", po["id"])
    assert (receipt_row["action"], receipt_row["request_id"]) == ("stock_received", f"audit-receive-{run}")
    assert (receipt_row["user_id"], receipt_row["store_id"]) == (manager.user_id, store["id"])
    assert receipt_row["details"]["lines"] == [{"sku": part["sku"], "qty": "6.000", "unit_cost_fen": 2_500}]

    assert {row["id"] for row in trail(stack, admin, "invoice", invoice["id"])} >= {  # HQ sees every store
        refund_row["id"], payment_row["id"], issued_row["id"]}
    for session, document_type, document_id in ((other_manager, "invoice", invoice["id"]),
                                                (other_manager, "purchase_order", po["id"]),
                                                (cashier, "invoice", invoice["id"])):
        reply = session.get(f"{stack.url}/v1/audit-trail", params={"document_type": document_type,
                                                                   "document_id": document_id})
        assert reply.status_code == 403, (document_type, reply.text)
