"""A local Alipay open-platform sandbox: the openapi gateway (`/gateway.do`) as Alipay documents it for
public-key (公钥) mode with RSA2, small enough to read.

Implemented (opendocs.alipay.com, 当面付 / 手机网站支付 / 交易):
- `alipay.trade.precreate` → `qr_code` (an order Alipay knows only once it is scanned: until then
  query and close answer ACQ.TRADE_NOT_EXIST, as Alipay's do);
- `alipay.trade.wap.pay`: the signed link the customer's browser opens (the order is created then; the
  sandbox answers a small cashier page);
- `alipay.trade.query` (trade_status WAIT_BUYER_PAY | TRADE_SUCCESS | TRADE_CLOSED), `alipay.trade.close`;
- `alipay.trade.refund` (partial, deduplicated by `out_request_no`: a repeat answers `fund_change` N,
  never more than was paid: ACQ.REFUND_AMT_NOT_EQUAL_TOTAL);
- `alipay.data.dataservice.bill.downloadurl.query` (bill_type trade) → `bill_download_url`, good for 30
  seconds (40004 isp.bill_not_exist for a day without transactions), and that link
  (`GET /downloadBillFile.resource?…&fileId=`): a zip of two GBK CSV files, `…_业务明细.csv` (the payments
  and refunds of that Beijing day, `#` comment lines around the table, fields padded with a tab) and
  `…_业务明细(汇总).csv` (per shop and 合计). Alipay serves a day's bill the next morning; the sandbox any
  day, today's included, so a test can reconcile at once.
第三方应用授权 (opendocs.alipay.com, 第三方应用授权 / 代调用): the app may act for a merchant who granted it, by the
public parameter `app_auth_token` (not in biz_content); the sandbox's merchants `MERCHANTS` have granted it
the tokens `app_auth_token(auth_app_id)` (another token: 20001 aop.invalid-app-auth-token). An order is the
merchant's it was opened for: another merchant's token finds no such trade; its notification names the
merchant's app as `auth_app_id` beside our `app_id`; the statement asked for with a token is that merchant's.
Every request must carry the app's RSA2 signature (`sign` over the sorted `key=value` pairs of every
other parameter, with the app's public key: 40002 isv.invalid-signature otherwise), our `app_id` and a
`timestamp` in Beijing time within 15 minutes of the sandbox's clock (40002 isv.invalid-timestamp);
every answer is `{"<method>_response": {…}, "sign": …}`, the object's exact text signed with Alipay's
key. A paid order's notification (`trade_status_sync`, a form signed over its sorted fields but
`sign` and `sign_type`) is POSTed to the order's `notify_url`, and so is a refund's (with
`out_biz_no`, `refund_fee`, `gmt_refund`); one not answered `success` is sent again (0.5 s, 1 s, 2 s …
here; minutes to a day at Alipay).

Control endpoints for tests (no signature; not part of Alipay):
- `POST /sandbox/pay` `{url, deliveries=1}`: the customer scans `url` (a qr_code or a wap-pay link) and
  pays; the notification is sent `deliveries` times (0: never, the merchant must query); answers the
  order and the HTTP status of each delivery;
- `POST /sandbox/replay` `{out_trade_no, kind: pay|refund}`: send that notification again, as it was;
- `POST /sandbox/down` `{down}`: every openapi call answers 20000 isp.unknow-error meanwhile;
- `GET /sandbox/orders/{out_trade_no}`: an order as the sandbox holds it (with `refunded_fen`);
- `POST /sandbox/statement` `{date, add?: {out_trade_no, amount_fen}, drop?: out_trade_no}`: that day's
  statement also lists a payment the merchant never heard of, or leaves out a recorded one.

`python -m deploy.sandboxes.alipay [--port ALIPAY_SANDBOX_PORT] [--dir DATA_DIR/sandboxes/alipay]` generates
the app's and Alipay's keys once into the folder and serves; `credentials(folder, url)` is the environment
the finance service needs to talk to it.
"""
from __future__ import annotations

