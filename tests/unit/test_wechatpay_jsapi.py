"""WeChat Pay JSAPI rules in finance's adapter, without a provider: the order body the SDK sends for each kind
of account (a direct merchant's payer.openid; a sub-merchant's sp_openid or sub_openid), the refusal of an
openid of another official account, and the getBrandWCPayRequest paySign (RSA-SHA256 with the merchant's key
over appId, timeStamp, nonceStr, package, each followed by a newline, base64)."""
from __future__ import annotations

import json
from base64 import b64decode
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from deploy.sandboxes.wechatpay import ensure_keys, serial
from services.common.config import WeChatPaySettings
from services.finance import wechatpay
from services.finance.providers import JsapiAccount
from services.finance.wechatpay import WeChatPayProvider


@pytest.fixture
def sent(monkeypatch):
    """The requests the SDK would send: (path, body); every prepay answered with prepay_id wx1."""
    calls: list[tuple[str, dict]] = []

    def request(self, path, method=None, data=None, **kwargs):
        if path == "/v3/certificates":
            return 200, json.dumps({"data": []})
        calls.append((path, data))
        return 200, json.dumps({"prepay_id": "wx1"})

    monkeypatch.setattr(wechatpay._Core, "request", request)
    monkeypatch.setattr(wechatpay._Core, "_init_certificates", lambda self: None)
    return calls


@pytest.fixture
def keys(tmp_path):
    ensure_keys(tmp_path)
    return tmp_path


def account(keys, **changes) -> WeChatPayProvider:
    return WeChatPayProvider(WeChatPaySettings(
        mchid="1900000109", appid="wxchain", base_url="http://127.0.0.1:9",
        cert_serial_no=serial((keys / "apiclient_cert.pem").read_bytes()),
        private_key_file=str(keys / "apiclient_key.pem"), apiv3_key="k" * 32,
        notify_url="https://example.invalid/notify", **changes))


EXPIRES = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_a_direct_merchants_jsapi_order_names_the_payers_openid(keys, sent):
    package = account(keys).prepay("jsapi", "NO1", "INV-1 汽车服务", 1500, EXPIRES, None,
                                   payer={"appid": "wxchain", "openid": "oOwner"})
    assert package == "prepay_id=wx1"
    path, body = sent[-1]
    assert path == "/v3/pay/transactions/jsapi"
    assert body["payer"] == {"openid": "oOwner"}
    assert (body["appid"], body["mchid"], body["amount"]) == ("wxchain", "1900000109", {"total": 1500,
                                                                                       "currency": "CNY"})
    assert body["time_expire"] == "2026-12-07T16:00:00+08:00" and "scene_info" not in body


def test_a_sub_merchant_uses_sp_openid_or_sub_openid_by_the_openids_account(keys, sent):
    store = account(keys, sub_mchid="1900000201", sub_appid="wxstore")
    store.prepay("jsapi", "NO2", "INV-2", 100, EXPIRES, None, payer={"appid": "wxchain", "openid": "oSp"})
    path, body = sent[-1]
    assert path == "/v3/pay/partner/transactions/jsapi"
    assert (body["sp_appid"], body["sp_mchid"], body["sub_mchid"], body["sub_appid"], body["payer"]) == (
        "wxchain", "1900000109", "1900000201", "wxstore", {"sp_openid": "oSp"})
    store.prepay("jsapi", "NO3", "INV-3", 100, EXPIRES, None, payer={"appid": "wxstore", "openid": "oSub"})
    assert sent[-1][1]["payer"] == {"sub_openid": "oSub"}


def test_an_openid_of_another_account_or_none_is_refused_before_anything_is_sent(keys, sent):
    for payer in ({"appid": "wxother", "openid": "oX"}, None, {"appid": "wxchain", "openid": ""}):
        with pytest.raises(JsapiAccount) as refused:
            account(keys).prepay("jsapi", "NO4", "INV-4", 100, EXPIRES, None, payer=payer)
        assert refused.value.code == "wechat_openid_needed"
    assert sent == []


def test_pay_sign_is_the_merchants_rsa_signature_over_the_four_fields(keys, sent):
    params = account(keys).jsapi_params("wxchain", "prepay_id=wx1", now=1765000000)
    assert (params["appId"], params["timeStamp"], params["package"], params["signType"]) == (
        "wxchain", "1765000000", "prepay_id=wx1", "RSA")
    assert len(params["nonceStr"]) == 32
    public = x509.load_pem_x509_certificate((keys / "apiclient_cert.pem").read_bytes()).public_key()
    message = f"wxchain\n1765000000\n{params['nonceStr']}\nprepay_id=wx1\n".encode()
    public.verify(b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256())
    other = account(keys).jsapi_params("wxchain", "prepay_id=wx1", now=1765000000)
    assert other["nonceStr"] != params["nonceStr"]  # a fresh nonce each time
