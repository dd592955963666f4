"""finance's WeChat Pay adapter (the `wechatpayv3` SDK) against the local sandbox, in one process:
signed requests, signed answers, the platform certificate downloaded encrypted, notifications
verified and decrypted, and what is refused (another key's signature, a tampered resource, a
stale timestamp, an unsigned request)."""
from __future__ import annotations

import json
import threading
from datetime import timedelta
from wsgiref.simple_server import make_server

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from deploy.sandboxes import wechatpay as sandbox
from services.common.db import utcnow
from services.finance.wechatpay import ProviderError, Rejected, Settings, WeChatPayProvider
from tests.support.stack import free_port


class Receiver:
    """Stands in for the gateway's notify URL: keeps what arrives."""

    def __init__(self):
        self.received: list[tuple[dict, str]] = []

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        headers = {name: environ.get("HTTP_" + name.upper().replace("-", "_"), "")
                   for name in ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial", "Wechatpay-Signature",
                                "Wechatpay-Signature-Type")}
        self.received.append((headers, body))
        start_response("204 No Content", [])
        return [b""]


def _serve(app, port: int):
    server = make_server("127.0.0.1", port, app, server_class=sandbox._ThreadingServer,
                         handler_class=sandbox._QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wechatpay")
    receiver, receiver_port, port = Receiver(), free_port(), free_port()
    notify_url = f"http://127.0.0.1:{receiver_port}/v1/payments/notify/wechat"
    base = f"http://127.0.0.1:{port}"
    app = sandbox.Sandbox(folder, base)
    servers = [_serve(receiver, receiver_port), _serve(app, port)]
    env = sandbox.credentials(folder, base)
    settings = Settings(mchid=env["WECHATPAY_MCHID"], appid=env["WECHATPAY_APPID"],
                        cert_serial_no=env["WECHATPAY_CERT_SERIAL_NO"],
                        private_key=open(env["WECHATPAY_PRIVATE_KEY_FILE"]).read(),
                        apiv3_key=env["WECHATPAY_APIV3_KEY"], notify_url=notify_url, base_url=base)
    yield WeChatPayProvider(settings), app, receiver, base
    for server in servers:
        server.shutdown()


def test_a_native_order_is_paid_and_its_notification_verifies_and_decrypts(world):
    provider, app, receiver, base = world
    code_url = provider.prepay("qr", "INTENT0001", "结算单 1 汽车服务", 12345, utcnow() + timedelta(minutes=5), None)
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert provider.query("INTENT0001")["trade_state"] == "NOTPAY"
    paid = requests.post(f"{base}/sandbox/pay", json={"url": code_url, "deliveries": 2}, timeout=10).json()
    assert paid["deliveries"] == [204, 204]
    headers, body = receiver.received[-1]
    transaction = provider.verify(headers, body)
    assert (transaction["out_trade_no"], transaction["trade_state"], transaction["amount"]["total"]) == \
        ("INTENT0001", "SUCCESS", 12345)
    assert transaction["transaction_id"] == provider.query("INTENT0001")["transaction_id"]
    assert "INTENT0001" not in body  # the transaction travels encrypted
    with pytest.raises(ProviderError) as refused:
        provider.close("INTENT0001")
    assert (refused.value.status, refused.value.code, refused.value.down) == (400, "ORDERPAID", False)


def test_an_h5_order_answers_a_link_and_an_unpaid_order_closes(world):
    provider, app, _, _ = world
    link = provider.prepay("h5", "INTENT0002", "结算单 2", 500, utcnow() + timedelta(minutes=5), "203.0.113.9")
    assert link.startswith("http") and "prepay_id=wx" in link
    provider.close("INTENT0002")
    assert provider.query("INTENT0002")["trade_state"] == "CLOSED"


def test_forged_tampered_and_stale_notifications_are_rejected(world):
    provider, app, receiver, _ = world
    code_url = provider.prepay("qr", "INTENT0003", "结算单 3", 800, utcnow() + timedelta(minutes=5), None)
    requests.post(f"{app.base_url}/sandbox/pay", json={"url": code_url}, timeout=10)
    headers, body = receiver.received[-1]
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = {**headers, "Wechatpay-Signature": sandbox.sign(
        forger, f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n{body}\n")}
    with pytest.raises(Rejected):
        provider.verify(forged, body)
    tampered = json.loads(body)
    tampered["resource"] = sandbox.encrypt("0" * 32, json.dumps({"out_trade_no": "INTENT0003"}), "transaction")
    with pytest.raises(Rejected):
        provider.verify(headers, json.dumps(tampered))  # the signature no longer covers the body
    forged_key = sandbox.signed_headers(app.platform_key, app.platform_serial, json.dumps(tampered))
    with pytest.raises(Rejected):
        provider.verify(forged_key, json.dumps(tampered))  # signed by the platform, but not our APIv3 key
    with pytest.raises(Rejected):
        provider.verify({**headers, "Wechatpay-Timestamp": "1700000000"}, body)


def test_an_unsigned_request_is_refused_and_a_provider_that_is_down_says_so(world):
    provider, app, _, base = world
    answer = requests.post(f"{base}/v3/pay/transactions/native", json={}, timeout=5)
    assert (answer.status_code, answer.json()["code"]) == (401, "SIGN_ERROR")
    requests.post(f"{base}/sandbox/down", json={"down": True}, timeout=5)
    try:
        with pytest.raises(ProviderError) as down:
            provider.prepay("qr", "INTENT0004", "结算单 4", 100, utcnow() + timedelta(minutes=5), None)
        assert down.value.down and down.value.code == "SYSTEM_ERROR"
    finally:
        requests.post(f"{base}/sandbox/down", json={"down": False}, timeout=5)
    unreachable = WeChatPayProvider(Settings(**{**provider.settings.__dict__, "base_url": f"http://127.0.0.1:{free_port()}"}))
    with pytest.raises(ProviderError) as gone:
        unreachable.query("INTENT0001")
    assert gone.value.down
