"""GET /v1/reports/customer-sources at the gateway (FakeRpc answers crm and finance): one call to each, the
per-source rows summed from finance's per-customer figures, customers never invoiced counted as new only, the
unrecorded source named; no customers, no call to finance."""
from __future__ import annotations

from services.contracts.rpc.crm.customers import SOURCES

DAYS = {"from": "2026-11-01", "to": "2026-11-30"}


def test_each_source_sums_its_customers_figures_from_one_call_to_each_service(app):
    groups = {"referral": ["c1", "c2"], "online": ["c3"], None: ["c4"]}
    app.deps.rpc.behaviour[("crm", "new_customers_by_source")] = {"items": [
        {"source": source, "customer_ids": groups.get(source, [])} for source in (*SOURCES, None)]}
    app.deps.rpc.behaviour[("finance", "customer_figures")] = {"items": [
        {"customer_id": "c1", "invoices": 2, "revenue_fen": 30_000}, {"customer_id": "c3", "invoices": 1,
                                                                       "revenue_fen": 5_000}]}
    reply = app.simulate_get("/v1/reports/customer-sources", params=DAYS)
    assert reply.status_code == 200, reply.text
    rows = {row["source"]: row for row in reply.json["items"]}
    assert list(rows) == [*SOURCES, "unrecorded"]
    assert rows["referral"] == {"source": "referral", "new_customers": 2, "customers_visited": 1, "invoices": 2,
                                "revenue_fen": 30_000}
    assert (rows["online"]["customers_visited"], rows["unrecorded"]["new_customers"]) == (1, 1)
    assert reply.json["total"] == {"source": None, "new_customers": 4, "customers_visited": 2, "invoices": 3,
                                   "revenue_fen": 35_000}
    calls = [(service, method) for service, method, *_ in app.deps.rpc.calls]
    assert calls.count(("crm", "new_customers_by_source")) == calls.count(("finance", "customer_figures")) == 1
    [asked] = [kwargs["query"] for service, method, _, kwargs in app.deps.rpc.calls if method == "customer_figures"]
    assert sorted(asked["customer_ids"]) == ["c1", "c2", "c3", "c4"] and asked["from"] == DAYS["from"]


def test_no_new_customers_asks_finance_nothing(app):
    app.deps.rpc.behaviour[("crm", "new_customers_by_source")] = {"items": [
        {"source": source, "customer_ids": []} for source in (*SOURCES, None)]}
    reply = app.simulate_get("/v1/reports/customer-sources", params=DAYS)
    assert reply.status_code == 200 and reply.json["total"]["new_customers"] == 0
    assert not [call for call in app.deps.rpc.calls if call[0] == "finance"]
