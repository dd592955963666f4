"""Alibaba Cloud SMS (短信服务, API version 2017-05-25) by its documented RPC protocol: `SendSms` and
`QuerySendDetails`, each a GET signed with HMAC-SHA1 over the sorted, percent-encoded parameters
(Signature version 1.0, help.aliyun.com/document_detail/315526). No transaction may be open while
this waits on the network: callers commit first."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import quote

import requests

from services.common.config import SmsSettings

from . import ProviderError
from .templates import MessageTemplate

VERSION = "2017-05-25"
DOWN_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "ServiceUnavailable", "InternalError"})
"""Refusals that pass: the message is tried again later."""


def percent_encode(text: str) -> str:
    """RFC 3986 as Alibaba Cloud signs: only A–Z a–z 0–9 - _ . ~ stay as they are."""
    return quote(text, safe="-_.~")


def signature(method: str, params: dict[str, str], secret: str) -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


@dataclass(frozen=True)
class Delivery:
    """A message's fate as `QuerySendDetails` reports it: `delivered`, `failed` (with the operator's
    `ErrCode`) or `pending` (no receipt yet)."""
    status: str
    code: str | None = None


class AliyunSms:
    def __init__(self, settings: SmsSettings, session: requests.Session | None = None):
        self.settings = settings
        self.http = session or requests.Session()

    @property
    def configured(self) -> bool:
        return bool(self.settings.access_key_id)

    def _call(self, action: str, params: dict[str, str]) -> dict:
        if not self.configured:
            raise ProviderError("not_configured", down=True)
        query = {"AccessKeyId": self.settings.access_key_id, "Action": action, "Format": "JSON",
                 "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex,
                 "SignatureVersion": "1.0", "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "Version": VERSION, **params}
        query["Signature"] = signature("GET", query, self.settings.access_key_secret)
        try:
            reply = self.http.get(f"{self.settings.endpoint}/", params=query, timeout=self.settings.timeout)
        except requests.RequestException as exc:
            raise ProviderError(type(exc).__name__, down=True) from exc
        try:
            body = reply.json()
        except ValueError:
            raise ProviderError(f"http_{reply.status_code}", down=True) from None
        code = body.get("Code", f"http_{reply.status_code}")
        if code != "OK":
            raise ProviderError(code, down=reply.status_code >= 500 or code in DOWN_CODES)
        return body

    def send(self, mobile: str, template: MessageTemplate, params: dict[str, str], out_id: str = "") -> str:
        """Sends one text; answers the provider's `BizId` (the receipt is asked for with it)."""
        body = self._call("SendSms", {"PhoneNumbers": mobile, "SignName": self.settings.sign_name,
                                      "TemplateCode": template.sms_code, "OutId": out_id,
                                      "TemplateParam": json.dumps(params, ensure_ascii=False)})
        return body["BizId"]

    def delivery(self, mobile: str, biz_id: str, sent_on: date) -> Delivery:
        body = self._call("QuerySendDetails", {"PhoneNumber": mobile, "BizId": biz_id,
                                               "SendDate": sent_on.strftime("%Y%m%d"), "PageSize": "10",
                                               "CurrentPage": "1"})
        details = body.get("SmsSendDetailDTOs", {}).get("SmsSendDetailDTO", [])
        if not details:
            return Delivery("pending")
        detail = details[0]
        status = {3: "delivered", 2: "failed"}.get(int(detail.get("SendStatus", 1)), "pending")
        return Delivery(status, detail.get("ErrCode"))
