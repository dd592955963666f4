"""WeChat Pay's JSAPI (inside WeChat's own browser) through finance's adapter against the sandbox: the order is
opened with the payer's openid (a direct merchant's `openid`; a sub-merchant's `sp_openid` or `sub_openid`),
the page's getBrandWCPayRequest parameters carry a paySign the sandbox verifies with the merchant's public key,
a wrong one is refused and pays nothing, a right one pays and sends the documented notification."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import requests

from deploy.sandboxes import wechatpay as sandbox
from services.common.db import utcnow
from services.finance.providers import JsapiAccount
from services.finance.wechatpay import WeChatPayProvider
from tests.support.wechatpay import wechatpay_world

OPENID = "oJsapiOwner0000000000000001"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with wechatpay_world(tmp_path_factory.mktemp("wechatpay_jsapi")) as running:
        yield running


def soon():
    return utcnow() + timedelta(minutes=5)


def bridge(world, params: dict) -> requests.Response:
    """What the sandbox's WeixinJSBridge does with getBrandWCPayRequest."""
    return requests.post(f"{world.url}/sandbox/jsapi/pay", json=params, timeout=30)


def test_a_jsapi_order_paid_with_its_signed_parameters_is_notified(world):
    provider = world.provider
    package = provider.prepay("jsapi", "JSAPI0001", "INV-1 汽车服务", 12345, soon(), None,
                              payer={"appid": sandbox.APPID, "openid": OPENID})
    assert package.startswith("prepay_id=wx")
    params = provider.jsapi_params(sandbox.APPID, package)
    before = len(world.receiver.received)
    reply = bridge(world, params)
    assert reply.status_code == 200, reply.text
    assert reply.json()["deliveries"] == [204]
    assert len(world.receiver.received) == before + 1
    headers, body = world.receiver.received[-1]
    paid = provider.verify(headers, body)
    assert (paid.out_trade_no, paid.state, paid.amount_fen) == ("JSAPI0001", "paid", 12345)
    assert world.sandbox.orders["JSAPI0001"]["trade_type"] == "JSAPI"


def test_a_wrong_pay_sign_is_refused_and_nothing_is_paid(world):
    provider = world.provider
    package = provider.prepay("jsapi", "JSAPI0002", "INV-2 汽车服务", 500, soon(), None,
                              payer={"appid": sandbox.APPID, "openid": OPENID})
    params = provider.jsapi_params(sandbox.APPID, package)
    for forged in ({**params, "paySign": provider.jsapi_params(sandbox.APPID, "prepay_id=other")["paySign"]},
                   {**params, "nonceStr": "tampered"}):
        reply = bridge(world, forged)
        assert (reply.status_code, reply.json()["code"]) == (400, "SIGN_ERROR")
    reply = bridge(world, {**params, "appId": "wxsomebodyelse"})
    assert reply.status_code == 400
    assert provider.query("JSAPI0002").state == "unpaid"


def test_a_jsapi_order_needs_the_payers_openid(world):
    assert "WeixinJSBridge" in requests.get(f"{world.url}/sandbox/jsapi/bridge.js", timeout=5).text
    with pytest.raises(JsapiAccount):
        world.provider.prepay("jsapi", "JSAPI0003", "INV-3", 100, soon(), None,
                              payer={"appid": "wxnotours", "openid": OPENID})


def test_a_sub_merchant_pays_with_sp_openid_or_sub_openid(world):
    sub_mchid = sandbox.SUB_MCHIDS[0]
    base = dataclasses.replace(world.provider.settings, **sandbox.sub_merchant(sub_mchid))
    sp = WeChatPayProvider(base)
    package = sp.prepay("jsapi", "JSAPI0004", "INV-4", 800, soon(), None,
                        payer={"appid": sandbox.SP_APPID, "openid": OPENID})
    order = world.sandbox.orders["JSAPI0004"]
    assert (order["sub_mchid"], order["payer_appid"]) == (sub_mchid, sandbox.SP_APPID)
    assert bridge(world, sp.jsapi_params(sandbox.SP_APPID, package)).status_code == 200
    own = WeChatPayProvider(dataclasses.replace(base, sub_appid="wxstoreown000001"))
    package = own.prepay("jsapi", "JSAPI0005", "INV-5", 900, soon(), None,
                         payer={"appid": "wxstoreown000001", "openid": OPENID})
    assert world.sandbox.orders["JSAPI0005"]["payer_appid"] == "wxstoreown000001"
    assert bridge(world, own.jsapi_params(sandbox.SP_APPID, package)).status_code == 400  # not the payer's account
    assert bridge(world, own.jsapi_params("wxstoreown000001", package)).status_code == 200
    assert own.query("JSAPI0005").state == "paid"
