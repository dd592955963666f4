"""The login throttle locks an account, never an address: staff behind a store's shared address (or
the whole chain behind the ingress) mistyping many usernames do not lock each other out; an address
that sprays is slowed down on its refused logins only; `X-Forwarded-For` counts only from a
configured proxy (TRUSTED_PROXIES)."""
from __future__ import annotations

import dataclasses
import ipaddress

from falcon import testing
from sqlalchemy import insert, select

from gateway import identity
from gateway.app import create_app
from gateway.models import LoginFailure
from gateway.resources import identity as login_resource
from services.common.db import utcnow
from services.common.ids import new_id

LOGIN = "/v1/auth/login"
STORE = "203.0.113.7"  # one store's shared address


def failures_from(app, address: str) -> list[str]:
    with app.deps.identity_db() as session:
        return list(session.scalars(select(LoginFailure.username).where(LoginFailure.client_ip == address)))


def test_failures_spread_over_usernames_do_not_lock_out_another_user(app):
    for n in range(7):  # 35 refusals from one address, 5 per (mistyped) username
        for _ in range(identity.MAX_FAILURES_PER_USER):
            reply = app.simulate_post(LOGIN, json={"username": f"staff{n}", "password": "wrong"}, remote_addr=STORE)
            assert reply.status_code == 401
    assert len(failures_from(app, STORE)) == 35
    assert app.simulate_post(LOGIN, json={"username": "staff0", "password": "wrong"},
                             remote_addr=STORE).status_code == 429  # the account itself is locked
    reply = app.simulate_post(LOGIN, json={"username": "admin", "password": "pw-admin-1"}, remote_addr=STORE)
    assert reply.status_code == 200 and reply.json["access_token"]


def test_a_spraying_address_is_slowed_on_refusals_never_refused_the_right_password(app, monkeypatch):
    held: list[float] = []
    monkeypatch.setattr(login_resource.time, "sleep", held.append)  # what the gateway would wait
    with app.deps.identity_db() as session, session.begin():
        session.execute(insert(LoginFailure), [
            {"id": new_id(), "username": f"user{n}", "client_ip": STORE, "at": utcnow()}
            for n in range(identity.SLOW_DOWN_AFTER_PER_ADDRESS)])
    assert app.simulate_post(LOGIN, json={"username": "admin", "password": "pw-admin-1"},
                             remote_addr=STORE).status_code == 200
    assert held == []  # the right password is answered at once
    assert app.simulate_post(LOGIN, json={"username": "nobody", "password": "x"}, remote_addr=STORE).status_code == 401
    assert held == [identity.SLOW_DOWN_SECONDS]
    assert app.simulate_post(LOGIN, json={"username": "nobody", "password": "x"},
                             remote_addr="198.51.100.1").status_code == 401
    assert held == [identity.SLOW_DOWN_SECONDS]  # another address is not held


def test_forwarded_for_from_an_untrusted_peer_is_ignored(app):
    for forged in ("1.2.3.4", "5.6.7.8, 1.2.3.4"):
        app.simulate_post(LOGIN, json={"username": "someone", "password": "x"}, remote_addr=STORE,
                          headers={"X-Forwarded-For": forged})
    assert len(failures_from(app, STORE)) == 2 and failures_from(app, "1.2.3.4") == []


def test_forwarded_for_from_a_configured_proxy_names_the_client(app):
    ingress = "10.0.0.9"
    settings = dataclasses.replace(app.deps.settings, trusted_proxies=(ipaddress.ip_network("10.0.0.0/24"),))
    proxied = testing.TestClient(create_app(dataclasses.replace(app.deps, settings=settings)))

    def refuse(forwarded: str) -> None:
        proxied.simulate_post(LOGIN, json={"username": "someone", "password": "x"}, remote_addr=ingress,
                              headers={"X-Forwarded-For": forwarded})

    refuse(STORE)
    refuse(f"6.6.6.6, {STORE}")  # what the client wrote itself stands left of what the ingress saw
    refuse(f"{STORE}, 10.0.0.3")  # through two proxies of ours
    assert len(failures_from(app, STORE)) == 3
    assert failures_from(app, ingress) == [] and failures_from(app, "6.6.6.6") == []
