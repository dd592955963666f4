"""Master data refuses junk at the gateway, before any service is asked (falcon's test client, fake
RPC): names without a letter or Chinese character, phone numbers that are no number, a vehicle make of
digits, an amount beyond what a store charges. Each answer is 422 naming the field."""
from __future__ import annotations

import pytest

from services.common.fields import MAX_FEN

STORE = {"code": "GZ9", "name": "广州天河店"}
SUPPLIER = {"code": "SUP-GZ", "name": "博世广州"}
CUSTOMER = {"name": "张三", "mobile": "13812345678"}
USER = {"username": "advisor9", "password": "password-1", "role": "service_advisor"}

JUNK = [
    ("/v1/stores", {**STORE, "name": "0"}, "name"),
    ("/v1/stores", {**STORE, "phone": "0"}, "phone"),
    ("/v1/stores", {**STORE, "code": "广州"}, "code"),
    ("/v1/suppliers", {**SUPPLIER, "name": "0"}, "name"),
    ("/v1/suppliers", {**SUPPLIER, "phone": "00000"}, "phone"),
    ("/v1/suppliers", {**SUPPLIER, "contact_name": "123"}, "contact_name"),
    ("/v1/users", {**USER, "display_name": "0"}, "display_name"),
    ("/v1/customers", {**CUSTOMER, "name": "0"}, "name"),
    ("/v1/customers/c1/vehicles", {"plate": "粤B12345", "make": "000000"}, "make"),
    ("/v1/technicians", {"store_id": "s1", "name": "  ", "level": "senior", "hourly_cost_fen": 5000}, "name"),
    ("/v1/parts", {"sku": "OIL-1", "name": "-", "category": "oil", "list_price_fen": 100}, "name"),
    ("/v1/quotes/q1/lines", {"kind": "fee", "description": "拖车费", "unit_price_fen": 10**12}, "unit_price_fen"),
    ("/v1/member-cards/card-1/top-ups", {"amount_fen": MAX_FEN + 1, "method": "cash", "store_id": "s1"},
     "amount_fen"),
    ("/v1/stock/adjustments", {"store_id": "s1", "sku": "X", "qty": 1_000_001, "reason": "found"}, "qty"),
]


@pytest.mark.parametrize("path, body, field", JUNK, ids=[f"{path} {field}" for path, _, field in JUNK])
def test_junk_master_data_is_refused_naming_the_field(app, path, body, field):
    reply = app.simulate_post(path, json=body)
    assert reply.status_code == 422, reply.json
    assert list(reply.json["error"]["fields"]) == [field]
    assert app.deps.rpc.calls == []


def test_real_names_phones_and_makes_are_taken(app):
    store = app.simulate_post("/v1/stores", json={**STORE, "phone": "020-8888 6666"})
    assert store.status_code == 201 and store.json["phone"] == "020-88886666"
    for phone in ("400-820-8820", "13812345678", "0755-86001234-801"):
        assert app.simulate_post("/v1/stores", json={"code": f"S{phone[-3:]}", "name": "Store Ⅱ",
                                                     "phone": phone}).status_code == 201
    user = app.simulate_post("/v1/users", json={**USER, "display_name": " 李 四 ", "store_ids": [store.json["id"]]})
    assert user.status_code == 201 and user.json["display_name"] == "李 四"
    app.deps.rpc.behaviour[("crm", "add_vehicle")] = {"id": "v1"}
    vehicle = app.simulate_post("/v1/customers/c1/vehicles", json={"plate": "粤B12345", "make": "BMW", "model": "320"})
    assert vehicle.status_code == 201 and app.deps.rpc.calls[-1][1] == "add_vehicle"
