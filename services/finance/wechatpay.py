"""WeChat Pay API v3 (直连商户) through the kept SDK `wechatpayv3`: Native (QR) and H5 prepay, order
query and close, and the verification and decryption of the asynchronous notification.

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

import json
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core

from services.common.config import WeChatPaySettings

from .providers import ProviderError, RefundAsk, RefundState, Rejected, Transaction

log = logging.getLogger(__name__)

NOTIFICATION_MAX_AGE = 300  # seconds; WeChat Pay's guidance against replayed notifications
CHINA = timezone(timedelta(hours=8))
CHANNELS = {"qr": (WeChatPayType.NATIVE, "code_url"), "h5": (WeChatPayType.H5, "h5_url")}
TRADE_STATES = {"SUCCESS": "paid", "NOTPAY": "unpaid", "USERPAYING": "unpaid", "CLOSED": "closed",
                "REVOKED": "closed", "PAYERROR": "closed", "REFUND": "paid"}
REFUND_STATES = {"SUCCESS": "succeeded", "PROCESSING": "pending", "CLOSED": "failed", "ABNORMAL": "failed"}


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
        self._notify_url, self._partner_mode = settings.notify_url, False
        self._core = _Core(settings.base_url, mchid=settings.mchid, cert_serial_no=settings.cert_serial_no,
                           private_key=Path(settings.private_key_file).read_text(encoding="utf-8"),
                           apiv3_key=settings.apiv3_key,
                           cert_dir=settings.platform_cert_dir, timeout=settings.timeout, logger=None)


class WeChatPayProvider:
    name = "wechat"
    ack = None  # WeChat Pay takes an empty 200/204 as received

    def __init__(self, settings: WeChatPaySettings):
        self.settings = settings
        self._client: _Client | None = None
        self._lock = threading.Lock()

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
               client_ip: str | None) -> str:
        """A Native order's `code_url` or an H5 order's `h5_url`."""
        pay_type, url_key = CHANNELS[channel]
        scene = {"payer_client_ip": client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}} if channel == "h5" else None
        _, answer = self._call("pay", description=description[:127], out_trade_no=out_trade_no,
                               amount={"total": amount_fen, "currency": "CNY"}, pay_type=pay_type,
                               time_expire=expires_at.astimezone(CHINA).isoformat(timespec="seconds"),
                               scene_info=scene)
        if not answer.get(url_key):
            raise ProviderError(0, "answer_without_url")
        return answer[url_key]

    def query(self, out_trade_no: str) -> Transaction:
        """The order as WeChat Pay holds it."""
        return _transaction(self._call("query", out_trade_no=out_trade_no)[1])

    def close(self, out_trade_no: str) -> None:
        self._call("close", out_trade_no=out_trade_no)

    def refund(self, ask: RefundAsk) -> RefundState:
        """Ask WeChat Pay to refund (part of) a paid order; deduplicated by `out_refund_no`. Its answer is
        usually PROCESSING: the REFUND.SUCCESS notification (or a query) settles it."""
        _, answer = self._call("refund", out_refund_no=ask.out_refund_no, transaction_id=ask.transaction_id,
                               amount={"refund": ask.amount_fen, "total": ask.total_fen, "currency": "CNY"},
                               reason=ask.reason[:80], notify_url=self.settings.notify_url)
        return _refund_state(answer)

    def query_refund(self, ask: RefundAsk) -> RefundState:
        """The refund as WeChat Pay holds it; one it never received (the first ask was lost) is asked again."""
        try:
            return _refund_state(self._call("query_refund", out_refund_no=ask.out_refund_no)[1])
        except ProviderError as exc:
            if exc.status != 404:
                raise
        return self.refund(ask)

    def verify(self, headers: dict[str, str], body: str) -> Transaction | RefundState:
        """The decrypted transaction of a TRANSACTION.SUCCESS notification, or the refund of a REFUND.*
        one; `Rejected` unless its signature verifies with a platform certificate, it is recent and
        decrypts with the APIv3 key."""
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
        if event.startswith("REFUND."):
            if resource.get("mchid") != self.settings.mchid:
                raise Rejected("another merchant's refund")
            return _refund_state(resource)
        if event != "TRANSACTION.SUCCESS":
            raise Rejected(f"event {event} not handled")
        if resource.get("mchid") != self.settings.mchid or resource.get("appid") != self.settings.appid:
            raise Rejected("another merchant's transaction")
        return _transaction(resource)


def _transaction(order: dict) -> Transaction:
    return Transaction(out_trade_no=order["out_trade_no"], state=TRADE_STATES.get(order.get("trade_state", ""),
                                                                                  "unpaid"),
                       amount_fen=int(order["amount"]["total"]), transaction_id=order.get("transaction_id"))


def _refund_state(refund: dict) -> RefundState:
    status = refund.get("status") or refund.get("refund_status") or ""  # the API's name / the notification's
    return RefundState(out_refund_no=refund["out_refund_no"], state=REFUND_STATES.get(status, "pending"),
                       refund_id=refund.get("refund_id"))
