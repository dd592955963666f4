"""The SMS and WeChat adapters (services/common/messaging) against the local sandbox of both providers,
in one process: signed SendSms and its receipt, a forged or replayed request refused, the provider down,
WeChat's access token and template message, and an unfollowed openid refused."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

import pytest

from deploy.sandboxes import messaging as sandbox
from deploy.sandboxes import wsgi_server
from services.common.config import SmsSettings, WeChatMpSettings
from services.common.messaging import ProviderError
from services.common.messaging.sms import AliyunSms, signature
from services.common.messaging.templates import TEMPLATES
from services.common.messaging.wechat_mp import WeChatMp


@pytest.fixture(scope="module")
def world():
    provider = sandbox.Sandbox()
    server = wsgi_server(provider, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    env = sandbox.credentials(url)
    sms = SmsSettings(access_key_id=env["ALIYUN_SMS_ACCESS_KEY_ID"],
                      access_key_secret=env["ALIYUN_SMS_ACCESS_KEY_SECRET"], endpoint=url)
    mp = WeChatMpSettings(appid=env["WECHAT_MP_APPID"], secret=env["WECHAT_MP_SECRET"], base_url=url)
    yield provider, sms, mp
    server.shutdown()


def test_the_signature_is_alibaba_clouds_documented_example():
    params = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
              "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
              "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
              "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}
    assert signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_a_signed_text_is_sent_and_its_receipt_says_delivered_or_not(world):
    provider, settings, _ = world
    client = AliyunSms(settings)
    biz_id = client.send("13800000001", TEMPLATES["car_ready"], {"plate": "粤B12345"}, out_id="m1")
    sent = [r for r in provider.sms if r["biz_id"] == biz_id][0]
    assert sent["body"] == "【车主服务】您的爱车 粤B12345 已完工，欢迎到店取车。" and sent["out_id"] == "m1"
    assert client.delivery("13800000001", biz_id, date.today()).status == "delivered"
    provider.undeliverable.add("13800000002")
    lost = client.send("13800000002", TEMPLATES["car_ready"], {"plate": "粤B12345"})
    assert client.delivery("13800000002", lost, date.today()).code == "MOBILE_NOT_ON_SERVICE"


def test_a_forged_signature_a_missing_parameter_and_a_down_provider_are_refused(world):
    provider, settings, _ = world
    with pytest.raises(ProviderError) as forged:
        AliyunSms(replace(settings, access_key_secret="guessed")).send("13800000003", TEMPLATES["car_ready"],
                                                                        {"plate": "粤B1"})
    assert (forged.value.code, forged.value.down) == ("SignatureDoesNotMatch", False)
    with pytest.raises(ProviderError) as missing:
        AliyunSms(settings).send("13800000003", TEMPLATES["car_ready"], {})
    assert missing.value.code == "isv.TEMPLATE_MISSING_PARAMETERS" and not missing.value.down
    provider.down["sms"] = True
    try:
        with pytest.raises(ProviderError) as down:
            AliyunSms(settings).send("13800000003", TEMPLATES["car_ready"], {"plate": "粤B1"})
        assert down.value.down
    finally:
        provider.down["sms"] = False
    assert not [r for r in provider.sms if r["to"] == "13800000003"]


def test_a_wechat_template_message_goes_to_a_follower_and_an_unfollowed_openid_is_refused(world):
    provider, _, settings = world
    client = WeChatMp(settings)
    msgid = client.send("oFollower1", TEMPLATES["quote_ready"], {"number": "Q-1", "url": "https://x/m/#/link/t"},
                        url="https://x/m/#/link/t")
    sent = [r for r in provider.wechat if str(r["msgid"]) == msgid][0]
    assert sent["url"] == "https://x/m/#/link/t" and "Q-1" in sent["body"]
    provider.tokens.clear()  # the token expired at WeChat: fetched again, the message still goes
    assert client.send("oFollower1", TEMPLATES["car_ready"], {"plate": "粤B1"})
    provider.unfollowed.add("oGone")
    with pytest.raises(ProviderError) as gone:
        client.send("oGone", TEMPLATES["car_ready"], {"plate": "粤B1"})
    assert (gone.value.code, gone.value.down) == ("errcode_43004", False)
