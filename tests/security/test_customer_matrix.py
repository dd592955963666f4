"""Who may call what on the customer channel (`/c/v1/`): every customer operation × the car owner's own
token / another customer's token / a staff token / an expired customer token / a token from a link the
store sent (live, and revoked) / no token. Expected: the owner is served; another customer finds the
owner's documents unknown (404) or sees only their own; a live link opens its one quote and nothing else
(403); staff, expired and revoked-link tokens are 401, like no token. Every answer is scanned for leaks."""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jwt
import pytest
import requests

from gateway.auth import key_id
from tests.security.leaks import leaks, readable
from tests.support.customer import SIGNATURE_PNG, car_with_quote, ok, sign_in, staff_world

pytestmark = pytest.mark.e2e
SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLIC = ("POST /c/v1/auth/code", "POST /c/v1/auth/login", "POST /c/v1/auth/link")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    other: int
    """Another customer's token: 404 for the owner's document, 200 for what is everyone's (their own view)."""
    body: dict | None = None
    query: dict = field(default_factory=dict)
    own: int = 200
    link: int = 403
    """A token from a link to the owner's quote (asked after the owner): only that quote."""
    ids: dict[str, str] = field(default_factory=dict)
    """Path parameters taken from another value than the one named like them."""

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _slot(hour: int = 11) -> str:
    day = datetime.now(SHANGHAI).date() + timedelta(days=3)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI).isoformat()


TABLE = [
    Row("GET", "/c/v1/vehicles", 200),
    Row("GET", "/c/v1/quotes/{quote_id}", 404, link=200),
    Row("GET", "/c/v1/timeline", 404, query={"vehicle_id": "{vehicle_id}"}),
    Row("GET", "/c/v1/stores", 200),
    Row("GET", "/c/v1/slots", 200, query={"store_id": "{store_id}", "date": "{date}"}),
    Row("POST", "/c/v1/appointments", 404, own=201,
        body={"store_id": "{store_id}", "vehicle_id": "{vehicle_id}", "slot_start": "{slot}"}),
    Row("GET", "/c/v1/appointments", 200),
    Row("POST", "/c/v1/appointments/{appointment_id}/cancel", 404),
    Row("GET", "/c/v1/attachments/{attachment_id}", 404),
    Row("GET", "/c/v1/attachments/{attachment_id}/thumbnail", 404),
    Row("GET", "/c/v1/quotes/{quote_id}/attachments/{attachment_id}", 404,
        ids={"quote_id": "signed_quote_id", "attachment_id": "signature_id"}),
    Row("GET", "/c/v1/quotes/{quote_id}/attachments/{attachment_id}/thumbnail", 404, own=404,
        ids={"quote_id": "signed_quote_id", "attachment_id": "signature_id"}),  # a signature has no thumbnail
    # last: the decision changes the quote
    Row("POST", "/c/v1/quotes/{quote_id}/decision", 404, link=409,
        body={"approved_line_ids": "{approved}", "declined_line_ids": "{declined}"}),
]


@dataclass
class World:
    url: str
    values: dict
    tokens: dict[str, requests.Session]
    secrets: list[str]


