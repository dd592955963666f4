"""finance's WeChat Pay adapter as a service provider's sub-merchant (服务商模式) against the sandbox's partner
paths: two stores, two 特约商户号 under one sp_mchid — each order, its query and close, its refund and the
refund's notification, and the day's statement are the sub-merchant's own; a store never sees or refunds
the other's order; the direct merchant's statement lists neither."""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import time
from datetime import timedelta

import pytest

from deploy.sandboxes import wechatpay as sandbox
from services.common.db import utcnow
from services.finance.domain.statements import beijing_today
from services.finance.providers import ProviderError, RefundAsk
from services.finance.wechatpay import WeChatPayProvider, parse_trade_bill
from tests.support.wechatpay import wechatpay_world

STORE_A, STORE_B = sandbox.SUB_MCHIDS[:2]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with wechatpay_world(tmp_path_factory.mktemp("wechatpay_partner")) as running:
        yield running


def store(world, sub_mchid: str) -> WeChatPayProvider:
    return WeChatPayProvider(dataclasses.replace(world.provider.settings, **sandbox.sub_merchant(sub_mchid)))


def soon():
    return utcnow() + timedelta(minutes=5)


def test_each_stores_order_is_its_sub_merchants_and_only_theirs(world):
    a, b = store(world, STORE_A), store(world, STORE_B)
    assert (a.merchant_id, b.merchant_id, a.partner) == (STORE_A, STORE_B, True)
    assert a.shown() == {"mode": "partner", "merchant_id": STORE_A, "sp_mchid": sandbox.SP_MCHID,
                         "appid": sandbox.SP_APPID}
    paid = world.pay(a.prepay("qr", "PARTNER-A1", "结算单 A1", 10000, soon(), None))["order"]
    assert (paid["sp_mchid"], paid["sub_mchid"]) == (sandbox.SP_MCHID, STORE_A) and "mchid" not in paid
    headers, body = world.receiver.received[-1]
    notice = b.verify(headers, body)  # the service provider's notification: any of its sub-merchants verifies it
    assert (notice.out_trade_no, notice.state, notice.merchant_id) == ("PARTNER-A1", "paid", STORE_A)
    assert a.query("PARTNER-A1").state == "paid"
    with pytest.raises(ProviderError) as other:
        b.query("PARTNER-A1")
    assert (other.value.status, other.value.code) == (404, "ORDER_NOT_EXIST")
    with pytest.raises(ProviderError):
        world.provider.query("PARTNER-A1")  # nor the direct merchant's
    b.prepay("h5", "PARTNER-B1", "结算单 B1", 700, soon(), "203.0.113.9")
    with pytest.raises(ProviderError):
        a.close("PARTNER-B1")
    b.close("PARTNER-B1")
    assert b.query("PARTNER-B1").state == "closed"


def test_a_sub_merchants_refund_and_its_notification(world):
    a, b = store(world, STORE_A), store(world, STORE_B)
    world.pay(a.prepay("qr", "PARTNER-A2", "结算单 A2", 5000, soon(), None))
    transaction_id = a.query("PARTNER-A2").transaction_id
    ask = RefundAsk("REFUND-A2", "PARTNER-A2", transaction_id, 2000, 5000, "部分退款")
    with pytest.raises(ProviderError):
        b.refund(ask)  # another store's money
    before = len(world.receiver.received)
    assert a.refund(ask).state == "pending"
    for _ in range(100):
        if len(world.receiver.received) > before:
            break
        time.sleep(0.05)
    assert a.query_refund(ask).state == "succeeded"
    headers, body = world.receiver.received[-1]
    refund = a.verify(headers, body)
    assert (refund.out_refund_no, refund.state, refund.merchant_id) == ("REFUND-A2", "succeeded", STORE_A)


def test_each_sub_merchants_statement_is_its_own(world):
    a, b = store(world, STORE_A), store(world, STORE_B)
    world.pay(b.prepay("qr", "PARTNER-B3", "结算单 B3", 3300, soon(), None))
    day = beijing_today()
    of_a, of_b, direct = a.statement(day), b.statement(day), world.provider.statement(day)
    assert of_a.merchant_id == STORE_A and of_b.merchant_id == STORE_B
    assert {line.out_trade_no for line in of_a.lines} >= {"PARTNER-A1", "PARTNER-A2"}
    assert {line.out_trade_no for line in of_b.lines} == {"PARTNER-B3"}
    assert not {line.out_trade_no for line in direct.lines} & {"PARTNER-A1", "PARTNER-A2", "PARTNER-B3"}
    assert any(line.kind == "refund" and line.out_refund_no == "REFUND-A2" for line in of_a.lines)


def test_the_service_providers_whole_statement_names_each_sub_merchant(world):
    answer = world.sandbox.trade_bill(beijing_today().isoformat(), "ALL", "GZIP", None)
    text = gzip.decompress(world.sandbox.bills.pop(answer["download_url"].rsplit("=", 1)[1]))
    assert hashlib.sha1(text).hexdigest() == answer["hash_value"]
    rows = [row.split(",") for row in text.decode().splitlines()]
    sub_merchants = {row[3].lstrip("`") for row in rows[1:] if row[0].startswith("`20")}
    assert sub_merchants == {STORE_A, STORE_B}
    lines, _ = parse_trade_bill(text.decode())
    assert {line.out_trade_no for line in lines} >= {"PARTNER-A1", "PARTNER-B3"}
