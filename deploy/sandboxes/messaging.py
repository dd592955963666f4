"""A local sandbox of the two message providers, as their documentation specifies them, in one process.

Alibaba Cloud SMS (dysmsapi 2017-05-25, RPC style, `GET /`):
- `Action=SendSms` (PhoneNumbers, SignName, TemplateCode, TemplateParam, OutId) → `{Code: OK, BizId}`;
- `Action=QuerySendDetails` (PhoneNumber, BizId, SendDate) → `SmsSendDetailDTOs` with SendStatus
  1 (waiting for the receipt), 2 (failed, ErrCode) or 3 (delivered, ErrCode DELIVERED).
Every request must carry a known AccessKeyId (the chain's or a store's own: `ACCESS_KEYS`), a fresh
SignatureNonce, a Timestamp within 15 minutes and the HMAC-SHA1 `Signature` over its parameters with that
key's secret (`SignatureDoesNotMatch` otherwise), computed with the adapter's `signature`, which Alibaba
Cloud's published example pins (tests/integration/test_messaging_sandbox.py). Registered templates are the
suite's (services/common/messaging/templates.py); a missing parameter is refused. Each text is recorded with
the account that sent it (`access_key_id`) and its sign (`sign_name`; the body starts with 【sign】 as the
handset shows it); an account's QuerySendDetails finds only its own texts.

WeChat official account (`/cgi-bin/...`): `GET /cgi-bin/token` (client_credential, a known appid and its
secret: `WECHAT_APPS`) → access_token for 7200 s, of that account; `POST /cgi-bin/message/template/send
?access_token=` → `{errcode: 0, msgid}` (40001 for an unknown token, 40037 for an unknown template, 43004
for an openid that does not follow the account, 40003 for an openid the sandbox's 网页授权 gave out at another
account: an openid belongs to one account, as WeChat's); each message is recorded with the `appid` whose token it
carried. An openid the sandbox never gave out is taken as a follower of whichever account sends to it.

WeChat's 网页授权 (official account web authorization): `GET /connect/oauth2/authorize?appid&redirect_uri
&response_type=code&scope=snsapi_base&state` (WeChat's open.weixin.qq.com page: snsapi_base is silent, so it
redirects straight back to `redirect_uri?code=&state=`), and `GET /sns/oauth2/access_token?appid&secret&code
&grant_type=authorization_code` → `{access_token, expires_in, refresh_token, openid, scope}` (a code is used once
and lives 5 minutes: 40029 otherwise; 40125 a wrong secret). The openid is the sandbox's WeChat user's at that
account (`openid(appid, user)`).

Control endpoints for tests (not part of either provider):
- `GET /sandbox/sms?to=` and `GET /sandbox/wechat?touser=`: what was sent, oldest first;
- `POST /sandbox/fail` `{provider: sms|wechat, down: bool, undeliverable: [mobile…], unfollowed: [openid…]}`:
  `down` answers every call with 503 (Alibaba Cloud `ServiceUnavailable`, WeChat errcode -1); an
  undeliverable mobile's receipt says failed (`MOBILE_NOT_ON_SERVICE`); an unfollowed openid is refused;
- `POST /sandbox/wechat/user` `{user}`: who the phone's WeChat is signed in as (网页授权 answers their openid).

`python -m deploy.sandboxes.messaging [--port MESSAGING_SANDBOX_PORT]`; `credentials(url)` is the
environment the gateway and crm need to talk to it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from services.common.messaging.sms import signature
from services.common.messaging.templates import TEMPLATES

from . import wsgi_server
from .wechatpay import APPID as PAY_APPID
from .wechatpay import _reply

ACCESS_KEY_ID = "LTAI5tSandboxMessages"
ACCESS_KEY_SECRET = "sandbox-secret-not-for-production"
WECHAT_APPID = "wxsandboxmp000001"
WECHAT_SECRET = "sandbox-mp-secret"
STORE_ACCESS_KEY_ID = "LTAI5tSandboxStoreOwn"
STORE_ACCESS_KEY_SECRET = "sandbox-store-secret-not-for-production"
STORE_WECHAT_APPID = "wxsandboxmp000002"
STORE_WECHAT_SECRET = "sandbox-store-mp-secret"
OTHER_STORE_WECHAT_APPID = "wxsandboxmp000003"
OTHER_STORE_WECHAT_SECRET = "sandbox-other-store-mp-secret"
ACCESS_KEYS = {ACCESS_KEY_ID: ACCESS_KEY_SECRET, STORE_ACCESS_KEY_ID: STORE_ACCESS_KEY_SECRET}
"""The Alibaba Cloud accounts the sandbox knows: the chain's, and one a store holds of its own."""
PAY_WECHAT_SECRET = "sandbox-pay-mp-secret"
WECHAT_APPS = {WECHAT_APPID: WECHAT_SECRET, STORE_WECHAT_APPID: STORE_WECHAT_SECRET,
               OTHER_STORE_WECHAT_APPID: OTHER_STORE_WECHAT_SECRET, PAY_APPID: PAY_WECHAT_SECRET}