@pytest.fixture(scope="module")
def world(stack) -> World:
    admin = stack.login()
    store, advisor, name = staff_world(stack, admin)
    owner, other = car_with_quote(stack, store, advisor, name), car_with_quote(stack, store, advisor, name, "赵车主")
    lines = [line["id"] for line in owner.quote["lines"]]
    booking = ok(advisor.post(f"{stack.url}/v1/appointments", json={
        "store_id": store["id"], "customer_id": owner.customer["id"], "vehicle_id": owner.vehicle["id"],
        "slot_start": _slot(hour=15)}))
    walk_around = ok(advisor.post(f"{stack.url}/v1/visits/{owner.visit['id']}/photos", data={"position": "front"},
                                  files={"file": ("front.png", SIGNATURE_PNG, "image/png")}))
    signed = ok(advisor.post(f"{stack.url}/v1/quotes", json={"visit_id": owner.visit["id"], "lines": [
        {"kind": "fee", "description": "空调清洗", "unit_price_fen": 8800}]}))
    ok(advisor.post(f"{stack.url}/v1/quotes/{signed['id']}/present"))
    owner_session = sign_in(stack, owner.customer["mobile"])
    decided = ok(owner_session.post(f"{stack.url}/c/v1/quotes/{signed['id']}/decision", json={
        "approved_line_ids": [signed["lines"][0]["id"]], "declined_line_ids": [],
        "signature_png": base64.b64encode(SIGNATURE_PNG).decode()}))
    values = {"appointment_id": booking["id"], "attachment_id": walk_around["id"], "quote_id": owner.quote["id"],
              "signed_quote_id": signed["id"], "signature_id": decided["signature"]["id"],
              "vehicle_id": owner.vehicle["id"],
              "store_id": store["id"],
              "date": (datetime.now(SHANGHAI).date() + timedelta(days=3)).isoformat(), "slot": _slot(),
              "approved": lines[:2], "declined": lines[2:]}
    secret = stack.env["JWT_SECRET"]
    expired = jwt.encode({"sub": owner.customer["id"], "aud": "customer", "iat": int(time.time()) - 7200,
                          "exp": int(time.time()) - 60}, secret, algorithm="HS256", headers={"kid": key_id(secret)})
    expired_session = requests.Session()
    expired_session.headers["Authorization"] = f"Bearer {expired}"
    tokens = {"own": owner_session, "other": sign_in(stack, other.customer["mobile"]),
              "staff": advisor, "admin": admin, "expired": expired_session, "none": requests.Session(),
              "link": link_session(stack, advisor, owner.quote["id"]),
              "revoked": link_session(stack, advisor, other.quote["id"])}
    assert advisor.delete(f"{stack.url}/v1/quotes/{other.quote['id']}/customer-link").json() == {"revoked": 1}
    return World(stack.url, values, tokens, [secret])


def link_session(stack, advisor: requests.Session, quote_id: str) -> requests.Session:
    """A session opened from a link the advisor sent for the quote."""
    url = ok(advisor.post(f"{stack.url}/v1/quotes/{quote_id}/customer-link"))["url"]
    opened = ok(requests.post(f"{stack.url}/c/v1/auth/link", json={"token": url.rsplit("/", 1)[1]}, timeout=10))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {opened['access_token']}"
    return session


def fill(template, values: dict):
    if isinstance(template, str) and template.startswith("{") and template.endswith("}"):
        return values[template[1:-1]]
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    return template


def send(world: World, who: str, row: Row) -> requests.Response:
    path = row.path.format(**{**world.values, **{name: world.values[value] for name, value in row.ids.items()}})
    return world.tokens[who].request(row.method, world.url + path, json=fill(row.body, world.values),
                                     params=fill(row.query, world.values), timeout=30)


def test_every_customer_operation_is_in_the_table(world):
    spec = requests.get(f"{world.url}/openapi.json", timeout=30).json()
    operations = {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item
                  if path.startswith("/c/v1/")}
    assert operations == {row.key for row in TABLE} | set(PUBLIC)


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.key)
def test_own_other_staff_expired(world, row: Row):
    wrong = []
    for who, want in (("none", 401), ("staff", 401), ("admin", 401), ("expired", 401), ("revoked", 401),
                      ("other", row.other), ("own", row.own), ("link", row.link)):
        reply = send(world, who, row)
        found = leaks(readable(reply.content, reply.headers.get("Content-Type", "")), world.secrets)
        if reply.status_code != want or found:
            wrong.append(f"{who}: {reply.status_code} (expected {want}) {found or ''} {reply.text[:300]}")
        if who == "other" and want == 200:  # their own view: nothing of the owner's
            assert world.values["vehicle_id"] not in reply.text and world.values["quote_id"] not in reply.text
    assert not wrong, f"{row.key}:\n  " + "\n  ".join(wrong)
