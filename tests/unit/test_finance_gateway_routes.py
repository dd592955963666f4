"""The finance area of the gateway with a fake RPC client: roles, store scope before any RPC,
validation before any RPC, and the Idempotency-Key reaching the service scoped to the user."""
from __future__ import annotations

from tests.unit.test_crm_gateway_routes import login_as, new_store

PAID = {"payment": {"id": "p1"}, "invoice": {"id": "i1", "status": "paid"}}


def test_a_payment_carries_its_idempotency_key_to_the_service_and_a_retry_is_replayed(app):  # noqa: F811
    store = new_store(app, "F1")
    cashier = login_as(app, "cashier", [store])
    app.deps.rpc.behaviour[("finance", "take_payment")] = PAID
    headers = {**cashier, "Idempotency-Key": "till-7"}
    body = {"method": "wechat", "amount_fen": 30_000}
    first = app.simulate_post("/v1/invoices/i1/payments", json=body, headers=headers)
    assert first.status_code == 201 and first.headers["Location"] == "/v1/payments/p1"
    [(service, method, context, kwargs)] = [c for c in app.deps.rpc.calls if c[1] == "take_payment"]
    assert kwargs["data"] == body and kwargs["invoice_id"] == "i1"
    assert kwargs["idempotency_key"].endswith(":till-7") and kwargs["idempotency_key"] != "till-7"
    again = app.simulate_post("/v1/invoices/i1/payments", json=body, headers=headers)
    assert again.status_code == 201 and again.json == first.json
    assert len([c for c in app.deps.rpc.calls if c[1] == "take_payment"]) == 1


def test_bad_payments_are_refused_before_any_rpc(app):  # noqa: F811
    store = new_store(app, "F2")
    cashier = login_as(app, "cashier", [store])
    app.deps.rpc.calls.clear()
    for body in ({"method": "cash", "amount_fen": 0}, {"method": "cash", "amount_fen": -1},
                 {"method": "cheque", "amount_fen": 100}, {"method": "cash", "amount_fen": 1.5},
                 {"method": "stored_value", "amount_fen": 100}):
        reply = app.simulate_post("/v1/invoices/i1/payments", json=body, headers=cashier)
        assert reply.status_code == 422, body
    assert app.deps.rpc.calls == []


def test_roles_decide_who_pays_voids_and_reads_reports(app):  # noqa: F811
    store = new_store(app, "F3")
    technician = login_as(app, "technician", [store])
    cashier = login_as(app, "cashier", [store])
    app.deps.rpc.calls.clear()
    assert app.simulate_post("/v1/invoices/i1/payments", json={"method": "cash", "amount_fen": 1},
                             headers=technician).status_code == 403
    assert app.simulate_post("/v1/invoices/i1/void", json={"reason": "wrong"}, headers=cashier).status_code == 403
    assert app.simulate_get("/v1/reports/pnl", params={"store_id": store, "month": "2026-11"},
                            headers=cashier).status_code == 403
    assert app.deps.rpc.calls == []


def test_another_stores_documents_are_refused_at_the_gateway(app):  # noqa: F811
    mine, theirs = new_store(app, "F4"), new_store(app, "F5")
    manager = login_as(app, "store_manager", [mine])
    app.deps.rpc.calls.clear()
    for path, params in (("/v1/invoices", {"store_id": theirs}),
                         ("/v1/ledger/trial-balance", {"store_id": theirs}),
                         ("/v1/reports/daily-close", {"store_id": theirs, "date": "2026-11-26"}),
                         ("/v1/reports/kpis", {"store_id": theirs, "from": "2026-11-01", "to": "2026-11-30"}),
                         ("/v1/expenses", {"store_id": theirs})):
        assert app.simulate_get(path, params=params, headers=manager).status_code == 403, path
    reply = app.simulate_post("/v1/expenses", json={"store_id": theirs, "category": "rent", "amount_fen": 100},
                              headers=manager)
    assert reply.status_code == 403
    assert app.deps.rpc.calls == []


def test_finance_paths_are_in_the_openapi_document(app):  # noqa: F811
    paths = app.simulate_get("/openapi.json").json["paths"]
    assert {"/v1/invoices", "/v1/invoices/{invoice_id}/payments", "/v1/payments/{payment_id}/refunds",
            "/v1/member-cards", "/v1/member-cards/{card_id}/top-ups", "/v1/expenses", "/v1/reports/daily-close",
            "/v1/reports/kpis", "/v1/reports/commissions", "/v1/reports/pnl", "/v1/ledger/trial-balance"} <= set(paths)
