"""Membership card liabilities (储值卡负债) through the gateway: a fresh store's open cards (principal and bonus
apart, a package), a cancelled one left out; the report's liability equals the store's ledger 2205 + 2206, and the
chain's total the chain's; managers only, their own stores; the CSV with the store by name."""
from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.test_finance_through_gateway import balanced
from tests.support import data
from tests.support.accounts import create_store, make_user

pytestmark = pytest.mark.e2e


def test_open_cards_per_store_equal_the_ledgers_card_liabilities(stack, admin):
    store = create_store(stack, admin, "负债核对店")
    shop = store["id"]
    boss = make_user(stack, admin, "store_manager", [shop])
    till = make_user(stack, admin, "cashier", [shop])
    customer = admin.post(f"{stack.url}/v1/customers", json={"name": "储值客", "mobile": data.mobile(),
                                                              "home_store_id": shop})
    assert customer.status_code == 201, customer.text
    cards = []
    for amount, bonus in ((100_000, 10_000), (20_000, 0), (30_000, 3_000)):
        reply = till.post(f"{stack.url}/v1/member-cards", json={
            "kind": "stored_value", "customer_id": customer.json()["id"], "store_id": shop,
            "top_up": {"amount_fen": amount, "bonus_fen": bonus, "method": "cash"}})
        assert reply.status_code == 201, reply.text
        cards.append(reply.json())
    package = till.post(f"{stack.url}/v1/member-cards", json={
        "kind": "package", "customer_id": customer.json()["id"], "store_id": shop, "package_name": "保养套餐",
        "items": [{"service_code": "OIL", "name": "小保养", "units": 2}], "price_fen": 40_000, "method": "cash"})
    assert package.status_code == 201, package.text
    cancel = boss.post(f"{stack.url}/v1/member-cards/{cards[2]['id']}/cancel", json={"method": "cash"})
    assert cancel.status_code in (200, 201), cancel.text

    report = boss.get(f"{stack.url}/v1/reports/card-liabilities", params={"store_id": shop})
    assert report.status_code == 200, report.text
    [row] = report.json()["items"]
    assert (row["store_id"], row["stored_value_cards"], row["package_cards"]) == (shop, 2, 1)
    assert (row["paid_balance_fen"], row["bonus_balance_fen"], row["package_value_fen"]) == (120_000, 10_000, 40_000)
    books = balanced(stack, boss, shop)
    assert row["liability_fen"] == row["ledger_fen"] == -books.get("2205", 0) - books.get("2206", 0) == 160_000
    assert row["difference_fen"] == 0

    chain = admin.get(f"{stack.url}/v1/reports/card-liabilities").json()
    everything = balanced(stack, admin)
    assert chain["total"]["ledger_fen"] == -everything.get("2205", 0) - everything.get("2206", 0)
    assert chain["total"]["liability_fen"] == sum(item["liability_fen"] for item in chain["items"])
    assert shop in {item["store_id"] for item in chain["items"]}

    table = list(csv.reader(io.StringIO(boss.get(f"{stack.url}/v1/reports/card-liabilities", params={
        "store_id": shop, "format": "csv"}).content.decode("utf-8-sig"))))
    assert table[0][:3] == ["门店", "有效储值卡数", "充值余额"] and table[1][0] == "负债核对店"
    assert till.get(f"{stack.url}/v1/reports/card-liabilities", params={"store_id": shop}).status_code == 403
    assert boss.get(f"{stack.url}/v1/reports/card-liabilities").json()["total"]["liability_fen"] == 160_000
