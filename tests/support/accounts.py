"""Stores and staff accounts made through the real gateway by the admin: each test module makes its own
(unique codes and usernames), so none reads another's data."""
from __future__ import annotations

import uuid

import requests

PASSWORD = "Secret-pass-1"


def create_store(stack, admin: requests.Session, name: str, **more) -> dict:
    """A new store called `name` (a code of its own); `more`: its other fields (address, phone ...)."""
    reply = admin.post(f"{stack.url}/v1/stores", json={"code": f"E2E-{uuid.uuid4().hex[:8]}", "name": name, **more})
    assert reply.status_code == 201, reply.text
    return reply.json()


def make_user(stack, admin: requests.Session, role: str, store_ids: list[str]) -> requests.Session:
    """A new user of `role` in `store_ids`, logged in; `session.user_id` is the user's id."""
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    reply = admin.post(f"{stack.url}/v1/users", json={"username": username, "password": PASSWORD, "role": role,
                                                      "store_ids": store_ids})
    assert reply.status_code == 201, reply.text
    session = stack.login(username, PASSWORD)
    session.user_id = reply.json()["id"]
    return session


def without_quiet_hours(stack, manager: requests.Session, store_id: str) -> None:
    """The store's crm settings with no quiet hours (equal ends), so the marketing a test sends (campaigns,
    reminders) goes out at whatever hour it runs instead of waiting for 08:00 in Beijing."""
    reply = manager.patch(f"{stack.url}/v1/stores/{store_id}/crm-settings",
                          json={"quiet_from": "00:00", "quiet_until": "00:00"})
    assert reply.status_code == 200, reply.text
