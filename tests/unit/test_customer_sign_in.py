"""The customer channel's sign-in in process (fake RPC, SQLite identity): codes kept only as hashes,
sent only to a customer's number but answered alike, limited per number and per address, locked after
wrong guesses and renewable after a cool-down; customer and staff tokens refused on each other's routes."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from gateway.customer import codes
from gateway.models import CustomerCode, CustomerLink
from tests.unit.conftest import SECRET

CUSTOMER = {"id": "01CUSTOMER0000000000000000", "name": "王车主"}
MOBILE, STRANGER = "13912345678", "13987654321"


@dataclass
class Text:
    to: str
    body: str


class Outbox:
    """The SMS adapter's place: keeps each text as the customer would read it."""

    def __init__(self):
        self.sent: list[Text] = []

    def send(self, mobile, template, params, out_id="") -> str:
        self.sent.append(Text(mobile, template.render(params)))
        return f"biz-{len(self.sent)}"


@pytest.fixture
def client(app):
    app.deps.messages.sms = Outbox()
    app.deps.rpc.behaviour[("crm", "customer_for_sign_in")] = None
    app.deps.rpc.behaviour[("crm", "customer_vehicles")] = {"items": [], "next_cursor": None}
    original = app.deps.rpc.call

    def call(service, method, context=None, timeout=None, **kwargs):
        if method == "customer_for_sign_in":
            original(service, method, context, timeout, **kwargs)
            return CUSTOMER if kwargs["mobile"] == MOBILE else None
        return original(service, method, context, timeout, **kwargs)

    app.deps.rpc.call = call
    return app


def ask(client, mobile: str, address: str = "127.0.0.1"):
    return client.simulate_post("/c/v1/auth/code", json={"mobile": mobile}, headers={"Authorization": ""},
                                remote_addr=address)


def login(client, mobile: str, code: str):
    return client.simulate_post("/c/v1/auth/login", json={"mobile": mobile, "code": code},
                                headers={"Authorization": ""})


def sent_code(client) -> str:
    return re.search(r"\d{6}", client.deps.messages.sms.sent[-1].body).group()


def rows(client) -> list[CustomerCode]:
    with client.deps.identity_db() as session:
        return list(session.scalars(select(CustomerCode).order_by(CustomerCode.created_at)))


def age(client, by: timedelta) -> None:
    """Move every code's moments back in time (as if `by` had passed)."""
    with client.deps.identity_db() as session, session.begin():
        for row in session.scalars(select(CustomerCode)):
            row.created_at, row.expires_at = row.created_at - by, row.expires_at - by


def test_a_code_goes_only_to_a_customer_but_both_numbers_get_the_same_answer(client):
    known, unknown = ask(client, MOBILE), ask(client, STRANGER)
    assert known.status_code == unknown.status_code == 202 and known.json == unknown.json
    assert [message.to for message in client.deps.messages.sms.sent] == [MOBILE]
    code = sent_code(client)
    stored = rows(client)
    assert len(stored) == 2 and all(code not in row.code_hash for row in stored)
    assert stored[0].code_hash == codes.code_hash(SECRET, MOBILE, code)
    signed_in = login(client, MOBILE, code)
    assert signed_in.status_code == 200 and signed_in.json["customer"] == CUSTOMER
    claims = jwt.decode(signed_in.json["access_token"], SECRET, algorithms=["HS256"], audience="customer")
    assert claims["sub"] == CUSTOMER["id"]
    assert login(client, MOBILE, code).json["error"]["code"] == "code_invalid"  # used once


def test_an_expired_code_is_refused(client):
    ask(client, MOBILE)
    age(client, codes.CODE_TTL + timedelta(seconds=1))
    refused = login(client, MOBILE, sent_code(client))
    assert refused.status_code == 401 and refused.json["error"]["code"] == "code_invalid"


