"""A store's counter at once, on the embedded default (SQLite, `make run`) and on PostgreSQL:
advisors opening quotes with a part line (sales asks inventory over RPC), technicians clocking
in, a cashier taking payments, all at the same moment through the gateway. No request gets a
503 or 500 and every write is there afterwards. Before sales stopped holding its write
transaction across the RPC to inventory, two advisors at once got 503 after RPC_TIMEOUT on
SQLite and sales stopped answering (`database is locked`)."""
from __future__ import annotations

import contextlib
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.common.migrate import OWNERS
from tests.support import data
from tests.support.infra import Databases, Vhost
from tests.support.one_car import ALL_DAY, Store, confirmed_order, eventually, new_part, ok
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]
AT_ONCE = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def own_stack(request, tmp_path):
    with contextlib.ExitStack() as cleanup:
        vhost = Vhost().create()
        cleanup.callback(vhost.drop)
        if request.param == "sqlite":
            database_env = {f"{owner.upper()}_DATABASE_URL": f"sqlite:///{tmp_path / owner}.db" for owner in OWNERS}
        else:
            databases = Databases().create(migrated=True)
            cleanup.callback(databases.drop)
            database_env = databases.env()
        stack = Stack(vhost.uri, database_env, tmp_path, extra_env={"MAX_WORKERS": "10"})
        cleanup.callback(stack.kill)
        yield stack.start()


def at_once(*calls) -> list:
    """Every call started at the same moment; their replies, in order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def visit_for(stack, shop: Store) -> str:
    url, advisor = stack.url, shop.advisor
    customer = ok(advisor.post(f"{url}/v1/customers", json={"name": "赵六", "mobile": data.mobile()}))
    vehicle = ok(advisor.post(f"{url}/v1/customers/{customer['id']}/vehicles", json={
        "plate": data.plate(), "make": "丰田", "model": "凯美瑞", "mileage_km": 30000}))
    return ok(advisor.post(f"{url}/v1/visits", json={
        "store_id": shop.id, "customer_id": customer["id"], "vehicle_id": vehicle["id"], "mileage_km": 30000,
        "needs": ["maintenance"]}))["id"]


def dispatched_work_order(stack, shop: Store, part: str, technicians: list[dict]) -> tuple[str, str]:
    """A confirmed order's work order, its one job dispatched to the technicians: (url, job id)."""
    work_order = confirmed_order(stack, shop, part)["work_order"]
    w = f"{stack.url}/v1/work-orders/{work_order['id']}"
    [job] = work_order["jobs"]
    shares = [{"technician_id": t["id"], "split_pct": 100 // len(technicians)} for t in technicians]
    ok(shop.advisor.post(f"{w}/dispatch", json={"jobs": [{"job_id": job["id"], "technicians": shares}]}))
    return w, job["id"]


def test_advisors_technicians_and_a_cashier_at_once_get_no_503(own_stack):
    stack = own_stack
    url = stack.url
    shop = Store(stack, stack.login())
    part = new_part(stack, stack.login(), shop)
    manager, advisor, cashier = shop.manager, shop.advisor, shop.cashier
    technicians = [t for t, _session in shop.techs] + [ok(manager.post(f"{url}/v1/technicians", json={
        "store_id": shop.id, "name": f"技师{n}", "level": "junior", "hourly_cost_fen": 5000,
        "skills": ["maintenance"], "shifts": ALL_DAY})) for n in range(AT_ONCE - 2)]
    crews = [technicians[i:i + 2] for i in range(0, AT_ONCE, 2)]  # two technicians share each job
    jobs = [dispatched_work_order(stack, shop, part, crew) for crew in crews]
    visits = [visit_for(stack, shop) for _ in range(2 * AT_ONCE)]

    def new_quote(visit_id: str):
        return lambda: advisor.post(f"{url}/v1/quotes", json={"visit_id": visit_id, "lines": [
            {"kind": "part", "sku": part, "qty": 1},
            {"kind": "fee", "description": "环保处理费", "unit_price_fen": 500}]})

    def clock(action: str, **extra):
        return [lambda w=w, job_id=job_id, t=t: manager.post(f"{w}/jobs/{job_id}/{action}", json={
            "technician_id": t["id"], **extra}) for (w, job_id), crew in zip(jobs, crews, strict=True) for t in crew]

    # advisors quoting while every technician clocks in
    replies = at_once(*[new_quote(v) for v in visits[:AT_ONCE]], *clock("clock-in"))
    assert [r.status_code for r in replies] == [201] * (2 * AT_ONCE), [r.text for r in replies if r.status_code != 201]
    replies = at_once(*clock("clock-out", job_finished=True))
    assert [r.status_code for r in replies] == [200] * AT_ONCE, [r.text for r in replies if r.status_code != 200]
    for w, _job_id in jobs:
        ok(manager.post(f"{w}/ready-for-qc", json={}))
        ok(manager.post(f"{w}/qc", json={"passed": True}))
        ok(advisor.post(f"{w}/complete", json={}))
    invoices = eventually(lambda: ok(cashier.get(f"{url}/v1/invoices", params={"store_id": shop.id}))["items"],
                          lambda items: len(items) == len(jobs), "an invoice per work order")

    # advisors quoting while payments come in at the till
    def pay(invoice: dict):
        return lambda: cashier.post(f"{url}/v1/invoices/{invoice['id']}/payments", json={
            "method": "cash", "amount_fen": 100}, headers={"Idempotency-Key": uuid.uuid4().hex})

    replies = at_once(*[new_quote(v) for v in visits[AT_ONCE:]], *[pay(i) for i in invoices for _ in range(2)])
    assert [r.status_code for r in replies] == [201] * (2 * AT_ONCE), [r.text for r in replies if r.status_code != 201]

    quotes = ok(advisor.get(f"{url}/v1/quotes", params={"store_id": shop.id, "limit": 100}))["items"]
    assert len(quotes) == 2 * AT_ONCE + len(jobs) and all(q["lines"] for q in quotes)
    assert [ok(manager.get(w))["status"] for w, _job_id in jobs] == ["completed"] * len(jobs)
    assert [ok(cashier.get(f"{url}/v1/invoices/{i['id']}"))["paid_fen"] for i in invoices] == [200] * len(jobs)