import argparse
import csv
import html
import io
import json
import os
import secrets
import threading
import time
import zipfile
from base64 import b64decode, b64encode
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from services.common import config

from . import statements, wsgi_server

APPID = "2021000000000001"
SELLER_ID = "2088000000000001"
MERCHANTS = {"2021000000000101": "2088000000000101", "2021000000000102": "2088000000000102"}
"""The merchants (their app id: their seller id) who granted the sandbox's app 第三方应用授权."""


def app_auth_token(auth_app_id: str) -> str:
    """The token the sandbox granted for the merchant app `auth_app_id`."""
    return f"202612BB{auth_app_id}"


def authorization(auth_app_id: str) -> dict[str, str]:
    """A store's keys file (PROVIDER_KEYS_DIR/alipay/<store>.json): the chain's app acting for that merchant."""
    return {"app_auth_token": app_auth_token(auth_app_id), "auth_app_id": auth_app_id}
CHINA = timezone(timedelta(hours=8))
TIMESTAMP_WINDOW = timedelta(minutes=15)  # our assumption of how far Alipay lets a request's clock drift
RETRY_DELAYS = (0.5, 1, 2, 4)  # seconds between deliveries of a notification not answered `success`


def port() -> int:
    """Where `make run` serves the sandbox (`ALIPAY_SANDBOX_PORT`)."""
    return int(os.environ.get("ALIPAY_SANDBOX_PORT", "8092"))


