"""A local WeChat Pay API v3 sandbox: the merchant API as WeChat Pay documents it, small enough to read.

Implemented (pay.weixin.qq.com/docs/merchant, 直连商户):
- `POST /v3/pay/transactions/native` → `{code_url}`; `POST /v3/pay/transactions/h5` → `{h5_url}`;
- `GET /v3/pay/transactions/out-trade-no/{no}?mchid=` (trade_state NOTPAY | SUCCESS | CLOSED);
- `POST /v3/pay/transactions/out-trade-no/{no}/close` → 204 (a paid order: 400 ORDERPAID);
- `GET /v3/certificates`: the platform certificate, AEAD_AES_256_GCM-encrypted with the APIv3 key;
- `POST /v3/refund/domestic/refunds` (partial; a repeated out_refund_no answers that refund again; never
  more than is left: 400 NOT_ENOUGH) → status PROCESSING, then SUCCESS a moment later with its REFUND.SUCCESS
  notification (sent again until answered 2xx); `GET /v3/refund/domestic/refunds/{out_refund_no}`.
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
- `GET /sandbox/orders/{out_trade_no}`: an order as the sandbox holds it.
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
import html
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

from . import wsgi_server

MCHID = "1900000109"
APPID = "wxsandbox00000001"


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
    """The finance service's WECHATPAY_* environment for the sandbox whose keys are in `folder`."""
    ensure_keys(folder)
    return {"WECHATPAY_BASE_URL": base_url, "WECHATPAY_MCHID": MCHID, "WECHATPAY_APPID": APPID,
            "WECHATPAY_CERT_SERIAL_NO": serial((folder / "apiclient_cert.pem").read_bytes()),
            "WECHATPAY_PRIVATE_KEY_FILE": str((folder / "apiclient_key.pem").resolve()),
            "WECHATPAY_APIV3_KEY": (folder / "apiv3_key").read_text().strip()}


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

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        try:
            if path.startswith("/sandbox/h5/"):
                return self.cashier(start_response, method, path, parse_qs(query if method == "GET" else body))
            if path.startswith("/sandbox/"):
                status, answer = self.control(method, path, json.loads(body or "{}"))
                return _reply(start_response, status, json.dumps(answer, ensure_ascii=False), {})
            if self.down:
                raise ApiError(500, "SYSTEM_ERROR", "系统异常，请稍后重试")
            self.authenticate(environ.get("HTTP_AUTHORIZATION", ""), method, path + (f"?{query}" if query else ""),
                              body)
            status, answer = self.api(method, path, parse_qs(query), json.loads(body) if body else {})
        except ApiError as exc:
            status, answer = exc.status, {"code": exc.code, "message": exc.message}
        except (ValueError, KeyError, TypeError) as exc:
            status, answer = 400, {"code": "PARAM_ERROR", "message": f"参数错误: {exc}"}
        text = "" if answer is None else json.dumps(answer, ensure_ascii=False)
        return _reply(start_response, status, text, signed_headers(self.platform_key, self.platform_serial, text))

    def authenticate(self, header: str, method: str, url: str, body: str) -> None:
        scheme, _, rest = header.partition(" ")
        fields = dict(_AUTH.findall(rest))
        if scheme != SIGNATURE_TYPE or fields.get("mchid") != MCHID or fields.get("serial_no") != self.merchant_serial:
            raise ApiError(401, "SIGN_ERROR", "商户号或证书序列号不对")
        if abs(time.time() - int(fields.get("timestamp") or 0)) > CLOCK_SKEW:
            raise ApiError(401, "SIGN_ERROR", "请求时间戳已过期")
        message = f"{method}\n{url}\n{fields['timestamp']}\n{fields.get('nonce_str', '')}\n{body}\n"
        try:
            self.merchant_key.verify(b64decode(fields.get("signature", "")), message.encode(), padding.PKCS1v15(),
                                     hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise ApiError(401, "SIGN_ERROR", "签名错误") from None

    def api(self, method: str, path: str, query: dict, data: dict) -> tuple[int, dict | None]:
        if method == "GET" and path == "/v3/certificates":
            return 200, {"data": [self.certificate()]}
        if method == "POST" and path in ("/v3/pay/transactions/native", "/v3/pay/transactions/h5"):
            return 200, self.prepay(path.rsplit("/", 1)[1], data)
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return 200, self.refund(data)
        if method == "GET" and path.startswith("/v3/refund/domestic/refunds/"):
            refund = self.refunds.get(path.rsplit("/", 1)[1])
            if refund is None:
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return 200, self.public_refund(refund)
        found = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)(/close)?", path)
        if found and method == "GET" and not found.group(2):
            if query.get("mchid") != [MCHID]:
                raise ApiError(400, "PARAM_ERROR", "mchid 不对")
            return 200, self.public(self.order(found.group(1)))
        if found and method == "POST" and found.group(2):
            self.close(self.order(found.group(1)), data)
            return 204, None
        raise ApiError(404, "RESOURCE_NOT_EXISTS", "接口不存在")

    def certificate(self) -> dict:
        return {"serial_no": self.platform_serial, "effective_time": "2026-01-01T00:00:00+08:00",
                "expire_time": "2036-01-01T00:00:00+08:00",
                "encrypt_certificate": encrypt(self.apiv3_key, self.platform_cert.decode(), "certificate")}

    def prepay(self, trade_type: str, data: dict) -> dict:
        if data["mchid"] != MCHID or data["appid"] != APPID:
            raise ApiError(400, "PARAM_ERROR", "appid 和 mch_id 不匹配")
        total = data["amount"]["total"]
        if not isinstance(total, int) or total <= 0:
            raise ApiError(400, "PARAM_ERROR", "amount.total 必须是正整数（分）")
        if trade_type == "h5" and not data.get("scene_info", {}).get("h5_info"):
            raise ApiError(400, "PARAM_ERROR", "H5 支付需要 scene_info.h5_info")
        with self.lock:
            no = data["out_trade_no"]
            order = self.orders.get(no)
            if order is not None:
                if order["amount"]["total"] != total or order["trade_type"] != trade_type.upper():
                    raise ApiError(400, "INVALID_REQUEST", "201 商户订单号重复")
            else:
                prepay_id = "wx" + secrets.token_hex(14)
                url = (f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(8)}" if trade_type == "native"
                       else f"{self.base_url}/sandbox/h5/checkmweb?prepay_id={prepay_id}")
                order = self.orders[no] = {
                    "appid": APPID, "mchid": MCHID, "out_trade_no": no, "trade_type": trade_type.upper(),
                    "trade_state": "NOTPAY", "trade_state_desc": "订单未支付", "description": data["description"],
                    "amount": {"total": total, "currency": data["amount"].get("currency", "CNY")},
                    "notify_url": data["notify_url"], "time_expire": data.get("time_expire"), "url": url}
                self.by_url[url] = no
        return {"code_url": order["url"]} if trade_type == "native" else {"h5_url": order["url"]}

    def order(self, out_trade_no: str) -> dict:
        if out_trade_no not in self.orders:
            raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return self.orders[out_trade_no]

    @staticmethod
    def public(order: dict) -> dict:
        """An order as the query API answers it."""
        hidden = ("notify_url", "url", "time_expire", "refunded")
        return {key: value for key, value in order.items() if key not in hidden}

    def close(self, order: dict, data: dict) -> None:
        if data.get("mchid") != MCHID:
            raise ApiError(400, "PARAM_ERROR", "mchid 不对")
        with self.lock:
            if order["trade_state"] in ("SUCCESS", "REFUND"):
                raise ApiError(400, "ORDERPAID", "订单已支付")
            order.update(trade_state="CLOSED", trade_state_desc="订单已关闭")

    def refund(self, data: dict) -> dict:
        with self.lock:
            if (known := self.refunds.get(data["out_refund_no"])) is not None:
                return self.public_refund(known)
            order = next((o for o in self.orders.values() if o.get("transaction_id") == data.get("transaction_id")
                          or o["out_trade_no"] == data.get("out_trade_no")), None)
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
        resource = {"mchid": MCHID, "refund_status": "SUCCESS",
                    **{k: refund[k] for k in ("out_trade_no", "transaction_id", "out_refund_no", "refund_id",
                                              "success_time", "user_received_account", "amount")}}
        for delay in (0, *RETRY_DELAYS):
            time.sleep(delay)
            if 200 <= self.post_event(refund["notify_url"], "REFUND.SUCCESS", "refund", resource) < 300:
                return

    # -- the customer's side, for tests -------------------------------------------------------
    def control(self, method: str, path: str, data: dict) -> tuple[int, dict]:
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
