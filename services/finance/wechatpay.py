"""WeChat Pay API v3 through the kept SDK `wechatpayv3`, as a direct merchant (直连商户) or as a service
provider's sub-merchant (服务商模式, when the settings name a `sub_mchid`: the partner paths
`/v3/pay/partner/transactions/native|h5|jsapi`, `…/partner/transactions/out-trade-no/{no}?sp_mchid=&sub_mchid=`, its
close, refunds and their query with `sub_mchid`, the trade statement of that sub-merchant alone, notifications
whose resource names sp_mchid/sp_appid/sub_mchid; pay.weixin.qq.com/docs/partner/apis/partner-native-payment/ and
…/partner-h5-payment/get-trade-bill.html): Native (QR), H5 and JSAPI (in WeChat's own browser,
with the payer's openid; the page's getBrandWCPayRequest parameters signed here) prepay, order
query and close, refunds, the verification and decryption of the asynchronous notification, and the
daily trade statement (对账单: `GET /v3/bill/tradebill` → its `download_url`, the gzip file checked
against the SHA1 it names, then parsed by `parse_trade_bill`).

Configured from the environment (`services.common.config.WeChatPaySettings`; keys never in the database):
`WECHATPAY_MCHID`, `WECHATPAY_APPID`,
`WECHATPAY_CERT_SERIAL_NO` (the merchant API certificate's serial), `WECHATPAY_PRIVATE_KEY_FILE`
(its private key, PEM), `WECHATPAY_APIV3_KEY`, `WECHATPAY_PLATFORM_CERT_DIR` (platform certificates
as PEM files; without it they are downloaded from `/v3/certificates` and kept in memory),
`WECHATPAY_BASE_URL` (default the real `https://api.mch.weixin.qq.com`; `make run` and the tests
point it at deploy/sandboxes/wechatpay.py), `WECHATPAY_NOTIFY_URL` (the public URL of
`POST /v1/payments/notify/wechat`), `WECHATPAY_TIMEOUT` (seconds per call). Without `WECHATPAY_MCHID`
WeChat Pay is not configured and every intent is refused as the provider being unavailable.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import secrets
import threading
import time
from base64 import b64encode
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core

from services.common.config import WeChatPaySettings

from .providers import (JsapiAccount, ProviderError, RefundAsk, RefundState, Rejected, Statement, StatementLine,
                        Transaction, signed_fen)

log = logging.getLogger(__name__)

NOTIFICATION_MAX_AGE = 300  # seconds; WeChat Pay's guidance against replayed notifications
CHINA = timezone(timedelta(hours=8))
CHANNELS = {"qr": (WeChatPayType.NATIVE, "code_url"), "h5": (WeChatPayType.H5, "h5_url"),
            "jsapi": (WeChatPayType.JSAPI, "prepay_id")}
TRADE_STATES = {"SUCCESS": "paid", "NOTPAY": "unpaid", "USERPAYING": "unpaid", "CLOSED": "closed",
                "REVOKED": "closed", "PAYERROR": "closed", "REFUND": "paid"}
REFUND_STATES = {"SUCCESS": "succeeded", "PROCESSING": "pending", "CLOSED": "failed", "ABNORMAL": "failed"}
NO_STATEMENT = "NO_STATEMENT_EXIST"  # WeChat Pay's answer for a day without a single transaction


class _Core(Core):
    """The SDK's transport, sent to `base_url`: the SDK names the production host in `__init__`."""

    def __init__(self, base_url: str, **kwargs):
        self._base_url = base_url
        super().__init__(**kwargs)

    @property
    def _gate_way(self) -> str:
        return self._base_url

    @_gate_way.setter
    def _gate_way(self, _production: str) -> None:
        pass


class _Client(WeChatPay):
    """`WeChatPay` over `_Core` (the attributes its `__init__` sets, in direct-merchant mode)."""

    def __init__(self, settings: WeChatPaySettings):  # not super().__init__: it would build the production Core
        self._type, self._mchid, self._appid = WeChatPayType.NATIVE, settings.mchid, settings.appid
        self._notify_url, self._partner_mode = settings.notify_url, bool(settings.sub_mchid)
        self._core = _Core(settings.base_url, mchid=settings.mchid, cert_serial_no=settings.cert_serial_no,
                           private_key=Path(settings.private_key_file).read_text(encoding="utf-8"),
                           apiv3_key=settings.apiv3_key,
                           cert_dir=settings.platform_cert_dir, timeout=settings.timeout, logger=None)