# -- keys ---------------------------------------------------------------------------------------
def ensure_keys(folder: Path) -> None:
    """The app's key pair and Alipay's, generated once (PEM: PKCS#8 private, SubjectPublicKeyInfo public)."""
    folder.mkdir(parents=True, exist_ok=True)
    for who in ("app", "alipay"):
        if (folder / f"{who}_private_key.pem").exists():
            continue
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (folder / f"{who}_public_key.pem").write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        (folder / f"{who}_private_key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        os.chmod(folder / f"{who}_private_key.pem", 0o600)


def credentials(folder: Path, base_url: str) -> dict[str, str]:
    """The finance service's ALIPAY_* environment for the sandbox whose keys are in `folder`."""
    ensure_keys(folder)
    return {"ALIPAY_BASE_URL": f"{base_url.rstrip('/')}/gateway.do", "ALIPAY_APPID": APPID,
            "ALIPAY_PRIVATE_KEY_FILE": str((folder / "app_private_key.pem").resolve()),
            "ALIPAY_PUBLIC_KEY_FILE": str((folder / "alipay_public_key.pem").resolve())}


def content(fields: dict[str, str], *, without: tuple[str, ...]) -> str:
    """Alipay's string to sign: the sorted `key=value` pairs of the non-empty fields but `without`."""
    return "&".join(f"{key}={value}" for key, value in sorted(fields.items()) if key not in without and value != "")


def sign(private_key, message: str) -> str:
    return b64encode(private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def signed_notification(private_key, fields: dict[str, str]) -> dict[str, str]:
    """A notification's fields with `sign_type` and `sign` (over all but those two)."""
    return {**fields, "sign_type": "RSA2", "sign": sign(private_key, content(fields, without=("sign", "sign_type")))}


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fen(text: str) -> int:
    amount = Decimal(text)
    if amount != amount.quantize(Decimal("0.01")) or amount <= 0:
        raise ValueError("amount")
    return int(amount * 100)


def _now() -> str:
    return datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S")


# -- the provider -------------------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, code: str, sub_code: str, sub_msg: str):
        super().__init__(sub_msg)
        msg = {"20000": "Service Currently Unavailable", "20001": "Insufficient Token Permissions",
               "40002": "Invalid Arguments",
               "40004": "Business Failed"}[code]
        self.answer = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


class Sandbox:
    def __init__(self, folder: Path, base_url: str):
        ensure_keys(folder)
        self.base_url = base_url.rstrip("/")
        self.app_key = serialization.load_pem_public_key((folder / "app_public_key.pem").read_bytes())
        self.alipay_key = serialization.load_pem_private_key((folder / "alipay_private_key.pem").read_bytes(), None)
        self.orders: dict[str, dict] = {}
        self.by_url: dict[str, str] = {}
        self.down = False
        self.lock = threading.Lock()
        self.changes = statements.StatementChanges("")
        self.bills: dict[str, tuple[float, bytes]] = {}

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        if path.startswith("/sandbox/"):
            status, answer = self.control(method, path, json.loads(body or "{}"))
            return _reply(start_response, status, json.dumps(answer, ensure_ascii=False), "application/json")
        if method == "GET" and path == "/downloadBillFile.resource":
            return self.bill_file(start_response, dict(parse_qsl(environ.get("QUERY_STRING", ""))).get("fileId", ""))
        if path != "/gateway.do":
            return _reply(start_response, 404, "", "text/plain")
        params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if method == "POST" and "form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            params.update(parse_qsl(body, keep_blank_values=True))
        api = params.get("method", "")
        if api in ("alipay.trade.wap.pay", "alipay.trade.page.pay"):  # the customer's browser
            status, page = self.cashier_page(params)
            return _reply(start_response, status, page, "text/html")
        try:
            if self.down:
                raise ApiError("20000", "isp.unknow-error", "系统繁忙")
            merchant = self.authenticate(params)
            answer = self.api(api, json.loads(params.get("biz_content") or "{}"), params, merchant)
        except ApiError as exc:
            answer = exc.answer
        except (ValueError, KeyError, TypeError) as exc:
            answer = ApiError("40002", "isv.invalid-parameter", f"参数无效: {exc}").answer
        key = (api or "error").replace(".", "_") + "_response" if api else "error_response"
        inner = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        text = f'{{"{key}":{inner},"sign":"{sign(self.alipay_key, inner)}"}}'
        return _reply(start_response, 200, text, "application/json")

    def authenticate(self, params: dict[str, str]) -> str:
        """The merchant app the request acts for: ours, or the one whose `app_auth_token` it carries."""
        if params.get("app_id") != APPID:
            raise ApiError("40002", "isv.invalid-app-id", "无效的AppID参数")
        if params.get("sign_type") != "RSA2" or params.get("charset", "utf-8").lower() != "utf-8":
            raise ApiError("40002", "isv.invalid-signature-type", "无效的签名类型")
        try:
            self.app_key.verify(b64decode(params.get("sign", "")), content(params, without=("sign",)).encode(),
                                padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise ApiError("40002", "isv.invalid-signature", "验签出错，请检查签名私钥与应用公钥是否匹配") from None
        try:  # Alipay reads `timestamp` as Beijing time and refuses one far from its own clock
            stamped = datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
        except ValueError:
            stamped = None
        if stamped is None or abs(datetime.now(CHINA) - stamped) > TIMESTAMP_WINDOW:
            raise ApiError("40002", "isv.invalid-timestamp", "非法的时间戳参数")
        token = params.get("app_auth_token")
        if not token:
            return APPID
        merchant = next((app for app in MERCHANTS if app_auth_token(app) == token), None)
        if merchant is None:
            raise ApiError("20001", "aop.invalid-app-auth-token", "无效的应用授权令牌")
        return merchant

    def api(self, api: str, biz: dict, params: dict, merchant: str = APPID) -> dict:
        if api == "alipay.trade.precreate":
            return self.precreate(biz, params, merchant)
        if api == "alipay.trade.query":
            order = self.known(biz, merchant)
            return {"code": "10000", "msg": "Success", **self.public(order)}
        if api == "alipay.trade.close":
            return self.close(self.known(biz, merchant))
        if api == "alipay.trade.refund":
            return self.refund(self.known(biz, merchant), biz)
        if api == "alipay.data.dataservice.bill.downloadurl.query":
            return self.bill_url(biz, merchant)
        raise ApiError("40004", "isv.missing-method", f"不支持的接口 {api}")

    def _new_order(self, biz: dict, notify_url: str, state: str, url: str | None = None,
                   merchant: str = APPID) -> dict:
        no = biz["out_trade_no"]
        order = self.orders.get(no)
        if order is not None:
            if order["merchant"] != merchant:
                raise ApiError("40004", "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            if order["total_amount"] != yuan(fen(biz["total_amount"])):
                raise ApiError("40004", "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            if order["state"] == "TRADE_SUCCESS":
                raise ApiError("40004", "ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            return order
        order = self.orders[no] = {
            "out_trade_no": no, "total_amount": yuan(fen(biz["total_amount"])), "subject": biz["subject"],
            "notify_url": notify_url, "time_expire": biz.get("time_expire"), "state": state, "refunds": {},
            "refunded_fen": 0, "notices": {}, "url": url or f"https://qr.alipay.com/bax0{secrets.token_hex(10)}",
            "merchant": merchant}
        self.by_url[order["url"]] = no
        return order

    def precreate(self, biz: dict, params: dict, merchant: str = APPID) -> dict:
        with self.lock:
            order = self._new_order(biz, params.get("notify_url", ""), "CREATED", merchant=merchant)
        return {"code": "10000", "msg": "Success", "out_trade_no": order["out_trade_no"], "qr_code": order["url"]}

    def known(self, biz: dict, merchant: str = APPID) -> dict:
        order = self.orders.get(biz.get("out_trade_no", ""))
        if order is None or order["state"] == "CREATED" or order["merchant"] != merchant:
            # precreated, never scanned: unknown to Alipay; another merchant's: not the caller's to see
            raise ApiError("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        return order

    @staticmethod
    def public(order: dict) -> dict:
        found = {"out_trade_no": order["out_trade_no"], "trade_status": order["state"],
                 "total_amount": order["total_amount"]}
        if order.get("trade_no"):
            found.update(trade_no=order["trade_no"], buyer_logon_id="158****1234", send_pay_date=order["gmt_payment"],
                         receipt_amount=order["total_amount"], buyer_pay_amount=order["total_amount"])
        return found

    def close(self, order: dict) -> dict:
        with self.lock:
            if order["state"] == "TRADE_SUCCESS":
                raise ApiError("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            order["state"] = "TRADE_CLOSED"
        return {"code": "10000", "msg": "Success", "out_trade_no": order["out_trade_no"]}

    def refund(self, order: dict, biz: dict) -> dict:
        number, amount = biz["out_request_no"], fen(biz["refund_amount"])
        with self.lock:
            done = order["refunds"].get(number)
            if done is not None and done != amount:
                raise ApiError("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款请求号对应的退款金额不一致")
            if done is None:
                if order["state"] not in ("TRADE_SUCCESS", "TRADE_CLOSED") or not order.get("trade_no"):
                    raise ApiError("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
                if amount > fen(order["total_amount"]) - order["refunded_fen"]:
                    raise ApiError("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
                order["refunds"][number] = amount
                order["refunded_fen"] += amount
                if order["refunded_fen"] == fen(order["total_amount"]):
                    order["state"] = "TRADE_CLOSED"  # wholly refunded, as Alipay closes it
                order["gmt_refund"] = datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
                order.setdefault("refunded_at", {})[number] = order["gmt_refund"][:19]
        if done is None:
            fields = {**self.notice_fields(order), "out_biz_no": number, "refund_fee": yuan(order["refunded_fen"]),
                      "gmt_refund": order["gmt_refund"]}
            order["notices"]["refund"] = signed_notification(self.alipay_key, fields)
            threading.Thread(target=self.deliver, args=(order["notify_url"], order["notices"]["refund"]),
                             daemon=True).start()
        return {"code": "10000", "msg": "Success", "trade_no": order["trade_no"],
                "out_trade_no": order["out_trade_no"], "buyer_logon_id": "158****1234",
                "fund_change": "Y" if done is None else "N", "refund_fee": yuan(order["refunded_fen"]),
                "gmt_refund_pay": order["gmt_refund"]}

    # -- the statement (对账单) -----------------------------------------------------------------
    def statement_lines(self, day: str, merchant: str = APPID) -> list[dict]:
        """The payments and refunds of a Beijing day of one merchant, with the test's changes."""
        found = []
        with self.lock:
            for order in self.orders.values():
                if order["merchant"] != merchant:
                    continue
                if order.get("trade_no") and order["gmt_payment"][:10] == day:
                    found.append({**statements.line("payment", order["gmt_payment"], order["out_trade_no"],
                                                    order["trade_no"], fen(order["total_amount"]), order["subject"]),
                                  "account": merchant})
                for number, when in order.get("refunded_at", {}).items():
                    if when[:10] == day:
                        found.append({**statements.line("refund", when, order["out_trade_no"], order["trade_no"],
                                                        order["refunds"][number], order["subject"], number),
                                      "account": merchant})
        return [found for found in self.changes.apply(day, found) if (found.get("account") or APPID) == merchant]

    def bill_url(self, biz: dict, merchant: str = APPID) -> dict:
        if biz.get("bill_type") != "trade":
            raise ApiError("40004", "isp.bill_type_not_support", "账单类型不支持")
        day = datetime.strptime(biz["bill_date"], "%Y-%m-%d").date().isoformat()
        lines = self.statement_lines(day, merchant)
        if not lines:
            raise ApiError("40004", "isp.bill_not_exist", "账单不存在")
        token = secrets.token_urlsafe(16)
        self.bills[token] = (time.monotonic() + 30, trade_bill_zip(day, lines))
        stamp = day.replace("-", "")
        return {"code": "10000", "msg": "Success", "bill_download_url": (
            f"{self.base_url}/downloadBillFile.resource?bizType=trade&userId={SELLER_ID}&fileType=csv.zip"
            f"&bizDates={stamp}&downloadFileName={SELLER_ID}_{stamp}.csv.zip&fileId={token}")}

    def bill_file(self, start_response, token: str) -> list[bytes]:
        expires, data = self.bills.get(token, (0.0, b""))
        if expires < time.monotonic():
            return _reply(start_response, 404, "链接已过期", "text/plain")
        start_response("200 OK", [("Content-Type", "application/oct-stream"), ("Content-Length", str(len(data)))])
        return [data]

    # -- the customer's side ------------------------------------------------------------------
    def _from_link(self, url: str) -> dict | None:
        """The order a signed wap-pay link opens (created then, as Alipay does); None if the link is not ours."""
        parts = urlsplit(url)
        if not parts.path.endswith("/gateway.do"):
            return None
        return self._open(dict(parse_qsl(parts.query, keep_blank_values=True)), url)

    def _open(self, params: dict[str, str], url: str) -> dict:
        merchant = self.authenticate(params)
        with self.lock:
            order = self._new_order(json.loads(params["biz_content"]), params.get("notify_url", ""),
                                    "WAIT_BUYER_PAY", url, merchant)
            if order["state"] == "CREATED":
                order["state"] = "WAIT_BUYER_PAY"
        return order

    def cashier_page(self, params: dict) -> tuple[int, str]:
        try:
            order = self._open(params, f"{self.base_url}/gateway.do?{urlencode(params)}")
        except (ApiError, ValueError, KeyError) as exc:
            return 400, f"<!doctype html><meta charset=utf-8><p>支付宝沙箱: {html.escape(str(exc))}</p>"
        return 200, (f"<!doctype html><meta charset=utf-8><title>支付宝沙箱收银台</title>"
                     f"<p>{html.escape(order['subject'])}</p><p>¥{order['total_amount']}</p>")

    def control(self, method: str, path: str, data: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/sandbox/statement":
            return 200, self.changes.change(data)
        if method == "POST" and path == "/sandbox/down":
            self.down = bool(data.get("down"))
            return 200, {"down": self.down}
        if method == "GET" and path.startswith("/sandbox/orders/"):
            order = self.orders.get(path.rsplit("/", 1)[1])
            if order is None:
                return 404, {"code": "ACQ.TRADE_NOT_EXIST"}
            return 200, {**self.public(order), "refunded_fen": order["refunded_fen"]}
        if method == "POST" and path == "/sandbox/pay":
            return self.pay(data["url"], int(data.get("deliveries", 1)))
        if method == "POST" and path == "/sandbox/replay":
            order = self.orders.get(data.get("out_trade_no", ""))
            notice = order and order["notices"].get(data.get("kind", "pay"))
            if not notice:
                return 404, {"code": "NOTICE_NOT_EXIST"}
            return 200, {"deliveries": [self.post(order["notify_url"], notice)[0]]}
        return 404, {"code": "NOT_FOUND"}

    def pay(self, url: str, deliveries: int) -> tuple[int, dict]:
        try:
            order = self.orders.get(self.by_url.get(url, "")) or self._from_link(url)
        except ApiError as exc:
            return 400, exc.answer
        if order is None:
            return 404, {"code": "ACQ.TRADE_NOT_EXIST"}
        with self.lock:
            expire = order["time_expire"] and datetime.strptime(order["time_expire"], "%Y-%m-%d %H:%M:%S")
            if order["state"] in ("CREATED", "WAIT_BUYER_PAY") and expire and expire < datetime.now(CHINA).replace(
                    tzinfo=None):
                return 400, {"code": "ACQ.TRADE_HAS_CLOSE", "message": "交易已过期"}
            if order["state"] == "TRADE_CLOSED":
                return 400, {"code": "ACQ.TRADE_HAS_CLOSE", "message": "交易已关闭"}
            if order["state"] != "TRADE_SUCCESS":
                order.update(state="TRADE_SUCCESS", gmt_payment=_now(),
                             trade_no=datetime.now(CHINA).strftime("%Y%m%d") + "22001" + str(
                                 secrets.randbelow(10 ** 15)).zfill(15))
                order["notices"]["pay"] = signed_notification(self.alipay_key, self.notice_fields(order))
        statuses = [self.post(order["notify_url"], order["notices"]["pay"])[0] for _ in range(deliveries)]
        return 200, {"order": self.public(order), "deliveries": statuses}

    def notice_fields(self, order: dict) -> dict[str, str]:
        return {"notify_time": _now(), "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16),
                "app_id": APPID, "auth_app_id": order["merchant"], "charset": "utf-8", "version": "1.0",
                "trade_no": order["trade_no"],
                "out_trade_no": order["out_trade_no"], "trade_status": order["state"],
                "total_amount": order["total_amount"], "receipt_amount": order["total_amount"],
                "buyer_pay_amount": order["total_amount"], "seller_id": MERCHANTS.get(order["merchant"], SELLER_ID),
                "buyer_id": "2088102177846880",
                "gmt_payment": order["gmt_payment"], "subject": order["subject"]}

    @staticmethod
    def post(url: str, fields: dict[str, str]) -> tuple[int, bool]:
        """One delivery: the merchant's HTTP status, and whether it answered `success`."""
        try:
            reply = requests.post(url, data=fields, timeout=10)
        except requests.RequestException:
            return 0, False
        return reply.status_code, reply.status_code == 200 and reply.text.strip() == "success"

    def deliver(self, url: str, fields: dict[str, str]) -> None:
        """Until answered `success` (or the retries run out)."""
        for delay in (0, *RETRY_DELAYS):
            time.sleep(delay)
            if self.post(url, fields)[1]:
                return


DETAIL_COLUMNS = tuple(("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,"
                        "门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,"
                        "支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,"
                        "券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,"
                        "退款批次号/请求号,服务费（元）,分润（元）,备注").split(","))
SUMMARY_COLUMNS = tuple(("门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,"
                         "商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,"
                         "服务费（元）,分润（元）,实收净额（元）").split(","))


def _signed(fen_: int) -> str:
    return f"{'-' if fen_ < 0 else ''}{yuan(abs(fen_))}"


def trade_bill_zip(day: str, lines: list[dict]) -> bytes:
    """The day's 业务明细 and 业务明细(汇总) as Alipay zips them (GBK; a refund's 商家实收 and a payment's 服务费
    negative)."""
    stamp, start = day.replace("-", ""), datetime.strptime(day, "%Y-%m-%d")
    end = start + timedelta(days=1)
    span = f"#起始日期：[{start:%Y年%m月%d日} 00:00:00]   终止日期：[{end:%Y年%m月%d日} 00:00:00]"
    detail = io.StringIO()
    detail.write(f"#支付宝业务明细查询\r\n#账号：[{SELLER_ID}0156]\r\n{span}\r\n"
                 "#-----------------------------------------业务明细列表----------------------------------------\r\n")
    writer = csv.writer(detail, lineterminator="\r\n")
    writer.writerow(DETAIL_COLUMNS)
    for found in lines:
        refund = found["kind"] == "refund"
        amount = found["amount_fen"] * (-1 if refund else 1)
        row = (found["transaction_id"], found["out_trade_no"], "退款" if refund else "交易", found["description"],
               found["time"], found["time"], "", "", "", "", "158****1234", _signed(amount), _signed(amount), "0.00",
               "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00", found["out_refund_no"] if refund else "",
               _signed(-found["fee_fen"]), "0.00", "")
        writer.writerow([f"{field}\t" for field in row])
    payments = sum(found["kind"] == "payment" for found in lines)
    detail.write("#-----------------------------------------业务明细列表结束------------------------------------\r\n"
                 f"#交易合计：{payments}笔，退款合计：{len(lines) - payments}笔\r\n"
                 f"#导出时间：[{datetime.now(CHINA):%Y年%m月%d日 %H:%M:%S}]\r\n")
    received = sum(found["amount_fen"] * (-1 if found["kind"] == "refund" else 1) for found in lines)
    fees = sum(found["fee_fen"] for found in lines)
    summary = io.StringIO()
    summary.write(f"#支付宝业务汇总查询\r\n#账号：[{SELLER_ID}0156]\r\n{span}\r\n"
                  "#-----------------------------------------业务汇总列表----------------------------------------\r\n")
    writer = csv.writer(summary, lineterminator="\r\n")
    writer.writerow(SUMMARY_COLUMNS)
    writer.writerow(("合计", "", payments, len(lines) - payments, _signed(received), _signed(received), "0.00", "0.00",
                     "0.00", _signed(-fees), "0.00", _signed(received - fees)))
    summary.write("#-----------------------------------------业务汇总列表结束------------------------------------\r\n")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{SELLER_ID}0156_{stamp}_业务明细.csv", detail.getvalue().encode("gbk"))
        archive.writestr(f"{SELLER_ID}0156_{stamp}_业务明细(汇总).csv", summary.getvalue().encode("gbk"))
    return out.getvalue()


def _reply(start_response, status: int, text: str, media: str) -> list[bytes]:
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found"}
    data = text.encode()
    start_response(f"{status} {reasons.get(status, 'Error')}",
                   [("Content-Type", f"{media}; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


def serve(folder: Path, host: str, on_port: int) -> None:
    sandbox = Sandbox(folder, f"http://{host}:{on_port}")
    with wsgi_server(sandbox, host, on_port) as server:
        server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="Alipay open platform sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port())
    parser.add_argument("--dir", type=Path, default=config.data_dir() / "sandboxes" / "alipay")
    args = parser.parse_args()
    serve(args.dir, args.host, args.port)


if __name__ == "__main__":
    main()
