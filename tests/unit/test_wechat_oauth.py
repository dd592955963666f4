"""WeChat's 网页授权 round trip as the gateway starts it (gateway/customer/wechat_oauth.py): the authorize URL as
WeChat documents it, and a state that only the customer it was made for can bring back, and only while fresh."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import falcon
import pytest

from gateway.customer import wechat_oauth
from gateway.customer.wechat_oauth import WeChatOAuthSettings

KEY = "k" * 48
SETTINGS = WeChatOAuthSettings(appid="wxchainmp", secret="s", authorize_url="https://open.weixin.qq.com/connect/"
                               "oauth2/authorize", api_url="https://api.weixin.qq.com", timeout=1)


def test_the_authorize_url_is_snsapi_base_back_to_the_app_with_the_state():
    url = wechat_oauth.authorize_url(SETTINGS, "https://shop.example.com/m/", "STATE1")
    assert url.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxchainmp&redirect_uri=https%3A")
    assert url.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(url).query)
    assert query == {"appid": ["wxchainmp"], "redirect_uri": ["https://shop.example.com/m/"],
                     "response_type": ["code"], "scope": ["snsapi_base"], "state": ["STATE1"]}


def test_a_state_comes_back_only_for_its_customer_and_while_fresh():
    state = wechat_oauth.new_state(KEY, "C1", now=1000)
    assert len(state) <= 128 and state.replace("x", "").isalnum()
    wechat_oauth.check_state(KEY, "C1", state, now=1000 + wechat_oauth.STATE_SECONDS)
    tampered = state[:-1] + ("1" if state.endswith("0") else "0")
    for customer, key, when, given in (("C2", KEY, 1000, state), ("C1", "other" * 10, 1000, state),
                                       ("C1", KEY, 1001 + wechat_oauth.STATE_SECONDS, state),
                                       ("C1", KEY, 1000, tampered), ("C1", KEY, 1000, "garbage")):
        with pytest.raises(falcon.HTTPConflict) as refused:
            wechat_oauth.check_state(key, customer, given, now=when)
        assert refused.value.title == "wechat_oauth_state"


def test_without_an_account_the_round_trip_is_unavailable():
    with pytest.raises(falcon.HTTPServiceUnavailable) as refused:
        wechat_oauth.configured(WeChatOAuthSettings(appid="", secret=""))
    assert refused.value.title == "wechat_oauth_unavailable"