class WeChatPayProvider:
    name = "wechat"
    ack = None  # WeChat Pay takes an empty 200/204 as received

    def __init__(self, settings: WeChatPaySettings):
        self.settings = settings
        self.partner = bool(settings.sub_mchid)
        self.merchant_id = settings.sub_mchid or settings.mchid
        """The account the money lands on: the sub-merchant's 特约商户号, or the direct merchant's 商户号."""
        self.verifier = (settings.base_url, settings.mchid, settings.apiv3_key)
        """Accounts with the same verifier verify each other's notifications (a service provider's sub-merchants)."""
        self._client: _Client | None = None
        self._key: RSAPrivateKey | None = None
        self._lock = threading.Lock()
        self._sub = {"sub_mchid": settings.sub_mchid} if self.partner else {}

    def shown(self) -> dict:
        """The account as the console shows it: its ids, never a key."""
        if self.partner:
            return {"mode": "partner", "merchant_id": self.settings.sub_mchid, "sp_mchid": self.settings.mchid,
                    "appid": self.settings.sub_appid or self.settings.appid}
        return {"mode": "direct", "merchant_id": self.settings.mchid, "appid": self.settings.appid}

    def _sdk(self) -> _Client:
        """Built at first use: building downloads the platform certificates (the provider may be down)."""
        with self._lock:
            if self._client is None:
                self._client = _Client(self.settings)
            return self._client

    def _call(self, what: str, *args, **kwargs) -> tuple[int, dict]:
        try:
            status, text = getattr(self._sdk(), what)(*args, **kwargs)
        except requests.RequestException as exc:
            raise ProviderError(0, type(exc).__name__) from exc
        except Exception as exc:  # the SDK raises bare Exceptions (an unsigned answer, no certificate)
            raise ProviderError(0, "unverified", str(exc)[:100]) from exc
        try:
            answer = json.loads(text) if text else {}
        except ValueError:  # not JSON (a proxy's error page): only its status says anything
            answer = {}
        if status >= 300:
            raise ProviderError(status, str(answer.get("code", "ERROR")), str(answer.get("message", "")))
        return status, answer

    def prepay(self, channel: str, out_trade_no: str, description: str, amount_fen: int, expires_at: datetime,
               client_ip: str | None, payer: dict | None = None) -> str:
        """A Native order's `code_url`, an H5 order's `h5_url`, or a JSAPI order's `package`
        (`prepay_id=…`, what the page hands to getBrandWCPayRequest). A JSAPI order needs the payer
        (`{"appid", "openid"}`: the official account and the openid the owner has there)."""
        pay_type, url_key = CHANNELS[channel]
        scene = {"payer_client_ip": client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}} if channel == "h5" else None
        extra = {"payer": self.jsapi_payer(**(payer or {}))} if channel == "jsapi" else {}
        _, answer = self._call("pay", description=description[:127], out_trade_no=out_trade_no,
                               amount={"total": amount_fen, "currency": "CNY"}, pay_type=pay_type,
                               time_expire=expires_at.astimezone(CHINA).isoformat(timespec="seconds"),
                               scene_info=scene, sub_appid=self.settings.sub_appid or None, **self._sub, **extra)
        if not answer.get(url_key):
            raise ProviderError(0, "answer_without_url")
        return f"prepay_id={answer[url_key]}" if channel == "jsapi" else answer[url_key]

    def jsapi_payer(self, appid: str = "", openid: str = "") -> dict:
        """The JSAPI order's `payer` for an openid of the official account `appid`: a direct merchant's
        `openid` (of its own appid); a sub-merchant's `sub_openid` when it is of the sub_appid, `sp_openid`
        when of the service provider's sp_appid (pay.weixin.qq.com/docs/partner/apis/partner-jsapi-payment/
        partner-jsapi-prepay.html). An openid of any other account cannot pay this merchant: JsapiAccount."""
        if not openid:
            raise JsapiAccount("no openid")
        if self.partner and self.settings.sub_appid and appid == self.settings.sub_appid:
            return {"sub_openid": openid}
        if appid == self.settings.appid:
            return {"sp_openid": openid} if self.partner else {"openid": openid}
        raise JsapiAccount(f"openid of {appid} cannot pay at this merchant")

    def jsapi_params(self, appid: str, package: str, now: float | None = None) -> dict:
        """What the page passes to `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` (JSAPI调起支付): paySign
        is RSA-SHA256 with the merchant's private key over "appId\ntimeStamp\nnonceStr\npackage\n", base64."""
        stamp, nonce = str(int(time.time() if now is None else now)), secrets.token_hex(16)
        message = f"{appid}\n{stamp}\n{nonce}\n{package}\n".encode()
        signature = self._private_key().sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {"appId": appid, "timeStamp": stamp, "nonceStr": nonce, "package": package, "signType": "RSA",
                "paySign": b64encode(signature).decode()}

    def _private_key(self) -> RSAPrivateKey:
        """The merchant's API key, read from its file (signing calls nobody: no certificate download)."""
        with self._lock:
            if self._key is None:
                key = serialization.load_pem_private_key(Path(self.settings.private_key_file).read_bytes(), None)
                if not isinstance(key, RSAPrivateKey):
                    raise ProviderError(0, "merchant_key_not_rsa")
                self._key = key
            return self._key

    def query(self, out_trade_no: str) -> Transaction:
        """The order as WeChat Pay holds it."""
        return _transaction(self._call("query", out_trade_no=out_trade_no, **self._sub)[1])

    def close(self, out_trade_no: str) -> None:
        self._call("close", out_trade_no=out_trade_no, **self._sub)

    def refund(self, ask: RefundAsk) -> RefundState:
        """Ask WeChat Pay to refund (part of) a paid order; deduplicated by `out_refund_no`. Its answer is
        usually PROCESSING: the REFUND.SUCCESS notification (or a query) settles it."""
        _, answer = self._call("refund", out_refund_no=ask.out_refund_no, transaction_id=ask.transaction_id,
                               amount={"refund": ask.amount_fen, "total": ask.total_fen, "currency": "CNY"},
                               reason=ask.reason[:80], notify_url=self.settings.notify_url, **self._sub)
        return _refund_state(answer)

    def query_refund(self, ask: RefundAsk) -> RefundState:
        """The refund as WeChat Pay holds it; one it never received (the first ask was lost) is asked again."""
        try:
            return _refund_state(self._call("query_refund", out_refund_no=ask.out_refund_no, **self._sub)[1])
        except ProviderError as exc:
            if exc.status != 404:
                raise
        return self.refund(ask)

    def statement(self, day: date) -> Statement:
        """The merchant's trade statement of `day` (bill_type ALL: payments and refunds), downloaded gzipped
        and checked against the hash WeChat Pay gives with its link. A day without transactions has none
        (NO_STATEMENT_EXIST): an empty statement."""
        try:
            _, answer = self._call("trade_bill", bill_date=day.isoformat(), bill_type="ALL", tar_type="GZIP",
                                   **self._sub)  # a sub-merchant's statement alone: one reconciliation per account
        except ProviderError as exc:
            if exc.code != NO_STATEMENT:
                raise
            return Statement(self.name, self.merchant_id, (), {})
        try:
            status, data = self._sdk().download_bill(answer["download_url"])
        except requests.RequestException as exc:
            raise ProviderError(0, type(exc).__name__) from exc
        if status >= 300 or not isinstance(data, bytes):
            raise ProviderError(status if status >= 300 else 502, "statement_download_failed")
        try:
            text = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ProviderError(502, "statement_unreadable") from exc
        if answer.get("hash_type", "SHA1") != "SHA1" or hashlib.sha1(text).hexdigest() != answer.get("hash_value"):
            raise ProviderError(502, "statement_hash_mismatch")
        lines, summary = parse_trade_bill(text.decode("utf-8-sig"))
        return Statement(self.name, self.merchant_id, lines, summary)

    def verify(self, headers: dict[str, str], body: str) -> Transaction | RefundState:
        """The decrypted transaction of a TRANSACTION.SUCCESS notification, or the refund of a REFUND.*
        one; `Rejected` unless its signature verifies with a platform certificate, it is recent,
        decrypts with the APIv3 key and names this merchant (a service provider's: this provider, any of its
        sub-merchants — the answer's `merchant_id` says which)."""
        stamp = headers.get("Wechatpay-Timestamp") or ""
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > NOTIFICATION_MAX_AGE:
            raise Rejected("timestamp missing or outside the accepted window")
        try:
            found = self._sdk().callback(headers, body)
        except requests.RequestException as exc:
            raise ProviderError(0, type(exc).__name__) from exc
        except Exception as exc:  # the SDK's bare Exceptions: unsupported algorithm, malformed serial or JSON
            raise Rejected(f"unreadable: {type(exc).__name__}") from exc
        if not found:
            raise Rejected("signature or decryption failed")
        event, resource = found.get("event_type", ""), found["resource"]
        mchid, appid = ("sp_mchid", "sp_appid") if self.partner else ("mchid", "appid")
        if event.startswith("REFUND."):
            if resource.get(mchid) != self.settings.mchid:
                raise Rejected("another merchant's refund")
            return _refund_state(resource)
        if event != "TRANSACTION.SUCCESS":
            raise Rejected(f"event {event} not handled")
        if resource.get(mchid) != self.settings.mchid or resource.get(appid) != self.settings.appid:
            raise Rejected("another merchant's transaction")
        return _transaction(resource)


