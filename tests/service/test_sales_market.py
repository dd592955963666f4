"""Competitors' prices (sales' market): recorded by a store's staff, compared with the store's price in force."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.common.errors import Forbidden, Invalid, NotFound
from tests.service.test_sales_service import (ADVISOR, HQ, MANAGER, OTHER, SHANGHAI, catalogue,  # noqa: F401
                                              crm, inventory, sales, session)


def seen(make, caller=ADVISOR, **fields):
    today = datetime.now(SHANGHAI).date()
    return make(caller).record_competitor_price({"store_id": "s1", "competitor": "途虎养车（天河北）",
                                                 "kind": "package", "key": "PKG-MINOR", "price_fen": 35900,
                                                 "observed_on": today.isoformat(), **fields})


def test_each_competitors_latest_price_is_set_beside_the_stores_price_in_force(sales, catalogue):  # noqa: F811
    today = datetime.now(SHANGHAI).date()
    seen(sales, price_fen=42900, observed_on=(today - timedelta(days=20)).isoformat())  # replaced by the later one
    seen(sales, price_fen=35900, note="大众点评团购价")
    seen(sales, competitor="宝马 4S 店", price_fen=88000)
    seen(sales, competitor="老王快修", price_fen=29900, observed_on=(today - timedelta(days=200)).isoformat())  # old
    seen(sales, competitor="路边店", kind="labour_rate", key="general", price_fen=8000)
    sales(OTHER).record_competitor_price({"store_id": "s2", "competitor": "别家", "kind": "package",
                                          "key": "PKG-MINOR", "price_fen": 100, "observed_on": today.isoformat()})

    compared = sales(MANAGER).price_comparison({"store_id": "s1"})
    assert compared["on"] == today.isoformat() and compared["since"] == (today - timedelta(days=179)).isoformat()
    rate, package = compared["items"]  # by kind, then key
    assert (package["name"], package["own_price_fen"], package["own_price_scope"]) == ("小保养", 39900, "chain")
    assert [(c["competitor"], c["price_fen"], c["difference_fen"]) for c in package["competitors"]] == [
        ("途虎养车（天河北）", 35900, 4000), ("宝马 4S 店", 88000, -48100)]  # cheapest first; the other store's apart
    assert (package["low_fen"], package["high_fen"], package["average_fen"]) == (35900, 88000, 61950)
    assert package["own_vs_average_pct"] == "-35.6"  # (39900 − 61950) / 61950
    assert package["competitors"][0]["note"] == "大众点评团购价"
    assert (rate["kind"], rate["own_price_fen"], rate["own_price_scope"]) == ("labour_rate", 12000, "store")
    assert rate["own_vs_average_pct"] == "50.0"  # the store's own rate (settings), as a quote prices it

    sales(HQ).create_price_entry({"kind": "labour_rate", "key": "general", "price_fen": 12000,
                                  "effective_from": today.isoformat(), "min_fen": 9000, "max_fen": 15000})
    sales(MANAGER).create_price_entry({"kind": "labour_rate", "key": "general", "store_id": "s1", "price_fen": 10000,
                                       "effective_from": today.isoformat()})
    rate = sales(MANAGER).price_comparison({"store_id": "s1", "days": 30})["items"][0]
    assert (rate["own_price_fen"], rate["own_price_scope"], rate["own_vs_average_pct"]) == (10000, "store", "25.0")


def test_a_price_is_recorded_at_ones_own_store_once_seen_and_taken_back_by_a_manager(sales, catalogue):  # noqa: F811
    today = datetime.now(SHANGHAI).date()
    with pytest.raises(Forbidden):
        seen(sales, caller=OTHER)
    with pytest.raises(Invalid) as future:
        seen(sales, observed_on=(today + timedelta(days=2)).isoformat())
    assert future.value.code == "observed_in_future"
    with pytest.raises(Invalid):  # a labour rate is a skill's
        seen(sales, kind="labour_rate", key="PKG-MINOR")
    price = seen(sales)
    assert [p["id"] for p in sales(ADVISOR).list_competitor_prices({"store_id": "s1"})["items"]] == [price["id"]]
    with pytest.raises(Forbidden):
        sales(OTHER).list_competitor_prices({"store_id": "s1"})
    with pytest.raises(Forbidden):
        sales(OTHER).remove_competitor_price(price["id"])
    sales(MANAGER).remove_competitor_price(price["id"])
    assert sales(MANAGER).list_competitor_prices({"store_id": "s1"})["items"] == []
    assert sales(MANAGER).price_comparison({"store_id": "s1"})["items"] == []
    with pytest.raises(NotFound):
        sales(MANAGER).remove_competitor_price(price["id"])


def test_the_price_in_force_is_the_stores_latest_override_else_the_chains_read_for_every_item_at_once(
        sales, catalogue):  # noqa: F811
    """The comparison reads every item's price list entries in one go: for each item the store's own latest
    override up to the day wins over a later chain price; another store's override, and prices from after the day,
    are not in force."""
    today = datetime.now(SHANGHAI).date()
    seen(sales)
    seen(sales, kind="labour_rate", key="general", price_fen=8000)
    seen(sales, kind="labour_rate", key="brakes", price_fen=9000)

    def price(caller, kind, key, fen, days, store=None):
        sales(caller).create_price_entry({"kind": kind, "key": key, "price_fen": fen, **(
            {"store_id": store} if store else {}), "effective_from": (today + timedelta(days=days)).isoformat()})

    price(HQ, "package", "PKG-MINOR", 40000, -60)
    price(MANAGER, "package", "PKG-MINOR", 38000, -40, "s1")  # the store's own, older than the chain's change
    price(HQ, "package", "PKG-MINOR", 41000, -5)
    price(HQ, "labour_rate", "general", 11000, -30)
    price(HQ, "labour_rate", "general", 13000, 5)  # not yet
    price(OTHER, "labour_rate", "general", 9500, -10, "s2")  # another store's
    price(MANAGER, "labour_rate", "brakes", 15000, 3, "s1")  # not yet: no entry in force, the store's settings
    brakes, rate, package = sales(MANAGER).price_comparison({"store_id": "s1"})["items"]
    assert (package["key"], package["own_price_fen"], package["own_price_scope"]) == ("PKG-MINOR", 38000, "store")
    assert (rate["key"], rate["own_price_fen"], rate["own_price_scope"]) == ("general", 11000, "chain")
    assert (brakes["key"], brakes["own_price_fen"], brakes["own_price_scope"]) == ("brakes", 12000, "store")
