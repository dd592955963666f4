"""Every event delivered twice on purpose (`OUTBOX_PUBLISH_COPIES=2`): the one-car loop ends with
exactly the same stock, ledger, commissions, KPIs and history as with single delivery, because
every handler is idempotent. A stack of its own (vhost and databases) runs with the switch on."""
from __future__ import annotations

import pytest

from tests.e2e.test_one_car import Store, ok, one_car, receive
from tests.support.infra import Databases, Vhost
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def doubled(tmp_path_factory):
    vhost, databases = Vhost().create(), Databases().create()
    stack = Stack(vhost.uri, databases.env(), tmp_path_factory.mktemp("doubled"),
                  extra_env={"OUTBOX_PUBLISH_COPIES": "2"}).start()
    yield stack
    stack.stop()
    databases.drop()
    vhost.drop()


def test_one_car_with_every_event_delivered_twice(doubled):
    admin = doubled.login()
    shop = Store(doubled, admin)
    sku = "OIL-TWICE"
    ok(admin.post(f"{doubled.url}/v1/parts", json={
        "sku": sku, "name": "全合成机油 5W-30 1L", "category": "oil", "unit": "litre", "list_price_fen": 8800}))
    receive(doubled, admin, shop, sku)
    one_car(doubled, admin, shop, sku)  # asserts stock 16, balanced books, 60/40 commission, KPIs, history
