"""Customer source (客户来源) through the gateway: customers registered in a fresh store by source, the ones
invoiced there and their revenue; crm and finance asked once each, whatever the number of customers; another
store's manager and a cashier refused; the CSV in words."""
from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.test_finance_through_gateway import invoice_for
from tests.support import data
from tests.support.accounts import create_store, make_user
from tests.support.rpc_tap import RpcTap

pytestmark = pytest.mark.e2e


def test_new_customers_by_source_with_their_visits_and_revenue(stack, vhost, admin):
    shop = create_store(stack, admin, "来源统计店")["id"]
    elsewhere = create_store(stack, admin, "来源另一店")["id"]
    boss = make_user(stack, admin, "store_manager", [shop])
    till = make_user(stack, admin, "cashier", [shop])
    registered = {}
    for name, source, store in (("来甲", "referral", shop), ("来乙", "referral", shop), ("来丙", "online", shop),
                                ("来丁", None, shop), ("来戊", "referral", elsewhere)):
        reply = admin.post(f"{stack.url}/v1/customers", json={"name": name, "mobile": data.mobile(),
                                                               "home_store_id": store, "source": source})
        assert reply.status_code == 201, reply.text
        registered[name] = reply.json()["id"]
    first = invoice_for(stack, vhost, boss, shop, customer_id=registered["来甲"])
    second = invoice_for(stack, vhost, boss, shop, customer_id=registered["来甲"])
    online = invoice_for(stack, vhost, boss, shop, customer_id=registered["来丙"])
    invoice_for(stack, vhost, admin, elsewhere, customer_id=registered["来乙"])  # not at this store
    day = first["business_date"]
    asked = {"store_id": shop, "from": day, "to": day}
    with RpcTap(vhost.uri) as tap:
        reply = boss.get(f"{stack.url}/v1/reports/customer-sources", params=asked)
        calls = tap.take()
    assert reply.status_code == 200, reply.text
    assert calls == {"crm.new_customers_by_source": 1, "finance.customer_figures": 1}
    report = reply.json()
    rows = {row["source"]: row for row in report["items"]}
    assert list(rows) == ["walk_in", "referral", "online", "phone", "partner", "campaign", "other", "unrecorded"]
    figures = {source: (row["new_customers"], row["customers_visited"], row["invoices"], row["revenue_fen"])
               for source, row in rows.items() if row["new_customers"]}
    assert figures == {"referral": (2, 1, 2, first["total_fen"] + second["total_fen"]),
                       "online": (1, 1, 1, online["total_fen"]), "unrecorded": (1, 0, 0, 0)}
    assert report["total"] == {"source": None, "new_customers": 4, "customers_visited": 2, "invoices": 3,
                               "revenue_fen": first["total_fen"] + second["total_fen"] + online["total_fen"]}
    table = list(csv.reader(io.StringIO(boss.get(f"{stack.url}/v1/reports/customer-sources", params={
        **asked, "format": "csv"}).content.decode("utf-8-sig"))))
    assert table[0][:3] == ["来源", "新客户数", "到店客户数"]
    assert [line[0] for line in table[1:]][:2] == ["自然到店", "老客推荐"] and table[-1][0] == "未填写"
    assert till.get(f"{stack.url}/v1/reports/customer-sources", params=asked).status_code == 403
    assert boss.get(f"{stack.url}/v1/reports/customer-sources", params={
        **asked, "store_id": elsewhere}).status_code == 403
    assert boss.get(f"{stack.url}/v1/reports/customer-sources", params={
        "store_id": shop, "from": day, "to": "2000-01-01"}).status_code == 422
