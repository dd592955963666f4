"""Who may call what on the customer channel (`/c/v1/`): every customer operation × the car owner's own
token / another customer's token / a staff token / an expired customer token / a token from a link the
store sent (live, and revoked) / no token. Expected: the owner is served; another customer finds the
owner's documents unknown (404) or sees only their own; a live link opens its one quote and nothing else
(403); staff, expired and revoked-link tokens are 401, like no token. Every answer is scanned for leaks."""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jwt
import pytest
import requests

from gateway.auth import key_id
from tests.security.leaks import leaks, readable
from tests.support.customer import SIGNATURE_PNG, Car, car_with_quote, finish, ok, sign_in, staff_world, until

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
    given: dict = field(default_factory=dict)
    """Path values of this row's own (a booking of its own to move: the cancel row cancels the other; the
    signed quote and its signature)."""

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
    Row("POST", "/c/v1/appointments/{appointment_id}/reschedule", 404, body={"slot_start": "{later}"},
        given={"appointment_id": "{moving_id}"}),
    Row("GET", "/c/v1/me", 200),
    Row("PATCH", "/c/v1/me", 200, body={"marketing_consent": True}),
    Row("GET", "/c/v1/invoices", 200),
    Row("GET", "/c/v1/invoices/{invoice_id}", 404),
    Row("POST", "/c/v1/invoices/{invoice_id}/payment-intents", 404, own=409),  # paid in full already
    Row("GET", "/c/v1/payment-intents/{intent_id}", 404),
    # paying the owner's invoice inside WeChat: another's invoice is unknown before any account is chosen
    Row("GET", "/c/v1/wechat", 404, query={"invoice_id": "{invoice_id}"}),
    Row("POST", "/c/v1/wechat/authorizations", 404, own=201, body={"invoice_id": "{invoice_id}"}),
    Row("POST", "/c/v1/wechat/openid", 404, own=409,  # not our state
        body={"code": "forged", "state": "forged", "invoice_id": "{invoice_id}"}),
    Row("GET", "/c/v1/work-orders", 200),
    Row("POST", "/c/v1/work-orders/{work_order_id}/acceptance", 404, own=409, body={"satisfied": True}),
    Row("GET", "/c/v1/follow-ups", 200),
    Row("POST", "/c/v1/follow-ups/{follow_up_id}/rating", 404, body={"satisfaction": 5}),
    Row("GET", "/c/v1/complaints", 200),
    Row("POST", "/c/v1/complaints", 404, own=201,
        body={"store_id": "{store_id}", "vehicle_id": "{vehicle_id}", "description": "等待时间太长"}),
    Row("GET", "/c/v1/reminders", 200),
    Row("GET", "/c/v1/visits/{visit_id}", 404),
    Row("GET", "/c/v1/cards", 200),
    Row("GET", "/c/v1/messages", 200),
    Row("GET", "/c/v1/invoices/{invoice_id}/statement", 404),
    Row("GET", "/c/v1/attachments/{attachment_id}", 404),
    Row("GET", "/c/v1/attachments/{attachment_id}/thumbnail", 404),
    Row("GET", "/c/v1/quotes/{quote_id}/attachments/{attachment_id}", 404,
        given={"quote_id": "{signed_quote_id}", "attachment_id": "{signature_id}"}),
    Row("GET", "/c/v1/quotes/{quote_id}/attachments/{attachment_id}/thumbnail", 404,  # until made: the image
        given={"quote_id": "{signed_quote_id}", "attachment_id": "{signature_id}"}),
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
    moving = ok(advisor.post(f"{stack.url}/v1/appointments", json={
        "store_id": store["id"], "customer_id": owner.customer["id"], "vehicle_id": owner.vehicle["id"],
        "slot_start": _slot(hour=13)}))
    own = sign_in(stack, owner.customer["mobile"])
    walk_around = ok(advisor.post(f"{stack.url}/v1/visits/{owner.visit['id']}/photos", data={"position": "front"},
                                  files={"file": ("front.png", SIGNATURE_PNG, "image/png")}))
    signed = ok(advisor.post(f"{stack.url}/v1/quotes", json={"visit_id": owner.visit["id"], "lines": [
        {"kind": "fee", "description": "空调清洗", "unit_price_fen": 8800}]}))
    ok(advisor.post(f"{stack.url}/v1/quotes/{signed['id']}/present"))
    decided = ok(own.post(f"{stack.url}/c/v1/quotes/{signed['id']}/decision", json={
        "approved_line_ids": [signed["lines"][0]["id"]], "declined_line_ids": [],
        "signature_png": base64.b64encode(SIGNATURE_PNG).decode()}))
    after = delivered(stack, admin, own, owner)
    values = {"appointment_id": booking["id"], "quote_id": owner.quote["id"], "vehicle_id": owner.vehicle["id"],
              "store_id": store["id"], "moving_id": moving["id"], "visit_id": owner.visit["id"],
              "later": _slot(hour=16), **after,
              "attachment_id": walk_around["id"], "signed_quote_id": signed["id"],
              "signature_id": decided["signature"]["id"],
              "date": (datetime.now(SHANGHAI).date() + timedelta(days=3)).isoformat(), "slot": _slot(),
              "approved": lines[:2], "declined": lines[2:]}
    secret = stack.env["JWT_SECRET"]
    expired = jwt.encode({"sub": owner.customer["id"], "aud": "customer", "iat": int(time.time()) - 7200,
                          "exp": int(time.time()) - 60}, secret, algorithm="HS256", headers={"kid": key_id(secret)})
    expired_session = requests.Session()
    expired_session.headers["Authorization"] = f"Bearer {expired}"
    tokens = {"own": own, "other": sign_in(stack, other.customer["mobile"]),
              "staff": advisor, "admin": admin, "expired": expired_session, "none": requests.Session(),
              "link": link_session(stack, advisor, owner.quote["id"]),
              "revoked": link_session(stack, advisor, other.quote["id"])}
    assert advisor.delete(f"{stack.url}/v1/quotes/{other.quote['id']}/customer-link").json() == {"revoked": 1}
    return World(stack.url, values, tokens, [secret])


