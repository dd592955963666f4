"""WeChat's 网页授权 (official account web authorization, scope `snsapi_base`: silent, no consent screen) for the
car owner's phone app opened inside WeChat: what a JSAPI payment needs is the owner's openid at the official
account the merchant takes payments for
(developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html).

1. `authorize_url`: the page is sent to `https://open.weixin.qq.com/connect/oauth2/authorize?appid=…&redirect_uri=…
   &response_type=code&scope=snsapi_base&state=…#wechat_redirect`; `redirect_uri` is the phone app's own address
   (`/m/`, under PUBLIC_ORIGIN), never one the client names. `state` binds the round trip to the signed-in
   customer and expires (an HMAC with the gateway's key): a code fetched for someone else, or a forged return, is
   refused; the page also compares it with the state it kept before leaving.
2. WeChat sends the browser back to `redirect_uri?code=CODE&state=STATE`; `openid_of_code` exchanges the code
   (single-use, 5 minutes) at `GET {api}/sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code`
   for `{access_token, openid, scope}` (an error: `{errcode, errmsg}`, e.g. 40029 invalid code, 40163 code used).

Configured from the environment: `WECHAT_OAUTH_APPID`/`WECHAT_OAUTH_SECRET` (the chain's official account: the
payment account's appid, or its sp_appid / sub_appid in partner mode), `WECHAT_OAUTH_AUTHORIZE_URL` (default WeChat's),
`WECHAT_OAUTH_API_URL` (default `https://api.weixin.qq.com`; the tests and `make run` point both at
deploy/sandboxes/messaging.py), `WECHAT_OAUTH_TIMEOUT`. A store with an official account of its own
(`PROVIDER_KEYS_DIR/wechat_mp/<store code>.json`: `appid`, `secret` — the sub_appid of its merchant account)
authorizes its invoices' payers there instead (`of_store`)."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

import falcon
import requests

from services.common.config import WeChatMpSettings, env_float, provider_settings, store_file

SCOPE = "snsapi_base"
STATE_SECONDS = 600
"""How long a round trip through WeChat may take (its code itself lives 5 minutes)."""


@dataclass(frozen=True)
class WeChatOAuthSettings:
    appid: str = field(default_factory=lambda: os.environ.get("WECHAT_OAUTH_APPID", ""))
    secret: str = field(default_factory=lambda: os.environ.get("WECHAT_OAUTH_SECRET", ""), repr=False)
    authorize_url: str = field(default_factory=lambda: os.environ.get(
        "WECHAT_OAUTH_AUTHORIZE_URL", "https://open.weixin.qq.com/connect/oauth2/authorize"))
    api_url: str = field(default_factory=lambda: os.environ.get(
        "WECHAT_OAUTH_API_URL", "https://api.weixin.qq.com").rstrip("/"))
    timeout: float = field(default_factory=lambda: env_float("WECHAT_OAUTH_TIMEOUT", 3))


def unavailable(reason: str) -> falcon.HTTPError:
    return falcon.HTTPServiceUnavailable(title="wechat_oauth_unavailable", description=reason,
                                         retry_after=5)


def configured(settings: WeChatOAuthSettings) -> WeChatOAuthSettings:
    if not (settings.appid and settings.secret):
        raise unavailable("WeChat web authorization is not configured.")
    return settings


def of_store(chain: WeChatOAuthSettings, store_keys: tuple[str | None, ...]) -> WeChatOAuthSettings:
    """The official account whose 网页授权 gives the payers of a store (`store_keys`: its code, then its id): its
    own (`PROVIDER_KEYS_DIR/wechat_mp/<key>.json` naming `appid` and `secret`) when it has one, else the chain's.
    503 wechat_oauth_unavailable when its file is broken: never the chain's account in its place."""
    if store_file("wechat_mp", *store_keys) is None:
        return chain
    try:
        own = provider_settings("wechat_mp", *store_keys, chain=WeChatMpSettings(appid="", secret=""))
    except (ValueError, OSError):
        raise unavailable("The store's official account is not usable.") from None
    return replace(chain, appid=own.appid, secret=own.secret) if own.appid else chain


def _mac(key: str, customer_id: str, appid: str, expires: str, nonce: str) -> str:
    return hmac.new(key.encode(), f"wechat-oauth|{customer_id}|{appid}|{expires}|{nonce}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def new_state(key: str, customer_id: str, appid: str, now: float | None = None) -> str:
    """A state for one round trip of `customer_id` at the official account `appid` (WeChat allows 128
    characters of a-zA-Z0-9)."""
    expires, nonce = str(int((time.time() if now is None else now) + STATE_SECONDS)), secrets.token_hex(8)
    return f"{expires}x{nonce}x{_mac(key, customer_id, appid, expires, nonce)}"


def check_state(key: str, customer_id: str, appid: str, state: str, now: float | None = None) -> None:
    """409 wechat_oauth_state unless `state` was made for this customer at this official account by this
    gateway and is still fresh."""
    expires, _, rest = state.partition("x")
    nonce, _, mac = rest.partition("x")
    fresh = expires.isdigit() and int(expires) >= (time.time() if now is None else now)
    if not (fresh and hmac.compare_digest(mac, _mac(key, customer_id, appid, expires, nonce))):
        raise falcon.HTTPConflict(title="wechat_oauth_state",
                                  description="The authorization did not start here, for you, just now.")


def authorize_url(settings: WeChatOAuthSettings, redirect_uri: str, state: str) -> str:
    query = urlencode({"appid": settings.appid, "redirect_uri": redirect_uri, "response_type": "code",
                       "scope": SCOPE, "state": state})
    return f"{settings.authorize_url}?{query}#wechat_redirect"


def openid_of_code(settings: WeChatOAuthSettings, code: str) -> str:
    """The openid WeChat answers for a 网页授权 code; 409 wechat_oauth_refused when it refuses the code,
    503 wechat_oauth_unavailable when it does not answer."""
    try:
        reply = requests.get(f"{settings.api_url}/sns/oauth2/access_token", timeout=settings.timeout, params={
            "appid": settings.appid, "secret": settings.secret, "code": code, "grant_type": "authorization_code"})
        answer = reply.json()
    except (requests.RequestException, ValueError):
        raise unavailable("WeChat did not answer.") from None
    if not isinstance(answer, dict) or answer.get("errcode") == -1 or reply.status_code >= 500:
        raise unavailable("WeChat is busy.")
    if answer.get("errcode") or not answer.get("openid"):
        raise falcon.HTTPConflict(title="wechat_oauth_refused",
                                  description=f"WeChat refused the code ({answer.get('errcode')}).")
    return str(answer["openid"])
