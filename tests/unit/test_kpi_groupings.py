"""`GET /v1/reports/kpis` joins the KPIs other services own into every grouping (per store, per store
and day / week / month, the chain), each from the owners' figures for that store and period; a chain
row sums the owners' counts over its stores (a fake RPC client plays finance, sales, workshop, crm)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.test_crm_gateway_routes import new_store

JOINED = ("close_ratio_pct", "comeback_rate_pct", "first_time_qc_pass_pct", "technician_productivity_pct",
          "labour_cost_fen", "labour_gross_profit_pct", "average_satisfaction")
WEEKS = ("2026-W48", "2026-W49")


def finance_row(store_id, period, labour_fen=10_000):
    return {"store_id": store_id, "period": period, "car_count": 1, "sales_fen": labour_fen, "labour_fen": labour_fen,
            "parts_fen": 0, "fees_fen": 0, "aro_fen": labour_fen, "parts_cost_fen": 0, "parts_gross_profit_fen": 0,
            "parts_gross_profit_pct": None, "billed_hours": "1", "clocked_hours": "1",
            "effective_labour_rate_fen": labour_fen, "technician_efficiency_pct": "100.00", "sales_by_category": {}}


def pct(part, whole):
    """As an owner answers over RPC: a JSON number with three decimals."""
    return float((Decimal(part) / whole).quantize(Decimal("0.001")))


def owners(stores, periods):
    """Per store and period: n presented of which one approved, n completed of which one came back and
    one was reworked, clocked 2 of 4n hours at ¥30/h, and one follow-up scored 2 + n (n = 1, 2, ...)."""
    quotes, shops, care = [], [], []
    for s, store_id in enumerate(stores):
        for p, period in enumerate(periods):
            n = 1 + s + 2 * p
            quotes.append({"store_id": store_id, "period": period, "presented": n, "approved": 1,
                           "close_ratio_pct": pct(100, n)})
            shops.append({"store_id": store_id, "period": period, "completed": n, "comebacks": 1, "reworked": 1,
                          "comeback_rate_pct": pct(100, n),
                          "first_time_qc_pass_pct": pct(100 * (n - 1), n),
                          "clocked_hours": 2, "available_hours": 4 * n, "productivity_pct": pct(50, n),
                          "labour_cost_fen": 6000})
            care.append({"store_id": store_id, "period": period, "reached": 1,
                         "average_satisfaction": min(2 + n, 5),
                         "distribution": {str(k): int(k == min(2 + n, 5)) for k in range(1, 6)}})
    return {"items": quotes}, {"items": shops}, {"total": {}, "stores": care}


@pytest.fixture
def chain(app):
    stores = sorted([new_store(app, "K1"), new_store(app, "K2")])
    assert app.simulate_post("/v1/users", json={"username": "area.manager", "password": "password-1",
                                                "role": "store_manager", "store_ids": stores}).status_code == 201
    token = app.simulate_post("/v1/auth/login", json={"username": "area.manager", "password": "password-1"}).json
    return stores, {"Authorization": f"Bearer {token['access_token']}"}


def ask(app, headers, group, stores, periods, rows):
    quotes, shops, care = owners(stores, periods)
    app.deps.rpc.behaviour.update({("finance", "kpis"): {"from": "2026-11-23", "to": "2026-12-06", "group": group,
                                                         "items": rows, "owned_elsewhere": {"close_ratio": "sales"}},
                                   ("sales", "quote_stats_for_stores"): quotes,
                                   ("workshop", "workshop_stats_for_stores"): shops,
                                   ("crm", "satisfaction_stats"): care})
    app.deps.rpc.calls.clear()
    reply = app.simulate_get("/v1/reports/kpis", params={"from": "2026-11-23", "to": "2026-12-06", "group": group},
                             headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json, {(c[0], c[1]): c[3].get("query") for c in app.deps.rpc.calls}


@pytest.mark.parametrize("group", ["store", "day", "week", "month"])
def test_every_row_of_every_store_grouping_carries_every_kpi_of_its_store_and_period(app, chain, group):
    stores, manager = chain
    periods = [None] if group == "store" else list(WEEKS)  # the labels are the owners'; any will do
    rows = [finance_row(store_id, period) for store_id in stores for period in periods]
    report, calls = ask(app, manager, group, stores, periods, rows)
    assert report["owned_elsewhere"] == {}
    grouped = {} if group == "store" else {"group": group}
    for owner in (("sales", "quote_stats_for_stores"), ("workshop", "workshop_stats_for_stores")):
        assert calls[owner] == {"from": "2026-11-23", "to": "2026-12-06", **grouped,
                                "stores": [{"store_id": s, "time_zone": "Asia/Shanghai"} for s in stores]}
    assert calls[("crm", "satisfaction_stats")] == {"from": "2026-11-23", "to": "2026-12-06", **grouped}
    assert len(report["items"]) == len(rows)
    for row in report["items"]:
        n = 1 + stores.index(row["store_id"]) + 2 * periods.index(row["period"])
        assert all(row[name] is not None for name in JOINED), row
        assert (row["close_ratio_pct"], row["comeback_rate_pct"]) == (pytest.approx(100 / n, abs=1e-3),) * 2
        assert row["first_time_qc_pass_pct"] == pytest.approx(100 * (n - 1) / n, abs=1e-3)
        assert row["technician_productivity_pct"] == pytest.approx(50 / n, abs=1e-3)
        assert row["labour_cost_fen"] == 6000 and row["labour_gross_profit_pct"] == "40.00"
        assert row["average_satisfaction"] == min(2 + n, 5)


def test_the_chain_row_sums_the_owners_counts_over_the_callers_stores(app, chain):
    stores, manager = chain
    report, calls = ask(app, manager, "chain", stores, [None], [finance_row(None, None, labour_fen=20_000)])
    assert calls[("sales", "quote_stats_for_stores")]["stores"] == [
        {"store_id": s, "time_zone": "Asia/Shanghai"} for s in stores]
    [row] = report["items"]
    # store 1: 1 presented, 1 completed, 4 h available, score 3; store 2: 2, 2, 8 h, score 4
    assert row["store_id"] is None and row["close_ratio_pct"] == pytest.approx(2 * 100 / 3, abs=1e-3)
    assert row["comeback_rate_pct"] == pytest.approx(2 * 100 / 3, abs=1e-3)
    assert row["first_time_qc_pass_pct"] == pytest.approx(100 / 3, abs=1e-3)
    assert row["technician_productivity_pct"] == pytest.approx(4 * 100 / 12, abs=1e-3)
    assert row["labour_cost_fen"] == 12_000 and row["labour_gross_profit_pct"] == "40.00"
    assert row["average_satisfaction"] == 3.5


def test_compare_puts_each_row_beside_the_period_before_and_the_same_days_last_year(app, chain):
    """Sales of 100 yuan a day in the asked days, 50 in the two weeks before, 20 a year earlier; the store
    that had no row a year earlier is compared with nothing."""
    stores, manager = chain
    daily = {"2026-11-23": 10_000, "2026-11-09": 5_000, "2025-11-23": 2_000}

    def finance_kpis(query):
        rows = [finance_row(store_id, None, labour_fen=daily[query["from"]] * 14) for store_id in stores]
        return {"from": query["from"], "to": query["to"], "group": query.get("group", "store"),
                "items": rows[:1] if query["from"].startswith("2025") else rows, "owned_elsewhere": {}}
    quotes, shops, care = owners(stores, [None])
    app.deps.rpc.behaviour.update({("finance", "kpis"): finance_kpis, ("sales", "quote_stats_for_stores"): quotes,
                                   ("workshop", "workshop_stats_for_stores"): shops,
                                   ("crm", "satisfaction_stats"): care})
    reply = app.simulate_get("/v1/reports/kpis", params={"from": "2026-11-23", "to": "2026-12-06",
                                                         "compare": "previous,last_year"}, headers=manager)
    assert reply.status_code == 200, reply.text
    report = reply.json
    assert report["previous"] == {"from": "2026-11-09", "to": "2026-11-22"}
    assert report["last_year"] == {"from": "2025-11-23", "to": "2025-12-06"}
    first, second = sorted(report["items"], key=lambda row: row["store_id"])
    assert (first["sales_fen"], first["previous"]["sales_fen"], first["last_year"]["sales_fen"]) == (
        140_000, 70_000, 28_000)
    assert first["previous"]["average_satisfaction"] == first["average_satisfaction"]  # joined there too
    assert second["last_year"] is None and second["previous"]["store_id"] == second["store_id"]


@pytest.mark.parametrize("params, field", [({"compare": "yesterday"}, "compare"),
                                           ({"compare": "previous", "group": "day"}, "group")])
def test_a_comparison_is_of_known_periods_over_the_whole_range(app, chain, params, field):
    _, manager = chain
    reply = app.simulate_get("/v1/reports/kpis", params={"from": "2026-11-23", "to": "2026-12-06", **params},
                             headers=manager)
    assert reply.status_code == 422 and field in reply.json["error"]["fields"], reply.text


@pytest.mark.parametrize("group, first", [("day", "2025-12-05"), ("week", "2021-12-01"), ("month", "0460-07-15")])
def test_a_trend_is_refused_over_a_range_with_too_many_periods(app, chain, group, first):
    """Every period of a trend is a row (empty ones too): a range of centuries by day is a 422, not a
    finance service busy for minutes."""
    _, manager = chain
    reply = app.simulate_get("/v1/reports/kpis", params={"from": first, "to": "2026-12-06", "group": group},
                             headers=manager)
    assert reply.status_code == 422 and "to" in reply.json["error"]["fields"], reply.text
    assert all(call[1] != "kpis" for call in app.deps.rpc.calls)


def test_the_chain_rows_target_is_its_stores_summed_only_when_every_store_has_one(app, chain):
    """Two stores' revenue against one store's target would read 达成 200 %: the chain row has none then."""
    stores, manager = chain
    target = {"sales_fen": 100_000, "car_count": 10, "aro_fen": 10_000, "parts_gross_profit_pct": "30.00"}
    quotes, shops, care = owners(stores, [None])
    app.deps.rpc.behaviour.update({
        ("finance", "kpis"): {"from": "2026-11-23", "to": "2026-12-06", "group": "chain", "owned_elsewhere": {},
                              "items": [finance_row(None, None, labour_fen=20_000)]},
        ("sales", "quote_stats_for_stores"): quotes, ("workshop", "workshop_stats_for_stores"): shops,
        ("crm", "satisfaction_stats"): care})
    params = {"from": "2026-11-23", "to": "2026-12-06", "group": "chain", "compare": "target"}
    for targets, expected in (({stores[0]: target}, (None, None)),
                              (dict.fromkeys(stores, target), (200_000, 20))):
        app.deps.rpc.behaviour[("finance", "kpi_targets_over")] = {"stores": targets}
        reply = app.simulate_get("/v1/reports/kpis", params=params, headers=manager)
        assert reply.status_code == 200, reply.text
        [row] = reply.json["items"]
        assert (row["target"]["sales_fen"], row["target"]["car_count"]) == expected
