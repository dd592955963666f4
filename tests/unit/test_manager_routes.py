"""The manager's screens through the gateway (fake RPC client): rejecting a discount with a reason,
a store's details changed by HQ or its own manager, and staff accounts refused with codes the console
words (issue 19)."""
from __future__ import annotations

from tests.unit.test_crm_gateway_routes import login_as, new_store


def test_only_managers_reject_a_discount_and_only_with_a_reason(app):
    store = new_store(app, "RJ1")
    advisor, manager = login_as(app, "service_advisor", [store]), login_as(app, "store_manager", [store])
    app.deps.rpc.calls.clear()
    reject = "/v1/quotes/q1/discount/reject"
    assert app.simulate_post(reject, json={"reason": "太多"}, headers=advisor).status_code == 403
    reply = app.simulate_post(reject, json={}, headers=manager)
    assert reply.status_code == 422 and "reason" in reply.json["error"]["fields"] and app.deps.rpc.calls == []
    app.deps.rpc.behaviour[("sales", "reject_quote_discount")] = {"id": "q1", "approval_status": "rejected"}
    assert app.simulate_post(reject, json={"reason": "最多 10%"}, headers=manager).status_code == 200
    assert app.deps.rpc.calls[-1][1] == "reject_quote_discount"
    assert app.deps.rpc.calls[-1][3] == {"quote_id": "q1", "data": {"reason": "最多 10%"}}


def test_a_stores_details_are_changed_by_hq_or_its_own_manager(app):
    mine, theirs = new_store(app, "ST1"), new_store(app, "ST2")
    manager, cashier = login_as(app, "store_manager", [mine]), login_as(app, "cashier", [mine])
    changed = app.simulate_patch(f"/v1/stores/{mine}", json={"phone": "020 8888 6666", "address": "天河路 1 号"},
                                 headers=manager)
    assert changed.status_code == 200, changed.text
    assert changed.json["address"] == "天河路 1 号" and changed.json["phone"].replace("-", "") == "02088886666"
    refused = app.simulate_patch(f"/v1/stores/{theirs}", json={"phone": "020-88886666"}, headers=manager)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "store_not_yours"
    assert app.simulate_patch(f"/v1/stores/{mine}", json={"name": "x"}, headers=cashier).status_code == 403
    assert app.simulate_patch(f"/v1/stores/{mine}", json={"phone": "12"}, headers=manager).status_code == 422
    assert app.simulate_patch("/v1/stores/nowhere", json={"name": "新店"}).status_code == 404
    assert app.simulate_patch(f"/v1/stores/{theirs}", json={"name": "南山店"}).json["name"] == "南山店"  # HQ


def test_staff_accounts_are_refused_with_codes_and_params(app):
    store = new_store(app, "US1")
    manager = login_as(app, "store_manager", [store])
    body = {"username": "new.advisor", "password": "password-1", "role": "service_advisor", "store_ids": [store]}
    assert app.simulate_post("/v1/users", json=body, headers=manager).status_code == 201
    taken = app.simulate_post("/v1/users", json=body, headers=manager)
    assert taken.status_code == 409 and taken.json["error"]["code"] == "username_taken"
    assert taken.json["error"]["params"] == {"username": "new.advisor"}
    boss = app.simulate_post("/v1/users", json={**body, "username": "new.boss", "role": "store_manager"},
                             headers=manager)
    assert boss.status_code == 403 and boss.json["error"]["code"] == "role_needs_hq"
    nowhere = app.simulate_post("/v1/users", json={**body, "username": "new.cashier", "store_ids": []}, headers=manager)
    assert nowhere.json["error"]["code"] == "store_required"
