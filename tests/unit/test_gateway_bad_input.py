"""Bad input the fuzzer found, refused at the gateway before any service is asked (falcon's test
client, fake RPC): NUL characters, amounts and quantities beyond what the database stores, another
staff account to a role that may not manage accounts; and the statuses the OpenAPI document declares."""
from __future__ import annotations

from services.common.fields import MAX_FEN


def test_nul_characters_are_refused_in_bodies_filters_and_ids(app):
    reply = app.simulate_post("/v1/customers", json={"name": "张\x00三", "mobile": "13812345678"})
    assert reply.status_code == 422 and reply.json["error"]["fields"] == {"name": ["Must not contain NUL characters."]}
    reply = app.simulate_get("/v1/vehicles", params={"plate": "粤B\x0012345"})
    assert reply.status_code == 422 and "plate" in reply.json["error"]["fields"]
    assert app.simulate_get("/v1/customers/c1%00").status_code == 404
    assert app.deps.rpc.calls == []


def test_amounts_and_quantities_beyond_the_columns_are_refused(app):
    reply = app.simulate_post("/v1/member-cards/card-1/top-ups", json={
        "amount_fen": 100, "bonus_fen": MAX_FEN + 1, "method": "cash", "store_id": "s1"})
    assert reply.status_code == 422 and list(reply.json["error"]["fields"]) == ["bonus_fen"]
    reply = app.simulate_post("/v1/stock/adjustments", json={
        "store_id": "s1", "sku": "X", "qty": -1.7e308, "reason": "found"})
    assert reply.status_code == 422 and list(reply.json["error"]["fields"]) == ["qty"]
    reply = app.simulate_get("/v1/reports/pnl", params={"month": "0000-01"})
    assert reply.status_code == 422 and list(reply.json["error"]["fields"]) == ["month"]
    assert app.deps.rpc.calls == []


def test_only_managers_reach_other_staff_accounts(app):
    store = app.simulate_post("/v1/stores", json={"code": "GZ9", "name": "广州店"}).json
    staff = {}
    for name in ("cashier", "technician"):
        staff[name] = app.simulate_post("/v1/users", json={
            "username": f"{name}9", "password": "password-1", "role": name, "store_ids": [store["id"]]}).json
    token = app.simulate_post("/v1/auth/login", json={"username": "cashier9", "password": "password-1"}).json
    cashier = {"Authorization": f"Bearer {token['access_token']}"}
    reply = app.simulate_patch(f"/v1/users/{staff['technician']['id']}", json={"display_name": "x"}, headers=cashier)
    assert reply.status_code == 403
    assert app.simulate_patch("/v1/users/nobody", json={"display_name": "x"}, headers=cashier).status_code == 404
    mine = app.simulate_patch(f"/v1/users/{staff['cashier']['id']}", json={"display_name": "收银"}, headers=cashier)
    assert mine.status_code == 200 and mine.json["display_name"] == "收银"


def test_openapi_declares_every_status_an_operation_answers(app):
    paths = app.simulate_get("/openapi.json").json["paths"]
    assert {"401", "422", "429"} <= set(paths["/v1/auth/login"]["post"]["responses"])
    patch = paths["/v1/customers/{customer_id}"]["patch"]
    assert {"404", "409", "414"} <= set(patch["responses"]) and patch["requestBody"]["required"] is False
    assert {"400", "409"} <= set(paths["/v1/invoices/{invoice_id}/payments"]["post"]["responses"])
    assert "409" not in paths["/v1/customers"]["get"]["responses"]
    assert paths["/v1/customers"]["post"]["requestBody"]["required"] is True