def test_a_locked_number_asks_again_after_the_cool_down_and_signs_in(client):
    ask(client, MOBILE)
    code = sent_code(client)
    for _ in range(codes.MAX_GUESSES):
        assert login(client, MOBILE, "000000" if code != "000000" else "111111").status_code == 401
    assert rows(client)[0].attempts == codes.MAX_GUESSES
    assert login(client, MOBILE, code).json["error"]["code"] == "code_locked"
    assert ask(client, MOBILE).status_code == 429
    age(client, codes.LOCKED_COOL_DOWN)
    assert ask(client, MOBILE).status_code == 202
    assert login(client, MOBILE, sent_code(client)).status_code == 200


def test_codes_are_limited_per_number_and_per_address(client):
    for _ in range(codes.CODES_PER_NUMBER):
        assert ask(client, MOBILE).status_code == 202
        age(client, codes.RESEND_AFTER)
    limited = ask(client, MOBILE)
    assert limited.status_code == 429 and limited.json["error"]["code"] == "code_requests_limited"
    assert int(limited.headers["Retry-After"]) > 0
    for n in range(codes.CODES_PER_ADDRESS - codes.CODES_PER_NUMBER):
        assert ask(client, f"1390000{n:04d}", "10.1.1.1").status_code == 202
    assert ask(client, "13911110000", "10.1.1.1").status_code == 202  # its own count per address
    spray = [ask(client, f"1370000{n:04d}", "10.2.2.2").status_code for n in range(codes.CODES_PER_ADDRESS + 1)]
    assert spray[-1] == 429 and set(spray[:-1]) == {202}


