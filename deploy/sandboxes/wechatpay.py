"""A local WeChat Pay API v3 sandbox: the merchant API as WeChat Pay documents it, small enough to read.

Implemented (pay.weixin.qq.com/docs/merchant, 直连商户; and pay.weixin.qq.com/docs/partner, 服务商模式, for the
service provider `SP_MCHID`/`SP_APPID` and its sub-merchants `SUB_MCHIDS` — the partner paths
`POST /v3/pay/partner/transactions/native|h5` {sp_appid, sp_mchid, sub_mchid, …},
`GET /v3/pay/partner/transactions/out-trade-no/{no}?sp_mchid=&sub_mchid=`, `POST …/{no}/close` {sp_mchid,
sub_mchid}, refunds and their query with `sub_mchid`, `GET /v3/bill/tradebill?…&sub_mchid=` (that
sub-merchant's statement; without it every sub-merchant's), notifications whose resource names sp_appid,
sp_mchid and sub_mchid. The sandbox's service provider signs with the same merchant key as its direct
merchant, a simplification: at WeChat Pay each has its own API certificate):
- `POST /v3/pay/transactions/native` → `{code_url}`; `POST /v3/pay/transactions/h5` → `{h5_url}`;
  `POST /v3/pay/transactions/jsapi` {payer: {openid}} (partner: `payer.sp_openid`, or `sub_openid` with
  `sub_appid`) → `{prepay_id}`;
- `GET /v3/pay/transactions/out-trade-no/{no}?mchid=` (trade_state NOTPAY | SUCCESS | CLOSED);
- `POST /v3/pay/transactions/out-trade-no/{no}/close` → 204 (a paid order: 400 ORDERPAID);
- `GET /v3/certificates`: the platform certificate, AEAD_AES_256_GCM-encrypted with the APIv3 key;
- `POST /v3/refund/domestic/refunds` (partial; a repeated out_refund_no answers that refund again; never
  more than is left: 400 NOT_ENOUGH) → status PROCESSING, then SUCCESS a moment later with its REFUND.SUCCESS
  notification (sent again until answered 2xx); `GET /v3/refund/domestic/refunds/{out_refund_no}`;
- `GET /v3/bill/tradebill?bill_date=&bill_type=ALL|SUCCESS|REFUND&tar_type=GZIP` → `{hash_type: SHA1, hash_value,
  download_url}` (400 NO_STATEMENT_EXIST for a day without transactions), and `GET /v3/billdownload/file?token=`
  (signed like every request; the answer, the file, is not): the trade statement of the orders paid and the
  refunds settled that Beijing day, a CSV whose fields are prefixed with a backtick, the summary section
  after it, gzipped when asked (the hash is the uncompressed file's). WeChat Pay serves a day's statement
  from 10:00 the next day; the sandbox serves any day, today's included, so a test can reconcile at once.
Every request must carry the merchant's `Authorization: WECHATPAY2-SHA256-RSA2048 …` signature
(RSA-SHA256 over method, path with query, timestamp, nonce and body; 401 SIGN_ERROR otherwise);
every answer is signed with the platform key in `Wechatpay-Timestamp/-Nonce/-Serial/-Signature`.
A paid order's notification (TRANSACTION.SUCCESS, its resource encrypted with the APIv3 key, the
body signed the same way) is POSTed to the order's `notify_url`.

Control endpoints for tests (no signature; not part of WeChat Pay):
- `POST /sandbox/pay` `{url, deliveries=1}`: the customer scans `url` (a code_url or h5_url) and pays;
  the notification is sent `deliveries` times (0: never, the merchant must poll); answers the order and
  the HTTP status of each delivery;
- `POST /sandbox/down` `{down}`: every `/v3` call answers 500 SYSTEM_ERROR meanwhile;
- `GET /sandbox/orders/{out_trade_no}`: an order as the sandbox holds it;
- `POST /sandbox/jsapi/pay` `{appId, timeStamp, nonceStr, package, signType, paySign, deliveries=1}`: what
  WeChat does with a page's getBrandWCPayRequest (JSAPI调起支付): the paySign must verify with the merchant's
  public key over "appId\\ntimeStamp\\nnonceStr\\npackage\\n" (400 SIGN_ERROR otherwise) and appId be the
  official account of the order's payer; then it pays like `/sandbox/pay`. `GET /sandbox/jsapi/bridge.js`: a
  script defining `window.WeixinJSBridge` whose getBrandWCPayRequest calls it (for the phone app's tests and
  `make run`, loaded only when `MOBILE_WECHAT_BRIDGE_URL` names it);
- `POST /sandbox/statement` `{date, add?: {out_trade_no, amount_fen}, drop?: out_trade_no}`: that day's
  statement also lists a payment the merchant never heard of, or leaves out a recorded one.
The H5 cashier a phone opens (WeChat Pay's own page at `h5_url`, which returns to the `redirect_url` the
merchant appended): `GET /sandbox/h5/checkmweb?prepay_id=…&redirect_url=…` shows the amount and a 确认支付
button; its form `POST /sandbox/h5/pay` pays the order like `/sandbox/pay` (one notification) and sends
the browser back to `redirect_url`.

`python -m deploy.sandboxes.wechatpay [--port WECHATPAY_SANDBOX_PORT] [--dir DATA_DIR/sandboxes/wechatpay]`
generates the merchant's and the platform's keys once into the folder and serves; `credentials(folder, url)` is the
environment the finance service needs to talk to it.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import html
import io
import json
import os
import re
import secrets
import threading
import time
from base64 import b64decode, b64encode
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from services.common import config

from . import statements, wsgi_server

MCHID = "1900000109"
APPID = "wxsandbox00000001"
SP_MCHID = "1900000100"
SP_APPID = "wxsandboxsp000001"
SUB_MCHIDS = ("1900000201", "1900000202", "1900000203", "1900000204")
"""The sub-merchants (特约商户) the sandbox's service provider has onboarded (进件)."""


