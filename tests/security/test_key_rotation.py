"""The JWT signing key rotates without logging anyone out: tokens name their key (`kid`), the gateway
signs with JWT_SECRET and also accepts JWT_ACCEPTED_SECRETS; a key dropped from both, or a `kid`
naming no known key, is refused (in-process gateways over one identity database, as the pods of a
rolling update share theirs)."""
from __future__ import annotations

import time

import jwt
import pytest
from falcon import testing

from gateway.app import create_app, default_deps, ensure_admin
from gateway.auth import key_id
from gateway.config import Settings
from services.common.migrate import upgrade

OLD = "old-key-of-at-least-thirty-two-characters"
NEW = "new-key-of-at-least-thirty-two-characters"
PASSWORD = "pw-admin-1"


@pytest.fixture
def gateway(tmp_path):
    """A gateway (a pod) started with a signing key and accepted keys, over one identity database."""
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade("gateway", url)

    def start(secret: str, accepted: tuple[str, ...] = ()) -> testing.TestClient:
        deps = default_deps(Settings(amqp_uri="amqp://unused", database_url=url, jwt_secret=secret,
                                     jwt_accepted_secrets=accepted, admin_password=PASSWORD))
        ensure_admin(deps)
        return testing.TestClient(create_app(deps))
    return start


def login(client: testing.TestClient) -> str:
    reply = client.simulate_post("/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return reply.json["access_token"]


def me(client: testing.TestClient, token: str) -> int:
    return client.simulate_get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_names_its_key_by_an_id_that_is_not_the_key(gateway):
    header = jwt.get_unverified_header(login(gateway(OLD)))
    assert header["kid"] == key_id(OLD) != key_id(NEW)
    assert OLD not in header["kid"] and len(header["kid"]) == 16


def test_a_rotation_keeps_earlier_tokens_until_the_old_key_is_dropped(gateway):
    before = login(gateway(OLD))
    rotated = gateway(NEW, accepted=(OLD,))
    assert me(rotated, before) == 200  # still logged in after the swap
    after = login(rotated)
    assert jwt.get_unverified_header(after)["kid"] == key_id(NEW)
    jwt.decode(after, NEW, algorithms=["HS256"])  # signed with the new key, not the old
    done = gateway(NEW)
    assert me(done, after) == 200
    reply = done.simulate_get("/v1/me", headers={"Authorization": f"Bearer {before}"})
    assert reply.status_code == 401 and reply.json["error"]["code"] == "unauthorized"


def test_pods_of_a_rolling_update_accept_each_others_tokens(gateway):
    """Step 1 of the runbook made every pod accept the new key; during step 2's roll, old and new
    pods run side by side and a login on either holds on the other."""
    old_pod, new_pod = gateway(OLD, accepted=(NEW,)), gateway(NEW, accepted=(OLD,))
    assert me(new_pod, login(old_pod)) == 200
    assert me(old_pod, login(new_pod)) == 200


def test_an_unknown_key_id_is_refused_even_with_a_valid_signature(gateway):
    client = gateway(NEW, accepted=(OLD,))
    claims = jwt.decode(login(client), NEW, algorithms=["HS256"])
    for kid in ("0000000000000000", key_id("dropped-key-of-at-least-thirty-two-chars")):
        forged = jwt.encode(claims, NEW, algorithm="HS256", headers={"kid": kid})
        assert me(client, forged) == 401, kid


def test_a_token_naming_one_key_but_signed_with_another_is_refused(gateway):
    client = gateway(NEW, accepted=(OLD,))
    claims = jwt.decode(login(client), NEW, algorithms=["HS256"])
    assert me(client, jwt.encode(claims, OLD, algorithm="HS256", headers={"kid": key_id(NEW)})) == 401


def test_a_token_from_before_key_ids_is_checked_against_each_known_key(gateway):
    client = gateway(NEW, accepted=(OLD,))
    claims = {**jwt.decode(login(client), NEW, algorithms=["HS256"]), "exp": int(time.time()) + 60}
    assert me(client, jwt.encode(claims, OLD, algorithm="HS256")) == 200
    assert me(client, jwt.encode(claims, "foreign-key-of-at-least-thirty-two-chars", algorithm="HS256")) == 401
    assert me(gateway(NEW), jwt.encode(claims, OLD, algorithm="HS256")) == 401


def test_the_token_version_still_ends_tokens_signed_with_an_accepted_key(gateway):
    before = login(gateway(OLD))
    rotated = gateway(NEW, accepted=(OLD,))
    admin = {"Authorization": f"Bearer {login(rotated)}"}
    user_id = rotated.simulate_get("/v1/me", headers=admin).json["id"]
    assert rotated.simulate_patch(f"/v1/users/{user_id}", json={"password": "pw-admin-2"},
                                  headers=admin).status_code == 200
    assert me(rotated, before) == 401


@pytest.mark.parametrize("variable, value", [
    ("JWT_ACCEPTED_SECRETS", f"{OLD},short"), ("JWT_SECRET", "short")])
def test_a_short_key_refuses_to_start(monkeypatch, variable, value):
    monkeypatch.setenv("JWT_SECRET", NEW)
    monkeypatch.setenv(variable, value)
    with pytest.raises(RuntimeError, match=f"{variable}.*32 characters"):
        Settings(amqp_uri="amqp://unused", database_url="sqlite://")


def test_accepted_keys_are_read_comma_separated(monkeypatch):
    monkeypatch.setenv("JWT_SECRET", NEW)
    monkeypatch.setenv("JWT_ACCEPTED_SECRETS", f" {OLD} ,, {NEW}")
    assert Settings(amqp_uri="amqp://unused", database_url="sqlite://").jwt_accepted_secrets == (OLD, NEW)
