"""API keys in process (fake RPC, SQLite identity): the secret answered once and kept only as a hash;
a key reaches only the operations its scopes open and the stores it names, acts in the services as a
manager of those stores only; revoked, expired and rotated-out keys are refused at the next request;
its use is counted per operation; rate limits per key and per user answer 429 with the headers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from gateway.models import ApiKey
from services.common.db import utcnow


def store(app, code: str) -> str:
    return app.simulate_post("/v1/stores", json={"code": code, "name": f"门店{code}"}).json["id"]


@pytest.fixture
def stores(app):
    return store(app, "KA"), store(app, "KB")


def create(app, stores, **body):
    body = {"name": "财务对接", "scopes": ["customers:read"], "store_ids": [stores[0]], **body}
    reply = app.simulate_post("/v1/api-keys", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json


def as_key(app, secret: str, method: str, path: str, **kwargs):
    return app.simulate_request(method, path, headers={"Authorization": f"Bearer {secret}"}, **kwargs)


def test_the_secret_is_answered_once_and_kept_hashed(app, stores):
    key = create(app, stores)
    assert key["secret"].startswith("ask_") and key["prefix"] == key["secret"][:12]
    listed = app.simulate_get("/v1/api-keys").json["items"]
    assert [k["id"] for k in listed] == [key["id"]] and "secret" not in listed[0]
    with app.deps.identity_db() as session:
        row = session.get(ApiKey, key["id"])
        assert row.secret_hash != key["secret"] and key["secret"] not in repr(vars(row))


def test_a_key_calls_as_a_manager_of_its_stores_and_its_use_is_counted(app, stores):
    secret = create(app, stores)["secret"]
    assert as_key(app, secret, "GET", "/v1/customers").status_code == 200
    _service, _method, context, _kwargs = app.deps.rpc.calls[-1]
    assert context["role"] == "store_manager" and context["store_ids"] == stores[0]
    assert as_key(app, secret, "GET", "/v1/work-orders", params={"store_id": stores[1]}).status_code == 403
    key = app.simulate_get("/v1/api-keys").json["items"][0]
    assert key["last_used_at"] and key["usage"] == [
        {"method": "GET", "route": "/v1/customers", "calls": 1, "last_used_at": key["usage"][0]["last_used_at"]}]


def test_a_key_never_reaches_beyond_its_scopes(app, stores):
    secret = create(app, stores, scopes=["customers:read", "stock:write"])["secret"]
    refused = as_key(app, secret, "POST", "/v1/customers", json={"name": "张三", "mobile": "13900001111"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "api_key_scope"
    assert as_key(app, secret, "GET", "/v1/invoices").status_code == 403
    assert as_key(app, secret, "GET", "/v1/stock", params={"store_id": stores[0]}).status_code == 200
    for path in ("/v1/users", "/v1/api-keys", "/v1/me", "/v1/stores"):  # never a key's
        assert as_key(app, secret, "GET", path).status_code == 403, path
    assert as_key(app, secret, "POST", "/v1/stores", json={"code": "KX", "name": "新店"}).status_code == 403
    assert as_key(app, secret, "GET", "/c/v1/vehicles").status_code == 401  # not a customer token


def test_the_people_report_is_no_keys_even_with_ledger_write(app, stores):
    secret = create(app, stores, scopes=["ledger:write"])["secret"]
    kpis = as_key(app, secret, "GET", "/v1/reports/kpis", params={"store_id": stores[0], "from": "2026-11-01",
                                                                     "to": "2026-11-30"})
    assert kpis.status_code not in (401, 403), kpis.text
    people = as_key(app, secret, "GET", "/v1/reports/people", params={"store_id": stores[0], "from": "2026-11-01",
                                                                         "to": "2026-11-30"})
    assert people.status_code == 403 and people.json["error"]["code"] == "api_key_scope"
    operation = app.simulate_get("/openapi.json").json["paths"]["/v1/reports/people"]["get"]
    assert "x-api-key-scope" not in operation


def test_a_store_manager_makes_keys_for_their_own_stores_only(app, stores):
    app.simulate_post("/v1/users", json={"username": "mgr-a", "password": "Pa55-word-1", "role": "store_manager",
                                         "store_ids": [stores[0]]})
    token = app.simulate_post("/v1/auth/login", json={"username": "mgr-a", "password": "Pa55-word-1"},
                              headers={"Authorization": ""}).json["access_token"]
    manager = {"Authorization": f"Bearer {token}"}
    body = {"name": "车队", "scopes": ["work_orders:read"], "store_ids": [stores[1]]}
    assert app.simulate_post("/v1/api-keys", json=body, headers=manager).status_code == 403
    other = create(app, stores, store_ids=list(stores))
    assert app.simulate_post(f"/v1/api-keys/{other['id']}/revoke", headers=manager).status_code == 403
    mine = app.simulate_post("/v1/api-keys", json={**body, "store_ids": [stores[0]]}, headers=manager)
    assert mine.status_code == 201
    assert [k["id"] for k in app.simulate_get("/v1/api-keys", headers=manager).json["items"]] == [mine.json["id"]]


def test_a_revoked_or_expired_key_is_refused_at_the_next_request(app, stores):
    revoked, expired = create(app, stores), create(app, stores)
    assert as_key(app, revoked["secret"], "GET", "/v1/customers").status_code == 200
    answer = app.simulate_post(f"/v1/api-keys/{revoked['id']}/revoke").json
    assert answer["status"] == "revoked"
    assert as_key(app, revoked["secret"], "GET", "/v1/customers").status_code == 401
    with app.deps.identity_db() as session, session.begin():
        session.execute(update(ApiKey).where(ApiKey.id == expired["id"])
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert as_key(app, expired["secret"], "GET", "/v1/customers").status_code == 401
    assert as_key(app, "ask_" + "x" * 43, "GET", "/v1/customers").status_code == 401


def test_rotation_keeps_the_old_key_for_the_overlap_only(app, stores):
    old = create(app, stores)
    new = app.simulate_post(f"/v1/api-keys/{old['id']}/rotate", json={"overlap_minutes": 30})
    assert new.status_code == 201 and new.json["rotated_from"] == old["id"]
    assert new.json["scopes"] == old["scopes"] and new.json["store_ids"] == old["store_ids"]
    for secret in (old["secret"], new.json["secret"]):
        assert as_key(app, secret, "GET", "/v1/customers").status_code == 200
    newer = app.simulate_post(f"/v1/api-keys/{new.json['id']}/rotate", json={"overlap_minutes": 0}).json
    assert as_key(app, new.json["secret"], "GET", "/v1/customers").status_code == 401
    assert as_key(app, newer["secret"], "GET", "/v1/customers").status_code == 200
    again = app.simulate_post(f"/v1/api-keys/{new.json['id']}/rotate", json={})
    assert again.status_code == 422 and again.json["error"]["code"] == "api_key_inactive"


def test_a_key_over_its_rate_is_refused_alone_with_the_headers(app, stores):
    slow, other = create(app, stores, rate_per_minute=2)["secret"], create(app, stores)["secret"]
    first = as_key(app, slow, "GET", "/v1/customers")
    assert first.headers["RateLimit-Limit"] == "2" and first.headers["RateLimit-Remaining"] == "1"
    assert as_key(app, slow, "GET", "/v1/customers").status_code == 200
    refused = as_key(app, slow, "GET", "/v1/customers")
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 30 and refused.headers["RateLimit-Remaining"] == "0"
    assert as_key(app, other, "GET", "/v1/customers").status_code == 200  # another key: its own bucket
    assert app.simulate_get("/v1/customers").status_code == 200  # the staff who made it: theirs


def test_a_user_over_the_staff_rate_is_refused(app):
    app.deps.admission.user_per_minute = 3
    replies = [app.simulate_get("/v1/customers") for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert "Retry-After" in replies[-1].headers
    app.deps.admission.user_per_minute = 0  # off: no bucket is taken
    reply = app.simulate_get("/v1/customers")
    assert reply.status_code == 200 and "RateLimit-Limit" not in reply.headers


def test_the_openapi_document_names_the_key_scheme_and_each_operations_scope(app):
    document = app.simulate_get("/openapi.json").json
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    customers = document["paths"]["/v1/customers"]
    assert customers["get"]["x-api-key-scope"] == "customers:read" and {"apiKey": []} in customers["get"]["security"]
    assert customers["post"]["x-api-key-scope"] == "customers:write"
    assert "x-api-key-scope" not in document["paths"]["/v1/users"]["get"]
    assert {"apiKey": []} not in document["paths"]["/v1/api-keys"]["post"]["security"]
    with pytest.raises(KeyError):
        document["paths"]["/v1/stores"]["post"]["x-api-key-scope"]
