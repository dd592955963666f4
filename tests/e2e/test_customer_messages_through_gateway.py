"""A customer's messages in one list through the gateway against the real services, RabbitMQ, PostgreSQL and the
SMS sandbox (the chain's account): the text of their car's check-in and their store's campaign, newest first, with
the campaign's name, channel and status — for the store's staff (`GET /v1/messages?customer_id=`), never another
store's, and for the owner on the phone (`GET /c/v1/messages`), the same lines page by page."""
from __future__ import annotations

import uuid

import pytest

from tests.browser.test_messages import check_in
from tests.support import data
from tests.support.accounts import without_quiet_hours
from tests.support.customer import ok, sign_in, staff_world, until

pytestmark = pytest.mark.e2e


def test_a_campaign_message_is_on_the_customers_record_for_the_store_and_the_owner(stack, admin):
    store, advisor, _ = staff_world(stack, admin, "佛山禅城店")
    _, elsewhere, _ = staff_world(stack, admin, "佛山南海店")
    without_quiet_hours(stack, admin, store["id"])
    mobile, tag = data.mobile(), f"禅城{uuid.uuid4().hex[:6]}"
    owner = check_in(stack, store, advisor, "梁车主", mobile)
    ok(advisor.patch(f"{stack.url}/v1/customers/{owner['id']}", json={"marketing_consent": True, "tags": [tag]}))
    until(lambda: ok(advisor.get(f"{stack.url}/v1/messages", params={"customer_id": owner["id"]}))["items"],
          "the check-in's text")
    campaign = ok(admin.post(f"{stack.url}/v1/campaigns", json={
        "name": "禅城冬季关怀", "channel": "sms", "store_id": store["id"], "template": "{name}您好，冬季检测免费",
        "segment": {"tags": [tag]}}))

    def both():
        items = ok(advisor.get(f"{stack.url}/v1/messages", params={"customer_id": owner["id"]}))["items"]
        return items if items[0]["kind"] == "campaign" and items[0]["status"] in ("sent", "delivered") else None

    log = until(both, "the campaign's message, sent", timeout=40)
    assert [(m["kind"], m["template"]) for m in log] == [("campaign", "campaign"), ("outbox", "vehicle_checked_in")]
    sent = log[0]
    assert (sent["campaign_id"], sent["campaign_name"], sent["channel"], sent["store_id"]) == (
        campaign["id"], "禅城冬季关怀", "sms", store["id"])
    assert sent["sent_at"] and sent["customer_name"] == "梁车主"
    assert sent["to_masked"] == f"{mobile[:3]}****{mobile[-4:]}"
    assert log[1]["campaign_name"] is None
    only = ok(advisor.get(f"{stack.url}/v1/messages", params={"customer_id": owner["id"], "template": "campaign"}))
    assert [m["id"] for m in only["items"]] == [sent["id"]]
    assert ok(elsewhere.get(f"{stack.url}/v1/messages", params={"customer_id": owner["id"]}))["items"] == []

    phone = sign_in(stack, mobile)
    first = ok(phone.get(f"{stack.url}/c/v1/messages", params={"limit": 1}))
    second = ok(phone.get(f"{stack.url}/c/v1/messages", params={"limit": 1, "cursor": first["next_cursor"]}))
    assert [m["id"] for m in first["items"] + second["items"]] == [m["id"] for m in log]
    mine = first["items"][0]
    assert (mine["kind"], mine["campaign_name"], mine["text"]) == ("campaign", "禅城冬季关怀",
                                                                   "梁车主您好，冬季检测免费 回T退订")
    assert second["next_cursor"] is None
