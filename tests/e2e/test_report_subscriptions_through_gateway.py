"""Scheduled reports through the gateway against the real services, RabbitMQ, PostgreSQL and the SMS sandbox
(issue 29): after one car through a store with a revenue target for the month, its manager sets their mobile and
subscribes to the daily summary; crm's report tick at 08:30 the next morning (called as its timer is, by RPC with
the instant) texts the day's revenue, cars and average ticket as the KPI report gives them, against the target —
once, however often it ticks; an advisor may not subscribe; the summary's last period is listed."""
from __future__ import annotations

import calendar
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.money import format_yuan
from tests.support import data
from tests.support.customer import sms_arrived, sms_sent
from tests.support.one_car import SHANGHAI, Store, eventually, new_part, ok, one_car

pytestmark = pytest.mark.e2e


def tick(stack, moment: datetime) -> int:
    """crm's report timer at `moment` (an internal call: no user travels with it)."""
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}) as cluster:
        return cluster.crm.send_reports_at(moment.isoformat())["queued"]


def test_a_managers_daily_summary_is_texted_once_with_the_days_kpis(stack, admin):
    shop = Store(stack, admin)
    today = datetime.now(SHANGHAI).date()
    days = calendar.monthrange(today.year, today.month)[1]
    ok(shop.manager.put(f"{stack.url}/v1/stores/{shop.id}/kpi-targets/{today:%Y-%m}",
                        json={"sales_fen": 100000 * days}))  # ¥1,000.00 a day
    one_car(stack, admin, shop, new_part(stack, admin, shop))
    span = {"store_id": shop.id, "from": today.isoformat(), "to": today.isoformat()}
    row = eventually(lambda: ok(shop.manager.get(f"{stack.url}/v1/reports/kpis", params=span))["items"][0],
                     lambda r: r["car_count"] >= 1, "the day's KPIs")

    body = {"store_id": shop.id, "period": "daily"}
    refused = shop.manager.post(f"{stack.url}/v1/report-subscriptions", json=body)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "mobile_required"
    assert shop.advisor.post(f"{stack.url}/v1/report-subscriptions", json=body).status_code == 403
    mobile = data.mobile()
    ok(shop.manager.patch(f"{stack.url}/v1/users/{shop.manager.user_id}", json={"mobile": mobile}))
    made = ok(shop.manager.post(f"{stack.url}/v1/report-subscriptions", json=body), 201)
    assert (made["scope_name"], made["period"], made["last_period"]) == ("广州天河店", "daily", None)
    again = shop.manager.post(f"{stack.url}/v1/report-subscriptions", json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "report_subscription_exists"

    next_morning = datetime.combine(today + timedelta(days=1), time(8, 30), tzinfo=SHANGHAI)
    assert tick(stack, next_morning - timedelta(hours=1)) == 0  # 07:30: not yet
    assert tick(stack, next_morning) >= 1
    assert tick(stack, next_morning + timedelta(minutes=5)) == 0  # the next tick: the day's key is taken
    text = sms_arrived(stack, mobile, "staff_report")
    ticket = format_yuan(row["aro_fen"])
    reached = (Decimal(row["sales_fen"]) / 1000).quantize(Decimal("0.1"), ROUND_HALF_UP)  # of ¥1,000.00
    assert text[0]["body"].endswith(
        f"广州天河店{today.month}月{today.day}日经营简报：营业额 {format_yuan(row['sales_fen'])}（上期无营业额），"
        f"进厂 {row['car_count']} 台，客单价 {ticket}，目标 ¥1,000.00，达成 {reached}%。")
    listed = eventually(lambda: ok(shop.manager.get(f"{stack.url}/v1/report-subscriptions"))["items"],
                        lambda items: items[0]["last_status"] in ("sent", "delivered"), "the summary's status")
    assert listed[0]["last_period"] == today.isoformat()
    assert len(sms_sent(stack, mobile, "staff_report")) == 1
    assert shop.manager.delete(f"{stack.url}/v1/report-subscriptions/{made['id']}").status_code == 204
    assert ok(shop.manager.get(f"{stack.url}/v1/report-subscriptions"))["items"] == []
