"""Alipay's open platform (openapi gateway, public-key mode, RSA2) through the kept SDK
`python-alipay-sdk`: 当面付 precreate (a QR code the customer scans at the till), 手机网站支付 wap pay
(a signed link), order query and close, refunds, and the verification of the asynchronous notification.

Configured from the environment (`services.common.config.AlipaySettings`; keys never in the database):
`ALIPAY_APPID`, `ALIPAY_PRIVATE_KEY_FILE` (the app's private key, PEM), `ALIPAY_PUBLIC_KEY_FILE`
(Alipay's public key, PEM: it verifies answers and notifications), `ALIPAY_BASE_URL` (default the
real `https://openapi.alipay.com/gateway.do`; `make run` and the tests point it at
deploy/sandboxes/alipay.py), `ALIPAY_NOTIFY_URL` (the public URL of `POST /v1/payments/notify/alipay`),
`ALIPAY_TIMEOUT` (seconds per call). Without `ALIPAY_APPID` Alipay is not configured.

The SDK answers the `*_response` object after checking its RSA2 signature; Alipay's `code` is then
10000 (done), 20000 (its service failed: treated as down) or 4xxxx with a `sub_code` (refused)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qsl

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig

from services.common.config import AlipaySettings

from .providers import ProviderError, RefundAsk, RefundState, Rejected, Transaction, fen, yuan

CHINA = timezone(timedelta(hours=8))
TRADE_STATES = {"WAIT_BUYER_PAY": "unpaid", "TRADE_SUCCESS": "paid", "TRADE_FINISHED": "paid",
                "TRADE_CLOSED": "closed"}
NOT_FOUND = "ACQ.TRADE_NOT_EXIST"  # a precreated order nobody has scanned yet is unknown to Alipay
SERVICE_FAILED = {"20000", "20001"}


class _BeijingTimeAliPay(AliPay):
    """The SDK stamps a request with the machine's local time; Alipay reads `timestamp` as Beijing time
    (GMT+8), so a server on UTC would send requests stamped eight hours in the past."""

    def build_body(self, method, biz_content=None, **kwargs):
        body = super().build_body(method, biz_content, **kwargs)
        body["timestamp"] = datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        return body


class AlipayProvider:
    name = "alipay"
    ack = "success"  # Alipay retries a notification until it is answered with exactly this text

    def __init__(self, settings: AlipaySettings):
        self.settings = settings
        self._client: AliPay | None = None
        self._lock = threading.Lock()

    def _sdk(self) -> AliPay:
        with self._lock:
            if self._client is None:
                client = _BeijingTimeAliPay(appid=self.settings.appid, app_notify_url=self.settings.notify_url,
                                app_private_key_string=Path(self.settings.private_key_file).read_text("utf-8"),
                                alipay_public_key_string=Path(self.settings.alipay_public_key_file).read_text("utf-8"),
                                sign_type="RSA2", config=AliPayConfig(timeout=self.settings.timeout))
                client._gateway = self.settings.base_url  # the SDK knows only the production and its own sandbox
                self._client = client
            return self._client

    def _call(self, what: str, *, allow: tuple[str, ...] = (), **kwargs) -> dict:
        """The verified `*_response` of one openapi call; `allow`: sub_codes answered rather than raised."""
        try:
            answer = getattr(self._sdk(), f"api_alipay_trade_{what}")(**kwargs)
        except (URLError, TimeoutError, ConnectionError) as exc:
            raise ProviderError(0, type(exc).__name__) from exc
        except AliPayValidationError as exc:
            raise ProviderError(0, "unverified", "the answer's signature did not verify") from exc
        except AliPayException as exc:  # unsigned or an error_response: Alipay failed
            raise ProviderError(502, "unsigned", str(exc)[:100]) from exc
        except ValueError as exc:  # not JSON (a proxy's error page)
            raise ProviderError(502, "unreadable") from exc
        code = str(answer.get("code", ""))
        if code == "10000" or answer.get("sub_code") in allow:
            return answer
        if code in SERVICE_FAILED:
            raise ProviderError(503, answer.get("sub_code") or code, str(answer.get("sub_msg", "")))
        raise ProviderError(400, answer.get("sub_code") or code, str(answer.get("sub_msg", "")))

    def prepay(self, channel: str, out_trade_no: str, description: str, amount_fen: int, expires_at: datetime,
               client_ip: str | None) -> str:
        """qr: the precreated order's `qr_code`; h5: the signed wap-pay link (Alipay opens the order when the
        customer follows it: no call is made now)."""
        order: dict[str, Any] = {
            "subject": description[:256], "out_trade_no": out_trade_no, "total_amount": yuan(amount_fen),
            "notify_url": self.settings.notify_url,
            "time_expire": expires_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")}
        if channel == "h5":
            return f"{self.settings.base_url}?{self._sdk().api_alipay_trade_wap_pay(**order)}"
        answer = self._call("precreate", **order)
        if not answer.get("qr_code"):
            raise ProviderError(0, "answer_without_qr_code")
        return answer["qr_code"]

    def query(self, out_trade_no: str) -> Transaction:
        answer = self._call("query", out_trade_no=out_trade_no, allow=(NOT_FOUND,))
        if answer.get("sub_code") == NOT_FOUND:
            return Transaction(out_trade_no=out_trade_no, state="unpaid", amount_fen=0)
        return _transaction(answer)

    def close(self, out_trade_no: str) -> None:
        self._call("close", out_trade_no=out_trade_no, allow=(NOT_FOUND,))

    def refund(self, ask: RefundAsk) -> RefundState:
        """alipay.trade.refund: done when Alipay answers 10000 (a repeated `out_request_no` is answered
        again, not refunded twice)."""
        answer = self._call("refund", refund_amount=yuan(ask.amount_fen), out_trade_no=ask.out_trade_no,
                            out_request_no=ask.out_refund_no, refund_reason=ask.reason[:256])
        return RefundState(out_refund_no=ask.out_refund_no, state="succeeded", refund_id=answer.get("trade_no"))

    def query_refund(self, ask: RefundAsk) -> RefundState:
        """Alipay documents asking again under the same `out_request_no` as the way to learn a refund's
        outcome after a timeout: it is refunded at most once."""
        return self.refund(ask)

    def verify(self, headers: dict[str, str], body: str) -> Transaction | RefundState:
        """An asynchronous notification (a form): its RSA2 signature over the sorted fields but `sign` and
        `sign_type` must verify with Alipay's public key and it must name our app. A refund's
        notification (it carries `out_biz_no`, the refund's number) is answered as that refund."""
        fields = dict(parse_qsl(body, keep_blank_values=True))
        signature = fields.pop("sign", "")
        if not signature or fields.get("sign_type", "RSA2") != "RSA2":
            raise Rejected("unsigned or not RSA2")
        try:
            verified = self._sdk().verify(dict(fields), signature)
        except (ValueError, TypeError, AliPayException) as exc:
            raise Rejected(f"unreadable: {type(exc).__name__}") from exc
        if not verified:
            raise Rejected("signature failed")
        if fields.get("app_id") != self.settings.appid:
            raise Rejected("another app's notification")
        if fields.get("out_biz_no") and fields.get("refund_fee"):
            return RefundState(out_refund_no=fields["out_biz_no"], state="succeeded", refund_id=fields.get("trade_no"))
        try:
            return _transaction(fields)
        except (KeyError, ArithmeticError, ValueError) as exc:
            raise Rejected(f"incomplete: {type(exc).__name__}") from exc


def _transaction(order: dict) -> Transaction:
    return Transaction(out_trade_no=order["out_trade_no"], state=TRADE_STATES.get(order.get("trade_status", ""),
                                                                                  "unpaid"),
                       amount_fen=fen(order["total_amount"]), transaction_id=order.get("trade_no"))