def port() -> int:
    """Where `make run` serves the sandbox (`WECHATPAY_SANDBOX_PORT`)."""
    return int(os.environ.get("WECHATPAY_SANDBOX_PORT", "8091"))


SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
CLOCK_SKEW = 300  # seconds a request's timestamp may differ from the sandbox's clock
REFUND_SECONDS = 0.3  # how long a refund stays PROCESSING
RETRY_DELAYS = (0.5, 1, 2, 4)  # seconds between deliveries of a refund notification not answered 2xx


# -- keys ---------------------------------------------------------------------------------------
def _key_and_cert(common_name: str) -> tuple[bytes, bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650)).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return pem_key, cert.public_bytes(serialization.Encoding.PEM), f"{cert.serial_number:X}"


def ensure_keys(folder: Path) -> None:
    """The merchant's key and certificate, the platform's, and the APIv3 key, generated once."""
    folder.mkdir(parents=True, exist_ok=True)
    for who in ("apiclient", "platform"):
        if not (folder / f"{who}_key.pem").exists():
            key, cert, _ = _key_and_cert(f"wechatpay sandbox {who}")
            (folder / f"{who}_cert.pem").write_bytes(cert)
            (folder / f"{who}_key.pem").write_bytes(key)
            os.chmod(folder / f"{who}_key.pem", 0o600)
    if not (folder / "apiv3_key").exists():
        (folder / "apiv3_key").write_text(secrets.token_hex(16))  # 32 characters, as WeChat Pay's
        os.chmod(folder / "apiv3_key", 0o600)


def serial(cert_pem: bytes) -> str:
    return f"{x509.load_pem_x509_certificate(cert_pem).serial_number:X}"


def credentials(folder: Path, base_url: str) -> dict[str, str]:
    """The finance service's WECHATPAY_* environment for the sandbox whose keys are in `folder`, and the phone
    app's stand-in WeixinJSBridge (the gateway's MOBILE_WECHAT_BRIDGE_URL; never in production)."""
    ensure_keys(folder)
    return {"WECHATPAY_BASE_URL": base_url, "WECHATPAY_MCHID": MCHID, "WECHATPAY_APPID": APPID,
            "WECHATPAY_CERT_SERIAL_NO": serial((folder / "apiclient_cert.pem").read_bytes()),
            "WECHATPAY_PRIVATE_KEY_FILE": str((folder / "apiclient_key.pem").resolve()),
            "WECHATPAY_APIV3_KEY": (folder / "apiv3_key").read_text().strip(),
            "MOBILE_WECHAT_BRIDGE_URL": f"{base_url}/sandbox/jsapi/bridge.js"}


def sub_merchant(sub_mchid: str) -> dict[str, str]:
    """A store's keys file (PROVIDER_KEYS_DIR/wechatpay/<store>.json) making it the sandbox service
    provider's sub-merchant `sub_mchid`, over the chain's keys. Its JSAPI orders take openids of the sp_appid
    (or of a `sub_appid` the file adds): not of the 网页授权 account the sandboxes' credentials configure."""
    return {"mchid": SP_MCHID, "appid": SP_APPID, "sub_mchid": sub_mchid}


