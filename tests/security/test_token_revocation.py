"""A token ends when what it stood for changes: a new password, another role or set of stores, or a
disabled account end every token issued before (in-process gateway; `test_tokens.py` proves the
same through two gunicorn workers)."""
from __future__ import annotations

import pytest

PASSWORD = "password-1"


@pytest.fixture
def staff(app):
    """A technician of a store: (user id, headers with a fresh token)."""
    store = app.simulate_post("/v1/stores", json={"code": "GZ1", "name": "广州店"}).json
    other = app.simulate_post("/v1/stores", json={"code": "GZ2", "name": "广州二店"}).json
    user = app.simulate_post("/v1/users", json={"username": "tech1", "password": PASSWORD, "role": "technician",
                                                "store_ids": [store["id"]]}).json
    user["other_store_id"] = other["id"]
    return user


def login(app, password: str = PASSWORD) -> dict:
    reply = app.simulate_post("/v1/auth/login", json={"username": "tech1", "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json['access_token']}"}


def me(app, headers: dict) -> int:
    return app.simulate_get("/v1/me", headers=headers).status_code


@pytest.mark.parametrize("change", [
    {"password": "password-2"}, {"role": "cashier"}, {"store_ids": "other"}, {"active": False}],
    ids=["password", "role", "stores", "disabled"])
def test_a_change_ends_the_earlier_tokens(app, staff, change):
    old = login(app)
    assert me(app, old) == 200  # in the cache of this worker
    if change.get("store_ids") == "other":
        change = {"store_ids": [staff["other_store_id"]]}
    assert app.simulate_patch(f"/v1/users/{staff['id']}", json=change).status_code == 200
    reply = app.simulate_get("/v1/me", headers=old)
    assert reply.status_code == 401 and reply.json["error"]["code"] == "unauthorized"
    if change != {"active": False}:
        assert me(app, login(app, change.get("password", PASSWORD))) == 200


def test_the_users_own_password_change_ends_their_other_sessions(app, staff):
    phone, counter = login(app), login(app)
    assert app.simulate_patch(f"/v1/users/{staff['id']}", json={"password": "password-2"},
                              headers=counter).status_code == 200
    assert me(app, phone) == 401 and me(app, counter) == 401
    assert me(app, login(app, "password-2")) == 200


def test_changes_that_grant_nothing_keep_tokens(app, staff):
    token = login(app)
    for change in ({"display_name": "小王"}, {"role": "technician"}, {"active": True}):
        assert app.simulate_patch(f"/v1/users/{staff['id']}", json=change).status_code == 200
        assert me(app, token) == 200, change


def test_a_re_enabled_account_logs_in_afresh(app, staff):
    old = login(app)
    app.simulate_patch(f"/v1/users/{staff['id']}", json={"active": False})
    app.simulate_patch(f"/v1/users/{staff['id']}", json={"active": True})
    assert me(app, old) == 401 and me(app, login(app)) == 200