def _transaction(order: dict) -> Transaction:
    return Transaction(out_trade_no=order["out_trade_no"], state=TRADE_STATES.get(order.get("trade_state", ""),
                                                                                  "unpaid"),
                       amount_fen=int(order["amount"]["total"]), transaction_id=order.get("transaction_id"),
                       merchant_id=order.get("sub_mchid") or order.get("mchid"))


def _refund_state(refund: dict) -> RefundState:
    status = refund.get("status") or refund.get("refund_status") or ""  # the API's name / the notification's
    return RefundState(out_refund_no=refund["out_refund_no"], state=REFUND_STATES.get(status, "pending"),
                       refund_id=refund.get("refund_id"), merchant_id=refund.get("sub_mchid") or refund.get("mchid"))


def parse_trade_bill(text: str) -> tuple[tuple[StatementLine, ...], dict]:
    """A v3 trade statement (bill_type ALL): a CSV whose header row names the columns (交易时间, 微信订单号,
    商户订单号, 交易状态, 应结订单金额, 微信退款单号, 商户退款单号, 退款金额, 手续费 …), every field of a data
    row prefixed with a backtick, then the summary section (总交易单数, 应结订单总金额, 退款总金额, 手续费总金额 …)
    and its one row. A row whose 交易状态 is REFUND is a refund; amounts are yuan. `ProviderError` when the
    file is not such a statement or its rows disagree with its summary's count."""
    rows = [[field.strip().lstrip("`") for field in row] for row in csv.reader(io.StringIO(text)) if any(row)]
    try:
        detail = rows.index(next(row for row in rows if row and row[0] == "交易时间"))
        total = rows.index(next(row for row in rows if row and row[0] == "总交易单数"))
    except StopIteration:
        raise ProviderError(502, "statement_unreadable") from None
    names, summary_names = rows[detail], rows[total]
    lines = []
    for row in rows[detail + 1:total]:
        field = dict(zip(names, row, strict=False))
        if field.get("交易状态") == "REFUND":
            lines.append(StatementLine("refund", field["商户订单号"], field["微信订单号"],
                                       signed_fen(field["退款金额"]), signed_fen(field.get("手续费", "")),
                                       out_refund_no=field["商户退款单号"],
                                       refund_id=field.get("微信退款单号") or None))
        else:
            lines.append(StatementLine("payment", field["商户订单号"], field["微信订单号"],
                                       signed_fen(field["应结订单金额"]), signed_fen(field.get("手续费", ""))))
    summary = dict(zip(summary_names, rows[total + 1] if len(rows) > total + 1 else [], strict=False))
    if str(len(lines)) != summary.get("总交易单数", "").strip():
        raise ProviderError(502, "statement_inconsistent")
    return tuple(lines), summary
