"""finance's Alipay adapter (the `python-alipay-sdk` SDK) against the local openapi sandbox, in one process:
RSA2-signed requests and answers, a QR code (precreate) and a wap-pay link paid, notifications verified
(and a forged, a tampered or another app's refused), an order nobody scanned closed, a partial refund
(asked twice, refunded once) with its own notification, and Alipay down or gone."""
from __future__ import annotations

import dataclasses
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from alipay import AliPay
from cryptography.hazmat.primitives.asymmetric import rsa

from deploy.sandboxes import alipay as sandbox
from services.common.db import utcnow
from services.finance.alipay import AlipayProvider
from services.finance.providers import ProviderError, RefundAsk, RefundState, Rejected, Transaction
from tests.support.alipay import alipay_world
from tests.support.stack import free_port


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with alipay_world(tmp_path_factory.mktemp("alipay")) as running:
        yield running


def soon():
    return utcnow() + timedelta(minutes=5)


def test_a_qr_code_is_paid_and_its_notification_verifies(world):
    provider = world.provider
    qr_code = provider.prepay("qr", "ALI0001", "结算单 1 汽车服务", 12345, soon(), None)
    assert qr_code.startswith("https://qr.alipay.com/")
    assert provider.query("ALI0001").state == "unpaid"  # precreated, not scanned: unknown to Alipay yet
    before = len(world.receiver.received)
    paid = world.pay(qr_code, deliveries=2)
    assert paid["deliveries"] == [200, 200]
    _, body = world.receiver.received[before]
    found = provider.verify({}, body)
    assert found == Transaction(out_trade_no="ALI0001", state="paid", amount_fen=12345,
                                transaction_id=paid["order"]["trade_no"])
    assert provider.query("ALI0001") == found
    with pytest.raises(ProviderError) as refused:
        provider.close("ALI0001")
    assert (refused.value.status, refused.value.code, refused.value.down) == (400, "ACQ.TRADE_STATUS_ERROR", False)


def test_a_wap_link_is_signed_and_paid_in_the_phone_browser(world):
    link = world.provider.prepay("h5", "ALI0002", "结算单 2", 500, soon(), "203.0.113.9")
    assert link.startswith(f"{world.url}/gateway.do?") and "method=alipay.trade.wap.pay" in link
    page = requests.get(link, timeout=5)
    assert page.status_code == 200 and "¥5.00" in page.text
    assert world.provider.query("ALI0002").state == "unpaid"  # opened: Alipay knows it, waiting for the buyer
    tampered = link.replace("total_amount%22%3A%225.00", "total_amount%22%3A%220.01")
    assert tampered != link and requests.get(tampered, timeout=5).status_code == 400
    assert world.pay(link)["order"]["trade_status"] == "TRADE_SUCCESS"
    assert world.provider.query("ALI0002").state == "paid"


def test_an_order_nobody_paid_closes(world):
    world.provider.prepay("qr", "ALI0003", "结算单 3", 800, soon(), None)
    world.provider.close("ALI0003")  # never scanned: unknown to Alipay (ACQ.TRADE_NOT_EXIST), not an error
    link = world.provider.prepay("h5", "ALI0004", "结算单 4", 800, soon(), None)
    requests.get(link, timeout=5)
    world.provider.close("ALI0004")
    assert world.provider.query("ALI0004").state == "closed"
    assert requests.post(f"{world.url}/sandbox/pay", json={"url": link}, timeout=5).status_code == 400


def test_forged_tampered_and_foreign_notifications_are_rejected(world):
    provider = world.provider
    before = len(world.receiver.received)
    world.pay(provider.prepay("qr", "ALI0005", "结算单 5", 900, soon(), None))
    _, body = world.receiver.received[before]
    fields = dict(parse_qsl(body))
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unsigned = {k: v for k, v in fields.items() if k not in ("sign", "sign_type")}
    for forged in (urlencode(sandbox.signed_notification(forger, unsigned)),
                   urlencode({**fields, "total_amount": "0.01"}),
                   urlencode(unsigned),
                   urlencode({**fields, "sign_type": "RSA"})):
        with pytest.raises(Rejected):
            provider.verify({}, forged)
    other_app = sandbox.signed_notification(world.sandbox.alipay_key, {**unsigned, "app_id": "2021999999999999"})
    with pytest.raises(Rejected):
        provider.verify({}, urlencode(other_app))


def test_a_partial_refund_asked_twice_is_refunded_once_and_notified(world):
    provider = world.provider
    qr_code = provider.prepay("qr", "ALI0006", "结算单 6", 10_000, soon(), None)
    trade_no = world.pay(qr_code)["order"]["trade_no"]
    ask = RefundAsk(out_refund_no="R0006A", out_trade_no="ALI0006", transaction_id=trade_no, amount_fen=3_000,
                    total_fen=10_000, reason="多收")
    before = len(world.receiver.received)
    assert provider.refund(ask).state == "succeeded"
    assert provider.refund(ask).state == "succeeded"  # the same out_request_no: answered again, not refunded
    assert world.sandbox.orders["ALI0006"]["refunded_fen"] == 3_000
    with pytest.raises(ProviderError) as too_much:
        provider.refund(dataclasses.replace(ask, out_refund_no="R0006B", amount_fen=7_001))
    assert too_much.value.code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL" and not too_much.value.down
    deadline = utcnow() + timedelta(seconds=5)
    while len(world.receiver.received) == before and utcnow() < deadline:
        requests.get(f"{world.url}/sandbox/orders/ALI0006", timeout=5)
    assert provider.verify({}, world.receiver.received[before][1]) == RefundState(
        out_refund_no="R0006A", state="succeeded", refund_id=trade_no)


def test_an_unsigned_request_is_refused_and_alipay_down_or_gone_says_so(world):
    answer = requests.get(f"{world.url}/gateway.do", params={"method": "alipay.trade.query", "app_id": sandbox.APPID,
                                                              "sign_type": "RSA2", "biz_content": "{}"}, timeout=5)
    assert answer.json()["alipay_trade_query_response"]["sub_code"] == "isv.invalid-signature"
    world.down()
    try:
        with pytest.raises(ProviderError) as down:
            world.provider.prepay("qr", "ALI0007", "结算单 7", 100, soon(), None)
        assert down.value.down and down.value.code == "isp.unknow-error"
    finally:
        world.down(False)
    gone = AlipayProvider(dataclasses.replace(world.provider.settings,
                                              base_url=f"http://127.0.0.1:{free_port()}/gateway.do"))
    with pytest.raises(ProviderError) as unreachable:
        gone.query("ALI0001")
    assert unreachable.value.down


def test_requests_are_stamped_in_beijing_time_on_a_server_running_on_utc(world, monkeypatch):
    """Alipay reads `timestamp` as Beijing time: the bare SDK on a UTC clock is eight hours late and refused."""
    settings = world.provider.settings
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        bare = AliPay(appid=settings.appid, app_notify_url=None, sign_type="RSA2",
                      app_private_key_string=Path(settings.private_key_file).read_text("utf-8"),
                      alipay_public_key_string=Path(settings.alipay_public_key_file).read_text("utf-8"))
        bare._gateway = settings.base_url
        assert bare.api_alipay_trade_query(out_trade_no="ALI0001")["sub_code"] == "isv.invalid-timestamp"
        assert world.provider.query("ALI0001").out_trade_no == "ALI0001"
    finally:
        monkeypatch.undo()
        time.tzset()
