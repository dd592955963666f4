"""WeChat's 网页授权 round trip as the gateway starts it (gateway/customer/wechat_oauth.py): the authorize URL as
WeChat documents it, a state that only the customer it was made for can bring back, at the account it was made
for, and only while fresh; the account of a store with an official account of its own."""
from __future__ import annotations

import json
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
    state = wechat_oauth.new_state(KEY, "C1", "wxchainmp", now=1000)
    assert len(state) <= 128 and state.replace("x", "").isalnum()
    wechat_oauth.check_state(KEY, "C1", "wxchainmp", state, now=1000 + wechat_oauth.STATE_SECONDS)
    tampered = state[:-1] + ("1" if state.endswith("0") else "0")
    for customer, key, appid, when, given in (
            ("C2", KEY, "wxchainmp", 1000, state), ("C1", "other" * 10, "wxchainmp", 1000, state),
            ("C1", KEY, "wxstoremp", 1000, state),  # made for the chain's account, brought to a store's
            ("C1", KEY, "wxchainmp", 1001 + wechat_oauth.STATE_SECONDS, state),
            ("C1", KEY, "wxchainmp", 1000, tampered), ("C1", KEY, "wxchainmp", 1000, "garbage")):
        with pytest.raises(falcon.HTTPConflict) as refused:
            wechat_oauth.check_state(key, customer, appid, given, now=when)
        assert refused.value.title == "wechat_oauth_state"


def test_without_an_account_the_round_trip_is_unavailable():
    with pytest.raises(falcon.HTTPServiceUnavailable) as refused:
        wechat_oauth.configured(WeChatOAuthSettings(appid="", secret=""))
    assert refused.value.title == "wechat_oauth_unavailable"


def test_a_store_with_its_own_official_account_authorizes_there_the_others_at_the_chains(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVIDER_KEYS_DIR", str(tmp_path))
    (tmp_path / "wechat_mp").mkdir()
    (tmp_path / "wechat_mp" / "SZ-NS.json").write_text(json.dumps({"appid": "wxstoremp", "secret": "store-secret"}))
    own = wechat_oauth.of_store(SETTINGS, ("SZ-NS", "store-1"))
    assert (own.appid, own.secret, own.authorize_url, own.api_url) == (
        "wxstoremp", "store-secret", SETTINGS.authorize_url, SETTINGS.api_url)
    assert wechat_oauth.of_store(SETTINGS, ("GZ-TH", "store-2")) == SETTINGS
    (tmp_path / "wechat_mp" / "FS-CC.json").write_text("{not json")
    with pytest.raises(falcon.HTTPServiceUnavailable) as refused:  # never the chain's account in its place
        wechat_oauth.of_store(SETTINGS, ("FS-CC", "store-3"))
    assert refused.value.title == "wechat_oauth_unavailable"
