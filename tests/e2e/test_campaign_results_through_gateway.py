"""Campaign results (营销活动效果) through the gateway: a store's campaign sent to two of its customers; one comes
in within the window after their message, the other's message is moved ten days back so their visit falls after
it: messages, visits and revenue exact; crm and finance asked once each; a cashier and another store refused."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.test_finance_through_gateway import invoice_for
from tests.support import data
from tests.support.accounts import create_store, make_user, without_quiet_hours
from tests.support.rpc_tap import RpcTap
from tests.e2e.test_crm_care_through_gateway import eventually

pytestmark = pytest.mark.e2e


def test_a_campaigns_sends_the_customers_who_came_in_within_the_window_and_their_revenue(stack, vhost, admin):
    shop = create_store(stack, admin, "活动效果店")["id"]
    elsewhere = create_store(stack, admin, "活动另一店")["id"]
    boss = make_user(stack, admin, "store_manager", [shop])
    other_boss = make_user(stack, admin, "store_manager", [elsewhere])
    till = make_user(stack, admin, "cashier", [shop])
    without_quiet_hours(stack, boss, shop)  # sent now at any hour in Beijing
    tag = f"回店{data.mobile()[-6:]}"
    customers = {}
    for name in ("活动甲", "活动乙"):
        reply = admin.post(f"{stack.url}/v1/customers", json={
            "name": name, "mobile": data.mobile(), "home_store_id": shop, "marketing_consent": True, "tags": [tag]})
        assert reply.status_code == 201, reply.text
        customers[name] = reply.json()["id"]
    reply = boss.post(f"{stack.url}/v1/campaigns", json={
        "store_id": shop, "name": "回店保养活动", "channel": "sms", "template": "{name}您好，本月保养八折。",
        "segment": {"tags": [tag]}})
    assert reply.status_code == 201, reply.text
    campaign = reply.json()
    url = f"{stack.url}/v1/campaigns/{campaign['id']}"
    assert eventually(lambda: boss.get(url).json()["status"] == "completed", timeout=30), boss.get(url).json()
    assert sorted(m["customer_id"] for m in boss.get(f"{url}/messages").json()["items"]) == sorted(customers.values())
    engine = create_engine(stack.env["CRM_DATABASE_URL"])
    with engine.begin() as conn:  # 活动乙's message went out ten days ago: today's visit is after a 5-day window
        conn.execute(text("UPDATE campaign_messages SET sent_at = :at WHERE campaign_id = :c AND customer_id = :k"),
                     {"at": datetime.now(timezone.utc) - timedelta(days=10), "c": campaign["id"],
                      "k": customers["活动乙"]})
    engine.dispose()
    came = invoice_for(stack, vhost, boss, shop, customer_id=customers["活动甲"])
    late = invoice_for(stack, vhost, boss, shop, customer_id=customers["活动乙"])
    today = date.fromisoformat(came["business_date"])
    asked = {"store_id": shop, "from": (today - timedelta(days=10)).isoformat(), "to": today.isoformat(),
             "within_days": "5"}
    with RpcTap(vhost.uri) as tap:
        reply = boss.get(f"{stack.url}/v1/reports/campaigns", params=asked)
        calls = tap.take()
    assert reply.status_code == 200, reply.text
    assert calls == {"crm.campaign_sends": 1, "finance.window_figures": 1}
    [row] = [row for row in reply.json()["items"] if row["campaign_id"] == campaign["id"]]
    assert row == {"campaign_id": campaign["id"], "name": "回店保养活动", "store_id": shop, "channel": "sms",
                   "messages_sent": 2, "messages_skipped": 0, "customers_visited": 1, "invoices": 1,
                   "revenue_fen": came["total_fen"]}
    wider = boss.get(f"{stack.url}/v1/reports/campaigns", params={**asked, "within_days": "10"}).json()
    [row] = [row for row in wider["items"] if row["campaign_id"] == campaign["id"]]
    assert (row["customers_visited"], row["invoices"], row["revenue_fen"]) == (
        2, 2, came["total_fen"] + late["total_fen"])
    table = list(csv.reader(io.StringIO(boss.get(f"{stack.url}/v1/reports/campaigns", params={
        **asked, "format": "csv"}).content.decode("utf-8-sig"))))
    assert "发送条数" in table[0] and "到店客户数" in table[0] and any("回店保养活动" in line for line in table[1:])
    assert till.get(f"{stack.url}/v1/reports/campaigns", params=asked).status_code == 403
    assert other_boss.get(f"{stack.url}/v1/reports/campaigns", params=asked).status_code == 403
    assert not [row for row in other_boss.get(f"{stack.url}/v1/reports/campaigns", params={
        **asked, "store_id": elsewhere}).json()["items"] if row["campaign_id"] == campaign["id"]]
