"""Messages to car owners through the gateway against the real services, RabbitMQ, PostgreSQL and the
SMS/WeChat sandbox: a check-in texts the owner and its receipt marks it delivered; the provider down keeps
the message queued with the reason until it comes back; an undeliverable number fails with the operator's
code; a WeChat follower gets the official account's message; the message log as the console reads it; a
one-time code with the provider down is 503 and nothing is sent; a link sent after presenting a quote is the
one quote message the owner gets; a sign-in code goes out under the SMS account of the customer's home store."""
from __future__ import annotations

import time

import pytest
import requests

from deploy.sandboxes import messaging
from tests.support import data
from tests.support.customer import car_with_quote, ok, sms_arrived, staff_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(stack, admin):
    return staff_world(stack, admin)


def fail(stack, **what) -> None:
    ok(requests.post(f"{stack.messaging_url}/sandbox/fail", json=what, timeout=10))


def check_in(stack, world, **customer) -> dict:
    store, advisor, _ = world
    owner = ok(advisor.post(f"{stack.url}/v1/customers", json={"name": "陈车主", "mobile": data.mobile(),
                                                                "home_store_id": store["id"], **customer}))
    car = ok(advisor.post(f"{stack.url}/v1/customers/{owner['id']}/vehicles", json={"plate": data.plate()}))
    ok(advisor.post(f"{stack.url}/v1/visits", json={"store_id": store["id"], "customer_id": owner["id"],
                                                    "vehicle_id": car["id"], "mileage_km": 1000, "needs": ["保养"]}))
    return {**owner, "plate": car["plate"]}


def logged(stack, world, customer_id: str, until, timeout: float = 40) -> dict:
    """The customer's message in the log once `until(message)` holds."""
    store, advisor, _ = world
    deadline = time.monotonic() + timeout
    while True:
        items = ok(advisor.get(f"{stack.url}/v1/messages", params={"store_id": store["id"],
                                                                   "customer_id": customer_id}))["items"]
        if items and until(items[0]):
            return items[0]
        assert time.monotonic() < deadline, f"message log: {items}"
        time.sleep(0.3)


def test_a_check_in_texts_the_owner_and_the_receipt_marks_it_delivered(stack, world):
    owner = check_in(stack, world)
    text = sms_arrived(stack, owner["mobile"], "vehicle_checked_in")
    assert text[0]["body"] == f"【车主服务】您的爱车 {owner['plate']} 已到店登记，我们会及时告知维修进度。"
    message = logged(stack, world, owner["id"], lambda m: m["status"] == "delivered")
    mobile = owner["mobile"]
    assert message["to_masked"] == f"{mobile[:3]}****{mobile[-4:]}" and message["channel"] == "sms"
    assert message["template"] == "vehicle_checked_in" and message["customer_name"] == "陈车主"


def test_the_provider_down_keeps_the_message_queued_with_the_reason_until_it_goes_out(stack, world):
    fail(stack, provider="sms", down=True)
    try:
        owner = check_in(stack, world)
        waiting = logged(stack, world, owner["id"], lambda m: m["failure_code"] == "provider_down")
        assert waiting["status"] == "queued" and waiting["failure_detail"] == "ServiceUnavailable"
        assert not requests.get(f"{stack.messaging_url}/sandbox/sms", params={"to": owner["mobile"]},
                                timeout=10).json()["items"]
    finally:
        fail(stack, provider="sms", down=False)
    assert logged(stack, world, owner["id"], lambda m: m["status"] in ("sent", "delivered"))["failure_code"] is None
    assert len(sms_arrived(stack, owner["mobile"], "vehicle_checked_in")) == 1


def test_an_undeliverable_number_fails_with_the_operators_code(stack, world):
    mobile = data.mobile()
    fail(stack, provider="sms", undeliverable=[mobile])
    owner = check_in(stack, world, mobile=mobile)
    failed = logged(stack, world, owner["id"], lambda m: m["status"] == "failed")
    assert (failed["failure_code"], failed["failure_detail"]) == ("undeliverable", "MOBILE_NOT_ON_SERVICE")


def test_a_wechat_follower_gets_the_official_accounts_message(stack, world):
    openid = f"oE2E{data.mobile()}"
    owner = check_in(stack, world, wechat_openid=openid)
    sent = logged(stack, world, owner["id"], lambda m: m["status"] == "sent")
    assert sent["channel"] == "wechat"
    received = requests.get(f"{stack.messaging_url}/sandbox/wechat", params={"touser": openid}, timeout=10).json()
    assert [m["template"] for m in received["items"]] == ["vehicle_checked_in"]


def test_a_sign_in_code_with_the_provider_down_is_503_and_nothing_is_sent(stack, world):
    owner = check_in(stack, world)
    sms_arrived(stack, owner["mobile"], "vehicle_checked_in")
    fail(stack, provider="sms", down=True)
    try:
        reply = requests.post(f"{stack.url}/c/v1/auth/code", json={"mobile": owner["mobile"]}, timeout=10)
    finally:
        fail(stack, provider="sms", down=False)
    assert reply.status_code == 503 and reply.json()["error"]["code"] == "sms_unavailable"
    assert reply.headers.get("Retry-After")
    assert not [m for m in requests.get(f"{stack.messaging_url}/sandbox/sms", params={"to": owner["mobile"]},
                                        timeout=10).json()["items"] if m["template"] == "sign_in"]


def test_a_link_sent_after_presenting_is_the_one_quote_message_the_owner_gets(stack, world):
    car = car_with_quote(stack, *world)
    sent = ok(car.advisor.post(f"{stack.url}/v1/quotes/{car.quote['id']}/customer-link"))
    text = sms_arrived(stack, car.customer["mobile"], "quote_ready")
    assert sent["url"] in text[0]["body"] and car.quote["number"] in text[0]["body"]
    message = logged(stack, world, car.customer["id"], lambda m: m["template"] == "quote_ready")
    assert message["status"] in ("sent", "delivered")
    log = ok(car.advisor.get(f"{stack.url}/v1/messages", params={"customer_id": car.customer["id"]}))["items"]
    assert sorted(m["template"] for m in log) == ["quote_ready", "vehicle_checked_in"]  # no second quote text


def test_a_sign_in_code_goes_out_under_the_sms_account_of_the_customers_home_store(stack, admin, world):
    own_world = staff_world(stack, admin, "深圳南山店")
    code = own_world[0]["code"]
    stack.give_account("sms", code, {"sign_name": "南山店", "access_key_id": messaging.STORE_ACCESS_KEY_ID,
                                     "access_key_secret": messaging.STORE_ACCESS_KEY_SECRET})
    try:
        for at, account, sign in ((own_world, messaging.STORE_ACCESS_KEY_ID, "南山店"),
                                  (world, messaging.ACCESS_KEY_ID, "车主服务")):
            store, advisor, _ = at
            owner = ok(advisor.post(f"{stack.url}/v1/customers", json={
                "name": "陈车主", "mobile": data.mobile(), "home_store_id": store["id"]}))
            asked = requests.post(f"{stack.url}/c/v1/auth/code", json={"mobile": owner["mobile"]}, timeout=10)
            assert asked.status_code == 202, asked.text
            [text] = sms_arrived(stack, owner["mobile"], "sign_in")
            assert (text["access_key_id"], text["sign_name"]) == (account, sign), text
            assert text["body"].startswith(f"【{sign}】您的登录验证码 ")
    finally:
        stack.give_account("sms", code, None)
