"""The demo chain's history (deploy/demo_history.py): days before today hold what a store does —
cars checked in, quotes won and lost, invoices paid, call-backs — as the services' own rules made
them on those days, so the dashboard has a trend, every joined KPI has a value, and each store's
books still agree (journal balanced, inventory account equal to the stock valuation, the stock
ledger consistent). A second seeding adds nothing."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deploy import demo as chain
from services.finance import demo as finance_demo
from tests.support.one_car import ok
from tests.support.stack import demo_stack

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]
DAYS = 12
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with demo_stack(tmp_path_factory.mktemp("demo-history"), history_days=DAYS) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack):
    return stack.login()


def test_the_dashboard_has_days_of_history_with_every_kpi(stack, admin):
    today = datetime.now(SHANGHAI).date()
    span = {"from": (today - timedelta(days=DAYS)).isoformat(), "to": (today - timedelta(days=1)).isoformat()}
    days = ok(admin.get(f"{stack.url}/v1/reports/kpis", params={**span, "group": "day"}))["items"]
    busy = {row["period"] for row in days if row["car_count"]}
    assert len(busy) >= DAYS // 2, busy  # a trend, not one bar of today
    [whole] = ok(admin.get(f"{stack.url}/v1/reports/kpis", params={**span, "group": "chain"}))["items"]
    assert whole["car_count"] >= DAYS and whole["sales_fen"] > 0 and whole["parts_cost_fen"] > 0
    for kpi in ("close_ratio_pct", "first_time_qc_pass_pct", "technician_productivity_pct", "comeback_rate_pct"):
        assert whole[kpi] is not None and 0 < whole[kpi] <= 100, (kpi, whole[kpi])
    assert whole["close_ratio_pct"] < 100  # some quotes were lost
    stores = ok(admin.get(f"{stack.url}/v1/reports/kpis", params={**span, "group": "store"}))["items"]
    assert len(stores) == len(chain.STORES) and all(row["car_count"] for row in stores)


def test_every_store_s_books_agree_after_the_history(stack, admin):
    url = stack.url
    for store in ok(admin.get(f"{url}/v1/stores", params={"limit": 200}))["items"]:
        params = {"store_id": store["id"]}
        balance = ok(admin.get(f"{url}/v1/ledger/trial-balance", params=params))
        assert balance["balanced"] is True and balance["total_debit_fen"] == balance["total_credit_fen"] > 0
        assert ok(admin.get(f"{url}/v1/ledger/reconciliation", params=params))["ok"] is True, store["code"]
        assert ok(admin.get(f"{url}/v1/stock/ledger-check", params=params))["ok"] is True, store["code"]
        invoices = ok(admin.get(f"{url}/v1/invoices", params={**params, "limit": 200}))["items"]
        waiting = [invoice for invoice in invoices if invoice["status"] != "paid"]  # the car at the till now
        assert len(invoices) > 1 and len(waiting) == 1 and waiting[0]["due_fen"] > 0, store["code"]


def test_the_historys_settled_repairs_reach_the_health_record_sandbox(stack, admin):
    """Each demo store has a 许可证号 and each history car a VIN: every settlement is uploaded, none fails."""
    deadline = time.monotonic() + 60
    for store in ok(admin.get(f"{stack.url}/v1/stores", params={"limit": 200}))["items"]:
        settings = ok(admin.get(f"{stack.url}/v1/stores/{store['id']}/finance-settings"))
        assert settings["repair_licence_no"] == chain.REPAIR_LICENCES[store["code"]]
        while True:
            uploads = ok(admin.get(f"{stack.url}/v1/health-record-uploads", params={
                "store_id": store["id"], "limit": 200}))["items"]
            assert uploads and not [u for u in uploads if u["status"] == "failed"], store["code"]
            if all(u["status"] == "uploaded" for u in uploads) or time.monotonic() > deadline:
                assert all(u["status"] == "uploaded" for u in uploads), store["code"]
                break
            time.sleep(0.5)


def test_each_login_finds_the_work_under_way(stack, admin):
    """Staff logging in find a working store: a car in every column of the board, a discount waiting for the
    manager, the technician login's own jobs with one running, an invoice at the till; and a labour margin a
    shop lives on (the work took about its billed hours, done by the crew who hold its skills)."""
    today = datetime.now(SHANGHAI).date()
    for store in ok(admin.get(f"{stack.url}/v1/stores", params={"limit": 200}))["items"]:
        params = {"store_id": store["id"]}
        for status in ("open", "dispatched", "in_progress", "qc"):
            assert ok(admin.get(f"{stack.url}/v1/work-orders", params={**params, "status": status}))["items"], status
        assert ok(admin.get(f"{stack.url}/v1/quotes", params={**params, "approval_status": "pending"}))["items"]
        technician = stack.login(f"technician.{store['code'].lower()}", chain.STAFF_PASSWORD)
        jobs = ok(technician.get(f"{stack.url}/v1/technicians/me/jobs"))["items"]
        assert len({job["work_order_id"] for job in jobs}) == 2 and [job for job in jobs if job["clocked_in_since"]]
        span = {"from": (today - timedelta(days=DAYS)).isoformat(), "to": today.isoformat(), "group": "store"}
        [kpis] = [row for row in ok(admin.get(f"{stack.url}/v1/reports/kpis", params=span))["items"]
                  if row["store_id"] == store["id"]]
        assert 25 <= float(kpis["labour_gross_profit_pct"]) <= 75, str(kpis)
        months = {(today - timedelta(days=DAYS)).strftime("%Y-%m"), today.strftime("%Y-%m")}  # every day has its
        targets = ok(admin.get(f"{stack.url}/v1/stores/{store['id']}/kpi-targets",    # month's targets
                               params={"from": min(months), "to": max(months)}))["items"]
        assert {t["month"] for t in targets} == months and all(t["sales_fen"] and t["car_count"] for t in targets)
        insurers = ok(admin.get(f"{stack.url}/v1/insurers", params=params))["items"]  # 保险理赔 has them to pick
        assert {i["name"] for i in insurers} == {name for name, _contact, _phone in finance_demo.INSURERS}


def test_the_history_is_seeded_once(stack, admin):
    def count():
        return [len(ok(admin.get(f"{stack.url}/v1/invoices", params={"store_id": s["id"], "limit": 200}))["items"])
                for s in ok(admin.get(f"{stack.url}/v1/stores", params={"limit": 200}))["items"]]
    before = count()
    chain.seed(admin, stack.url, lambda owner: stack.env[f"{owner.upper()}_DATABASE_URL"], DAYS)
    assert count() == before


def test_each_store_has_member_cards_and_the_next_days_bookings(stack, admin):
    """Some regulars hold a topped-up stored-value card; the counter's next working days have bookings."""
    today = datetime.now(SHANGHAI).date()
    for store in ok(admin.get(f"{stack.url}/v1/stores", params={"limit": 200}))["items"]:
        cards = ok(admin.get(f"{stack.url}/v1/member-cards", params={"store_id": store["id"], "limit": 200}))["items"]
        assert len(cards) >= 8 and all(card["balance_fen"] > 0 for card in cards), store["code"]
        booked = []
        for ahead in range(1, 5):
            booked += ok(admin.get(f"{stack.url}/v1/appointments", params={
                "store_id": store["id"], "date": (today + timedelta(days=ahead)).isoformat()}))["items"]
        assert len(booked) >= 4 and all(a["vehicle_id"] for a in booked), store["code"]
