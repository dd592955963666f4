"""GET /v1/reports/campaigns at the gateway (FakeRpc answers crm and finance): one call to each whatever the
number of campaigns and sends, a window per send from its day to `within_days` after, each campaign's row summed
from its sends' figures; no sends, no call to finance."""
from __future__ import annotations

DAYS = {"from": "2026-11-01", "to": "2026-11-30"}


def test_each_campaign_sums_its_sends_figures_from_one_call_to_each_service(app):
    app.deps.rpc.behaviour[("crm", "campaign_sends")] = {"items": [
        {"campaign_id": "k1", "name": "双十一保养", "store_id": "s1", "channel": "sms", "sends": [
            {"customer_id": "c1", "day": "2026-11-01"}, {"customer_id": "c2", "day": "2026-11-01"}]},
        {"campaign_id": "k2", "name": "全连锁冬季检查", "store_id": None, "channel": "wechat", "sends": [
            {"customer_id": "c1", "day": "2026-11-20"}], "skipped": 3}]}
    app.deps.rpc.behaviour[("finance", "window_figures")] = {"items": [
        {"customer_id": "c1", "from": "2026-11-01", "to": "2026-11-08", "invoices": 2, "revenue_fen": 30_000},
        {"customer_id": "c1", "from": "2026-11-20", "to": "2026-11-27", "invoices": 1, "revenue_fen": 5_000}]}
    reply = app.simulate_get("/v1/reports/campaigns", params={**DAYS, "within_days": "7"})
    assert reply.status_code == 200, reply.text
    rows = {row["campaign_id"]: row for row in reply.json["items"]}
    assert rows["k1"] == {"campaign_id": "k1", "name": "双十一保养", "store_id": "s1", "channel": "sms",
                          "messages_sent": 2, "messages_skipped": 0, "customers_visited": 1, "invoices": 2,
                          "revenue_fen": 30_000}
    assert (rows["k2"]["store_id"], rows["k2"]["customers_visited"], rows["k2"]["revenue_fen"]) == (None, 1, 5_000)
    assert rows["k2"]["messages_skipped"] == 3  # skipped for the customers' weekly marketing allowance
    assert reply.json["total"] == {"campaign_id": None, "name": None, "store_id": None, "channel": None,
                                   "messages_sent": 3, "messages_skipped": 3, "customers_visited": 2, "invoices": 3,
                                   "revenue_fen": 35_000}
    assert reply.json["within_days"] == 7
    calls = [(service, method) for service, method, *_ in app.deps.rpc.calls]
    assert calls.count(("crm", "campaign_sends")) == calls.count(("finance", "window_figures")) == 1
    [asked] = [kwargs["query"] for service, method, _, kwargs in app.deps.rpc.calls if method == "window_figures"]
    assert sorted((w["customer_id"], w["from"], w["to"]) for w in asked["windows"]) == [
        ("c1", "2026-11-01", "2026-11-08"), ("c1", "2026-11-20", "2026-11-27"), ("c2", "2026-11-01", "2026-11-08")]


def test_thirty_days_by_default_and_no_sends_asks_finance_nothing(app):
    app.deps.rpc.behaviour[("crm", "campaign_sends")] = {"items": []}
    reply = app.simulate_get("/v1/reports/campaigns", params=DAYS)
    assert reply.status_code == 200 and reply.json["within_days"] == 30 and reply.json["items"] == []
    assert reply.json["total"]["messages_sent"] == 0
    assert not [call for call in app.deps.rpc.calls if call[0] == "finance"]


def test_a_window_past_a_year_is_refused(app):
    assert app.simulate_get("/v1/reports/campaigns", params={**DAYS, "within_days": "400"}).status_code == 422