def test_customer_and_staff_tokens_are_refused_on_each_others_routes(client):
    ask(client, MOBILE)
    token = login(client, MOBILE, sent_code(client)).json["access_token"]
    customer = {"Authorization": f"Bearer {token}"}
    assert client.simulate_get("/c/v1/vehicles", headers=customer).status_code == 200
    assert client.simulate_get("/v1/me", headers=customer).status_code == 401
    assert client.simulate_get("/c/v1/vehicles").status_code == 401  # the admin's staff token
    expired = jwt.encode({"sub": CUSTOMER["id"], "aud": "customer", "exp": int(time.time()) - 5}, SECRET,
                         algorithm="HS256", headers={"kid": client.deps.auth.tokens.kid})
    assert client.simulate_get("/c/v1/vehicles", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    vehicles_call = next(call for call in client.deps.rpc.calls if call[1] == "customer_vehicles")
    assert vehicles_call[2]["role"] == "customer" and vehicles_call[2]["user_id"] == CUSTOMER["id"]


def test_a_signature_that_is_not_a_png_is_refused_before_any_call(client):
    ask(client, MOBILE)
    token = login(client, MOBILE, sent_code(client)).json["access_token"]
    refused = client.simulate_post("/c/v1/quotes/q1/decision", json={"signature_png": "aGVsbG8="},
                                   headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 422 and "signature_png" in refused.json["error"]["fields"]
    assert not [call for call in client.deps.rpc.calls if call[0] == "sales"]


QUOTE = {"id": "01QUOTE000000000000000000A", "customer_id": CUSTOMER["id"], "store_id": "s1", "state": "presented",
         "number": "Q-0001"}


def test_a_link_opens_its_one_quote_until_it_is_revoked(client):
    client.deps.rpc.behaviour[("sales", "get_quote")] = QUOTE
    client.deps.rpc.behaviour[("sales", "customer_quote")] = {"id": QUOTE["id"]}
    client.deps.rpc.behaviour[("crm", "queue_quote_link")] = {"to_masked": "138****0000"}
    client.deps.rpc.behaviour[("workshop", "customer_quote_findings")] = {"items": []}
    sent = client.simulate_post(f"/v1/quotes/{QUOTE['id']}/customer-link")
    assert sent.status_code == 201 and sent.json["url"].startswith("/m/#/link/")
    assert sent.json["texted_to"] == "138****0000"
    queued = next(call[3]["data"] for call in client.deps.rpc.calls if call[1] == "queue_quote_link")
    assert queued["quote_id"] == QUOTE["id"] and queued["url"] == f"http://falconframework.org{sent.json['url']}"
    secret = sent.json["url"].rsplit("/", 1)[1]
    opened = client.simulate_post("/c/v1/auth/link", json={"token": secret}, headers={"Authorization": ""})
    assert opened.status_code == 200 and opened.json["document_id"] == QUOTE["id"]
    assert 0 < opened.json["expires_in"] <= 3 * 24 * 3600
    link = {"Authorization": f"Bearer {opened.json['access_token']}"}
    assert client.simulate_get(f"/c/v1/quotes/{QUOTE['id']}", headers=link).status_code == 200
    assert client.simulate_get("/c/v1/quotes/01OTHERQUOTE00000000000000", headers=link).status_code == 403
    assert client.simulate_get("/c/v1/vehicles", headers=link).status_code == 403
    assert client.simulate_delete(f"/v1/quotes/{QUOTE['id']}/customer-link").json == {"revoked": 1}
    assert client.simulate_get(f"/c/v1/quotes/{QUOTE['id']}", headers=link).status_code == 401
    again = client.simulate_post("/c/v1/auth/link", json={"token": secret}, headers={"Authorization": ""})
    assert again.status_code == 401 and again.json["error"]["code"] == "link_invalid"


def test_an_expired_link_and_a_link_to_a_decided_quote_are_refused(client):
    client.deps.rpc.behaviour[("sales", "get_quote")] = {**QUOTE, "state": "approved"}
    refused = client.simulate_post(f"/v1/quotes/{QUOTE['id']}/customer-link")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "quote_state"
    client.deps.rpc.behaviour[("sales", "get_quote")] = QUOTE
    secret = client.simulate_post(f"/v1/quotes/{QUOTE['id']}/customer-link").json["url"].rsplit("/", 1)[1]
    with client.deps.identity_db() as session, session.begin():
        for row in session.scalars(select(CustomerLink)):
            row.expires_at = row.created_at - timedelta(seconds=1)
    expired = client.simulate_post("/c/v1/auth/link", json={"token": secret}, headers={"Authorization": ""})
    assert expired.status_code == 401 and expired.json["error"]["code"] == "link_invalid"


def test_a_refusal_raised_as_an_http_error_is_worded_in_chinese_when_asked(client):
    """The sign-in's refusals are Falcon HTTP errors, not domain errors: `Accept-Language: zh-CN`
    words them from the console's dictionary too, and English stays as it was."""
    ask(client, MOBILE)
    wrong = "000000" if sent_code(client) != "000000" else "111111"
    said = {language: client.simulate_post("/c/v1/auth/login", json={"mobile": MOBILE, "code": wrong},
                                           headers={"Accept-Language": language}).json["error"]["message"]
            for language in ("zh-CN", "en-US")}
    assert said == {"zh-CN": "验证码不正确或已过期", "en-US": "The code is wrong or has expired."}


def test_the_texted_link_starts_with_the_chains_public_address_when_one_is_set(client, monkeypatch):
    """Behind a proxy that ends TLS the gateway hears http and an inside host name: the SMS names the public one."""
    monkeypatch.setattr(client.deps, "settings", replace(client.deps.settings,
                                                                    public_origin="https://car.example.cn"))
    client.deps.rpc.behaviour[("sales", "get_quote")] = QUOTE
    client.deps.rpc.behaviour[("crm", "queue_quote_link")] = {"to_masked": "138****0000"}
    sent = client.simulate_post(f"/v1/quotes/{QUOTE['id']}/customer-link")
    queued = next(call[3]["data"] for call in client.deps.rpc.calls if call[1] == "queue_quote_link")
    assert sent.status_code == 201 and queued["url"] == f"https://car.example.cn{sent.json['url']}"
