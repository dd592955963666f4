"""finance's Alipay adapter acting for stores' own merchants by 第三方应用授权 (app_auth_token) against the
sandbox: each store's QR code and link are its merchant's orders, its notifications name that merchant
(auth_app_id), another merchant's token neither sees nor refunds them, each merchant's statement is its own,
and a token the merchant never granted is refused."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from deploy.sandboxes import alipay as sandbox
from services.common.db import utcnow
from services.finance.alipay import AlipayProvider
from services.finance.domain.statements import beijing_today
from services.finance.providers import ProviderError, RefundAsk
from tests.support.alipay import alipay_world

SHOP_A, SHOP_B = list(sandbox.MERCHANTS)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with alipay_world(tmp_path_factory.mktemp("alipay_partner")) as running:
        yield running


def store(world, auth_app_id: str) -> AlipayProvider:
    return AlipayProvider(dataclasses.replace(world.provider.settings, **sandbox.authorization(auth_app_id)))


def soon():
    return utcnow() + timedelta(minutes=5)


def test_each_stores_order_is_its_merchants(world):
    a, b = store(world, SHOP_A), store(world, SHOP_B)
    assert (a.merchant_id, b.merchant_id, world.provider.merchant_id) == (SHOP_A, SHOP_B, sandbox.APPID)
    assert a.shown() == {"mode": "partner", "merchant_id": SHOP_A, "isv_appid": sandbox.APPID}
    before = len(world.receiver.received)
    paid = world.pay(a.prepay("qr", "ALI-A1", "结算单 A1", 8800, soon(), None))
    _, body = world.receiver.received[before]
    notice = b.verify({}, body)  # the chain's app's notification: any store's adapter verifies it
    assert (notice.out_trade_no, notice.state, notice.merchant_id) == ("ALI-A1", "paid", SHOP_A)
    assert "app_auth_token" not in body
    assert a.query("ALI-A1").transaction_id == paid["order"]["trade_no"]
    assert b.query("ALI-A1").state == "unpaid"  # another merchant's trade does not exist for B
    assert world.provider.query("ALI-A1").state == "unpaid"
    ask = RefundAsk("ALI-R-A1", "ALI-A1", paid["order"]["trade_no"], 800, 8800, "部分退款")
    with pytest.raises(ProviderError) as other:
        b.refund(ask)
    assert other.value.code == "ACQ.TRADE_NOT_EXIST"
    assert a.refund(ask).state == "succeeded"


def test_a_link_is_opened_for_its_merchant(world):
    b = store(world, SHOP_B)
    link = b.prepay("h5", "ALI-B1", "结算单 B1", 1200, soon(), "203.0.113.9")
    assert "app_auth_token=" in link
    world.pay(link)
    assert b.query("ALI-B1").state == "paid"


def test_each_merchants_statement_is_its_own(world):
    day = beijing_today()
    of_a, of_b = store(world, SHOP_A).statement(day), store(world, SHOP_B).statement(day)
    assert (of_a.merchant_id, of_b.merchant_id) == (SHOP_A, SHOP_B)
    assert {(line.kind, line.out_trade_no) for line in of_a.lines} == {("payment", "ALI-A1"), ("refund", "ALI-A1")}
    assert {line.out_trade_no for line in of_b.lines} == {"ALI-B1"}
    assert not {line.out_trade_no for line in world.provider.statement(day).lines} & {"ALI-A1", "ALI-B1"}


def test_a_token_never_granted_is_refused(world):
    forged = AlipayProvider(dataclasses.replace(world.provider.settings, app_auth_token="202612BBforged",
                                                auth_app_id="2021000000000999"))
    with pytest.raises(ProviderError) as refused:
        forged.prepay("qr", "ALI-X1", "结算单 X1", 100, soon(), None)
    assert (refused.value.code, refused.value.down) == ("aop.invalid-app-auth-token", False)  # 409 to the cashier
