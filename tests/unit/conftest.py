"""`app`: the gateway built by `create_app` with a fake RPC client, logged in as the bootstrap
admin (falcon's test client; no broker, a throw-away SQLite identity database)."""
from __future__ import annotations

import pytest
from falcon import testing

from gateway.app import create_app, default_deps, ensure_admin
from gateway.config import Settings
from services.common.migrate import upgrade

SECRET = "unit-test-secret-of-at-least-32-bytes"


class FakeRpc:
    def __init__(self):
        self.calls = []
        self.behaviour = {}

    def call(self, service, method, context=None, timeout=None, **kwargs):
        self.calls.append((service, method, context, kwargs))
        result = self.behaviour.get((service, method), {})
        if callable(result):  # an answer that depends on the arguments
            result = result(**kwargs)
        if isinstance(result, Exception):
            raise result
        return result


@pytest.fixture
def app(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade("gateway", url)
    settings = Settings(amqp_uri="amqp://unused", database_url=url, jwt_secret=SECRET, admin_password="pw-admin-1",
                        max_body_bytes=2048)
    deps = default_deps(settings)
    deps.rpc = FakeRpc()
    ensure_admin(deps)
    falcon_app = create_app(deps)
    token = testing.TestClient(falcon_app).simulate_post(
        "/v1/auth/login", json={"username": "admin", "password": "pw-admin-1"}).json
    client = testing.TestClient(falcon_app, headers={"Authorization": f"Bearer {token['access_token']}"})
    client.headers = client._default_headers
    client.deps = deps
    return client