"""The official accounts it knows: the chain's, two stores' own, and the one the WeChat Pay sandbox's merchant
is bound to (its appid: the 网页授权 account whose openids pay by JSAPI)."""
OAUTH_CODE_SECONDS = 300  # a 网页授权 code lives 5 minutes and is used once
CLOCK_SKEW = 900
SMS_TEMPLATES = {t.sms_code: t for t in TEMPLATES.values()}
WECHAT_TEMPLATES = {t.wechat_id: t for t in TEMPLATES.values()}


def port() -> int:
    """Where `make run` serves the sandbox (`MESSAGING_SANDBOX_PORT`)."""
    return int(os.environ.get("MESSAGING_SANDBOX_PORT", "8093"))


def credentials(base_url: str) -> dict[str, str]:
    return {"ALIYUN_SMS_ENDPOINT": base_url, "ALIYUN_SMS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "ALIYUN_SMS_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET, "WECHAT_MP_BASE_URL": base_url,
            "WECHAT_MP_APPID": WECHAT_APPID, "WECHAT_MP_SECRET": WECHAT_SECRET,
            "WECHAT_OAUTH_APPID": PAY_APPID, "WECHAT_OAUTH_SECRET": PAY_WECHAT_SECRET,
            "WECHAT_OAUTH_AUTHORIZE_URL": f"{base_url}/connect/oauth2/authorize", "WECHAT_OAUTH_API_URL": base_url}


def openid(appid: str, user: str) -> str:
    """The openid of the sandbox's WeChat user `user` at the official account `appid` (one per account, as
    WeChat's)."""
    return "o" + hashlib.sha256(f"{appid}|{user}".encode()).hexdigest()[:27]


class Sandbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.sms: list[dict] = []
        self.wechat: list[dict] = []
        self.nonces: set[str] = set()
        self.tokens: dict[str, str] = {}  # access token → the appid it was given to
        self.down = {"sms": False, "wechat": False}
        self.undeliverable: set[str] = set()
        self.unfollowed: set[str] = set()
        self.codes: dict[str, tuple[str, str, float]] = {}  # 网页授权 code → (appid, openid, expires)
        self.issued: dict[str, str] = {}  # an openid 网页授权 gave out → its account's appid
        self.user = "owner"  # who the phone's WeChat is signed in as

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        try:
            if path.startswith("/sandbox/"):
                status, answer = self.control(method, path, query, json.loads(body or "{}"))
            elif path == "/connect/oauth2/authorize":
                return self.authorize(start_response, query)
            elif path.startswith("/sns/"):
                status, answer = self.oauth_api(method, path, query)
            elif path.startswith("/cgi-bin/"):
                status, answer = self.wechat_api(method, path, query, json.loads(body or "{}"))
            else:
                status, answer = self.sms_api(query)
        except (ValueError, KeyError, TypeError) as exc:
            status, answer = 400, {"Code": "isv.INVALID_PARAMETERS", "Message": f"参数错误: {exc}"}
        return _reply(start_response, status, json.dumps(answer, ensure_ascii=False), {})

    # -- Alibaba Cloud SMS ------------------------------------------------------------------------
    def sms_api(self, query: dict) -> tuple[int, dict]:
        if self.down["sms"]:
            return 503, {"Code": "ServiceUnavailable", "Message": "The request has failed due to a temporary failure."}
        refused = self.authenticate(query)
        if refused:
            return 400, {"Code": refused, "Message": refused, "RequestId": secrets.token_hex(8)}
        if query.get("Action") == "SendSms":
            return self.send_sms(query)
        if query.get("Action") == "QuerySendDetails":
            return 200, self.details(query)
        return 404, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found."}

    def authenticate(self, query: dict) -> str | None:
        given = query.pop("Signature", "")
        secret = ACCESS_KEYS.get(query.get("AccessKeyId", ""))
        if secret is None:
            return "InvalidAccessKeyId.NotFound"
        stamp = datetime.strptime(query.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(time.time() - stamp.timestamp()) > CLOCK_SKEW:
            return "InvalidTimeStamp.Expired"
        if not secrets.compare_digest(given, signature("GET", query, secret)):
            return "SignatureDoesNotMatch"
        with self.lock:
            if query.get("SignatureNonce") in self.nonces:
                return "SignatureNonceUsed"
            self.nonces.add(query["SignatureNonce"])
        return None

    def send_sms(self, query: dict) -> tuple[int, dict]:
        template = SMS_TEMPLATES.get(query.get("TemplateCode", ""))
        mobile = query.get("PhoneNumbers", "")
        if template is None:
            return 200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不存在"}
        if not query.get("SignName"):
            return 200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "签名不合法"}
        if not (len(mobile) == 11 and mobile.isdigit() and mobile.startswith("1")):
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "手机号码格式错误"}
        params = json.loads(query.get("TemplateParam") or "{}")
        if set(template.params) - set(params):
            return 200, {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板缺少变量"}
        biz_id = f"{secrets.randbelow(10 ** 6):06d}^{secrets.randbelow(10 ** 10):010d}"
        failed = mobile in self.undeliverable
        record = {"biz_id": biz_id, "to": mobile, "template": template.key, "template_code": template.sms_code,
                  "params": params, "out_id": query.get("OutId", ""), "access_key_id": query["AccessKeyId"],
                  "sign_name": query["SignName"],
                  "body": f"【{query['SignName']}】{template.render({k: str(v) for k, v in params.items()})}",
                  "send_status": 2 if failed else 3, "err_code": "MOBILE_NOT_ON_SERVICE" if failed else "DELIVERED",
                  "send_date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")}
        with self.lock:
            self.sms.append(record)
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": secrets.token_hex(8)}

    def details(self, query: dict) -> dict:
        found = [r for r in self.sms if r["to"] == query.get("PhoneNumber") and r["biz_id"] == query.get("BizId")
                 and r["access_key_id"] == query.get("AccessKeyId")]  # an account sees its own texts
        return {"Code": "OK", "Message": "OK", "TotalCount": len(found), "SmsSendDetailDTOs": {"SmsSendDetailDTO": [
            {"PhoneNum": r["to"], "SendStatus": r["send_status"], "ErrCode": r["err_code"],
             "TemplateCode": r["template_code"], "Content": r["body"], "SendDate": r["send_date"],
             "ReceiveDate": r["send_date"], "OutId": r["out_id"]} for r in found]}}

    # -- WeChat official account ------------------------------------------------------------------
    def wechat_api(self, method: str, path: str, query: dict, data: dict) -> tuple[int, dict]:
        if self.down["wechat"]:
            return 503, {"errcode": -1, "errmsg": "system error"}
        if method == "GET" and path == "/cgi-bin/token":
            known = WECHAT_APPS.get(query.get("appid", ""))
            if query.get("grant_type") != "client_credential" or known is None:
                return 200, {"errcode": 40013, "errmsg": "invalid appid"}
            if query.get("secret") != known:
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            token = secrets.token_urlsafe(48)
            with self.lock:
                self.tokens[token] = query["appid"]
            return 200, {"access_token": token, "expires_in": 7200}
        if method == "POST" and path == "/cgi-bin/message/template/send":
            if query.get("access_token") not in self.tokens:
                return 200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            template = WECHAT_TEMPLATES.get(data.get("template_id", ""))
            if template is None:
                return 200, {"errcode": 40037, "errmsg": "invalid template_id"}
            if data.get("touser") in self.unfollowed or not str(data.get("touser", "")).startswith("o"):
                return 200, {"errcode": 43004, "errmsg": "require subscribe"}
            account = self.tokens[query["access_token"]]
            if self.issued.get(data["touser"], account) != account:
                return 200, {"errcode": 40003, "errmsg": "invalid openid"}  # another account's
            params = {name: value["value"] for name, value in data.get("data", {}).items()}
            msgid = secrets.randbelow(10 ** 12)
            with self.lock:
                self.wechat.append({"msgid": msgid, "appid": account,
                                    "touser": data["touser"], "template": template.key,
                                    "params": params, "url": data.get("url"), "body": template.render(params)})
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": msgid}
        return 404, {"errcode": 40066, "errmsg": "invalid url"}

    # -- 网页授权 (official account web authorization) ------------------------------------------------
    def authorize(self, start_response, query: dict) -> list[bytes]:
        """`open.weixin.qq.com/connect/oauth2/authorize`: snsapi_base asks nothing and sends the browser straight
        back to `redirect_uri?code=&state=` (snsapi_userinfo's consent screen is not modelled)."""
        back = query.get("redirect_uri", "")
        if query.get("appid") not in WECHAT_APPS or query.get("response_type") != "code" \
                or query.get("scope") not in ("snsapi_base", "snsapi_userinfo") \
                or not back.startswith(("http://", "https://")):
            data = "<!doctype html><meta charset=utf-8><p>10003 redirect_uri 或参数错误</p>".encode()
            start_response("400 Bad Request", [("Content-Type", "text/html; charset=utf-8"),
                                               ("Content-Length", str(len(data)))])
            return [data]
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = (query["appid"], self.openid_at(query["appid"]), time.time() + OAUTH_CODE_SECONDS)
        joiner = "&" if "?" in back else "?"
        location = f"{back}{joiner}{urlencode({'code': code, 'state': query.get('state', '')})}"
        start_response("302 Found", [("Location", location), ("Content-Length", "0")])
        return [b""]

    def openid_at(self, appid: str, user: str | None = None) -> str:
        """The openid of `user` (the phone's, unless named) at the account `appid`, given out (kept as that
        account's: another account's token is refused it)."""
        given = openid(appid, user or self.user)
        self.issued[given] = appid
        return given

    def oauth_api(self, method: str, path: str, query: dict) -> tuple[int, dict]:
        """`GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`: the code's openid."""
        if self.down["wechat"]:
            return 503, {"errcode": -1, "errmsg": "system error"}
        if method != "GET" or path != "/sns/oauth2/access_token":
            return 404, {"errcode": 40066, "errmsg": "invalid url"}
        known = WECHAT_APPS.get(query.get("appid", ""))
        if known is None or query.get("grant_type") != "authorization_code":
            return 200, {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != known:
            return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
        with self.lock:
            found = self.codes.pop(query.get("code", ""), None)
        if found is None or found[0] != query["appid"] or found[2] < time.time():
            return 200, {"errcode": 40029, "errmsg": "invalid code"}
        return 200, {"access_token": secrets.token_urlsafe(48), "expires_in": 7200,
                     "refresh_token": secrets.token_urlsafe(48), "openid": found[1], "scope": "snsapi_base"}

    # -- tests' side ------------------------------------------------------------------------------
    def control(self, method: str, path: str, query: dict, data: dict) -> tuple[int, dict]:
        if method == "GET" and path == "/sandbox/sms":
            return 200, {"items": [r for r in self.sms if query.get("to") in (None, r["to"])]}
        if method == "GET" and path == "/sandbox/wechat":
            return 200, {"items": [r for r in self.wechat if query.get("touser") in (None, r["touser"])]}
        if method == "POST" and path == "/sandbox/fail":
            with self.lock:
                self.down[data.get("provider", "sms")] = bool(data.get("down"))
                self.undeliverable.update(data.get("undeliverable", []))
                self.unfollowed.update(data.get("unfollowed", []))
            return 200, {"down": self.down}
        if method == "POST" and path == "/sandbox/wechat/user":
            with self.lock:
                self.user = str(data.get("user") or "owner")
            return 200, {"user": self.user}
        return 404, {"code": "not_found"}


def main() -> None:
    parser = argparse.ArgumentParser(description="Alibaba Cloud SMS and WeChat official-account sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port())
    args = parser.parse_args()
    with wsgi_server(Sandbox(), args.host, args.port) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
