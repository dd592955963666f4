"""The gateway's 网页授权 code exchange (gateway/customer/wechat_oauth.py) against the messaging sandbox's WeChat:
the authorize page sends the browser back with a code and the state; the code gives the user's openid at that
account once; a used, forged or other account's code is refused; WeChat down is unavailable."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import falcon
import pytest
import requests

from deploy.sandboxes import messaging
from gateway.customer import wechat_oauth
from gateway.customer.wechat_oauth import WeChatOAuthSettings
from tests.support.stack import free_port
from tests.support.wechatpay import serve


@pytest.fixture(scope="module")
def sandbox():
    port = free_port()
    server = serve(messaging.Sandbox(), port)
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def settings(url: str, appid: str = messaging.PAY_APPID, secret: str = messaging.PAY_WECHAT_SECRET):
    env = messaging.credentials(url)
    return WeChatOAuthSettings(appid=appid, secret=secret, authorize_url=env["WECHAT_OAUTH_AUTHORIZE_URL"],
                               api_url=env["WECHAT_OAUTH_API_URL"], timeout=5)


def authorize(url: str, account: WeChatOAuthSettings, state: str = "S1") -> str:
    reply = requests.get(wechat_oauth.authorize_url(account, "http://127.0.0.1:9/m/", state), allow_redirects=False,
                         timeout=5)
    assert reply.status_code == 302, reply.text
    back = urlsplit(reply.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://127.0.0.1:9/m/"
    query = parse_qs(back.query)
    assert query["state"] == [state]
    return query["code"][0]


def test_a_code_gives_the_users_openid_at_that_account_once(sandbox):
    account = settings(sandbox)
    code = authorize(sandbox, account)
    assert wechat_oauth.openid_of_code(account, code) == messaging.openid(messaging.PAY_APPID, "owner")
    with pytest.raises(falcon.HTTPConflict) as used:
        wechat_oauth.openid_of_code(account, code)
    assert used.value.title == "wechat_oauth_refused"
    with pytest.raises(falcon.HTTPConflict):
        wechat_oauth.openid_of_code(account, "forged")
    chain = settings(sandbox, messaging.WECHAT_APPID, messaging.WECHAT_SECRET)
    with pytest.raises(falcon.HTTPConflict):  # a code of another account
        wechat_oauth.openid_of_code(chain, authorize(sandbox, account))
    assert messaging.openid(messaging.WECHAT_APPID, "owner") != messaging.openid(messaging.PAY_APPID, "owner")


def test_a_wrong_secret_is_refused_and_wechat_down_is_unavailable(sandbox):
    with pytest.raises(falcon.HTTPConflict):
        wechat_oauth.openid_of_code(settings(sandbox, secret="wrong"), authorize(sandbox, settings(sandbox)))
    requests.post(f"{sandbox}/sandbox/fail", json={"provider": "wechat", "down": True}, timeout=5)
    try:
        with pytest.raises(falcon.HTTPServiceUnavailable):
            wechat_oauth.openid_of_code(settings(sandbox), authorize(sandbox, settings(sandbox)))
    finally:
        requests.post(f"{sandbox}/sandbox/fail", json={"provider": "wechat", "down": False}, timeout=5)
