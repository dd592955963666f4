"""Alipay's open platform (openapi gateway, public-key mode, RSA2) through the kept SDK
`python-alipay-sdk`: 当面付 precreate (a QR code the customer scans at the till), 手机网站支付 wap pay
(a signed link), order query and close, refunds, the verification of the asynchronous notification, and
the daily trade statement (对账单: `alipay.data.dataservice.bill.downloadurl.query` bill_type trade → its
`bill_download_url`, valid for 30 seconds → a zip of GBK CSV files, the detail and its summary, parsed by
`parse_trade_bill`).

Configured from the environment (`services.common.config.AlipaySettings`; keys never in the database):
`ALIPAY_APPID`, `ALIPAY_PRIVATE_KEY_FILE` (the app's private key, PEM), `ALIPAY_PUBLIC_KEY_FILE`
(Alipay's public key, PEM: it verifies answers and notifications), `ALIPAY_BASE_URL` (default the
real `https://openapi.alipay.com/gateway.do`; `make run` and the tests point it at
deploy/sandboxes/alipay.py), `ALIPAY_NOTIFY_URL` (the public URL of `POST /v1/payments/notify/alipay`),
`ALIPAY_TIMEOUT` (seconds per call). Without `ALIPAY_APPID` Alipay is not configured. A store whose own
merchant granted the chain's app 第三方应用授权 has its `app_auth_token` (and that merchant's `auth_app_id`) in
its keys file: every call then carries the token as a public parameter (opendocs.alipay.com, 第三方应用授权:
代调用), the money is that merchant's, its notifications name it as `auth_app_id`, its statement is its own.

The SDK answers the `*_response` object after checking its RSA2 signature; Alipay's `code` is then
10000 (done), 20000 (its service failed: treated as down) or 20001/4xxxx with a `sub_code` (refused)."""
from __future__ import annotations

import csv
import dataclasses
import io
import threading
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qsl

import requests

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig

from services.common.config import AlipaySettings

from .providers import (ProviderError, RefundAsk, RefundState, Rejected, Statement, StatementLine, Transaction, fen,
                        signed_fen, yuan)

CHINA = timezone(timedelta(hours=8))
TRADE_STATES = {"WAIT_BUYER_PAY": "unpaid", "TRADE_SUCCESS": "paid", "TRADE_FINISHED": "paid",
                "TRADE_CLOSED": "closed"}
NOT_FOUND = "ACQ.TRADE_NOT_EXIST"  # a precreated order nobody has scanned yet is unknown to Alipay
SERVICE_FAILED = {"20000"}
"""Alipay's own failure (服务不可用): down. 20001 (授权权限不足: a store's app_auth_token revoked or lacking the
product) is a refusal: asking again will not help until the merchant grants it again."""
NO_BILL = ("isp.bill_not_exist", "BILL_NOT_EXIST")  # a day without transactions has no statement
BILL_QUERY = "alipay.data.dataservice.bill.downloadurl.query"


class _BeijingTimeAliPay(AliPay):
    """The SDK stamps a request with the machine's local time; Alipay reads `timestamp` as Beijing time
    (GMT+8), so a server on UTC would send requests stamped eight hours in the past. With an
    `app_auth_token` every request carries it (the SDK's ISVAliPay would, but could not be given it without
    also exchanging codes)."""
    app_auth_token = ""

    def build_body(self, method, biz_content=None, **kwargs):
        body = super().build_body(method, biz_content, **kwargs)
        body["timestamp"] = datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        if self.app_auth_token:
            body["app_auth_token"] = self.app_auth_token
        return body


