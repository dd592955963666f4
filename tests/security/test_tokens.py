"""Tokens and logins through HTTP: an expired, tampered, unsigned (alg none) or foreign token, or
one of a disabled account, is 401 on every kind of endpoint; a password or role change ends earlier
tokens on every gateway worker at once; refused logins are throttled (429)."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
import requests

from gateway.auth import key_id
from tests.security.world import PASSWORD, PREVIOUS_KEY, ok, unique

pytestmark = pytest.mark.e2e

PROBES = ("/v1/me", "/v1/customers", "/v1/reports/pnl?month=2026-11")
"""The gateway's own data, a service's data and a money report."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(chain) -> dict:
    now = int(time.time())
    return {"sub": chain.users["admin"]["id"], "role": "hq_admin", "iat": now, "exp": now + 600}


def assert_refused(chain, token: str) -> None:
    for path in PROBES:
        reply = requests.get(f"{chain.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert reply.status_code == 401, f"{path}: {reply.status_code} {reply.text}"
        assert reply.json()["error"]["code"] == "unauthorized" and reply.headers["WWW-Authenticate"] == "Bearer"


def test_the_stacks_own_token_is_accepted(chain):
    """The forgeries below differ from this one in one thing each."""
    token = chain.token(**claims_of(chain))
    for path in PROBES:
        assert requests.get(f"{chain.url}{path}", headers={"Authorization": f"Bearer {token}"},
                            timeout=30).status_code == 200


def test_an_expired_token_is_refused(chain):
    token = chain.token(**{**claims_of(chain), "exp": int(time.time()) - 5})
    assert_refused(chain, token)
    reply = requests.get(f"{chain.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert "expired" in reply.json()["error"]["message"]


def test_a_token_without_expiry_is_refused(chain):
    claims = claims_of(chain)
    del claims["exp"]
    assert_refused(chain, chain.token(**claims))


def test_a_tampered_token_is_refused(chain):
    header, payload, signature = chain.sessions["technician"].headers["Authorization"].split()[1].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    promoted = b64(json.dumps({**claims, "sub": chain.users["admin"]["id"], "role": "hq_admin"}).encode())
    assert_refused(chain, f"{header}.{promoted}.{signature}")  # another subject under the old signature
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert_refused(chain, f"{header}.{payload}.{flipped}")  # the signature changed
    assert_refused(chain, f"{header}.{payload}.")  # the signature dropped


def test_an_unsigned_alg_none_token_is_refused(chain):
    for alg in ("none", "None", "NONE"):
        header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
        assert_refused(chain, f"{header}.{b64(json.dumps(claims_of(chain)).encode())}.")


def test_a_token_signed_with_another_key_or_algorithm_is_refused(chain):
    foreign = jwt.encode(claims_of(chain), "another-secret-of-at-least-thirty-two-bytes", algorithm="HS256")
    assert_refused(chain, foreign)
    assert_refused(chain, jwt.encode(claims_of(chain), chain.stack.env["JWT_SECRET"], algorithm="HS384"))


def test_during_a_key_rotation_the_previous_keys_tokens_hold_and_an_unknown_key_id_is_refused(chain):
    """The stack runs with JWT_ACCEPTED_SECRETS (the previous key); a login is signed with JWT_SECRET and
    names it by its key id; requests land on either gunicorn worker."""
    current = chain.stack.env["JWT_SECRET"]
    assert chain.stack.env["JWT_ACCEPTED_SECRETS"] == PREVIOUS_KEY
    login_token = chain.sessions["hq_admin"].headers["Authorization"].split()[1]
    assert jwt.get_unverified_header(login_token)["kid"] == key_id(current)
    previous = chain.token(key=PREVIOUS_KEY, kid=key_id(PREVIOUS_KEY), **claims_of(chain))
    for _ in range(2):
        for path in PROBES:
            reply = requests.get(f"{chain.url}{path}", headers={"Authorization": f"Bearer {previous}"}, timeout=30)
            assert reply.status_code == 200, f"{path}: {reply.status_code} {reply.text}"
    dropped = "e2e-dropped-jwt-key-of-at-least-thirty-two-bytes"
    assert_refused(chain, chain.token(key=dropped, kid=key_id(dropped), **claims_of(chain)))
    assert_refused(chain, chain.token(key=current, kid="0123456789abcdef", **claims_of(chain)))


def test_a_token_of_a_disabled_or_unknown_account_is_refused(chain):
    user = ok(chain.admin.post(f"{chain.url}/v1/users", json={
        "username": unique("leaver").lower(), "password": PASSWORD, "role": "cashier",
        "store_ids": [chain.ids["own"]["store_id"]]}))
    ok(chain.admin.patch(f"{chain.url}/v1/users/{user['id']}", json={"active": False}))
    assert_refused(chain, chain.token(**{**claims_of(chain), "sub": user["id"], "role": "cashier"}))
    assert_refused(chain, chain.token(**{**claims_of(chain), "sub": "no-such-user"}))


def test_a_password_or_role_change_ends_earlier_tokens_on_every_worker_at_once(chain):
    """The stack runs two gunicorn workers: each request below may land on either, and both have
    the old token's principal cached before the change."""
    username = unique("mover").lower()
    user = ok(chain.admin.post(f"{chain.url}/v1/users", json={
        "username": username, "password": PASSWORD, "role": "cashier", "store_ids": [chain.ids["own"]["store_id"]]}))
    assert chain.stack.env["GATEWAY_WORKERS"] == "2"

    def login(password: str = PASSWORD) -> dict:
        reply = requests.post(f"{chain.url}/v1/auth/login", json={"username": username, "password": password},
                              timeout=30)
        assert reply.status_code == 200, reply.text
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}

    def statuses(headers: dict) -> set[int]:
        return {requests.get(f"{chain.url}/v1/me", headers=headers, timeout=30).status_code for _ in range(12)}

    for change, password_before in (({"password": "Another-pass-2"}, PASSWORD),
                                    ({"role": "service_advisor"}, "Another-pass-2")):
        token = login(password_before)
        assert statuses(token) == {200}
        ok(chain.admin.patch(f"{chain.url}/v1/users/{user['id']}", json=change))
        assert statuses(token) == {401}, change
    assert requests.get(f"{chain.url}/v1/me", headers=login("Another-pass-2"), timeout=30).json()["role"] == \
        "service_advisor"


def test_refused_logins_are_throttled_even_for_the_right_password(chain):
    username = unique("guessed").lower()
    ok(chain.admin.post(f"{chain.url}/v1/users", json={
        "username": username, "password": PASSWORD, "role": "cashier", "store_ids": [chain.ids["own"]["store_id"]]}))
    login = f"{chain.url}/v1/auth/login"
    statuses = [requests.post(login, json={"username": username, "password": f"guess-{n}"}, timeout=30).status_code
                for n in range(6)]
    assert set(statuses[:5]) <= {401, 429} and statuses[5] == 429, statuses
    throttled = requests.post(login, json={"username": username, "password": PASSWORD}, timeout=30)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert throttled.json()["error"]["code"] == "rate_limited" and "access_token" not in throttled.text


def test_failures_over_many_usernames_from_one_address_do_not_lock_out_a_colleague(chain):
    """Through gunicorn: a store's staff share one address; 35 refusals over 7 usernames from it, then
    a colleague's right password is let in (the address is never locked, only accounts)."""
    username = unique("colleague").lower()
    ok(chain.admin.post(f"{chain.url}/v1/users", json={
        "username": username, "password": PASSWORD, "role": "cashier", "store_ids": [chain.ids["own"]["store_id"]]}))
    login = f"{chain.url}/v1/auth/login"
    typos = [unique(f"typo{n}").lower() for n in range(7)]
    refused = [requests.post(login, json={"username": typo, "password": "wrong"}, timeout=30).status_code
               for typo in typos for _ in range(5)]
    assert refused == [401] * 35
    assert requests.post(login, json={"username": username, "password": PASSWORD}, timeout=30).status_code == 200