def delivered(stack, admin, own: requests.Session, owner: Car) -> dict:
    """A second quote of the owner's visit worked, invoiced, paid by the owner by WeChat Pay H5 and
    accepted: the ids of its invoice, payment intent, work order and follow-up (the first quote stays
    presented for the decision row)."""
    url, advisor = stack.url, owner.advisor
    quote = ok(advisor.post(f"{url}/v1/quotes", json={"visit_id": owner.visit["id"], "lines": [
        {"kind": "labour", "description": "精致洗车", "flat_price_fen": 3000}]}))
    done = finish(stack, admin, replace(owner, quote=ok(advisor.post(f"{url}/v1/quotes/{quote['id']}/present"))))
    intent = ok(own.post(f"{url}/c/v1/invoices/{done.invoice['id']}/payment-intents"))
    assert requests.post(f"{stack.wechatpay_url}/sandbox/pay", json={"url": intent["pay_url"]},
                         timeout=30).json()["deliveries"] == [204]
    ok(own.post(f"{url}/c/v1/work-orders/{done.work_order['id']}/acceptance", json={"satisfied": True}))
    follow_up = until(lambda: ok(own.get(f"{url}/c/v1/follow-ups"))["items"], "follow-up scheduled")[0]
    return {"invoice_id": done.invoice["id"], "intent_id": intent["id"], "work_order_id": done.work_order["id"],
            "follow_up_id": follow_up["id"]}


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
    path = row.path.format(**{**world.values, **fill(row.given, world.values)})
    return world.tokens[who].request(row.method, world.url + path, json=fill(row.body, world.values),
                                     params=fill(row.query, world.values), timeout=30)


def test_every_customer_operation_is_in_the_table(world):
    spec = requests.get(f"{world.url}/openapi.json", timeout=30).json()
    operations = {f"{method.upper()} {path}" for path, item in spec["paths"].items()
                  for method, operation in item.items()
                  if path.startswith("/c/v1/") and "x-served-by" not in operation}  # the stream: test_live_stream
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
