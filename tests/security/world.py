"""A small chain to attack: stores A and B (and C, the far end of their transfers), one account
per role in store A, and in both stores one of every kind of document, walked through the shop
by HQ so that its ids are real: the authorization matrix sends A's users at B's documents."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jwt
import requests

from tests.support import data
from tests.support.stack import ADMIN_PASSWORD, Stack

ROLES = ("technician", "cashier", "service_advisor", "store_manager", "hq_admin")
"""Least privileged first: a refusal is asked before an allowed call changes the document."""
PASSWORD = "Staff-Pa55-word"
PREVIOUS_KEY = "e2e-previous-jwt-key-of-at-least-thirty-two-bytes"
"""The stack's JWT_ACCEPTED_SECRETS: the key before a rotation, whose tokens still hold."""
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_DAY = [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(7)]


_PHOTO = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
          b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
"""A 1×1 PNG: a finding's photo in each store."""


def ok(reply: requests.Response) -> dict:
    assert reply.status_code in (200, 201), f"{reply.request.method} {reply.request.url}: {reply.text}"
    return reply.json()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def eventually(fetch, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (value := fetch()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)
    return value


@dataclass
class Chain:
    stack: Stack
    admin: requests.Session
    sessions: dict[str, requests.Session] = field(default_factory=dict)
    """One logged-in account per role; the store roles work in store A only."""
    fuzzers: dict[str, requests.Session] = field(default_factory=dict)
    """Accounts of their own for the fuzzer (HQ and a manager of store A), which changes what it finds."""
    users: dict[str, dict] = field(default_factory=dict)
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    """"own" (store A) and "other" (store B): path parameter and body ids of real documents."""
    phones: list[str] = field(default_factory=list)
    """Every customer mobile registered here, in full."""
    passwords: list[str] = field(default_factory=list)
    keys: dict[str, requests.Session] = field(default_factory=dict)
    """API keys of store A by their grants (`_matrix_keys`)."""

    @property
    def url(self) -> str:
        return self.stack.url

    def login(self, username: str, password: str) -> requests.Session:
        session = self.stack.login(username, password)
        self.passwords.append(password)
        return session

    def secrets(self) -> list[str]:
        """What no response and no log line may ever contain."""
        return list(dict.fromkeys([self.stack.env["JWT_SECRET"], PREVIOUS_KEY, ADMIN_PASSWORD, *self.passwords]))

    def operations(self) -> set[str]:
        """`METHOD /path` of every operation in the gateway's OpenAPI document that the gateway serves (not
        the stream's, `x-served-by`: gateway/stream/document.py)."""
        spec = self.admin.get(f"{self.url}/openapi.json", timeout=30).json()
        return {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method, operation in item.items()
                if method in ("get", "post", "put", "patch", "delete") and "x-served-by" not in operation}

    def token(self, key: str | None = None, kid: str | None = None, **claims) -> str:
        """A token signed with `key` (the stack's own secret by default; to test expiry and claims),
        naming `kid` in its header when given."""
        return jwt.encode(claims, key or self.stack.env["JWT_SECRET"], algorithm="HS256",
                          headers={"kid": kid} if kid else None)


def build(stack: Stack) -> Chain:
    admin = stack.login()
    chain = Chain(stack, admin, passwords=[ADMIN_PASSWORD])
    chain.sessions["hq_admin"] = admin
    chain.users["admin"] = ok(admin.get(f"{stack.url}/v1/me"))
    url = stack.url
    stores = {name: ok(admin.post(f"{url}/v1/stores",
                                  json={"code": unique(f"SEC-{name}"), "name": f"安全测试{name}店"}))
              for name in ("A", "B", "C")}
    for role in ROLES[:-1]:
        chain.users[role], chain.sessions[role] = _account(chain, role, [stores["A"]["id"]])
    for role in ("hq_admin", "store_manager"):
        chain.users[f"fuzz-{role}"], chain.fuzzers[role] = _account(chain, role, [stores["A"]["id"]])
    sku = unique("SEC-OIL")
    ok(admin.post(f"{url}/v1/parts", json={"sku": sku, "name": "机油 5W-30", "category": "oil",
                                           "list_price_fen": 8800}))
    op_code = unique("SEC-OP")
    ok(admin.post(f"{url}/v1/labour-operations", json={
        "code": op_code, "name": "保养", "category": "maintenance", "standard_hours": 1, "skill": "maintenance"}))
    package = ok(admin.post(f"{url}/v1/packages", json={
        "code": unique("SEC-PKG"), "name": "小保养", "items": [{"kind": "labour", "op_code": op_code}]}))
    supplier = ok(admin.post(f"{url}/v1/suppliers", json={"code": unique("SEC-SUP"), "name": "供应商"}))
    common = {"sku": sku, "op_code": op_code, "package_ref": package["code"], "supplier_id": supplier["id"],
              "part_id": ok(admin.get(f"{url}/v1/parts", params={"sku": sku}))["items"][0]["id"],
              "ref": op_code, "service_type": op_code, "store_c": stores["C"]["id"], "provider": "wechat"}
    chain.ids["own"] = {**common, **_documents(chain, stores["A"]["id"], stores["C"]["id"], sku, supplier["id"],
                                                package["code"], chain.users["technician"]["id"])}
    chain.ids["other"] = {**common, **_documents(chain, stores["B"]["id"], stores["C"]["id"], sku, supplier["id"],
                                                  package["code"], None)}
    chain.ids["own"].update(_spare_customers(chain))
    for scope, store in (("own", stores["A"]), ("other", stores["B"])):  # what the matrix revokes and rotates
        chain.ids[scope]["key_id"] = _api_key(chain, [store["id"]], ["stock:read"])["id"]
        chain.ids[scope].update(_webhook(chain, store["id"]))
    chain.keys = _matrix_keys(chain, stores["A"]["id"])
    _reconciliation(chain)
    return chain


def _reconciliation(chain: Chain) -> None:
    """A reconciled WeChat Pay statement with a difference in store A and one in B: the sandbox's statement
    of a past day lists each store's intent as paid (the stores never heard of it)."""
    day = "2026-01-02"
    for scope in ("own", "other"):
        requests.post(f"{chain.stack.wechatpay_url}/sandbox/statement", json={
            "date": day, "add": {"out_trade_no": chain.ids[scope]["intent_id"], "amount_fen": 1}},
            timeout=10).raise_for_status()
    run = ok(chain.admin.post(f"{chain.url}/v1/payment-reconciliations",
                              json={"date": day, "provider": "wechat"}))["items"][0]
    for scope in ("own", "other"):
        found = next(row for row in run["differences"] if row["intent_id"] == chain.ids[scope]["intent_id"])
        chain.ids[scope].update(reconciliation_id=run["id"], difference_id=found["id"])


KEY_AREAS = ("customers", "appointments", "quotes", "orders", "work_orders", "stock", "invoices", "ledger")
"""The areas of API key scopes (README, Partner API)."""


def _api_key(chain: Chain, store_ids: list[str], scopes: list[str]) -> dict:
    return ok(chain.admin.post(f"{chain.url}/v1/api-keys", json={
        "name": unique("安全测试密钥"), "scopes": scopes, "store_ids": store_ids, "rate_per_minute": 60000}))


def _webhook(chain: Chain, store_id: str) -> dict[str, str]:
    """A webhook of the store (to a port nobody answers) and a delivery of it to redeliver."""
    hook = ok(chain.admin.post(f"{chain.url}/v1/webhooks", json={
        "url": "http://127.0.0.1:9/hooks", "event_types": ["crm.customer_registered"], "store_ids": [store_id]}))
    _customer(chain, store_id)
    delivery = eventually(lambda: ok(chain.admin.get(f"{chain.url}/v1/webhooks/{hook['id']}/deliveries"))["items"],
                          "a delivery of the store's webhook")[0]
    return {"webhook_id": hook["id"], "delivery_id": delivery["id"]}


def _matrix_keys(chain: Chain, store_id: str) -> dict[str, requests.Session]:
    """Keys of store A: `write` (every area's write scope), `read` (every area's read scope) and
    `no <area>` (every write scope but that area's)."""
    grants = {"write": [f"{area}:write" for area in KEY_AREAS], "read": [f"{area}:read" for area in KEY_AREAS],
              **{f"no {area}": [f"{other}:write" for other in KEY_AREAS if other != area] for area in KEY_AREAS}}
    sessions = {}
    for name, scopes in grants.items():
        secret = _api_key(chain, [store_id], scopes)["secret"]
        chain.passwords.append(secret)  # never in an answer or a log line
        sessions[name] = requests.Session()
        sessions[name].headers["Authorization"] = f"Bearer {secret}"
    return sessions


def _account(chain: Chain, role: str, store_ids: list[str]) -> tuple[dict, requests.Session]:
    """A new account, logged in now: later the fuzzer's refused logins throttle this address."""
    username = unique(role.replace("_", "-")).lower()
    user = ok(chain.admin.post(f"{chain.url}/v1/users", json={
        "username": username, "password": PASSWORD, "role": role,
        "store_ids": [] if role == "hq_admin" else store_ids}))
    return user, chain.login(username, PASSWORD)


def _customer(chain: Chain, store_id: str) -> dict:
    mobile = data.mobile()
    chain.phones.append(mobile)
    return ok(chain.admin.post(f"{chain.url}/v1/customers", json={
        "name": "王安全", "mobile": mobile, "home_store_id": store_id, "marketing_consent": True}))


def _spare_customers(chain: Chain) -> dict[str, str]:
    """Customers (chain-wide) that the matrix may erase or merge without touching the others."""
    store_id = chain.ids["own"]["store_id"]
    return {"erasable_customer_id": _customer(chain, store_id)["id"],
            "surviving_customer_id": _customer(chain, store_id)["id"],
            "duplicate_customer_id": _customer(chain, store_id)["id"]}


def _documents(chain: Chain, store_id: str, far_store_id: str, sku: str, supplier_id: str, package_ref: str,
               technician_user_id: str | None) -> dict[str, str]:
    """One car through the store (check-in to delivery and payment) and one of each other document."""
    admin, url = chain.admin, chain.url
    ids: dict[str, str] = {"store_id": store_id}
    staff = ok(admin.post(f"{url}/v1/users", json={
        "username": unique("staff").lower(), "password": PASSWORD, "role": "technician", "store_ids": [store_id]}))
    ids["user_id"] = staff["id"]
    po = ok(admin.post(f"{url}/v1/purchase-orders", json={
        "store_id": store_id, "supplier_id": supplier_id, "submit": True,
        "lines": [{"sku": sku, "qty": 20, "unit_cost_fen": 4000}]}))
    ids["receipt_id"] = ok(admin.post(f"{url}/v1/purchase-orders/{po['id']}/receipts", json={
        "lines": [{"sku": sku, "qty": 10, "unit_cost_fen": 4000}]}))["id"]
    ids["po_id"] = po["id"]
    ids["supplier_invoice_id"] = ok(admin.post(f"{url}/v1/supplier-invoices", json={
        "purchase_order_id": po["id"], "number": unique("FP"), "issued_on": "2026-11-01",
        "lines": [{"sku": sku, "qty": 1, "unit_price_fen": 4000}]}))["id"]
    technician = ok(admin.post(f"{url}/v1/technicians", json={
        "store_id": store_id, "name": "李师傅", "level": "senior", "hourly_cost_fen": 6000,
        "skills": ["maintenance"], "shifts": ALL_DAY, "user_id": technician_user_id}))
    ids["technician_id"] = technician["id"]

    customer = _customer(chain, store_id)
    vehicle = ok(admin.post(f"{url}/v1/customers/{customer['id']}/vehicles", json={
        "plate": data.plate(), "vin": data.vin(), "make": "丰田", "model": "卡罗拉", "mileage_km": 30000}))
    ids.update(customer_id=customer["id"], vehicle_id=vehicle["id"])
    slot = (datetime.now(SHANGHAI) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    ids["appointment_id"] = ok(admin.post(f"{url}/v1/appointments", json={
        "store_id": store_id, "customer_id": customer["id"], "vehicle_id": vehicle["id"],
        "slot_start": slot.isoformat(), "services": ["maintenance"]}))["id"]
    ids["price_id"] = ok(admin.post(f"{url}/v1/competitor-prices", json={
        "store_id": store_id, "competitor": "对面快修店", "kind": "package", "key": package_ref, "price_fen": 19900,
        "observed_on": datetime.now(SHANGHAI).date().isoformat()}))["id"]
    ids["drive_id"] = ok(admin.post(f"{url}/v1/test-drives", json={
        "store_id": store_id, "customer_id": customer["id"], "licence_number": "440101199001011234",
        "vehicle_description": "试驾车 凯美瑞"}))["id"]
    visit = ok(admin.post(f"{url}/v1/visits", json={
        "store_id": store_id, "customer_id": customer["id"], "vehicle_id": vehicle["id"], "mileage_km": 30100,
        "needs": ["maintenance"]}))
    ids["visit_id"] = visit["id"]

    quote = ok(admin.post(f"{url}/v1/quotes", json={"visit_id": visit["id"]}))
    q = f"{url}/v1/quotes/{quote['id']}"
    ok(admin.post(f"{q}/lines", json={"kind": "labour", "description": "换机油", "hours": 1, "skill": "maintenance"}))
    quote = ok(admin.post(f"{q}/lines", json={"kind": "part", "sku": sku, "qty": 2}))
    ok(admin.post(f"{q}/present"))
    ok(admin.post(f"{q}/decision", json={"approved_line_ids": [line["id"] for line in quote["lines"]],
                                         "declined_line_ids": []}))
    order = ok(admin.post(f"{q}/contract", json={"payment_method": "wechat", "signed_by": "王安全",
                                                 "deposit_fen": 1000, "deposit_reference": "WX-SEC"}))
    ids.update(quote_id=quote["id"], line_id=quote["lines"][0]["id"], order_id=order["id"])
    draft = ok(admin.post(f"{url}/v1/quotes", json={"visit_id": visit["id"]}))
    ids["draft_quote_id"] = draft["id"]

    work_order = eventually(lambda: ok(admin.get(f"{url}/v1/work-orders", params={"order_id": order["id"]}))["items"],
                            "a work order for the order")[0]
    w = f"{url}/v1/work-orders/{work_order['id']}"
    job = work_order["jobs"][0]
    ids.update(work_order_id=work_order["id"], job_id=job["id"])
    ids["reservation_id"] = eventually(lambda: ok(admin.get(f"{url}/v1/stock/reservations", params={
        "store_id": store_id}))["items"], "parts reserved")[0]["id"]
    ok(admin.post(f"{w}/dispatch", json={"jobs": [{"job_id": job["id"], "technicians": [
        {"technician_id": technician["id"], "split_pct": 100}]}]}))
    ok(admin.post(f"{w}/jobs/{job['id']}/clock-in", json={"technician_id": technician["id"]}))
    inspection = ok(admin.post(f"{w}/inspections", json={"mileage_km": 30100, "findings": [
        {"area": "brakes", "item": "前刹车片", "condition": "yellow"}]}))
    ids["finding_id"] = inspection["findings"][0]["id"]
    ids["attachment_id"] = ok(admin.post(f"{w}/inspections/{ids['finding_id']}/photos",
                                         files={"file": ("pad.png", _PHOTO, "image/png")}))["id"]
    ok(admin.post(f"{w}/jobs/{job['id']}/clock-out", json={"technician_id": technician["id"], "job_finished": True}))
    ok(admin.post(f"{w}/ready-for-qc", json={}))
    ok(admin.post(f"{w}/qc", json={"passed": True}))
    ok(admin.post(f"{w}/complete", json={"labour": [
        {"job_id": job["id"], "technician_id": technician["id"], "hours": 1}]}))
    invoice = eventually(lambda: ok(admin.get(f"{url}/v1/invoices", params={
        "store_id": store_id, "order_id": order["id"]}))["items"], "the invoice issued")[0]
    ids["intent_id"] = ok(admin.post(f"{url}/v1/invoices/{invoice['id']}/payment-intents", json={
        "provider": "wechat", "channel": "qr", "amount_fen": 1}))["id"]  # never paid: the cash below settles it
    ok(admin.patch(f"{url}/v1/stores/{store_id}/finance-settings", json={"repair_category": "class_2"}))
    insurer = ok(admin.post(f"{url}/v1/insurers", json={"name": unique("安全测试财险"), "store_ids": [store_id]}))
    claim = ok(admin.post(f"{url}/v1/invoices/{invoice['id']}/insurance-claims", json={  # 1 fen on the insurer
        "insurer_id": insurer["id"], "claim_number": unique("RDAA").replace("-", ""), "amount_fen": 1}))["claim"]
    ids.update(insurer_id=insurer["id"], claim_id=claim["id"])
    paid = ok(admin.post(f"{url}/v1/invoices/{invoice['id']}/payments", json={  # its health record queued
        "method": "cash", "amount_fen": invoice["due_fen"] - 1}))
    ids.update(invoice_id=invoice["id"], payment_id=paid["payment"]["id"])
    settings = f"{url}/v1/stores/{store_id}/finance-settings"  # a request is above the limit: lowered a moment
    limit = ok(admin.get(settings))["refund_approval_limit_fen"]
    ok(admin.patch(settings, json={"refund_approval_limit_fen": 0}))
    ids["refund_request_id"] = ok(admin.post(f"{url}/v1/payments/{paid['payment']['id']}/refund-requests",
                                             json={"amount_fen": 1, "reason": "多收一分"}))["id"]
    ok(admin.patch(settings, json={"refund_approval_limit_fen": limit}))
    ids["upload_id"] = ok(admin.get(f"{url}/v1/health-record-uploads", params={
        "store_id": store_id, "invoice_id": invoice["id"]}))["items"][0]["id"]  # queued with the settlement
    account = ok(admin.post(f"{url}/v1/company-accounts", json={
        "name": "安全测试物流有限公司", "tax_number": data.credit_code(), "credit_limit_fen": 100_000,
        "store_ids": [store_id]}))
    ok(admin.post(f"{url}/v1/company-accounts/{account['id']}/members", json={"vehicle_id": vehicle["id"]}))
    ids["company_account_id"] = account["id"]
    fapiao = admin.post(f"{url}/v1/invoices/{invoice['id']}/fapiao", json={"type": "normal", "buyer_title": "王安全"})
    assert fapiao.status_code == 202, fapiao.text  # queued: issued by the provider afterwards
    ids["fapiao_id"] = fapiao.json()["id"]
    ok(admin.post(f"{w}/deliver", json={"mileage_out_km": 30110, "accepted_by": "王安全", "satisfied": True}))
    ids["follow_up_id"] = eventually(lambda: ok(admin.get(f"{url}/v1/follow-ups", params={
        "store_id": store_id}))["items"], "a follow-up after delivery")[0]["id"]

    ids["complaint_id"] = ok(admin.post(f"{url}/v1/complaints", json={
        "store_id": store_id, "customer_id": customer["id"], "description": "等待时间长"}))["id"]
    ids["campaign_id"] = ok(admin.post(f"{url}/v1/campaigns", json={
        "store_id": store_id, "name": "保养提醒", "channel": "sms", "template": "您好",
        "segment": {"home_store_id": store_id},
        "scheduled_at": (datetime.now(SHANGHAI) + timedelta(days=7)).isoformat()}))["id"]
    ids["card_id"] = ok(admin.post(f"{url}/v1/member-cards", json={
        "kind": "stored_value", "customer_id": customer["id"], "store_id": store_id,
        "top_up": {"amount_fen": 10000, "method": "cash"}}))["id"]
    ids["stocktake_id"] = ok(admin.post(f"{url}/v1/stocktakes", json={"store_id": store_id}))["id"]
    ids["transfer_id"] = ok(admin.post(f"{url}/v1/transfers", json={
        "from_store_id": far_store_id, "to_store_id": store_id, "lines": [{"sku": sku, "qty": 1}]}))["id"]
    ids["outgoing_transfer_id"] = ok(admin.post(f"{url}/v1/transfers", json={
        "from_store_id": store_id, "to_store_id": far_store_id, "lines": [{"sku": sku, "qty": 1}]}))["id"]
    return ids
