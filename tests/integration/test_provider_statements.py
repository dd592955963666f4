"""The daily statements (对账单) of both payment adapters against their local sandboxes, in one process:
WeChat Pay's `/v3/bill/tradebill` → the signed download of the gzipped, hash-checked file; Alipay's
`alipay.data.dataservice.bill.downloadurl.query` → the zip of GBK CSV files; both built by the sandbox from
what it recorded that Beijing day, with a line added and one dropped by the test."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from services.finance.providers import RefundAsk
from tests.support.alipay import alipay_world
from tests.support.wechatpay import wechatpay_world

CHINA = timezone(timedelta(hours=8))


def soon():
    return datetime.now(timezone.utc) + timedelta(minutes=5)


@pytest.fixture(scope="module")
def wechat(tmp_path_factory):
    with wechatpay_world(tmp_path_factory.mktemp("wechatpay")) as running:
        yield running


@pytest.fixture(scope="module")
def alipay(tmp_path_factory):
    with alipay_world(tmp_path_factory.mktemp("alipay")) as running:
        yield running


def change(world, **data) -> None:
    requests.post(f"{world.url}/sandbox/statement", json=data, timeout=5).raise_for_status()


def test_a_wechat_statement_lists_the_days_payments_and_refunds_with_the_tests_changes(wechat):
    provider, today = wechat.provider, datetime.now(CHINA).date()
    yesterday = today - timedelta(days=1)
    assert provider.statement(yesterday).lines == ()  # NO_STATEMENT_EXIST: no transaction that day
    for number, amount in (("STMT-W1", 10000), ("STMT-W2", 2500)):
        wechat.pay(provider.prepay("qr", number, "结算单", amount, soon(), None), deliveries=0)
    order = provider.query("STMT-W1")
    provider.refund(RefundAsk("STMT-W1-R1", "STMT-W1", order.transaction_id, 3000, 10000, "退一部分"))
    deadline = time.monotonic() + 5
    while provider.query_refund(RefundAsk("STMT-W1-R1", "STMT-W1", order.transaction_id, 3000, 10000,
                                          "退一部分")).state != "succeeded":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    change(wechat, date=today.isoformat(), add={"out_trade_no": "NOT-OURS", "amount_fen": 777})
    change(wechat, date=today.isoformat(), drop="STMT-W2")
    statement = provider.statement(today)
    found = {(line.kind, line.out_trade_no): line for line in statement.lines}
    assert set(found) == {("payment", "STMT-W1"), ("refund", "STMT-W1"), ("payment", "NOT-OURS")}
    assert found["payment", "STMT-W1"].transaction_id == order.transaction_id
    assert (found["payment", "STMT-W1"].amount_fen, found["payment", "STMT-W1"].fee_fen) == (10000, 60)
    refund = found["refund", "STMT-W1"]
    assert (refund.amount_fen, refund.fee_fen, refund.out_refund_no) == (3000, -18, "STMT-W1-R1")
    assert statement.summary["总交易单数"] == "3" and statement.merchant_id == provider.settings.mchid


def test_an_alipay_statement_is_a_zip_of_gbk_csv_files(alipay):
    provider, today = alipay.provider, datetime.now(CHINA).date()
    assert provider.statement(today - timedelta(days=1)).lines == ()  # isp.bill_not_exist
    alipay.pay(provider.prepay("qr", "STMT-A1", "结算单", 20000, soon(), None), deliveries=0)
    alipay.pay(provider.prepay("qr", "STMT-A2", "结算单", 1000, soon(), None), deliveries=0)
    provider.refund(RefundAsk("STMT-A1-R1", "STMT-A1", "", 5000, 20000, "退一部分"))
    change(alipay, date=today.isoformat(), drop="STMT-A2")
    change(alipay, date=today.isoformat(), add={"out_trade_no": "NOT-OURS", "amount_fen": 300})
    statement = provider.statement(today)
    found = {(line.kind, line.out_trade_no): line for line in statement.lines}
    assert set(found) == {("payment", "STMT-A1"), ("refund", "STMT-A1"), ("payment", "NOT-OURS")}
    assert (found["payment", "STMT-A1"].amount_fen, found["payment", "STMT-A1"].fee_fen) == (20000, 120)
    refund = found["refund", "STMT-A1"]
    assert (refund.amount_fen, refund.fee_fen, refund.out_refund_no) == (5000, -30, "STMT-A1-R1")
    assert statement.summary["交易订单总笔数"] == "2" and statement.summary["退款订单总笔数"] == "1"
