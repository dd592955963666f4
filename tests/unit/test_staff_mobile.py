"""A staff account's mobile at the gateway (issue 29): set by the user on their own account and by their manager
(validated, normalized), shown on the staff list; a change reaches crm's report subscriptions, a PATCH that leaves
it alone does not; subscribing asks for it first and passes it with the store's name to crm (fake RPC)."""
from __future__ import annotations

from services.common.errors import Conflict


def store_and_manager(app):
    store = app.simulate_post("/v1/stores", json={"code": "GZ1", "name": "广州天河店"}).json
    manager = app.simulate_post("/v1/users", json={"username": "mgr1", "password": "password-1",
                                                   "role": "store_manager", "store_ids": [store["id"]]}).json
    token = app.simulate_post("/v1/auth/login", json={"username": "mgr1", "password": "password-1"}).json
    return store, manager, {"Authorization": f"Bearer {token['access_token']}"}


def crm_calls(app, method: str) -> list[dict]:
    return [kwargs for service, name, _context, kwargs in app.deps.rpc.calls if (service, name) == ("crm", method)]


def test_a_manager_sets_their_own_mobile_and_their_staffs(app):
    store, manager, headers = store_and_manager(app)
    wrong = app.simulate_patch(f"/v1/users/{manager['id']}", json={"mobile": "12345"}, headers=headers)
    assert wrong.status_code == 422 and list(wrong.json["error"]["fields"]) == ["mobile"]
    own = app.simulate_patch(f"/v1/users/{manager['id']}", json={"mobile": "+86 138 0013 8000"}, headers=headers)
    assert own.status_code == 200 and own.json["mobile"] == "13800138000"
    assert crm_calls(app, "report_recipient_changed") == [{"user_id": manager["id"], "data": {
        "mobile": "13800138000", "active": True, "role": "store_manager", "store_ids": [store["id"]]}}]
    app.simulate_patch(f"/v1/users/{manager['id']}", json={"display_name": "王店长"}, headers=headers)
    assert len(crm_calls(app, "report_recipient_changed")) == 1  # nothing a subscription follows changed
    cashier = app.simulate_post("/v1/users", headers=headers, json={
        "username": "cash1", "password": "password-1", "role": "cashier", "store_ids": [store["id"]],
        "mobile": "13900139000"}).json
    listed = {u["username"]: u["mobile"] for u in app.simulate_get("/v1/users", headers=headers).json["items"]}
    assert listed == {"mgr1": "13800138000", "cash1": "13900139000"}
    cleared = app.simulate_patch(f"/v1/users/{cashier['id']}", json={"mobile": None}, headers=headers)
    assert cleared.json["mobile"] is None


def test_subscribing_needs_a_mobile_and_names_the_store_to_crm(app):
    store, manager, headers = store_and_manager(app)
    body = {"store_id": store["id"], "period": "weekly"}
    refused = app.simulate_post("/v1/report-subscriptions", json=body, headers=headers)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "mobile_required"
    assert crm_calls(app, "subscribe_report") == []
    app.simulate_patch(f"/v1/users/{manager['id']}", json={"mobile": "13800138000"}, headers=headers)
    assert app.simulate_post("/v1/report-subscriptions", json=body, headers=headers).status_code == 201
    assert crm_calls(app, "subscribe_report") == [{"data": {**body, "mobile": "13800138000",
                                                            "scope_name": "广州天河店"}}]
    app.deps.rpc.behaviour[("crm", "subscribe_report")] = Conflict("taken", code="report_subscription_exists")
    again = app.simulate_post("/v1/report-subscriptions", json=body, headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "report_subscription_exists"
    other = app.simulate_post("/v1/stores", json={"code": "SZ1", "name": "深圳店"}).json
    elsewhere = app.simulate_post("/v1/report-subscriptions", json={**body, "store_id": other["id"]}, headers=headers)
    assert elsewhere.status_code == 403
