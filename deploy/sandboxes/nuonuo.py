"""A local sandbox of the 诺诺开放平台 (Nuonuo open platform) fapiao API, as open.nuonuo.com documents it,
small enough to read. What services/finance/fapiao_nuonuo.py speaks is what this checks:

- `POST /accessToken` (client_id, client_secret, grant_type=client_credentials) → `{access_token, expires_in}`;
- `POST /open/v1/services?senid=&nonce=&timestamp=&appkey=` with headers `accessToken`, `userTax`, `method`
  and `X-Nuonuo-Sign` (HMAC-SHA1 of the path's pieces, the parameters and the body, Base64): a wrong
  signature, an unknown app key or token, another seller's tax number, a timestamp 5 minutes off or a
  nonce used before are refused (`code` ≠ E0000); every answer is `{code, describe, result}`;
- `nuonuo.OpenSDK.requestBillingNew`: blue (invoiceType 1) or red (2, naming the blue `invoiceNum` and a
  confirmed 红字确认单 `billInfoNo`); each line's amounts must add up (tax + excluded = included) and carry
  a 19-digit goodsCode; a 专票 (bs) needs the buyer's tax number. Answers the `invoiceSerialNum`; the same
  `orderNo` again answers the same serial. The fapiao is 开票中 (status 20) for `ISSUE_SECONDS`, then issued
  (status 2) with a 20-digit 数电票号码, its time, a PDF at `/fp/{serial}.pdf` (`pdfUrl`) and the same face as an
  OFD 版式文件 (GB/T 33190: a zip of OFD.xml, Doc_0/Document.xml, its fonts and a page of text objects) at
  `/fp/{serial}.ofd` (`ofdUrl`);
- `nuonuo.OpenSDK.queryInvoiceResult` (serialNos) → the list of results;
- `nuonuo.OpenSDK.saveInvoiceRedConfirm` (blueInvoiceNumber, …) → `{billId, billNo, billStatus}`: 01 无需确认
  for a 普票 (pc), 02 销方录入待购方确认 for a 专票 (bs) until the buyer answers;
- `nuonuo.OpenSDK.queryInvoiceRedConfirm` (billId) → `[{billId, billNo, billStatus}]`.

Control endpoints for tests (not part of Nuonuo):
- `POST /sandbox/down` `{down}`: every API call answers HTTP 503 meanwhile;
- `POST /sandbox/confirm` `{blue_number, accept}`: the buyer confirms (04) or declines (05) the 红字确认单;
- `GET /sandbox/invoices`: every fapiao as the sandbox holds it.

`python -m deploy.sandboxes.nuonuo [--port NUONUO_SANDBOX_PORT]`; `credentials(url)` is the environment
the finance service needs to talk to it.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import threading
import time
import zipfile
from decimal import Decimal
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A5, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from services.finance.fapiao_nuonuo import PATH, sign

from . import wsgi_server

APP_KEY = "SD00000001"
APP_SECRET = "SDSANDBOXSECRET0"
TAX_NUM = "91330106MA2B0NN00P"
"""The sandbox seller's tax number (a made-up unified social credit code with a right check character)."""
SELLER_NAME = "诺诺沙箱汽车服务有限公司"
STORE_TAX_NUM = "91310115MA1K4ABC2X"
SELLERS = {TAX_NUM: SELLER_NAME, STORE_TAX_NUM: "诺诺沙箱浦东汽车服务有限公司"}
"""The sellers whose 诺诺 accounts the sandbox's app may issue for (`userTax`): the chain's, and a store that is a
legal entity of its own (its keys file: `store_seller()`); a fapiao's `salerTaxNum` must be the `userTax` it
is sent for."""


def store_seller() -> dict[str, str]:
    """A store's keys file (PROVIDER_KEYS_DIR/nuonuo/<store>.json) making it the seller `STORE_TAX_NUM`."""
    return {"tax_num": STORE_TAX_NUM, "seller_name": SELLERS[STORE_TAX_NUM]}
TAX_CODES = {"labour": "3040409000000000000", "part": "1090512000000000000", "fee": "3040409000000000000"}
"""税收分类编码 the sandbox stack configures per kind of line (FAPIAO_TAX_CODES): codes in the shape of the
table (19 digits); a store's accountant sets the real ones."""
CLOCK_SKEW = 300
ISSUE_SECONDS = 0.3
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def port() -> int:
    """Where `make run` serves the sandbox (`NUONUO_SANDBOX_PORT`)."""
    return int(os.environ.get("NUONUO_SANDBOX_PORT", "8094"))