def sign(private_key, message: str) -> str:
    return b64encode(private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def encrypt(apiv3_key: str, plaintext: str, associated_data: str) -> dict:
    """An AEAD_AES_256_GCM resource as WeChat Pay sends it (12-character nonce, base64 ciphertext+tag)."""
    nonce = secrets.token_hex(6)
    data = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext.encode(), associated_data.encode())
    return {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce, "associated_data": associated_data,
            "ciphertext": b64encode(data).decode()}


def signed_headers(private_key, serial: str, body: str) -> dict[str, str]:
    """The `Wechatpay-*` headers of an answer or a notification carrying `body`."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": serial,
            "Wechatpay-Signature": sign(private_key, f"{timestamp}\n{nonce}\n{body}\n"),
            "Wechatpay-Signature-Type": SIGNATURE_TYPE}


# -- the provider -------------------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


_AUTH = re.compile(r'(\w+)="([^"]*)"')


class Sandbox:
    def __init__(self, folder: Path, base_url: str):
        ensure_keys(folder)
        self.base_url = base_url.rstrip("/")
        merchant_cert = x509.load_pem_x509_certificate((folder / "apiclient_cert.pem").read_bytes())
        self.merchant_key = merchant_cert.public_key()
        self.merchant_serial = f"{merchant_cert.serial_number:X}"
        self.platform_cert = (folder / "platform_cert.pem").read_bytes()
        self.platform_serial = serial(self.platform_cert)
        self.platform_key = serialization.load_pem_private_key((folder / "platform_key.pem").read_bytes(), None)
        self.apiv3_key = (folder / "apiv3_key").read_text().strip()
        self.orders: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.by_url: dict[str, str] = {}
        self.down = False
        self.lock = threading.Lock()
        self.changes = statements.StatementChanges("42000")
        self.bills: dict[str, bytes] = {}

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        try:
            if path.startswith("/sandbox/h5/"):
                return self.cashier(start_response, method, path, parse_qs(query if method == "GET" else body))
            if path == "/sandbox/jsapi/bridge.js":
                return _script(start_response, BRIDGE.replace("SANDBOX_URL", json.dumps(self.base_url)))
            if path.startswith("/sandbox/"):
                status, answer = self.control(method, path, json.loads(body or "{}"))
                cors = {"Access-Control-Allow-Origin": "*"} if path == "/sandbox/jsapi/pay" else {}
                return _reply(start_response, status, json.dumps(answer, ensure_ascii=False), cors)
            if self.down:
                raise ApiError(500, "SYSTEM_ERROR", "系统异常，请稍后重试")
            caller = self.authenticate(environ.get("HTTP_AUTHORIZATION", ""), method,
                                       path + (f"?{query}" if query else ""), body)
            if method == "GET" and path == "/v3/billdownload/file":
                return _file(start_response, self.bills.pop(parse_qs(query).get("token", [""])[0], None))
            status, answer = self.api(method, path, parse_qs(query), json.loads(body) if body else {}, caller)
        except ApiError as exc:
            status, answer = exc.status, {"code": exc.code, "message": exc.message}
        except (ValueError, KeyError, TypeError) as exc:
            status, answer = 400, {"code": "PARAM_ERROR", "message": f"参数错误: {exc}"}
        text = "" if answer is None else json.dumps(answer, ensure_ascii=False)
        return _reply(start_response, status, text, signed_headers(self.platform_key, self.platform_serial, text))

    def authenticate(self, header: str, method: str, url: str, body: str) -> str:
        """The merchant (direct or service provider) whose signature the request carries."""
        scheme, _, rest = header.partition(" ")
        fields = dict(_AUTH.findall(rest))
        if scheme != SIGNATURE_TYPE or fields.get("mchid") not in (MCHID, SP_MCHID) \
                or fields.get("serial_no") != self.merchant_serial:
            raise ApiError(401, "SIGN_ERROR", "商户号或证书序列号不对")
        if abs(time.time() - int(fields.get("timestamp") or 0)) > CLOCK_SKEW:
            raise ApiError(401, "SIGN_ERROR", "请求时间戳已过期")
        message = f"{method}\n{url}\n{fields['timestamp']}\n{fields.get('nonce_str', '')}\n{body}\n"
        try:
            self.merchant_key.verify(b64decode(fields.get("signature", "")), message.encode(), padding.PKCS1v15(),
                                     hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise ApiError(401, "SIGN_ERROR", "签名错误") from None
        return fields["mchid"]

    def api(self, method: str, path: str, query: dict, data: dict, caller: str = MCHID) -> tuple[int, dict | None]:
        if method == "GET" and path == "/v3/certificates":
            return 200, {"data": [self.certificate()]}
        if method == "GET" and path == "/v3/bill/tradebill":
            return 200, self.trade_bill(query["bill_date"][0], query.get("bill_type", ["ALL"])[0],
                                        query.get("tar_type", [""])[0], self.statement_account(caller, query))
        found = re.fullmatch(r"/v3/pay(/partner)?/transactions/(native|h5|jsapi)", path)
        if method == "POST" and found:
            return 200, self.prepay(found.group(2), data, partner=bool(found.group(1)))
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return 200, self.refund(data, caller)
        if method == "GET" and path.startswith("/v3/refund/domestic/refunds/"):
            refund = self.refunds.get(path.rsplit("/", 1)[1])
            if refund is None or refund.get("sub_mchid") != query.get("sub_mchid", [None])[0]:
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return 200, self.public_refund(refund)
        found = re.fullmatch(r"/v3/pay(/partner)?/transactions/out-trade-no/([^/]+)(/close)?", path)
        if found:
            partner, no, close = bool(found.group(1)), found.group(2), bool(found.group(3))
            asked = data if close else {name: values[0] for name, values in query.items()}
            order = self.order_of(no, partner, asked)
            if not close and method == "GET":
                return 200, self.public(order)
            if close and method == "POST":
                self.close(order)
                return 204, None
        raise ApiError(404, "RESOURCE_NOT_EXISTS", "接口不存在")

    @staticmethod
    def statement_account(caller: str, query: dict) -> str | None:
        """Whose statement: the direct merchant's, one sub-merchant's, or (None) every sub-merchant's."""
        if caller == MCHID:
            return MCHID
        return query.get("sub_mchid", [None])[0]

    def order_of(self, out_trade_no: str, partner: bool, asked: dict) -> dict:
        """An order asked about by its merchant: a direct one by `mchid`, a sub-merchant's by `sp_mchid` and
        `sub_mchid` (another merchant's order does not exist for the caller)."""
        order = self.order(out_trade_no)
        if partner:
            if asked.get("sp_mchid") != SP_MCHID or not asked.get("sub_mchid"):
                raise ApiError(400, "PARAM_ERROR", "sp_mchid 或 sub_mchid 不对")
            if order.get("sub_mchid") != asked["sub_mchid"]:
                raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        else:
            if asked.get("mchid") != MCHID:
                raise ApiError(400, "PARAM_ERROR", "mchid 不对")
            if order.get("mchid") != MCHID:
                raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def certificate(self) -> dict:
        return {"serial_no": self.platform_serial, "effective_time": "2026-01-01T00:00:00+08:00",
                "expire_time": "2036-01-01T00:00:00+08:00",
                "encrypt_certificate": encrypt(self.apiv3_key, self.platform_cert.decode(), "certificate")}

    def prepay(self, trade_type: str, data: dict, partner: bool = False) -> dict:
        if partner:
            if data["sp_mchid"] != SP_MCHID or data["sp_appid"] != SP_APPID:
                raise ApiError(400, "PARAM_ERROR", "sp_appid 和 sp_mchid 不匹配")
            if data.get("sub_mchid") not in SUB_MCHIDS:
                raise ApiError(400, "PARAM_ERROR", "sub_mchid 不是该服务商的特约商户")
            merchant = {"sp_appid": SP_APPID, "sp_mchid": SP_MCHID, "sub_mchid": data["sub_mchid"],
                        **({"sub_appid": data["sub_appid"]} if data.get("sub_appid") else {})}
        elif data["mchid"] != MCHID or data["appid"] != APPID:
            raise ApiError(400, "PARAM_ERROR", "appid 和 mch_id 不匹配")
        else:
            merchant = {"appid": APPID, "mchid": MCHID}
        total = data["amount"]["total"]
        if not isinstance(total, int) or total <= 0:
            raise ApiError(400, "PARAM_ERROR", "amount.total 必须是正整数（分）")
        if trade_type == "h5" and not data.get("scene_info", {}).get("h5_info"):
            raise ApiError(400, "PARAM_ERROR", "H5 支付需要 scene_info.h5_info")
        payer_appid = self.jsapi_appid(data, merchant) if trade_type == "jsapi" else None
        with self.lock:
            no = data["out_trade_no"]
            order = self.orders.get(no)
            if order is not None:
                if order["amount"]["total"] != total or order["trade_type"] != trade_type.upper() \
                        or order.get("sub_mchid") != merchant.get("sub_mchid"):
                    raise ApiError(400, "INVALID_REQUEST", "201 商户订单号重复")
            else:
                prepay_id = "wx" + secrets.token_hex(14)
                url = (f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(8)}" if trade_type == "native"
                       else f"{self.base_url}/sandbox/h5/checkmweb?prepay_id={prepay_id}")
                order = self.orders[no] = {
                    **merchant, "out_trade_no": no, "trade_type": trade_type.upper(),
                    "trade_state": "NOTPAY", "trade_state_desc": "订单未支付", "description": data["description"],
                    "amount": {"total": total, "currency": data["amount"].get("currency", "CNY")},
                    "notify_url": data["notify_url"], "time_expire": data.get("time_expire"), "url": url,
                    **({"prepay_id": prepay_id, "payer_appid": payer_appid} if payer_appid else {})}
                self.by_url[url] = no
                if payer_appid:
                    self.by_url[f"prepay_id={prepay_id}"] = no
        if trade_type == "jsapi":
            return {"prepay_id": order["prepay_id"]}
        return {"code_url": order["url"]} if trade_type == "native" else {"h5_url": order["url"]}

    @staticmethod
    def jsapi_appid(data: dict, merchant: dict) -> str:
        """The official account whose openid a JSAPI order names, the appId its getBrandWCPayRequest must carry:
        a direct merchant's `payer.openid` (of its appid); a sub-merchant's `payer.sub_openid` (of the sub_appid
        the order names) or `payer.sp_openid` (of the sp_appid)."""
        payer = data.get("payer") or {}
        if "appid" in merchant and payer.get("openid"):
            return merchant["appid"]
        if "sp_appid" in merchant and payer.get("sub_openid"):
            if not merchant.get("sub_appid"):
                raise ApiError(400, "PARAM_ERROR", "sub_openid 需要 sub_appid")
            return merchant["sub_appid"]
        if "sp_appid" in merchant and payer.get("sp_openid"):
            return merchant["sp_appid"]
        raise ApiError(400, "PARAM_ERROR", "JSAPI 支付需要 payer 的 openid")

    def order(self, out_trade_no: str) -> dict:
        if out_trade_no not in self.orders:
            raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return self.orders[out_trade_no]

    @staticmethod
    def public(order: dict) -> dict:
        """An order as the query API answers it."""
        hidden = ("notify_url", "url", "time_expire", "refunded", "prepay_id", "payer_appid")
        return {key: value for key, value in order.items() if key not in hidden}

    def close(self, order: dict) -> None:
        with self.lock:
            if order["trade_state"] in ("SUCCESS", "REFUND"):
                raise ApiError(400, "ORDERPAID", "订单已支付")
            order.update(trade_state="CLOSED", trade_state_desc="订单已关闭")

    def refund(self, data: dict, caller: str = MCHID) -> dict:
        """A refund of the caller's order: a direct merchant's own, a service provider's of the sub-merchant
        `sub_mchid` names."""
        sub_mchid = data.get("sub_mchid") if caller == SP_MCHID else None
        with self.lock:
            if (known := self.refunds.get(data["out_refund_no"])) is not None:
                return self.public_refund(known)
            order = next((o for o in self.orders.values() if o.get("transaction_id") == data.get("transaction_id")
                          or o["out_trade_no"] == data.get("out_trade_no")), None)
            if order is not None and order.get("sub_mchid") != sub_mchid:
                order = None  # another merchant's
            if order is None or order["trade_state"] not in ("SUCCESS", "REFUND"):
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
            amount = data["amount"]
            if amount["total"] != order["amount"]["total"]:
                raise ApiError(400, "PARAM_ERROR", "amount.total 与订单金额不一致")
            left = order["amount"]["total"] - order.get("refunded", 0)
            if not isinstance(amount["refund"], int) or not 0 < amount["refund"] <= left:
                raise ApiError(400, "NOT_ENOUGH", "申请退款金额超过订单可退金额")
            order["refunded"] = order.get("refunded", 0) + amount["refund"]
            order.update(trade_state="REFUND", trade_state_desc="转入退款")
            refund = self.refunds[data["out_refund_no"]] = {
                "refund_id": "50300" + str(secrets.randbelow(10 ** 23)).zfill(23),
                "out_refund_no": data["out_refund_no"], "transaction_id": order["transaction_id"],
                "out_trade_no": order["out_trade_no"], "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
                **({"sub_mchid": sub_mchid} if sub_mchid else {}),
                "create_time": datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds"),
                "status": "PROCESSING", "notify_url": data.get("notify_url") or order["notify_url"],
                "amount": {"total": amount["total"], "refund": amount["refund"], "payer_total": amount["total"],
                           "payer_refund": amount["refund"], "currency": "CNY"}}
        threading.Thread(target=self.settle_refund, args=(refund,), daemon=True).start()
        return self.public_refund(refund)

    @staticmethod
    def public_refund(refund: dict) -> dict:
        return {key: value for key, value in refund.items() if key != "notify_url"}

    def settle_refund(self, refund: dict) -> None:
        """The refund reaches the payer: SUCCESS, and its notification until it is answered 2xx."""
        time.sleep(REFUND_SECONDS)
        with self.lock:
            refund.update(status="SUCCESS", success_time=datetime.now(timezone(timedelta(hours=8))).isoformat(
                timespec="seconds"))
        merchant = {"sp_mchid": SP_MCHID, "sub_mchid": refund["sub_mchid"]} if refund.get("sub_mchid") \
            else {"mchid": MCHID}
        resource = {**merchant, "refund_status": "SUCCESS",
                    **{k: refund[k] for k in ("out_trade_no", "transaction_id", "out_refund_no", "refund_id",
                                              "success_time", "user_received_account", "amount")}}
        for delay in (0, *RETRY_DELAYS):
            time.sleep(delay)
            if 200 <= self.post_event(refund["notify_url"], "REFUND.SUCCESS", "refund", resource) < 300:
                return

    # -- the statement (对账单) -----------------------------------------------------------------
    def statement_lines(self, day: str, account: str | None = MCHID) -> list[dict]:
        """The payments and settled refunds of a Beijing day of one account (the direct merchant's, a
        sub-merchant's; None: every sub-merchant's), with the test's changes."""
        found = []
        with self.lock:
            for order in self.orders.values():
                if order.get("success_time", "")[:10] == day:
                    found.append({**statements.line(
                        "payment", _bill_time(order["success_time"]), order["out_trade_no"], order["transaction_id"],
                        order["amount"]["total"], order["description"]), "account": _account(order)})
            for refund in self.refunds.values():
                if refund["status"] == "SUCCESS" and refund.get("success_time", "")[:10] == day:
                    order = self.orders[refund["out_trade_no"]]
                    found.append({**statements.line(
                        "refund", _bill_time(refund["success_time"]), refund["out_trade_no"],
                        refund["transaction_id"], refund["amount"]["refund"], order["description"],
                        refund["out_refund_no"], refund["refund_id"]), "account": _account(order)})
        lines = [{**found, "account": found.get("account") or MCHID} for found in self.changes.apply(day, found)]
        return [found for found in lines if found["account"] == account
                or (account is None and found["account"] in SUB_MCHIDS)]

    def trade_bill(self, day: str, bill_type: str, tar_type: str, account: str | None = MCHID) -> dict:
        datetime.strptime(day, "%Y-%m-%d")
        if bill_type not in ("ALL", "SUCCESS", "REFUND") or tar_type not in ("", "GZIP"):
            raise ApiError(400, "PARAM_ERROR", "bill_type 或 tar_type 不对")
        lines = [found for found in self.statement_lines(day, account)
                 if bill_type == "ALL" or (found["kind"] == "refund") == (bill_type == "REFUND")]
        if not lines:
            raise ApiError(400, "NO_STATEMENT_EXIST", "当日无交易，账单不存在")
        text = trade_bill_file(lines).encode()
        token = secrets.token_urlsafe(16)
        self.bills[token] = gzip.compress(text) if tar_type == "GZIP" else text
        return {"hash_type": "SHA1", "hash_value": hashlib.sha1(text).hexdigest(),
                "download_url": f"{self.base_url}/v3/billdownload/file?token={token}"}

    # -- the customer's side, for tests -------------------------------------------------------
    def control(self, method: str, path: str, data: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/sandbox/statement":
            return 200, self.changes.change(data)
        if method == "POST" and path == "/sandbox/down":
            self.down = bool(data.get("down"))
            return 200, {"down": self.down}
        if method == "GET" and path.startswith("/sandbox/orders/"):
            try:
                return 200, self.order(path.rsplit("/", 1)[1])
            except ApiError as exc:
                return exc.status, {"code": exc.code}
        if method == "POST" and path == "/sandbox/pay":
            return self.pay(data["url"], int(data.get("deliveries", 1)))
        if method == "POST" and path == "/sandbox/jsapi/pay":
            return self.jsapi_pay(data, int(data.get("deliveries", 1)))
        return 404, {"code": "RESOURCE_NOT_EXISTS"}

    def cashier(self, start_response, method: str, path: str, form: dict) -> list[bytes]:
        """The H5 cashier page and its pay button (what WeChat Pay shows in the phone's browser)."""
        prepay_id, back = form.get("prepay_id", [""])[0], form.get("redirect_url", [""])[0]
        url = f"{self.base_url}/sandbox/h5/checkmweb?prepay_id={prepay_id}"
        order = self.orders.get(self.by_url.get(url, ""))
        if order is None:
            return _page(start_response, 404, "<p>订单不存在</p>")
        if method == "POST" and path == "/sandbox/h5/pay":
            status, answer = self.pay(url, 1)
            if status != 200 or not back.startswith(("http://", "https://")):
                return _page(start_response, status, f"<p>{html.escape(answer.get('message', '支付完成'))}</p>")
            start_response("303 See Other", [("Location", back), ("Content-Length", "0")])
            return [b""]
        total = order["amount"]["total"]
        return _page(start_response, 200, (
            f"<h1>微信支付</h1><p>{html.escape(order['description'])}</p>"
            f"<p class=amount>¥{total // 100}.{total % 100:02d}</p>"
            f"<form method=post action=/sandbox/h5/pay><input type=hidden name=prepay_id "
            f"value=\"{html.escape(prepay_id)}\"><input type=hidden name=redirect_url value=\"{html.escape(back)}\">"
            f"<button type=submit>确认支付</button></form>"))

    def jsapi_pay(self, request: dict, deliveries: int) -> tuple[int, dict]:
        """What WeChat does with a page's getBrandWCPayRequest: the paySign must verify with the merchant's
        public key (its certificate) over "appId\ntimeStamp\nnonceStr\npackage\n", signType RSA, and appId be
        the account of the order's payer; then the owner pays as on any order."""
        fields = [str(request.get(name, "")) for name in ("appId", "timeStamp", "nonceStr", "package")]
        order = self.orders.get(self.by_url.get(fields[3], ""))
        if order is None:
            return 404, {"code": "ORDER_NOT_EXIST", "message": "prepay_id 不存在"}
        if request.get("signType") != "RSA" or fields[0] != order["payer_appid"]:
            return 400, {"code": "PARAM_ERROR", "message": "appId 或 signType 不对"}
        try:
            self.merchant_key.verify(b64decode(str(request.get("paySign", ""))), ("\n".join(fields) + "\n").encode(),
                                     padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return 400, {"code": "SIGN_ERROR", "message": "支付验证签名失败"}
        return self.pay(fields[3], deliveries)

    def pay(self, url: str, deliveries: int) -> tuple[int, dict]:
        with self.lock:
            order = self.orders.get(self.by_url.get(url, ""))
            if order is None:
                return 404, {"code": "ORDER_NOT_EXIST"}
            expire = order["time_expire"] and datetime.fromisoformat(order["time_expire"])
            if order["trade_state"] == "NOTPAY" and expire and expire < datetime.now(UTC):
                return 400, {"code": "ORDER_EXPIRED", "message": "二维码已过期"}
            if order["trade_state"] not in ("NOTPAY", "SUCCESS"):
                return 400, {"code": "ORDER_CLOSED", "message": "订单已关闭"}
            if order["trade_state"] == "NOTPAY":
                order.update(trade_state="SUCCESS", trade_state_desc="支付成功",
                             transaction_id="42000" + str(secrets.randbelow(10 ** 23)).zfill(23),
                             success_time=datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds"),
                             payer={"openid": "oSandbox" + secrets.token_hex(10)}, bank_type="OTHERS")
                order["amount"].update(payer_total=order["amount"]["total"], payer_currency="CNY")
        statuses = [self.notify(order) for _ in range(deliveries)]
        return 200, {"order": self.public(order), "deliveries": statuses}

    def notify(self, order: dict) -> int:
        """One TRANSACTION.SUCCESS notification to the order's notify_url; the merchant's HTTP status."""
        return self.post_event(order["notify_url"], "TRANSACTION.SUCCESS", "transaction", self.public(order))

    def post_event(self, url: str, event_type: str, original_type: str, resource: dict) -> int:
        """One notification: `resource` encrypted with the APIv3 key, the body signed; the merchant's status."""
        sealed = encrypt(self.apiv3_key, json.dumps(resource, ensure_ascii=False), original_type)
        body = json.dumps({"id": secrets.token_hex(16),
                           "create_time": datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds"),
                           "resource_type": "encrypt-resource", "event_type": event_type,
                           "summary": "支付成功" if original_type == "transaction" else "退款成功",
                           "resource": {"original_type": original_type, **sealed}}, ensure_ascii=False)
        headers = {"Content-Type": "application/json",
                   **signed_headers(self.platform_key, self.platform_serial, body)}
        try:
            return requests.post(url, data=body.encode(), headers=headers, timeout=10).status_code
        except requests.RequestException:
            return 0


BILL_COLUMNS = tuple(("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,"
                      "用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,"
                      "微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
                      "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注").split(","))
SUMMARY_COLUMNS = tuple(("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,"
                         "订单总金额,申请退款总金额").split(","))


def _account(order: dict) -> str:
    return order.get("sub_mchid") or order["mchid"]


def _yuan(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _bill_time(iso: str) -> str:
    return iso[:19].replace("T", " ")


def trade_bill_file(lines: list[dict]) -> str:
    """A trade statement (bill_type ALL) as WeChat Pay writes it: every field of a row prefixed with a backtick."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BILL_COLUMNS)
    for found in lines:
        refund = found["kind"] == "refund"
        amount = _yuan(found["amount_fen"])
        partner = found.get("account", MCHID) != MCHID
        row = (found["time"], SP_APPID if partner else APPID, SP_MCHID if partner else MCHID,
               found["account"] if partner else "0", "", found["transaction_id"], found["out_trade_no"], "oSandbox",
               "NATIVE", "REFUND" if refund else "SUCCESS", "OTHERS", "CNY", "0.00" if refund else amount, "0.00",
               found["refund_id"] if refund else "0", found["out_refund_no"] if refund else "0",
               amount if refund else "0.00", "0.00", "ORIGINAL" if refund else "", "SUCCESS" if refund else "",
               found["description"], "", _yuan(found["fee_fen"]), "0.60%", "0.00" if refund else amount,
               amount if refund else "0.00", "")
        writer.writerow([f"`{field}" for field in row])
    payments = [found for found in lines if found["kind"] == "payment"]
    refunded = sum(found["amount_fen"] for found in lines if found["kind"] == "refund")
    writer.writerow(SUMMARY_COLUMNS)
    collected = sum(found["amount_fen"] for found in payments)
    writer.writerow([f"`{field}" for field in (
        len(lines), _yuan(collected), _yuan(refunded), "0.00", _yuan(sum(found["fee_fen"] for found in lines)),
        _yuan(collected), _yuan(refunded))])
    return out.getvalue()


BRIDGE = """// WeChat's in-page bridge as the sandbox stands it in (never in production): getBrandWCPayRequest hands
// the signed parameters to the sandbox, which checks the paySign and pays the order as the owner would.
(function () {
  var sandbox = SANDBOX_URL;
  window.WeixinJSBridge = {
    invoke: function (name, params, callback) {
      if (name !== "getBrandWCPayRequest") { callback({err_msg: name + ":fail"}); return; }
      fetch(sandbox + "/sandbox/jsapi/pay", {method: "POST", headers: {"Content-Type": "text/plain"},
                                              body: JSON.stringify(params)})
        .then(function (reply) { callback({err_msg: "get_brand_wcpay_request:" + (reply.ok ? "ok" : "fail")}); })
        .catch(function () { callback({err_msg: "get_brand_wcpay_request:fail"}); });
    }
  };
  document.dispatchEvent(new Event("WeixinJSBridgeReady"));
})();
"""


def _script(start_response, text: str) -> list[bytes]:
    data = text.encode()
    start_response("200 OK", [("Content-Type", "text/javascript; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


def _file(start_response, data: bytes | None) -> list[bytes]:
    """A statement file (unsigned, as WeChat Pay serves it); an unknown or used token: 404."""
    if data is None:
        return _reply(start_response, 404, json.dumps({"code": "RESOURCE_NOT_EXISTS", "message": "账单链接已失效"}), {})
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(data)))])
    return [data]


def _reply(start_response, status: int, text: str, headers: dict) -> list[bytes]:
    reasons = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
               500: "Internal Server Error"}
    data = text.encode()
    start_response(f"{status} {reasons.get(status, 'Error')}",
                   [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data))),
                    *headers.items()])
    return [data]


def _page(start_response, status: int, body: str) -> list[bytes]:
    data = (f"<!doctype html><html lang=zh-CN><meta charset=utf-8><meta name=viewport "
            f"content=\"width=device-width\"><title>微信支付</title>{body}</html>").encode()
    start_response(f"{status} {'OK' if status == 200 else 'Error'}",
                   [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


def serve(folder: Path, host: str, on_port: int) -> None:
    sandbox = Sandbox(folder, f"http://{host}:{on_port}")
    with wsgi_server(sandbox, host, on_port) as server:
        server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="WeChat Pay API v3 sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port())
    parser.add_argument("--dir", type=Path, default=config.data_dir() / "sandboxes" / "wechatpay")
    args = parser.parse_args()
    serve(args.dir, args.host, args.port)


if __name__ == "__main__":
    main()
