"""finance's WeChat Pay adapter (the `wechatpayv3` SDK) against the local sandbox, in one process:
signed requests, signed answers, the platform certificate downloaded encrypted, notifications
verified and decrypted, a partial refund asked twice and refunded once with its REFUND.SUCCESS
notification, and what is refused (another key's signature, a tampered resource, a stale
timestamp, an unsigned request, a provider that is down or gone)."""
from __future__ import annotations

import dataclasses
import json
import time
from datetime import timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from deploy.sandboxes import wechatpay as sandbox
from services.common.db import utcnow
from services.finance.providers import ProviderError, RefundAsk, RefundState, Rejected
from services.finance.wechatpay import WeChatPayProvider
from tests.support.stack import free_port
from tests.support.wechatpay import wechatpay_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with wechatpay_world(tmp_path_factory.mktemp("wechatpay")) as running:
        yield running


def soon():
    return utcnow() + timedelta(minutes=5)


def test_a_native_order_is_paid_and_its_notification_verifies_and_decrypts(world):
    provider = world.provider
    code_url = provider.prepay("qr", "INTENT0001", "结算单 1 汽车服务", 12345, soon(), None)
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert provider.query("INTENT0001").state == "unpaid"
    assert world.pay(code_url, deliveries=2)["deliveries"] == [204, 204]
    headers, body = world.receiver.received[-1]
    transaction = provider.verify(headers, body)
    assert (transaction.out_trade_no, transaction.state, transaction.amount_fen) == ("INTENT0001", "paid", 12345)
    assert transaction.transaction_id == provider.query("INTENT0001").transaction_id
    assert "INTENT0001" not in body  # the transaction travels encrypted
    with pytest.raises(ProviderError) as refused:
        provider.close("INTENT0001")
    assert (refused.value.status, refused.value.code, refused.value.down) == (400, "ORDERPAID", False)


def test_an_h5_order_answers_a_link_and_an_unpaid_order_closes(world):
    link = world.provider.prepay("h5", "INTENT0002", "结算单 2", 500, soon(), "203.0.113.9")
    assert link.startswith("http") and "prepay_id=wx" in link
    world.provider.close("INTENT0002")
    assert world.provider.query("INTENT0002").state == "closed"


def test_forged_tampered_and_stale_notifications_are_rejected(world):
    provider = world.provider
    world.pay(provider.prepay("qr", "INTENT0003", "结算单 3", 800, soon(), None))
    headers, body = world.receiver.received[-1]
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = {**headers, "Wechatpay-Signature": sandbox.sign(
        forger, f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n{body}\n")}
    with pytest.raises(Rejected):
        provider.verify(forged, body)
    tampered = json.loads(body)
    tampered["resource"] = sandbox.encrypt("0" * 32, json.dumps({"out_trade_no": "INTENT0003"}), "transaction")
    with pytest.raises(Rejected):
        provider.verify(headers, json.dumps(tampered))  # the signature no longer covers the body
    resigned = sandbox.signed_headers(world.sandbox.platform_key, world.sandbox.platform_serial, json.dumps(tampered))
    with pytest.raises(Rejected):
        provider.verify(resigned, json.dumps(tampered))  # signed by the platform, not encrypted with our APIv3 key
    for stamp in ("1700000000", "", "12e3", "-1"):
        with pytest.raises(Rejected):
            provider.verify({**headers, "Wechatpay-Timestamp": stamp}, body)
    with pytest.raises(Rejected):
        provider.verify({**headers, "Wechatpay-Serial": "not-hex"}, body)


def test_an_unsigned_request_is_refused_and_a_provider_that_is_down_says_so(world):
    answer = requests.post(f"{world.url}/v3/pay/transactions/native", json={}, timeout=5)
    assert (answer.status_code, answer.json()["code"]) == (401, "SIGN_ERROR")
    world.down()
    try:
        with pytest.raises(ProviderError) as down:
            world.provider.prepay("qr", "INTENT0004", "结算单 4", 100, soon(), None)
        assert down.value.down and down.value.code == "SYSTEM_ERROR"
    finally:
        world.down(False)
    gone = WeChatPayProvider(dataclasses.replace(world.provider.settings, base_url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ProviderError) as unreachable:
        gone.query("INTENT0001")
    assert unreachable.value.down


def test_a_partial_refund_asked_twice_is_refunded_once_and_its_notification_verifies(world):
    provider = world.provider
    transaction_id = world.pay(provider.prepay("qr", "INTENT0005", "结算单 5", 10_000, soon(), None))["order"][
        "transaction_id"]
    ask = RefundAsk(out_refund_no="R0005A", out_trade_no="INTENT0005", transaction_id=transaction_id,
                    amount_fen=3_000, total_fen=10_000, reason="多收")
    before = len(world.receiver.received)
    first = provider.refund(ask)
    assert first.state == "pending" and first.refund_id  # PROCESSING: the notification settles it
    assert provider.refund(ask).refund_id == first.refund_id  # the same out_refund_no: the same refund
    with pytest.raises(ProviderError) as too_much:
        provider.refund(dataclasses.replace(ask, out_refund_no="R0005B", amount_fen=7_001))
    assert (too_much.value.code, too_much.value.down) == ("NOT_ENOUGH", False)
    deadline = time.monotonic() + 5
    while len(world.receiver.received) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    headers, body = world.receiver.received[before]
    assert provider.verify(headers, body) == RefundState(out_refund_no="R0005A", state="succeeded",
                                                         refund_id=first.refund_id)
    assert provider.refund(ask).state == "succeeded"  # asked again later: its outcome
    assert provider.query_refund(ask).state == "succeeded"
    lost = dataclasses.replace(ask, out_refund_no="R0005C", amount_fen=1_000)  # an ask WeChat Pay never received
    assert provider.query_refund(lost).state == "pending"
    assert world.sandbox.refunds["R0005C"]["amount"]["refund"] == 1_000
