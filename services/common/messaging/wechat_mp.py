"""WeChat official-account (公众号) template messages by the documented HTTP protocol: an `access_token`
from `GET /cgi-bin/token` (client_credential, kept until shortly before it expires, fetched again on
errcode 40001/42001), then `POST /cgi-bin/message/template/send` to the customer's openid."""
from __future__ import annotations

import threading
import time

import requests

from services.common.config import WeChatMpSettings

from . import ProviderError
from .templates import MessageTemplate

TOKEN_EXPIRED = frozenset({40001, 40014, 42001})
DOWN_CODES = frozenset({-1, 45009, 45047})  # system busy, daily or per-user quota: try again later
TOKEN_MARGIN = 300  # seconds before its expiry a token is no longer used


class WeChatMp:
    def __init__(self, settings: WeChatMpSettings, session: requests.Session | None = None):
        self.settings = settings
        self.http = session or requests.Session()
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.settings.appid)

    def _request(self, method: str, path: str, **kwargs) -> dict:
        try:
            reply = self.http.request(method, f"{self.settings.base_url}{path}", timeout=self.settings.timeout,
                                      **kwargs)
            body = reply.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderError(type(exc).__name__, down=True) from exc
        errcode = int(body.get("errcode", 0))
        if errcode and errcode not in TOKEN_EXPIRED:
            raise ProviderError(f"errcode_{errcode}", down=errcode in DOWN_CODES or reply.status_code >= 500)
        return body

    def _access_token(self, fresh: bool = False) -> str:
        with self._lock:
            if fresh or self._token is None or self._token[1] <= time.monotonic():
                body = self._request("GET", "/cgi-bin/token", params={
                    "grant_type": "client_credential", "appid": self.settings.appid, "secret": self.settings.secret})
                if "access_token" not in body:
                    raise ProviderError(f"errcode_{body.get('errcode')}", down=False)
                self._token = (body["access_token"], time.monotonic() + int(body["expires_in"]) - TOKEN_MARGIN)
            return self._token[0]

    def send(self, openid: str, template: MessageTemplate, params: dict[str, str], url: str | None = None) -> str:
        """Sends one template message; answers WeChat's `msgid`."""
        if not self.configured:
            raise ProviderError("not_configured", down=True)
        message = {"touser": openid, "template_id": template.wechat_id,
                   "data": {name: {"value": value} for name, value in params.items()}}
        if url:
            message["url"] = url
        for fresh in (False, True):
            body = self._request("POST", "/cgi-bin/message/template/send",
                                 params={"access_token": self._access_token(fresh)}, json=message)
            if int(body.get("errcode", 0)) not in TOKEN_EXPIRED:
                return str(body["msgid"])
        raise ProviderError("access_token_refused", down=True)
