"""The crm area of the gateway with a fake RPC client: routing, store scope at the gateway,
validation before any RPC, and the OpenAPI document."""
from __future__ import annotations



def login_as(app, role: str, store_ids: list[str]) -> dict:
    username = f"{role}-{'-'.join(store_ids) or 'none'}"
    reply = app.simulate_post("/v1/users", json={"username": username, "password": "password-1", "role": role,
                                                 "store_ids": store_ids})
    assert reply.status_code == 201, reply.text
    token = app.simulate_post("/v1/auth/login", json={"username": username, "password": "password-1"}).json
    return {"Authorization": f"Bearer {token['access_token']}"}


def new_store(app, code: str) -> str:
    return app.simulate_post("/v1/stores", json={"code": code, "name": f"店{code}"}).json["id"]


def test_store_documents_of_another_store_are_refused_before_any_rpc(app):  # noqa: F811
    mine, theirs = new_store(app, "A1"), new_store(app, "B1")
    advisor = login_as(app, "service_advisor", [mine])
    app.deps.rpc.calls.clear()
    for path in ("/v1/follow-ups", "/v1/complaints", "/v1/reminders"):
        assert app.simulate_get(path, params={"store_id": theirs}, headers=advisor).status_code == 403, path
    assert app.deps.rpc.calls == []
    app.deps.rpc.behaviour[("crm", "list_follow_ups")] = {"items": [], "next_cursor": None}
    assert app.simulate_get("/v1/follow-ups", params={"store_id": mine}, headers=advisor).status_code == 200
    [(service, method, context, kwargs)] = app.deps.rpc.calls
    assert (service, method, kwargs) == ("crm", "list_follow_ups", {"query": {"store_id": mine}})
    assert context["store_ids"] == mine


def test_a_complaint_defaults_to_the_callers_only_store(app):  # noqa: F811
    mine = new_store(app, "C1")
    advisor = login_as(app, "service_advisor", [mine])
    app.deps.rpc.behaviour[("crm", "open_complaint")] = {"id": "k1"}
    reply = app.simulate_post("/v1/complaints", json={"customer_id": "c1", "description": "漆面有划痕"},
                              headers=advisor)
    assert reply.status_code == 201 and reply.headers["Location"] == "/v1/complaints/k1"
    assert app.deps.rpc.calls[-1][3]["data"]["store_id"] == mine


def test_follow_up_outcome_is_validated_at_the_gateway(app):  # noqa: F811
    reply = app.simulate_post("/v1/follow-ups/f1/complete", json={"satisfaction": 6})
    assert reply.status_code == 422 and "satisfaction" in reply.json["error"]["fields"]
    reply = app.simulate_post("/v1/campaigns", json={"name": "x", "channel": "fax", "template": "hi", "segment": {}})
    assert reply.status_code == 422 and "channel" in reply.json["error"]["fields"]
    assert app.deps.rpc.calls == []


def test_literal_routes_win_over_ids(app):  # noqa: F811
    app.deps.rpc.behaviour[("crm", "satisfaction_stats")] = {"total": {}, "stores": []}
    reply = app.simulate_get("/v1/follow-ups/satisfaction", params={"from": "2026-11-01", "to": "2026-11-30"})
    assert reply.status_code == 200 and app.deps.rpc.calls[-1][1] == "satisfaction_stats"
    app.deps.rpc.behaviour[("crm", "preview_campaign")] = {"audience_count": 3}
    reply = app.simulate_post("/v1/campaigns/audience", json={"segment": {"birthday_this_month": True}})
    assert reply.json == {"audience_count": 3}


def test_technicians_cannot_erase_merge_or_read_the_audit_log(app):  # noqa: F811
    store = new_store(app, "D1")
    technician = login_as(app, "technician", [store])
    for method, path in (("POST", "/v1/customers/c1/erase"), ("POST", "/v1/customers/c1/merge"),
                         ("GET", "/v1/customers/c1/audit"), ("GET", "/v1/follow-ups")):
        assert app.simulate_request(method, path, json={"duplicate_id": "c2"} if method == "POST" else None,
                                    headers=technician).status_code == 403, path


def test_crm_endpoints_are_in_the_openapi_document(app):  # noqa: F811
    spec = app.simulate_get("/openapi.json").json
    for path in ("/v1/follow-ups", "/v1/follow-ups/{follow_up_id}/complete", "/v1/complaints/{complaint_id}",
                 "/v1/reminders", "/v1/campaigns", "/v1/campaigns/{campaign_id}/messages",
                 "/v1/customers/{customer_id}/history", "/v1/customers/{customer_id}/merge",
                 "/v1/customers/{customer_id}/erase", "/v1/customers/{customer_id}/audit"):
        assert path in spec["paths"], path
    assert {"ComplaintPatch", "CampaignCreate", "FollowUpComplete"} <= set(spec["components"]["schemas"])



def test_key_account_and_complaint_owners_must_be_active_staff(app):  # noqa: F811
    store = new_store(app, "E1")
    login_as(app, "store_manager", [store])
    owner = app.simulate_get("/v1/users").json["items"][0]["id"]
    app.deps.rpc.behaviour[("crm", "update_customer")] = {"id": "c1"}
    opened = len(app.deps.rpc.calls)  # opening the store told crm its code
    assert app.simulate_patch("/v1/customers/c1", json={"key_account_owner_id": owner}).status_code == 200
    refused = app.simulate_patch("/v1/customers/c1", json={"key_account_owner_id": "nobody"})
    assert refused.status_code == 422 and "key_account_owner_id" in refused.json["error"]["fields"]
    refused = app.simulate_patch("/v1/complaints/k1", json={"owner_id": "nobody"})
    assert refused.status_code == 422 and "owner_id" in refused.json["error"]["fields"]
    assert [call[1] for call in app.deps.rpc.calls[opened:] if call[0] == "crm"] == ["update_customer"]
