"""诺诺开放平台 (Nuonuo open platform, 航信/诺诺网): the issuing provider of electronic fapiao (数电票),
through its documented protocol (open.nuonuo.com, 开放平台 API 调用规范 and 电子发票 API):

- one endpoint, `POST {NUONUO_BASE_URL}/open/v1/services?senid=&nonce=&timestamp=&appkey=`, the API
  named by the `method` header, the JSON `content` as the body; headers `accessToken`, `userTax` (the
  seller's tax number) and `X-Nuonuo-Sign` = Base64(HMAC-SHA1(appSecret,
  "a=services&l=v1&p=open&k={appKey}&i={senid}&n={nonce}&t={timestamp}&f={body}"));
- every answer `{code, describe, result}`, `E0000` meaning accepted;
- the merchant token (自用型应用) from `POST {NUONUO_TOKEN_URL}` with `client_id`, `client_secret`,
  `grant_type=client_credentials` → `{access_token, expires_in}`; kept in memory until shortly before it
  expires (the platform limits how many a month are taken), or given as `NUONUO_ACCESS_TOKEN`;
- `nuonuo.OpenSDK.requestBillingNew` (开票, asynchronous: answers the 开票流水号), `nuonuo.OpenSDK.
  queryInvoiceResult` (the result by 流水号: status 2 issued, 20/21 in progress, 22/24 failed, with the
  数电票号码, time and PDF link), `nuonuo.OpenSDK.saveInvoiceRedConfirm` (申请红字确认单) and
  `nuonuo.OpenSDK.queryInvoiceRedConfirm` (its billStatus: 01 无需确认 / 04 购销双方已确认 go on to the red
  fapiao; 02/03 wait for the other side; others are refused or void).

Configured from the environment (`services.common.config.NuonuoSettings`): `NUONUO_APP_KEY`,
`NUONUO_APP_SECRET`, `NUONUO_TAX_NUM`, `NUONUO_SELLER_NAME`, `NUONUO_CLERK` (开票人), `NUONUO_BASE_URL`
(default the real `https://sdk.nuonuo.com`; `make run` and the tests point it at deploy/sandboxes/nuonuo.py),
`NUONUO_TOKEN_URL`, `NUONUO_ACCESS_TOKEN`, `NUONUO_TIMEOUT`. Without `NUONUO_APP_KEY` fapiao requests stay
queued with the provider not configured."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass

import requests

from services.common.config import NuonuoSettings

from .providers import ProviderError

ACCEPTED = "E0000"
PATH = "/open/v1/services"
ISSUED, FAILED = frozenset({"2"}), frozenset({"22", "24"})
"""queryInvoiceResult statuses: 2 开票完成; 22 开票失败, 24 开票成功签章失败; the rest (20, 21) in progress."""
CONFIRMED, WAITING = frozenset({"01", "04"}), frozenset({"02", "03"})
"""queryInvoiceRedConfirm billStatus: 01 无需确认, 04 购销双方已确认; 02/03 awaiting the other side."""
TOKEN_MARGIN = 600  # seconds before its expiry a token is taken anew


@dataclass(frozen=True)
class IssueResult:
    """One fapiao as the provider holds it: `state` issued | failed | pending."""
    serial_no: str
    state: str
    number: str | None = None
    issued_at_ms: int | None = None
    pdf_url: str | None = None
    ofd_url: str | None = None
    """The 版式文件 in OFD (GB/T 33190), the format the tax platform itself delivers 数电票 in."""
    reason: str | None = None


def sign(app_secret: str, app_key: str, senid: str, nonce: str, timestamp: str, body: str) -> str:
    """X-Nuonuo-Sign over the path's pieces, the query parameters and the body, as the platform documents."""
    text = f"a=services&l=v1&p=open&k={app_key}&i={senid}&n={nonce}&t={timestamp}&f={body}"
    return base64.b64encode(hmac.new(app_secret.encode(), text.encode(), hashlib.sha1).digest()).decode()


