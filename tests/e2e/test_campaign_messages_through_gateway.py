"""Campaign messages through the gateway against the real services, RabbitMQ, PostgreSQL and the SMS/WeChat
sandbox. A store with an official account of its own (the sandbox's third: no other test's) runs a WeChat
campaign: the owner who paid it inside WeChat (网页授权 at the store's account, kept by crm) gets the template message
at the openid they have there, under the store's appid; an owner with only the chain's openid gets a text instead —
never the chain's openid under the store's account — and the text's receipt marks the campaign message delivered."""
from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from deploy.sandboxes import messaging
from tests.e2e.test_customer_jsapi_through_gateway import owed_invoice
from tests.support import data
from tests.support.accounts import without_quiet_hours
from tests.support.customer import ok, staff_world, until

pytestmark = pytest.mark.e2e
APPID = messaging.OTHER_STORE_WECHAT_APPID


@pytest.fixture(scope="module")
def own_store(stack, admin):
    """珠海香洲店 with its own official account (its keys file; it goes again after), sending marketing at any hour."""
    found = staff_world(stack, admin, "珠海香洲店")
    code = found[0]["code"]
    stack.give_account("wechat_mp", code, {"appid": APPID, "secret": messaging.OTHER_STORE_WECHAT_SECRET})
    without_quiet_hours(stack, admin, found[0]["id"])
    yield found
    stack.give_account("wechat_mp", code, None)


def authorized_at_the_store(stack, admin, own_store) -> tuple[dict, str]:
    """An owner with an invoice of the store who went through WeChat's 网页授权 there: (customer, their openid at the
    store's official account)."""
    customer, invoice, owner = owed_invoice(stack, admin, own_store)
    started = ok(customer.post(f"{stack.url}/c/v1/wechat/authorizations", json={"invoice_id": invoice["id"]}))
    assert parse_qs(urlsplit(started["authorize_url"]).query)["appid"] == [APPID]
    back = requests.get(started["authorize_url"], allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(back.headers["Location"]).query)
    assert ok(customer.post(f"{stack.url}/c/v1/wechat/openid", json={
        "code": query["code"][0], "state": query["state"][0], "invoice_id": invoice["id"]})) == {
        "appid": APPID, "known": True}
    return owner, messaging.openid(APPID, "owner")  # the sandbox phone's WeChat user at the store's account


def sandbox(stack, kind: str, **query) -> list[dict]:
    return requests.get(f"{stack.messaging_url}/sandbox/{kind}", params=query, timeout=10).json()["items"]


def test_a_wechat_campaign_reaches_each_owner_at_the_stores_account_or_by_text(stack, admin, own_store):
    store, advisor, _ = own_store
    tag = f"香洲{uuid.uuid4().hex[:6]}"
    paid_inside, openid = authorized_at_the_store(stack, admin, own_store)
    ok(advisor.patch(f"{stack.url}/v1/customers/{paid_inside['id']}", json={"marketing_consent": True,
                                                                           "tags": [tag]}))
    chain_follower = ok(advisor.post(f"{stack.url}/v1/customers", json={
        "name": "连锁粉丝", "mobile": data.mobile(), "home_store_id": store["id"], "marketing_consent": True,
        "tags": [tag], "wechat_openid": messaging.openid(messaging.WECHAT_APPID, f"e2e-{tag}")}))
    campaign = ok(admin.post(f"{stack.url}/v1/campaigns", json={
        "name": "开业回馈", "channel": "wechat", "store_id": store["id"], "template": "{name}您好，香洲店开业回馈",
        "segment": {"tags": [tag]}}))

    [notice] = until(lambda: [m for m in sandbox(stack, "wechat", touser=openid) if m["template"] == "campaign"],
                     "the template message at the store's account", timeout=40)
    assert (notice["appid"], notice["body"]) == (APPID, f"{paid_inside['name']}您好，香洲店开业回馈 回T退订")
    [text] = until(lambda: [m for m in sandbox(stack, "sms", to=chain_follower["mobile"])
                            if m["template"] == "campaign"], "the text instead", timeout=40)
    assert text["body"] == "【车主服务】连锁粉丝您好，香洲店开业回馈 回T退订"
    assert sandbox(stack, "wechat", touser=chain_follower["wechat_openid"]) == []  # never the chain's openid

    url = f"{stack.url}/v1/campaigns/{campaign['id']}"

    def settled():
        found = {m["customer_id"]: m for m in ok(admin.get(f"{url}/messages"))["items"]}
        follower = found.get(chain_follower["id"], {})
        return found if follower.get("status") == "delivered" else None

    found = until(settled, "the text's receipt", timeout=40)
    assert (found[paid_inside["id"]]["status"], found[paid_inside["id"]]["channel"]) == ("sent", "wechat")
    assert found[chain_follower["id"]]["channel"] == "sms" and found[chain_follower["id"]]["delivered_at"]
    counts = until(lambda: (c := ok(admin.get(url)))["status"] == "completed" and c["messages"], "completed")
    assert (counts["sent"], counts["delivered"], counts["failed"]) == (1, 1, 0)