def credentials(base_url: str) -> dict[str, str]:
    return {"NUONUO_APP_KEY": APP_KEY, "NUONUO_APP_SECRET": APP_SECRET, "NUONUO_TAX_NUM": TAX_NUM,
            "NUONUO_SELLER_NAME": SELLER_NAME, "NUONUO_BASE_URL": base_url,
            "NUONUO_TOKEN_URL": f"{base_url}/accessToken",
            "FAPIAO_TAX_CODES": json.dumps(TAX_CODES)}


def _fen(text) -> int:
    return int(Decimal(str(text)) * 100)


class Sandbox:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.lock = threading.Lock()
        self.tokens: set[str] = set()
        self.nonces: set[str] = set()
        self.down = False
        self.invoices: dict[str, dict] = {}  # serial -> fapiao
        self.by_order: dict[str, str] = {}  # orderNo -> serial
        self.bills: dict[str, dict] = {}  # billId -> 红字确认单

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        if method == "GET" and path.startswith("/fp/") and path[-4:] in (".pdf", ".ofd"):
            fapiao = self.invoices.get(path[4:-4])
            if fapiao is None or fapiao["number"] is None:
                return _send(start_response, 404, b"{}", "application/json")
            if path.endswith(".ofd"):
                return _send(start_response, 200, ofd(*face(fapiao), fapiao["number"]), "application/ofd")
            return _send(start_response, 200, pdf(*face(fapiao)), "application/pdf")
        try:
            if path.startswith("/sandbox/"):
                status, answer = self.control(method, path, json.loads(body or "{}"))
            elif method == "POST" and path == "/accessToken":
                status, answer = self.token(dict(parse_qsl(body)))
            elif method == "POST" and path == PATH:
                if self.down:
                    status, answer = 503, {"code": "E9999", "describe": "系统繁忙"}
                else:
                    status, answer = 200, self.api(environ, query, body)
            else:
                status, answer = 404, {"code": "E9404", "describe": "接口不存在"}
        except (ValueError, KeyError, TypeError) as exc:
            status, answer = 200, {"code": "E9106", "describe": f"参数错误: {exc}"}
        return _send(start_response, status, json.dumps(answer, ensure_ascii=False).encode(), "application/json")

    # -- the platform -----------------------------------------------------------------------------
    def token(self, form: dict) -> tuple[int, dict]:
        if form.get("client_id") != APP_KEY or form.get("client_secret") != APP_SECRET \
                or form.get("grant_type") != "client_credentials":
            return 400, {"error": "invalid_client", "error_description": "应用不存在或密钥错误"}
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens.add(token)
        return 200, {"access_token": token, "expires_in": 86400}

    def api(self, environ, query: dict, body: str) -> dict:
        header = {name: environ.get(f"HTTP_{name.upper().replace('-', '_')}", "")
                  for name in ("X-Nuonuo-Sign", "accessToken", "userTax", "method")}
        if query.get("appkey") != APP_KEY:
            return {"code": "070301", "describe": "appKey 不存在"}
        if header["accessToken"] not in self.tokens:
            return {"code": "070302", "describe": "accessToken 无效"}
        if header["userTax"] not in SELLERS:
            return {"code": "070303", "describe": "userTax 未授权"}
        stamp = query.get("timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > CLOCK_SKEW:
            return {"code": "070304", "describe": "timestamp 超时"}
        expected = sign(APP_SECRET, APP_KEY, query.get("senid", ""), query.get("nonce", ""), stamp, body)
        if not secrets.compare_digest(expected, header["X-Nuonuo-Sign"]):
            return {"code": "070305", "describe": "签名错误"}
        with self.lock:
            if query.get("nonce", "") + query.get("senid", "") in self.nonces:
                return {"code": "070306", "describe": "重复请求"}
            self.nonces.add(query.get("nonce", "") + query.get("senid", ""))
        content = json.loads(body)
        if content.get("order", {}).get("salerTaxNum", header["userTax"]) != header["userTax"]:
            return {"code": "E9106", "describe": "销方税号与授权不符"}
        handlers = {"nuonuo.OpenSDK.requestBillingNew": self.billing, "nuonuo.OpenSDK.queryInvoiceResult": self.result,
                    "nuonuo.OpenSDK.saveInvoiceRedConfirm": self.red_confirm,
                    "nuonuo.OpenSDK.queryInvoiceRedConfirm": self.red_confirm_query}
        if header["method"] not in handlers:
            return {"code": "070307", "describe": "method 不存在"}
        return handlers[header["method"]](content)

    def billing(self, content: dict) -> dict:
        order = content["order"]
        for name in ("buyerName", "salerTaxNum", "orderNo", "invoiceDate", "clerk", "invoiceType", "invoiceLine"):
            if not order.get(name):
                return {"code": "E9106", "describe": f"{name} 不能为空"}
        if order["salerTaxNum"] not in SELLERS:
            return {"code": "E9106", "describe": "销方税号与授权不符"}
        if order["invoiceLine"] not in ("pc", "bs"):
            return {"code": "E9106", "describe": "发票种类不支持"}
        if order["invoiceLine"] == "bs" and not order.get("buyerTaxNum"):
            return {"code": "E9106", "describe": "专票购方税号不能为空"}
        lines = order.get("invoiceDetail") or []
        if not lines:
            return {"code": "E9106", "describe": "明细不能为空"}
        for line in lines:
            if not re.fullmatch(r"\d{19}", str(line.get("goodsCode", ""))):
                return {"code": "E9106", "describe": f"{line.get('goodsName')} 税收分类编码不正确"}
            if _fen(line["tax"]) + _fen(line["taxExcludedAmount"]) != _fen(line["taxIncludedAmount"]):
                return {"code": "E9106", "describe": f"{line.get('goodsName')} 金额不平"}
        red = order["invoiceType"] == "2"
        with self.lock:
            if order["orderNo"] in self.by_order:
                return {"code": "E0000", "describe": "开票提交成功", "result": {
                    "invoiceSerialNum": self.by_order[order["orderNo"]]}}
            if red:
                blue = self._issued(order.get("invoiceNum"))
                bill = next((b for b in self.bills.values() if b["billNo"] == order.get("billInfoNo")), None)
                if blue is None or bill is None or bill["blueInvoiceNumber"] != blue["number"] \
                        or bill["billStatus"] not in ("01", "04"):
                    return {"code": "E9106", "describe": "红字确认单未确认或与蓝票不符"}
                if blue.get("reversed"):
                    return {"code": "E9106", "describe": "蓝票已红冲"}
                blue["reversed"] = True
            serial = f"{time.strftime('%y%m%d%H%M%S')}{secrets.randbelow(10 ** 8):08d}"
            self.by_order[order["orderNo"]] = serial
            self.invoices[serial] = {"serial": serial, "order": order, "at": time.time(), "number": None}
        return {"code": "E0000", "describe": "开票提交成功", "result": {"invoiceSerialNum": serial}}

    def _issued(self, number) -> dict | None:
        return next((f for f in self.invoices.values() if number and f["number"] == number), None)

    def _advance(self, fapiao: dict) -> None:
        if fapiao["number"] is None and time.time() - fapiao["at"] >= ISSUE_SECONDS:
            fapiao["number"] = f"{time.strftime('%y')}330000{secrets.randbelow(10 ** 12):012d}"
            fapiao["time_ms"] = int(time.time() * 1000)

    def result(self, content: dict) -> dict:
        found = []
        with self.lock:
            for serial in content.get("serialNos") or []:
                fapiao = self.invoices.get(serial)
                if fapiao is None:
                    continue
                self._advance(fapiao)
                done = fapiao["number"] is not None
                found.append({"serialNo": serial, "orderNo": fapiao["order"]["orderNo"],
                              "status": "2" if done else "20",
                              "statusMsg": "开票完成（最终状态）" if done else "开票中",
                              "failCause": "", "invoiceLine": fapiao["order"]["invoiceLine"],
                              "allElectronicInvoiceNumber": fapiao["number"] or "",
                              "invoiceNo": fapiao["number"] or "",
                              "invoiceTime": fapiao.get("time_ms") or "",
                              "pdfUrl": f"{self.base_url}/fp/{serial}.pdf" if done else "",
                              "ofdUrl": f"{self.base_url}/fp/{serial}.ofd" if done else ""})
        return {"code": "E0000", "describe": "获取成功", "result": found}

    def red_confirm(self, content: dict) -> dict:
        with self.lock:
            blue = self._issued(content.get("blueInvoiceNumber"))
            if blue is None:
                return {"code": "E9106", "describe": "蓝票不存在"}
            if content.get("redReason") not in ("1", "2", "3", "4"):
                return {"code": "E9106", "describe": "冲红原因不正确"}
            bill_id = secrets.token_hex(8)
            bill = {"billId": bill_id, "billNo": f"{secrets.randbelow(10 ** 20):020d}",
                    "billStatus": "01" if blue["order"]["invoiceLine"] == "pc" else "02",
                    "blueInvoiceNumber": blue["number"]}
            self.bills[bill_id] = bill
        return {"code": "E0000", "describe": "申请成功", "result": {**bill}}

    def red_confirm_query(self, content: dict) -> dict:
        bill = self.bills.get(str(content.get("billId")))
        return {"code": "E0000", "describe": "获取成功", "result": [dict(bill)] if bill else []}

    # -- tests' side ------------------------------------------------------------------------------
    def control(self, method: str, path: str, data: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/sandbox/down":
            self.down = bool(data.get("down"))
            return 200, {"down": self.down}
        if method == "POST" and path == "/sandbox/confirm":
            with self.lock:
                bill = next((b for b in self.bills.values() if b["blueInvoiceNumber"] == data.get("blue_number")),
                            None)
                if bill is None:
                    return 404, {"code": "not_found"}
                bill["billStatus"] = "04" if data.get("accept", True) else "05"
            return 200, dict(bill)
        if method == "GET" and path == "/sandbox/invoices":
            with self.lock:
                for fapiao in self.invoices.values():
                    self._advance(fapiao)
                return 200, {"items": [{"serial": f["serial"], "number": f["number"], "order": f["order"],
                                        "reversed": bool(f.get("reversed"))} for f in self.invoices.values()]}
        return 404, {"code": "not_found"}



def face(fapiao: dict) -> tuple[str, list[str]]:
    """What the fapiao's face says: its kind, then a line each for its number, buyer, seller and goods."""
    order = fapiao["order"]
    kind = "电子发票（增值税专用发票）" if order["invoiceLine"] == "bs" else "电子发票（普通发票）"
    rows = [f"发票号码：{fapiao['number']}", f"购买方：{order['buyerName']}  {order.get('buyerTaxNum', '')}",
            f"销售方：{SELLERS.get(order['salerTaxNum'], SELLER_NAME)}  {order['salerTaxNum']}"]
    rows += [f"{line['goodsName']}  {line['num']}  ¥{line['taxIncludedAmount']}" for line in order["invoiceDetail"]]
    return ("红字" if order["invoiceType"] == "2" else "") + kind, rows


def pdf(title: str, rows: list[str]) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=landscape(A5))
    page.setFont(FONT, 16)
    page.drawString(40, 370, title)
    page.setFont(FONT, 10)
    for index, row in enumerate(rows):
        page.drawString(40, 340 - 18 * index, row)
    page.showPage()
    page.save()
    return out.getvalue()


OFD_NS = "http://www.ofdspec.org/2016"


def ofd(title: str, rows: list[str], number: str) -> bytes:
    """The face as an OFD package (GB/T 33190-2016): the entry file, one document of one A5-landscape page
    (210 × 148 mm) whose text objects are the face's lines in 宋体."""
    def text(object_id: int, y: float, size: float, words: str) -> str:
        return (f'<ofd:TextObject ID="{object_id}" Boundary="10 {y:g} 190 {size + 2:g}" Font="2" Size="{size:g}">'
                f'<ofd:TextCode X="0" Y="{size:g}">{escape(words)}</ofd:TextCode></ofd:TextObject>')
    objects = [text(4, 10, 6, title)] + [text(5 + index, 24 + 7 * index, 3.5, row) for index, row in enumerate(rows)]
    files = {
        "OFD.xml": f'<ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo>'
                   f'<ofd:DocID>{number}</ofd:DocID><ofd:Title>{escape(title)}</ofd:Title>'
                   f'<ofd:CreationDate>{time.strftime("%Y-%m-%d")}</ofd:CreationDate></ofd:DocInfo>'
                   f'<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
        "Doc_0/Document.xml": f'<ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
                              f'<ofd:MaxUnitID>{4 + len(objects)}</ofd:MaxUnitID><ofd:PageArea>'
                              f'<ofd:PhysicalBox>0 0 210 148</ofd:PhysicalBox></ofd:PageArea>'
                              f'<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>'
                              f'<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
                              f'</ofd:Document>',
        "Doc_0/PublicRes.xml": f'<ofd:Res xmlns:ofd="{OFD_NS}" BaseLoc="Res"><ofd:Fonts>'
                               f'<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
        "Doc_0/Pages/Page_0/Content.xml": f'<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer ID="3">'
                                          f'{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, xml in files.items():
            package.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
    return out.getvalue()


def _send(start_response, status: int, data: bytes, content_type: str) -> list[bytes]:
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}
    start_response(f"{status} {reasons.get(status, 'Error')}",
                   [("Content-Type", f"{content_type}; charset=utf-8" if "json" in content_type else content_type),
                    ("Content-Length", str(len(data)))])
    return [data]


def main() -> None:
    parser = argparse.ArgumentParser(description="诺诺开放平台 fapiao sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port())
    args = parser.parse_args()
    sandbox = Sandbox(f"http://{args.host}:{args.port}")
    with wsgi_server(sandbox, args.host, args.port) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