class NuonuoProvider:
    name = "nuonuo"

    def __init__(self, settings: NuonuoSettings):
        self.settings = settings
        self._token, self._token_until = settings.access_token, float("inf") if settings.access_token else 0.0
        self._lock = threading.Lock()

    def _access_token(self) -> str:
        with self._lock:
            if self._token and time.time() < self._token_until:
                return self._token
            try:
                reply = requests.post(self.settings.token_url, data={
                    "client_id": self.settings.app_key, "client_secret": self.settings.app_secret,
                    "grant_type": "client_credentials"}, timeout=self.settings.timeout)
            except requests.RequestException as exc:
                raise ProviderError(0, type(exc).__name__) from exc
            if reply.status_code >= 500:
                raise ProviderError(reply.status_code, "token_unavailable")
            answer = _json(reply)
            if not answer.get("access_token"):
                raise ProviderError(reply.status_code or 400, "token_refused", str(answer.get("error", ""))[:100])
            self._token = answer["access_token"]
            self._token_until = time.time() + int(answer.get("expires_in", 86400)) - TOKEN_MARGIN
            return self._token

    def call(self, method: str, content: dict):
        """One API call; its `result` when accepted. Down (no answer, 5xx) or refused (another code): ProviderError."""
        body = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        senid, nonce, timestamp = secrets.token_hex(16), str(secrets.randbelow(90_000_000) + 10_000_000), \
            str(int(time.time()))
        s = self.settings
        headers = {"Content-Type": "application/json", "X-Nuonuo-Sign": sign(s.app_secret, s.app_key, senid, nonce,
                                                                               timestamp, body),
                   "accessToken": self._access_token(), "userTax": s.tax_num, "method": method}
        try:
            reply = requests.post(f"{s.base_url.rstrip('/')}{PATH}", data=body.encode(), headers=headers,
                                  params={"senid": senid, "nonce": nonce, "timestamp": timestamp, "appkey": s.app_key},
                                  timeout=s.timeout)
        except requests.RequestException as exc:
            raise ProviderError(0, type(exc).__name__) from exc
        answer = _json(reply)
        if reply.status_code >= 500:
            raise ProviderError(reply.status_code, str(answer.get("code", "ERROR")))
        if answer.get("code") != ACCEPTED:
            raise ProviderError(reply.status_code if reply.status_code >= 400 else 400,
                                str(answer.get("code", "ERROR")), str(answer.get("describe", ""))[:200])
        return answer.get("result")

    # -- the four APIs ----------------------------------------------------------------------------
    def issue(self, order: dict) -> str:
        """Ask for a fapiao (blue, or red with the confirmation's number); answers its 开票流水号."""
        result = self.call("nuonuo.OpenSDK.requestBillingNew", {"order": order}) or {}
        if not result.get("invoiceSerialNum"):
            raise ProviderError(0, "answer_without_serial")
        return str(result["invoiceSerialNum"])

    def query(self, serial_no: str) -> IssueResult:
        found = self.call("nuonuo.OpenSDK.queryInvoiceResult", {"serialNos": [serial_no],
                                                                  "isOfferInvoiceDetail": "0"}) or []
        item = next((row for row in found if row.get("serialNo") == serial_no), None)
        if item is None:
            return IssueResult(serial_no, "pending")
        status = str(item.get("status", ""))
        if status in ISSUED:
            return IssueResult(serial_no, "issued", item.get("allElectronicInvoiceNumber") or item.get("invoiceNo"),
                               int(item["invoiceTime"]) if item.get("invoiceTime") else None, item.get("pdfUrl"),
                               item.get("ofdUrl") or None)
        if status in FAILED:
            return IssueResult(serial_no, "failed", reason=item.get("failCause") or item.get("statusMsg") or status)
        return IssueResult(serial_no, "pending")

    def apply_red_confirm(self, form: dict) -> tuple[str, str]:
        """File a 红字确认单; answers (billId, billStatus)."""
        result = self.call("nuonuo.OpenSDK.saveInvoiceRedConfirm", form) or {}
        if not result.get("billId"):
            raise ProviderError(0, "answer_without_bill")
        return str(result["billId"]), str(result.get("billStatus", ""))

    def query_red_confirm(self, bill_id: str) -> tuple[str, str | None]:
        """A 红字确认单's (billStatus, billNo)."""
        found = self.call("nuonuo.OpenSDK.queryInvoiceRedConfirm", {"identity": "0", "billId": bill_id}) or []
        item = next((row for row in found if str(row.get("billId")) == bill_id), None)
        if item is None:
            raise ProviderError(404, "bill_not_found")
        return str(item.get("billStatus", "")), item.get("billNo")


def _json(reply: requests.Response) -> dict:
    try:
        answer = reply.json()
    except ValueError:  # a proxy's error page
        return {}
    return answer if isinstance(answer, dict) else {}
