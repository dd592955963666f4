"""The inventory endpoints of the gateway with a fake RPC client: contract in OpenAPI, the store
filled in for one-store staff, scope and roles refused before any RPC."""
from __future__ import annotations



def staff(app, role: str, code: str) -> tuple[dict, dict]:
    store = app.simulate_post("/v1/stores", json={"code": code, "name": f"{code} 店"}).json
    username = f"{role}-{code}".lower()
    app.simulate_post("/v1/users", json={"username": username, "password": "password-1", "role": role,
                                         "store_ids": [store["id"]]})
    token = app.simulate_post("/v1/auth/login", json={"username": username, "password": "password-1"}).json
    return store, {"Authorization": f"Bearer {token['access_token']}"}


def test_inventory_contract_is_in_the_openapi_document(app):  # noqa: F811
    paths = app.simulate_get("/openapi.json").json["paths"]
    for path in ("/v1/parts", "/v1/parts/{part_id}", "/v1/stock", "/v1/stock/movements", "/v1/suppliers",
                 "/v1/purchase-orders", "/v1/purchase-orders/{po_id}/receipts", "/v1/transfers",
                 "/v1/transfers/{transfer_id}/ship", "/v1/transfers/{transfer_id}/receive", "/v1/stocktakes",
                 "/v1/stocktakes/{stocktake_id}/counts", "/v1/stocktakes/{stocktake_id}/post"):
        assert path in paths, path
    assert set(paths["/v1/parts"]) == {"get", "post"} and "put" in paths["/v1/stock/settings"]


def test_one_store_staff_get_their_store_filled_in_and_other_stores_refused(app):  # noqa: F811
    store, manager = staff(app, "store_manager", "GZ9")
    other, _ = staff(app, "store_manager", "SZ9")
    app.deps.rpc.behaviour[("inventory", "list_stock")] = {"items": [], "next_cursor": None}
    assert app.simulate_get("/v1/stock", headers=manager).status_code == 200
    service, method, context, kwargs = app.deps.rpc.calls[-1]
    assert (service, method, kwargs["query"]["store_id"]) == ("inventory", "list_stock", store["id"])
    assert context["store_ids"] == store["id"]

    calls = len(app.deps.rpc.calls)
    assert app.simulate_get("/v1/stock", params={"store_id": other["id"]}, headers=manager).status_code == 403
    assert app.simulate_post("/v1/purchase-orders", headers=manager, json={
        "store_id": other["id"], "supplier_id": "s", "lines": [{"sku": "A", "qty": 1, "unit_cost_fen": 1}]
    }).status_code == 403
    assert len(app.deps.rpc.calls) == calls  # refused before any service was asked


def test_bad_quantities_and_roles_are_refused_at_the_gateway(app):  # noqa: F811
    _store, technician = staff(app, "technician", "FS9")
    calls = len(app.deps.rpc.calls)
    negative = app.simulate_post("/v1/purchase-orders/po1/receipts", json={"lines": [{"sku": "A", "qty": -1}]})
    assert negative.status_code == 422 and "lines" in negative.json["error"]["fields"]
    assert app.simulate_patch("/v1/parts/p1", json={"list_price_fen": 1}, headers=technician).status_code == 403
    assert app.simulate_post("/v1/stocktakes/st1/post", json={}, headers=technician).status_code == 403
    assert len(app.deps.rpc.calls) == calls


def test_availability_takes_comma_separated_skus(app):  # noqa: F811
    app.deps.rpc.behaviour[("inventory", "availability")] = [{"sku": "A"}, {"sku": "B"}]
    reply = app.simulate_get("/v1/stock/availability", params={"store_id": "s1", "skus": "A, B,,"})
    assert reply.status_code == 200 and [i["sku"] for i in reply.json["items"]] == ["A", "B"]
    assert app.deps.rpc.calls[-1][3]["query"]["skus"] == ["A", "B"]
