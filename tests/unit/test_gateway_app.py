"""The gateway built by `create_app` with a fake RPC client (falcon's test client, no broker)."""
from __future__ import annotations

import stat
import time

import jwt
import pytest
from cryptography.fernet import Fernet
from gateway.app import ADMIN_PASSWORD_FILE, default_deps, ensure_admin
from gateway.config import Settings
from gateway.identity import authenticate
from gateway.models import User
from gateway.rpc import RemoteError, ServiceUnavailable
from services.common.migrate import upgrade

SECRET = "unit-test-secret-of-at-least-32-bytes"  # the same as tests/unit/conftest.py


def test_bootstrap_admin_happens_once(app):
    ensure_admin(app.deps)  # a second start changes nothing
    reply = app.simulate_post("/v1/auth/login", json={"username": "admin", "password": "pw-admin-1"})
    assert reply.status_code == 200 and reply.json["user"]["role"] == "hq_admin"
    assert "password_hash" not in reply.json["user"]


def test_wrong_password_and_bad_tokens_are_401(app):
    assert app.simulate_post("/v1/auth/login", json={"username": "admin", "password": "nope"}).status_code == 401
    assert app.simulate_get("/v1/me", headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    expired = jwt.encode({"sub": "x", "exp": int(time.time()) - 10}, SECRET, algorithm="HS256")
    reply = app.simulate_get("/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert reply.status_code == 401 and "expired" in reply.json["error"]["message"]
    forged = jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, "another-secret-of-thirty-two-bytes!",
                        algorithm="HS256")
    assert app.simulate_get("/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_rpc_carries_the_callers_identity_and_request_id(app):
    app.deps.rpc.behaviour[("crm", "get_customer")] = {"id": "c1"}
    reply = app.simulate_get("/v1/customers/c1", headers={**app.headers, "X-Request-ID": "abc"})
    assert reply.status_code == 200 and reply.json == {"id": "c1"}
    service, method, context, kwargs = app.deps.rpc.calls[-1]
    assert (service, method, kwargs) == ("crm", "get_customer", {"customer_id": "c1"})
    assert context["request_id"] == "abc" and context["role"] == "hq_admin"


def test_gateway_validates_before_calling_a_service(app):
    reply = app.simulate_post("/v1/customers", json={"name": "x", "mobile": "123"})
    assert reply.status_code == 422 and list(reply.json["error"]["fields"]) == ["mobile"]
    assert app.deps.rpc.calls == []


def test_remote_domain_errors_map_to_statuses(app):
    app.deps.rpc.behaviour[("crm", "get_customer")] = RemoteError(
        "crm", "NotFound", "No customer c9.", ["No customer c9.", {}])
    assert app.simulate_get("/v1/customers/c9").status_code == 404
    app.deps.rpc.behaviour[("crm", "get_customer")] = RemoteError("crm", "KeyError", "'x'", ["x"])
    reply = app.simulate_get("/v1/customers/c9")
    assert reply.status_code == 500 and reply.json["error"]["code"] == "internal_error"
    assert "KeyError" not in reply.text and "Traceback" not in reply.text
    request_id = reply.json["request_id"]
    assert reply.json["error"]["params"] == {"request_id": request_id} and request_id in reply.json["error"]["message"]
    said = app.simulate_get("/v1/customers/c9", headers={"Accept-Language": "zh-CN"}).json
    assert said["error"]["message"] == f"系统出错了，请稍后重试；仍不行请把请求编号 {said['request_id']} 告诉技术支持"
    app.deps.rpc.behaviour[("crm", "get_customer")] = RemoteError(
        "crm", "Unavailable", "inventory did not answer", ["inventory did not answer", {}])
    reply = app.simulate_get("/v1/customers/c9")
    assert reply.status_code == 503 and reply.headers["Retry-After"]
    assert reply.json["error"]["code"] == "service_unavailable"
    app.deps.rpc.behaviour[("crm", "get_customer")] = ServiceUnavailable("crm", "no answer within 3s")
    reply = app.simulate_get("/v1/customers/c9")
    assert reply.status_code == 503 and reply.headers["Retry-After"]


def test_body_limits_and_malformed_json(app):
    assert app.simulate_post("/v1/customers", body="x" * 4096).status_code == 413
    assert app.simulate_post("/v1/customers", body="[1, 2]").status_code == 400
    assert app.simulate_post("/v1/customers", body="{").json["error"]["code"] == "malformed_json"


def test_roles_are_enforced(app):
    store = app.simulate_post("/v1/stores", json={"code": "GZ1", "name": "广州店"}).json
    app.simulate_post("/v1/users", json={"username": "tech1", "password": "password-1", "role": "technician",
                                         "store_ids": [store["id"]]})
    token = app.simulate_post("/v1/auth/login", json={"username": "tech1", "password": "password-1"}).json
    tech = {"Authorization": f"Bearer {token['access_token']}"}
    assert app.simulate_post("/v1/stores", json={"code": "X1", "name": "x"}, headers=tech).status_code == 403
    assert app.simulate_get("/v1/users", headers=tech).status_code == 403
    assert app.simulate_post("/v1/customers", json={"name": "x", "mobile": "13812345678"},
                             headers=tech).status_code == 403
    assert app.simulate_patch(f"/v1/users/{token['user']['id']}", json={"role": "hq_admin"},
                              headers=tech).status_code == 403


def test_openapi_is_generated_from_the_schemas(app):
    spec = app.simulate_get("/openapi.json").json
    login = spec["paths"]["/v1/auth/login"]["post"]
    assert login["security"] == [] and "422" in login["responses"]
    assert spec["paths"]["/v1/customers"]["get"]["security"] == [{"bearer": []}, {"apiKey": []}]
    assert "VehicleCreate" in spec["components"]["schemas"]
    # two services' schemas of one name: the later is named after its service, wherever its module lives
    names = set(spec["components"]["schemas"])
    assert {"PackageItemIn", "FinancePackageItemIn", "ReminderOut", "CrmReminderOut"} <= names


def test_login_brute_force_is_throttled(app):
    for _ in range(5):
        assert app.simulate_post("/v1/auth/login", json={"username": "admin", "password": "bad"}).status_code == 401
    throttled = app.simulate_post("/v1/auth/login", json={"username": "admin", "password": "pw-admin-1"})
    assert throttled.status_code == 429 and throttled.json["error"]["code"] == "rate_limited"
    assert int(throttled.headers["Retry-After"]) > 0
    other = app.simulate_post("/v1/auth/login", json={"username": "someone", "password": "x"})
    assert other.status_code == 401  # throttling is per username (an address is only slowed down)


def test_a_successful_login_clears_earlier_failures(app):
    for _ in range(4):
        app.simulate_post("/v1/auth/login", json={"username": "admin", "password": "bad"})
    assert app.simulate_post("/v1/auth/login", json={"username": "admin", "password": "pw-admin-1"}).status_code == 200
    for _ in range(4):
        app.simulate_post("/v1/auth/login", json={"username": "admin", "password": "bad"})
    assert app.simulate_post("/v1/auth/login", json={"username": "admin", "password": "pw-admin-1"}).status_code == 200


def test_a_generated_admin_password_goes_to_a_private_file_not_to_stdout(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade("gateway", url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    deps = default_deps(Settings(amqp_uri="amqp://unused", database_url=url, jwt_secret=SECRET, admin_password=None))
    ensure_admin(deps)
    path = tmp_path / ADMIN_PASSWORD_FILE
    password = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(password) >= 16
    printed = capsys.readouterr().out
    assert str(path) in printed and password not in printed
    with deps.identity_db() as session:
        assert authenticate(session, "admin", password) is not None


def test_without_a_writable_data_dir_no_admin_is_created_and_the_error_says_what_to_do(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade("gateway", url)
    monkeypatch.setenv("DATA_DIR", "/proc/no-data-dir")
    deps = default_deps(Settings(amqp_uri="amqp://unused", database_url=url, jwt_secret=SECRET, admin_password=None,
                                 webhook_secret_keys=(Fernet.generate_key().decode(),)))
    with pytest.raises(RuntimeError, match="set ADMIN_PASSWORD"):
        ensure_admin(deps)
    with deps.identity_db() as session:
        assert authenticate(session, "admin", "anything") is None and session.query(User).count() == 0
