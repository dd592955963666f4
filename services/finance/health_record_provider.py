"""The provincial 汽车维修电子健康档案 system (repair electronic health record, JT/T 1132), through the
interface the provinces publish for shops' management systems (the `lcipprodatarest` REST services, as run
for 上海, 浙江 and other provinces):

- `POST {HEALTH_RECORD_BASE_URL}/restservices/lcipprodatarest/lcipprogetaccesstoken/query`
  `{companycode, companypassword}` → `{code: "1", access_token}`: each shop logs in with its own code (the
  许可证号 or 备案号 it was registered under) and password; the token is kept in memory per shop;
- `POST …/lcipprocarfixrecordadd/query` `{access_token, basicInfo: {companyname, vehicleplatenumber, vin,
  repairdate, repairmileage, settledate, faultdescription, costlistcode}, repairprojectlist: [{repairproject,
  workinghours}], vehiclepartslist: [{partsname, partscode, partsquantity}]}` → `{code: "1", status}` when
  recorded, another `code` with the reason in `status` when refused;
- JSON bodies, UTF-8; dates yyyyMMdd.

Assumed where the public material is thin (to be checked against a province's test system before going
live): a token the system no longer accepts is answered `code` "2" (taken anew once), and a `costlistcode`
the shop already uploaded is answered `code` "1" (so a resend after a lost answer is harmless)."""
from __future__ import annotations

import json
import threading

import requests

from services.common.config import HealthRecordSettings

from .providers import ProviderError

ACCEPTED = "1"
TOKEN_EXPIRED = "2"
SERVICES = "/restservices/lcipprodatarest"
TOKEN_PATH = f"{SERVICES}/lcipprogetaccesstoken/query"
UPLOAD_PATH = f"{SERVICES}/lcipprocarfixrecordadd/query"


class HealthRecordProvider:
    name = "health_record"

    def __init__(self, settings: HealthRecordSettings):
        self.settings = settings
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def _post(self, path: str, body: dict) -> dict:
        try:
            reply = requests.post(f"{self.settings.base_url.rstrip('/')}{path}",
                                  data=json.dumps(body, ensure_ascii=False).encode(),
                                  headers={"Content-Type": "application/json;charset=UTF-8"},
                                  timeout=self.settings.timeout)
        except requests.RequestException as exc:
            raise ProviderError(0, type(exc).__name__) from exc
        if reply.status_code >= 500:
            raise ProviderError(reply.status_code, "unavailable")
        try:
            answer = reply.json()
        except ValueError:  # a proxy's error page
            raise ProviderError(502, "not_json") from None
        if not isinstance(answer, dict):
            raise ProviderError(502, "not_json")
        return answer

    def _token(self, company_code: str) -> str:
        with self._lock:
            if company_code in self._tokens:
                return self._tokens[company_code]
        answer = self._post(TOKEN_PATH, {"companycode": company_code,
                                         "companypassword": self.settings.password_of(company_code)})
        if str(answer.get("code")) != ACCEPTED or not answer.get("access_token"):
            raise ProviderError(401, "login", str(answer.get("status") or answer.get("message") or "")[:200])
        with self._lock:
            self._tokens[company_code] = str(answer["access_token"])
        return self._tokens[company_code]

    def upload(self, company_code: str, record: dict) -> str:
        """Send one repair record for the shop; answers the system's words. Down (no answer, 5xx):
        ProviderError with status 0/5xx; the shop's login refused: code `login`; the record refused: `rejected`."""
        for attempt in (1, 2):
            answer = self._post(UPLOAD_PATH, {"access_token": self._token(company_code), **record})
            code = str(answer.get("code"))
            if code == TOKEN_EXPIRED and attempt == 1:
                with self._lock:
                    self._tokens.pop(company_code, None)
                continue
            words = str(answer.get("status") or answer.get("message") or "")[:200]
            if code != ACCEPTED:
                raise ProviderError(400, "rejected", words)
            return words
        raise ProviderError(401, "login", "access_token")
