"""A local sandbox of a provincial 汽车维修电子健康档案 system (JT/T 1132), speaking the `lcipprodatarest`
interface the provinces publish for shops' systems, small enough to read. What services/finance/
health_record_provider.py speaks is what this checks:

- `POST /restservices/lcipprodatarest/lcipprogetaccesstoken/query` `{companycode, companypassword}`: a shop
  code in the shape of a 许可证号/备案号 and the sandbox's password → `{code: "1", status, access_token}`;
  otherwise `{code: "0", status: "企业编码或密码错误"}`;
- `POST /restservices/lcipprodatarest/lcipprocarfixrecordadd/query` `{access_token, basicInfo, repairprojectlist,
  vehiclepartslist}`: an unknown token → `{code: "2"}`; every basicInfo field present (companyname,
  vehicleplatenumber, vin of 17 characters, repairdate and settledate as yyyyMMdd, repairmileage a whole
  number, faultdescription, costlistcode), at least one repair item or part, each item named with its hours
  and each part named with a quantity above 0, else `{code: "0", status: "<field> …"}`; the same
  costlistcode again from the same shop → `{code: "1", status: "记录已存在"}` (kept once); else
  `{code: "1", status: "新增成功"}`.

Control endpoints for tests (not part of the system):
- `POST /sandbox/down` `{down}`: every API call answers HTTP 503 meanwhile;
- `POST /sandbox/expire-tokens`: every token given so far is forgotten (the next upload is answered code 2);
- `GET /sandbox/records`: every record as the sandbox holds it, with the shop's code.

`python -m deploy.sandboxes.health_record [--port HEALTH_RECORD_SANDBOX_PORT]`; `credentials(url)` is the
environment the finance service needs to talk to it.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import threading

from services.finance.health_record_provider import TOKEN_PATH, UPLOAD_PATH

from .nuonuo import _send
from . import wsgi_server

PASSWORD = "sandbox-hr-2026"
"""The one password every shop of the sandbox logs in with (`HEALTH_RECORD_PASSWORD` of the test stacks)."""
COMPANY_CODE = re.compile(r"[0-9A-Za-z\u4e00-\u9fff()（）\-]{6,40}")
DAY = re.compile(r"20\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
BASIC = ("companyname", "vehicleplatenumber", "vin", "repairdate", "repairmileage", "settledate", "faultdescription",
         "costlistcode")


def port() -> int:
    """Where `make run` serves the sandbox (`HEALTH_RECORD_SANDBOX_PORT`)."""
    return int(os.environ.get("HEALTH_RECORD_SANDBOX_PORT", "8095"))


def credentials(base_url: str) -> dict[str, str]:
    return {"HEALTH_RECORD_BASE_URL": base_url, "HEALTH_RECORD_PASSWORD": PASSWORD}


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def check(record: dict) -> str | None:
    """Why the system would refuse the record (its words), or None."""
    basic = record.get("basicInfo")
    if not isinstance(basic, dict):
        return "basicInfo 不能为空"
    for name in BASIC:
        if not str(basic.get(name) or "").strip():
            return f"{name} 不能为空"
    if len(str(basic["vin"])) != 17:
        return "vin 车辆识别代号应为17位"
    for name in ("repairdate", "settledate"):
        if not DAY.fullmatch(str(basic[name])):
            return f"{name} 日期格式应为 yyyyMMdd"
    if not str(basic["repairmileage"]).isdigit():
        return "repairmileage 送修里程应为整数"
    projects, parts = record.get("repairprojectlist") or [], record.get("vehiclepartslist") or []
    if not projects and not parts:
        return "repairprojectlist 与 vehiclepartslist 不能同时为空"
    for item in projects:
        if not str(item.get("repairproject") or "").strip() or _number(item.get("workinghours")) is None:
            return "repairprojectlist 维修项目或工时不正确"
    for part in parts:
        quantity = _number(part.get("partsquantity"))
        if not str(part.get("partsname") or "").strip() or quantity is None or quantity <= 0:
            return "vehiclepartslist 配件名称或数量不正确"
    return None


class Sandbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.tokens: dict[str, str] = {}  # token -> companycode
        self.records: dict[tuple[str, str], dict] = {}  # (companycode, costlistcode) -> record
        self.down = False

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        try:
            data = json.loads(body or "{}")
            if not isinstance(data, dict):
                raise ValueError("not an object")
            if path.startswith("/sandbox/"):
                status, answer = self.control(method, path, data)
            elif method == "POST" and path in (TOKEN_PATH, UPLOAD_PATH):
                if self.down:
                    status, answer = 503, {"code": "9", "status": "系统维护中"}
                elif path == TOKEN_PATH:
                    status, answer = 200, self.token(data)
                else:
                    status, answer = 200, self.upload(data)
            else:
                status, answer = 404, {"code": "0", "status": "接口不存在"}
        except ValueError as exc:
            status, answer = 200, {"code": "0", "status": f"报文格式错误: {exc}"}
        return _send(start_response, status, json.dumps(answer, ensure_ascii=False).encode(), "application/json")

    def token(self, data: dict) -> dict:
        code = str(data.get("companycode") or "")
        if not COMPANY_CODE.fullmatch(code) or data.get("companypassword") != PASSWORD:
            return {"code": "0", "status": "企业编码或密码错误"}
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = code
        return {"code": "1", "status": "成功", "access_token": token}

    def upload(self, data: dict) -> dict:
        with self.lock:
            company = self.tokens.get(str(data.get("access_token") or ""))
        if company is None:
            return {"code": "2", "status": "access_token 无效或已过期"}
        refused = check(data)
        if refused:
            return {"code": "0", "status": refused}
        key = (company, str(data["basicInfo"]["costlistcode"]))
        with self.lock:
            if key in self.records:
                return {"code": "1", "status": "记录已存在"}
            self.records[key] = {"companycode": company, **{name: data.get(name) for name in (
                "basicInfo", "repairprojectlist", "vehiclepartslist")}}
        return {"code": "1", "status": "新增成功"}

    # -- tests' side ------------------------------------------------------------------------------
    def control(self, method: str, path: str, data: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/sandbox/down":
            self.down = bool(data.get("down"))
            return 200, {"down": self.down}
        if method == "POST" and path == "/sandbox/expire-tokens":
            with self.lock:
                self.tokens.clear()
            return 200, {"expired": True}
        if method == "GET" and path == "/sandbox/records":
            with self.lock:
                return 200, {"items": list(self.records.values())}
        return 404, {"code": "not_found"}


def main() -> None:
    parser = argparse.ArgumentParser(description="汽车维修电子健康档案 system sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port())
    args = parser.parse_args()
    with wsgi_server(Sandbox(), args.host, args.port) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