class AlipayProvider:
    name = "alipay"
    ack = "success"  # Alipay retries a notification until it is answered with exactly this text

    def __init__(self, settings: AlipaySettings):
        self.settings = settings
        self.partner = bool(settings.app_auth_token)
        self.merchant_id = (settings.auth_app_id or settings.appid) if self.partner else settings.appid
        """The merchant app whose money it is: the granting merchant's, or the chain's own app's."""
        self.verifier = (settings.base_url, settings.appid, settings.alipay_public_key_file)
        self._client: AliPay | None = None
        self._lock = threading.Lock()

    def shown(self) -> dict:
        """The account as the console shows it: app ids, never a key or the token."""
        if self.partner:
            return {"mode": "partner", "merchant_id": self.merchant_id, "isv_appid": self.settings.appid}
        return {"mode": "direct", "merchant_id": self.settings.appid}

    def _sdk(self) -> AliPay:
        with self._lock:
            if self._client is None:
                client = _BeijingTimeAliPay(appid=self.settings.appid, app_notify_url=self.settings.notify_url,
                                app_private_key_string=Path(self.settings.private_key_file).read_text("utf-8"),
                                alipay_public_key_string=Path(self.settings.alipay_public_key_file).read_text("utf-8"),
                                sign_type="RSA2", config=AliPayConfig(timeout=self.settings.timeout))
                client._gateway = self.settings.base_url  # the SDK knows only the production and its own sandbox
                client.app_auth_token = self.settings.app_auth_token
                self._client = client
            return self._client

    def _call(self, what: str, *, allow: tuple[str, ...] = (), **kwargs) -> dict:
        """The verified `*_response` of one openapi call; `allow`: sub_codes answered rather than raised."""
        return self._answer(lambda: getattr(self._sdk(), f"api_alipay_trade_{what}")(**kwargs), allow)

    def _answer(self, ask, allow: tuple[str, ...]) -> dict:
        try:
            answer = ask()
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

    def statement(self, day: date) -> Statement:
        """The app's trade statement (业务账单, bill_type trade) of `day`: the download link (the SDK has no
        method for this API: its own request building and verification are used), then the zip. A day
        without a bill (isp.bill_not_exist) is an empty statement."""
        sdk = self._sdk()
        body = sdk.build_body(BILL_QUERY, {"bill_type": "trade", "bill_date": day.isoformat()})
        answer = self._answer(lambda: sdk.verified_sync_response(
            body, BILL_QUERY.replace(".", "_") + "_response"), NO_BILL)
        if answer.get("sub_code") in NO_BILL:
            return Statement(self.name, self.merchant_id, (), {})
        try:
            reply = requests.get(answer["bill_download_url"], timeout=max(self.settings.timeout, 10))
        except requests.RequestException as exc:
            raise ProviderError(0, type(exc).__name__) from exc
        if reply.status_code >= 300:
            raise ProviderError(reply.status_code, "statement_download_failed")
        lines, summary = parse_trade_bill(reply.content)
        return Statement(self.name, self.merchant_id, lines, summary)

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
        merchant = fields.get("auth_app_id") or fields["app_id"]  # whose money: the granting merchant's app
        if fields.get("out_biz_no") and fields.get("refund_fee"):
            return RefundState(out_refund_no=fields["out_biz_no"], state="succeeded", refund_id=fields.get("trade_no"),
                               merchant_id=merchant)
        try:
            return dataclasses.replace(_transaction(fields), merchant_id=merchant)
        except (KeyError, ArithmeticError, ValueError) as exc:
            raise Rejected(f"incomplete: {type(exc).__name__}") from exc


def _transaction(order: dict) -> Transaction:
    return Transaction(out_trade_no=order["out_trade_no"], state=TRADE_STATES.get(order.get("trade_status", ""),
                                                                                  "unpaid"),
                       amount_fen=fen(order["total_amount"]), transaction_id=order.get("trade_no"))


DETAIL_HEADER = "支付宝交易号"
SUMMARY_TOTAL = "合计"


def parse_trade_bill(data: bytes) -> tuple[tuple[StatementLine, ...], dict]:
    """A trade statement as Alipay zips it: `…_业务明细.csv` (comment lines start with `#`; the header row
    支付宝交易号, 商户订单号, 业务类型 (交易 | 退款), …, 订单金额（元）, 商家实收（元）, …, 退款批次号/请求号,
    服务费（元）, …; fields padded with tabs) and `…_业务明细(汇总).csv` (one row per shop and a 合计 row).
    A refund's 商家实收 is negative, a payment's 服务费 too (the fee charged). `ProviderError` when the zip is
    not such a statement or its detail disagrees with the summary's counts."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        files = {name: archive.read(name).decode("gbk") for name in archive.namelist()}
    except (zipfile.BadZipFile, UnicodeDecodeError, KeyError) as exc:
        raise ProviderError(502, "statement_unreadable") from exc
    detail = next((text for name, text in files.items() if "汇总" not in name and name.endswith(".csv")), None)
    totals = next((text for name, text in files.items() if "汇总" in name), None)
    if detail is None or totals is None:
        raise ProviderError(502, "statement_unreadable")
    lines = []
    for field in _table(detail, DETAIL_HEADER):
        received, fee = signed_fen(field.get("商家实收（元）", "")), -signed_fen(field.get("服务费（元）", ""))
        if field.get("业务类型") == "退款":
            lines.append(StatementLine("refund", field["商户订单号"], field["支付宝交易号"], -received, fee,
                                       out_refund_no=field.get("退款批次号/请求号") or None,
                                       refund_id=field["支付宝交易号"]))
        elif field.get("业务类型") == "交易":
            lines.append(StatementLine("payment", field["商户订单号"], field["支付宝交易号"], received, fee))
    summary = next((row for row in _table(totals, "门店编号") if row.get("门店编号") == SUMMARY_TOTAL), {})
    counted = (sum(line.kind == "payment" for line in lines), sum(line.kind == "refund" for line in lines))
    if (summary.get("交易订单总笔数"), summary.get("退款订单总笔数")) != tuple(map(str, counted)):
        raise ProviderError(502, "statement_inconsistent")
    return tuple(lines), summary


def _table(text: str, first_column: str) -> list[dict[str, str]]:
    """The rows of one CSV table of an Alipay statement as dicts (comment lines `#…` skipped, padding cut)."""
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))
            if row and not row[0].lstrip().startswith("#")]
    header = next((i for i, row in enumerate(rows) if row[0] == first_column), None)
    if header is None:
        raise ProviderError(502, "statement_unreadable")
    return [dict(zip(rows[header], row, strict=False)) for row in rows[header + 1:]]
