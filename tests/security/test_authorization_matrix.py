"""Who may call what: every operation of the API × every role × own store / another store.

The allowed roles are written out here from API.md and from who does what in a shop (the counter
books and quotes, the floor clocks and inspects, the till takes money, the manager approves, closes
the day and sees the money reports, HQ keeps the chain's catalogue), not read back from the
gateway's `@endpoint` declarations. Expected: a role outside the row → 403; an allowed role → its
store's documents are not refused (not 401/403), another store's are 403 (HQ: every store);
without a token → 401. Every answer is also scanned for leaks (`leaks.py`).

"own" requests use store A's documents and A's id in bodies and filters; "other" the same
documents of store B, so an id from another store is a real one."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
import requests

from tests.security.leaks import assert_no_leak
from tests.security.world import ROLES

pytestmark = pytest.mark.e2e

HQ = frozenset({"hq_admin"})
MANAGERS = HQ | {"store_manager"}
COUNTER = MANAGERS | {"service_advisor"}
"""Reception and the quote: advisors (and managers)."""
FRONT_DESK = COUNTER | {"cashier"}
"""Also the front desk's customer care (registering customers, call-backs, complaints)."""
TILL = MANAGERS | {"cashier"}
FLOOR = COUNTER | {"technician"}
"""The workshop floor: clocking, inspections, QC."""
MONEY_READERS = TILL | {"service_advisor"}
"""Invoices: the advisor explains the bill to the customer."""
STAFF = FLOOR | {"cashier"}
PUBLIC = frozenset()

CHAIN, STORE = "chain", "store"
"""CHAIN: customers, vehicles, the catalogue, suppliers and member cards are the chain's, asked once
per role; STORE: the document (or the store named in the body or filter) is store A's or B's."""


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    roles: frozenset[str]
    scope: str
    body: dict | None = None
    query: dict | None = None
    ids: dict[str, str] = field(default_factory=dict)
    """Path parameters taken from another document than the one named like them."""

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def row(method: str, path: str, roles: frozenset[str], scope: str = STORE, **kwargs) -> Row:
    return Row(method, path, roles, scope, **kwargs)


S = {"store_id": "{store_id}"}
TABLE = [
    # -- health, identity
    row("GET", "/healthz", PUBLIC, CHAIN),
    row("GET", "/readyz", PUBLIC, CHAIN),
    row("POST", "/v1/auth/login", PUBLIC, CHAIN, body={"username": "nobody", "password": "wrong-password"}),
    row("GET", "/v1/me", STAFF, CHAIN),
    row("GET", "/v1/stores", STAFF, CHAIN),
    row("POST", "/v1/stores", HQ, CHAIN, body={"code": "{uniq}", "name": "新店"}),
    row("PATCH", "/v1/stores/{store_id}", MANAGERS, body={"phone": "020-88886666"}),
    row("GET", "/v1/users", MANAGERS, query=S),
    row("POST", "/v1/users", MANAGERS, body={"username": "{uniq}", "password": "Pa55-word-1", "role": "cashier",
                                             "store_ids": ["{store_id}"]}),
    row("PATCH", "/v1/users/{user_id}", MANAGERS, body={"display_name": "改名"}),
    # -- scheduled reports: a manager's own subscriptions (another's id is 404, like an unknown one)
    row("GET", "/v1/report-subscriptions", MANAGERS, CHAIN),
    row("POST", "/v1/report-subscriptions", MANAGERS, body={"store_id": "{store_id}", "period": "daily"}),
    row("DELETE", "/v1/report-subscriptions/{subscription_id}", MANAGERS, CHAIN, ids={"subscription_id": "user_id"}),
    # -- the partner API: keys and webhooks
    row("GET", "/v1/api-keys", MANAGERS, query=S),
    row("POST", "/v1/api-keys", MANAGERS, body={"name": "对接", "scopes": ["stock:read"], "store_ids": ["{store_id}"]}),
    row("POST", "/v1/api-keys/{key_id}/rotate", MANAGERS, body={"overlap_minutes": 0}),
    row("POST", "/v1/api-keys/{key_id}/revoke", MANAGERS),
    row("GET", "/v1/webhooks", MANAGERS, query=S),
    row("POST", "/v1/webhooks", MANAGERS, body={"url": "http://127.0.0.1:9/hooks", "store_ids": ["{store_id}"],
                                                "event_types": ["sales.order_confirmed"]}),
    row("GET", "/v1/webhooks/{webhook_id}/deliveries", MANAGERS),
    row("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", MANAGERS),
    # -- crm: customers and vehicles are the chain's
    row("GET", "/v1/customers", STAFF, CHAIN),
    row("POST", "/v1/customers", FRONT_DESK,
        body={"name": "新客户", "mobile": "{mobile}", "home_store_id": "{store_id}"}),
    row("GET", "/v1/customers/{customer_id}", STAFF, CHAIN),
    row("PATCH", "/v1/customers/{customer_id}", COUNTER, CHAIN, body={"tags": ["vip"]}),
    row("GET", "/v1/customers/{customer_id}/history", STAFF, CHAIN),
    row("POST", "/v1/customers/{customer_id}/vehicles", FRONT_DESK, CHAIN, body={"plate": "{plate}"}),
    row("GET", "/v1/vehicles", STAFF, CHAIN, query={"plate": "粤B00000"}),
    row("GET", "/v1/vehicles/{vehicle_id}", STAFF, CHAIN),
    row("PATCH", "/v1/vehicles/{vehicle_id}", COUNTER, CHAIN, body={"color": "白"}),
    row("GET", "/v1/vehicles/{vehicle_id}/history", STAFF, CHAIN),
    row("POST", "/v1/customers/{customer_id}/merge", MANAGERS, CHAIN, body={"duplicate_id": "{duplicate_customer_id}"},
        ids={"customer_id": "surviving_customer_id"}),
    row("POST", "/v1/customers/{customer_id}/erase", MANAGERS, CHAIN, ids={"customer_id": "erasable_customer_id"}),
    row("GET", "/v1/customers/{customer_id}/audit", MANAGERS, CHAIN),
    # -- crm: the store's customer care
    row("GET", "/v1/stores/{store_id}/crm-settings", STAFF),
    row("PATCH", "/v1/stores/{store_id}/crm-settings", MANAGERS, body={"follow_up_delay_days": 3}),
    row("GET", "/v1/stores/{store_id}/message-accounts", MANAGERS),
    row("GET", "/v1/follow-ups", FRONT_DESK, query=S),
    row("GET", "/v1/follow-ups/satisfaction", MANAGERS, query={**S, "from": "2026-01-01", "to": "2026-12-31"}),
    row("GET", "/v1/follow-ups/{follow_up_id}", FRONT_DESK),
    row("POST", "/v1/follow-ups/{follow_up_id}/complete", FRONT_DESK, body={"reached": True, "satisfaction": 5}),
    row("GET", "/v1/complaints", FRONT_DESK, query=S),
    row("POST", "/v1/complaints", FRONT_DESK, body={**S, "customer_id": "{customer_id}", "description": "投诉"}),
    row("GET", "/v1/complaints/{complaint_id}", FRONT_DESK),
    row("PATCH", "/v1/complaints/{complaint_id}", FRONT_DESK, body={"status": "in_progress"}),
    row("GET", "/v1/reminders", FRONT_DESK, query=S),
    row("GET", "/v1/service-intervals", STAFF, CHAIN),
    row("PUT", "/v1/service-intervals/{service_type}", HQ, CHAIN, body={"name": "保养", "months": 6, "km": 5000}),
    row("GET", "/v1/campaigns", MANAGERS, query=S),
    row("POST", "/v1/campaigns", MANAGERS, body={**S, "name": "回厂", "channel": "sms", "template": "您好",
                                                 "segment": {"tags": ["vip"]},
                                                 "scheduled_at": "2030-01-01T10:00:00+08:00"}),
    row("POST", "/v1/campaigns/audience", MANAGERS, body={**S, "segment": {"tags": ["vip"]}}),
    row("GET", "/v1/campaigns/{campaign_id}", MANAGERS),
    row("POST", "/v1/campaigns/{campaign_id}/cancel", MANAGERS),
    row("GET", "/v1/campaigns/{campaign_id}/messages", MANAGERS),
    row("GET", "/v1/messages", COUNTER, query=S),
    # -- sales: settings and the chain's catalogue
    row("GET", "/v1/sales-settings/{store_id}", STAFF),
    row("PUT", "/v1/sales-settings/{store_id}", MANAGERS, body={"slot_capacity": 4}),
    row("GET", "/v1/labour-operations", STAFF, CHAIN),
    row("POST", "/v1/labour-operations", HQ, CHAIN, body={"code": "{uniq}", "name": "检查", "category": "inspection",
                                                          "standard_hours": 0.5}),
    row("GET", "/v1/labour-operations/{ref}", STAFF, CHAIN),
    row("PATCH", "/v1/labour-operations/{ref}", HQ, CHAIN, body={"name": "保养"}),
    row("GET", "/v1/packages", STAFF, CHAIN),
    row("POST", "/v1/packages", HQ, CHAIN, body={"code": "{uniq}", "name": "套餐",
                                                 "items": [{"kind": "labour", "op_code": "{op_code}"}]}),
    row("GET", "/v1/packages/{ref}", STAFF, CHAIN, ids={"ref": "package_ref"}),
    row("PATCH", "/v1/packages/{ref}", HQ, CHAIN, ids={"ref": "package_ref"}, body={"description": "保养套餐"}),
    row("GET", "/v1/price-lists", STAFF, query=S),
    row("GET", "/v1/competitor-prices", COUNTER, query=S),
    row("POST", "/v1/competitor-prices", COUNTER, body={**S, "competitor": "途虎养车", "kind": "package",
                                                        "key": "{package_ref}", "price_fen": 19900,
                                                        "observed_on": "2026-01-05"}),
    row("DELETE", "/v1/competitor-prices/{price_id}", MANAGERS),
    row("GET", "/v1/reports/price-comparison", COUNTER, query=S),
    row("POST", "/v1/price-lists", MANAGERS, body={**S, "kind": "labour_rate", "key": "general", "price_fen": 12000,
                                                   "effective_from": "2030-01-01"}),
    row("GET", "/v1/vehicle-classes", STAFF, CHAIN),
    row("PUT", "/v1/vehicle-classes", HQ, CHAIN, body={"make": "安全测试牌", "vehicle_class": "sedan"}),
    # -- sales: the counter
    row("GET", "/v1/appointments", STAFF, query=S),
    row("POST", "/v1/appointments", COUNTER, body={**S, "customer_id": "{customer_id}",
                                                   "slot_start": "2030-01-02T10:00:00+08:00"}),
    row("GET", "/v1/appointments/{appointment_id}", STAFF),
    row("POST", "/v1/appointments/{appointment_id}/cancel", COUNTER, body={"reason": "改期"}),
    row("POST", "/v1/appointments/{appointment_id}/no-show", COUNTER),
    row("GET", "/v1/visits", STAFF, query=S),
    row("POST", "/v1/visits", COUNTER, body={**S, "customer_id": "{customer_id}", "vehicle_id": "{vehicle_id}",
                                             "mileage_km": 30200, "needs": ["检查"]}),
    row("GET", "/v1/visits/{visit_id}", STAFF),
    row("GET", "/v1/declined-work", STAFF, CHAIN, query={"customer_id": "{customer_id}"}),
    row("GET", "/v1/test-drives", STAFF, query=S),
    row("POST", "/v1/test-drives", COUNTER, body={**S, "customer_id": "{customer_id}",
                                                  "licence_number": "440101199001011234",
                                                  "vehicle_description": "试驾车"}),
    row("GET", "/v1/test-drives/{drive_id}", STAFF),
    row("POST", "/v1/test-drives/{drive_id}/start", COUNTER, body={}),
    row("POST", "/v1/test-drives/{drive_id}/return", COUNTER, body={}),
    row("GET", "/v1/quotes", STAFF, query=S),
    row("POST", "/v1/quotes", COUNTER, body={"visit_id": "{visit_id}"}),
    row("GET", "/v1/quotes/{quote_id}", STAFF),
    row("POST", "/v1/quotes/{quote_id}/lines", COUNTER,
        body={"kind": "fee", "description": "环保费", "unit_price_fen": 500},
        ids={"quote_id": "draft_quote_id"}),
    row("DELETE", "/v1/quotes/{quote_id}/lines/{line_id}", COUNTER),
    row("POST", "/v1/quotes/{quote_id}/packages", COUNTER, body={"package": "{package_ref}"},
        ids={"quote_id": "draft_quote_id"}),
    row("POST", "/v1/quotes/{quote_id}/discount", COUNTER, body={"kind": "percent", "value": 5, "reason": "老客户"},
        ids={"quote_id": "draft_quote_id"}),
    row("POST", "/v1/quotes/{quote_id}/discount/approve", MANAGERS, body={}, ids={"quote_id": "draft_quote_id"}),
    row("POST", "/v1/quotes/{quote_id}/discount/reject", MANAGERS, body={"reason": "折扣过大"},
        ids={"quote_id": "draft_quote_id"}),
    row("POST", "/v1/quotes/{quote_id}/present", COUNTER, ids={"quote_id": "draft_quote_id"}),
    row("POST", "/v1/quotes/{quote_id}/decision", COUNTER, body={"approved_line_ids": [], "declined_line_ids": []},
        ids={"quote_id": "draft_quote_id"}),
    row("POST", "/v1/quotes/{quote_id}/revise", COUNTER),
    row("POST", "/v1/quotes/{quote_id}/customer-link", COUNTER),
    row("DELETE", "/v1/quotes/{quote_id}/customer-link", COUNTER),
    row("POST", "/v1/quotes/{quote_id}/contract", COUNTER, body={"payment_method": "cash", "signed_by": "王安全"}),
    row("GET", "/v1/quotes/{quote_id}/pdf", STAFF),
    row("GET", "/v1/orders/{order_id}/contract.pdf", STAFF),
    row("GET", "/v1/orders", STAFF, query=S),
    row("GET", "/v1/orders/{order_id}", STAFF),
    row("POST", "/v1/orders/{order_id}/cancel", COUNTER, body={"reason": "客户取消"}),
    # -- workshop
    row("GET", "/v1/technicians", STAFF, query=S),
    row("POST", "/v1/technicians", MANAGERS, body={**S, "name": "新师傅", "level": "junior", "hourly_cost_fen": 5000}),
    row("GET", "/v1/technicians/{technician_id}", STAFF),
    row("PATCH", "/v1/technicians/{technician_id}", MANAGERS, body={"level": "master"}),
    row("POST", "/v1/technicians/{technician_id}/certifications", MANAGERS, body={"name": "高级技师"}),
    row("POST", "/v1/technicians/{technician_id}/trainings", MANAGERS, body={
        "course": "安全", "kind": "on_the_job", "completed_on": "2026-01-05"}),
    row("GET", "/v1/technicians/{technician_id}/jobs", FLOOR),
    row("GET", "/v1/crew-board", COUNTER, query=S),
    row("GET", "/v1/work-orders", STAFF, query=S),
    row("GET", "/v1/work-orders/{work_order_id}", STAFF),
    row("GET", "/v1/work-orders/{work_order_id}/pdf", STAFF),
    row("POST", "/v1/work-orders/{work_order_id}/dispatch", COUNTER, body={}),
    row("GET", "/v1/work-orders/{work_order_id}/jobs/{job_id}/suggestions", COUNTER),
    row("POST", "/v1/work-orders/{work_order_id}/jobs/{job_id}/clock-in", FLOOR, body={}),
    row("POST", "/v1/work-orders/{work_order_id}/jobs/{job_id}/clock-out", FLOOR, body={}),
    row("POST", "/v1/work-orders/{work_order_id}/ready-for-qc", FLOOR, body={}),
    row("POST", "/v1/work-orders/{work_order_id}/qc", FLOOR, body={"passed": True}),
    row("POST", "/v1/work-orders/{work_order_id}/complete", COUNTER, body={}),
    row("POST", "/v1/work-orders/{work_order_id}/deliver", COUNTER, body={
        "mileage_out_km": 30120, "accepted_by": "王安全", "satisfied": True}),
    row("GET", "/v1/work-orders/{work_order_id}/inspections", STAFF),
    row("POST", "/v1/work-orders/{work_order_id}/inspections", FLOOR, body={
        "findings": [{"area": "tyres", "item": "左前轮", "condition": "green"}]}),
    row("POST", "/v1/work-orders/{work_order_id}/inspections/quote", COUNTER, body={}),
    # A JSON body is not an upload (415) once the owner allowed it; refusals come before the body is read.
    row("POST", "/v1/work-orders/{work_order_id}/inspections/{finding_id}/photos", FLOOR, body={}),
    row("POST", "/v1/visits/{visit_id}/photos", FLOOR, body={}),
    row("POST", "/v1/work-orders/{work_order_id}/attachments", FLOOR, body={}),
    row("GET", "/v1/work-orders/{work_order_id}/attachments", FLOOR),
    row("POST", "/v1/complaints/{complaint_id}/attachments", FRONT_DESK, body={}),
    row("GET", "/v1/complaints/{complaint_id}/attachments", FRONT_DESK),
    row("POST", "/v1/receipts/{receipt_id}/attachments", COUNTER, body={}),
    row("GET", "/v1/receipts/{receipt_id}/attachments", COUNTER),
    row("GET", "/v1/attachments/{attachment_id}", STAFF),
    row("GET", "/v1/attachments/{attachment_id}/thumbnail", STAFF),
    row("GET", "/v1/quotes/{quote_id}/findings", STAFF),
    row("GET", "/v1/bays", STAFF, query=S),
    row("POST", "/v1/bays", MANAGERS, body={**S, "code": "{uniq}"}),
    row("GET", "/v1/bay-plan", STAFF, query={**S, "date": "2026-11-26"}),
    row("GET", "/v1/workshop-stats", COUNTER, query={**S, "from": "2026-01-01", "to": "2026-12-31"}),
    # -- inventory: the chain's catalogue and suppliers
    row("GET", "/v1/parts", STAFF, CHAIN),
    row("POST", "/v1/parts", MANAGERS, CHAIN, body={"sku": "{uniq}", "name": "滤芯", "category": "filter",
                                                    "list_price_fen": 3000}),
    row("GET", "/v1/parts/{part_id}", STAFF, CHAIN),
    row("PATCH", "/v1/parts/{part_id}", HQ, CHAIN, body={"list_price_fen": 8800}),
    row("GET", "/v1/suppliers", STAFF, CHAIN),
    row("POST", "/v1/suppliers", MANAGERS, CHAIN, body={"code": "{uniq}", "name": "新供应商"}),
    row("GET", "/v1/suppliers/{supplier_id}", STAFF, CHAIN),
    row("PATCH", "/v1/suppliers/{supplier_id}", HQ, CHAIN, body={"lead_time_days": 3}),
    # -- inventory: a store's stock
    row("GET", "/v1/stock", STAFF, query=S),
    row("PUT", "/v1/stock/settings", MANAGERS, body={**S, "sku": "{sku}", "reorder_point": 2}),
    row("GET", "/v1/stock/movements", STAFF, query=S),
    row("POST", "/v1/stock/adjustments", MANAGERS, body={**S, "sku": "{sku}", "qty": 1, "reason": "found"}),
    row("GET", "/v1/stock/availability", STAFF, query={**S, "skus": "{sku}"}),
    row("GET", "/v1/stock/reservations", STAFF, query=S),
    row("POST", "/v1/stock/reservations/{reservation_id}/release", MANAGERS),
    row("GET", "/v1/stock/expiring-batches", STAFF, query=S),
    row("GET", "/v1/stock/reorder-suggestions", MANAGERS, query=S),
    row("GET", "/v1/stock/valuation", MANAGERS, query=S),
    row("GET", "/v1/stock/slow-movers", MANAGERS, query=S),
    row("GET", "/v1/stock/ledger-check", MANAGERS, query=S),
    row("GET", "/v1/purchase-orders", COUNTER, query=S),
    row("POST", "/v1/purchase-orders", MANAGERS, body={**S, "supplier_id": "{supplier_id}",
                                                       "lines": [{"sku": "{sku}", "qty": 1, "unit_cost_fen": 4000}]}),
    row("GET", "/v1/purchase-orders/{po_id}", COUNTER),
    row("POST", "/v1/purchase-orders/{po_id}/place", MANAGERS),
    row("POST", "/v1/purchase-orders/{po_id}/receipts", COUNTER, body={"lines": [{"sku": "{sku}", "qty": 1}]}),
    row("POST", "/v1/purchase-orders/{po_id}/returns", MANAGERS, body={"lines": [{"sku": "{sku}", "qty": 1}],
                                                                        "reason": "破损"}),
    row("POST", "/v1/purchase-orders/{po_id}/cancel", MANAGERS),
    row("GET", "/v1/transfers", COUNTER, query=S),
    row("POST", "/v1/transfers", MANAGERS, body={"from_store_id": "{store_c}", "to_store_id": "{store_id}",
                                                 "lines": [{"sku": "{sku}", "qty": 1}]}),
    row("GET", "/v1/transfers/{transfer_id}", COUNTER),
    row("POST", "/v1/transfers/{transfer_id}/ship", MANAGERS, body={}, ids={"transfer_id": "outgoing_transfer_id"}),
    row("POST", "/v1/transfers/{transfer_id}/receive", COUNTER, body={}),
    row("POST", "/v1/transfers/{transfer_id}/cancel", MANAGERS),
    row("GET", "/v1/stocktakes", STAFF, query=S),
    row("POST", "/v1/stocktakes", MANAGERS, body=S),
    row("GET", "/v1/stocktakes/{stocktake_id}", STAFF),
    row("POST", "/v1/stocktakes/{stocktake_id}/counts", STAFF, body={"counts": [{"sku": "{sku}", "qty": 1}]}),
    row("POST", "/v1/stocktakes/{stocktake_id}/post", MANAGERS, body={}),
    row("POST", "/v1/stocktakes/{stocktake_id}/cancel", MANAGERS),
    # -- finance
    row("GET", "/v1/invoices", MONEY_READERS, query=S),
    row("GET", "/v1/invoices/{invoice_id}", MONEY_READERS),
    row("GET", "/v1/invoices/{invoice_id}/pdf", MONEY_READERS),
    row("POST", "/v1/invoices/{invoice_id}/payments", TILL, body={"method": "cash", "amount_fen": 1}),
    row("POST", "/v1/invoices/{invoice_id}/void", MANAGERS, body={"reason": "开错"}),
    row("POST", "/v1/invoices/{invoice_id}/payment-intents", TILL,
        body={"provider": "wechat", "channel": "qr", "amount_fen": 1}),
    row("GET", "/v1/payment-intents", MONEY_READERS, query=S),
    row("GET", "/v1/payment-intents/{intent_id}", MONEY_READERS),
    row("POST", "/v1/payment-intents/{intent_id}/check", TILL),
    row("POST", "/v1/payment-intents/{intent_id}/refund", TILL),
    row("POST", "/v1/payments/notify/{provider}", PUBLIC, CHAIN, body={"resource_type": "encrypt-resource"}),
    row("GET", "/v1/payment-reconciliations", TILL, query=S),
    row("POST", "/v1/payment-reconciliations", MANAGERS, CHAIN, body={"date": "2026-01-01"}),
    row("POST", "/v1/payment-reconciliations/{reconciliation_id}/differences/{difference_id}/resolve", MANAGERS,
        body={"note": "已在商户平台核对"}),
    row("POST", "/v1/invoices/{invoice_id}/reissue", MANAGERS),
    row("POST", "/v1/invoices/{invoice_id}/fapiao", TILL, body={"type": "normal", "buyer_title": "王先生"}),
    row("GET", "/v1/fapiao", FRONT_DESK, query=S),
    row("GET", "/v1/fapiao/{fapiao_id}", FRONT_DESK),
    row("POST", "/v1/fapiao/{fapiao_id}/red-letter", TILL, body={"reason": "refund"}),
    row("GET", "/v1/customers/{customer_id}/fapiao-titles", TILL, CHAIN),
    row("GET", "/v1/health-record-uploads", MANAGERS, query=S),
    row("GET", "/v1/health-record-uploads/{upload_id}", MANAGERS),
    row("POST", "/v1/health-record-uploads/{upload_id}/retry", MANAGERS),
    row("POST", "/v1/health-record-uploads/backfill", MANAGERS,
        body={"store_id": "{store_id}", "from": "2026-01-01", "to": "2026-01-31"}),
    row("GET", "/v1/payments", TILL, query=S),
    row("GET", "/v1/payments/{payment_id}", MONEY_READERS),
    row("POST", "/v1/payments/{payment_id}/refunds", TILL, body={"amount_fen": 1, "reason": "多收"}),
    row("POST", "/v1/payments/{payment_id}/refund-requests", TILL, body={"amount_fen": 1, "reason": "多收"}),
    row("GET", "/v1/refund-requests", TILL, query=S),
    row("GET", "/v1/refund-requests/{refund_request_id}", TILL),
    row("POST", "/v1/refund-requests/{refund_request_id}/approve", MANAGERS),
    row("POST", "/v1/refund-requests/{refund_request_id}/decline", MANAGERS, body={"reason": "不予退款"}),
    row("GET", "/v1/member-cards", FRONT_DESK, CHAIN),
    row("POST", "/v1/member-cards", TILL, body={"kind": "stored_value", "customer_id": "{customer_id}", **S}),
    row("GET", "/v1/member-cards/{card_id}", FRONT_DESK, CHAIN),
    row("POST", "/v1/member-cards/{card_id}/top-ups", TILL, body={"amount_fen": 100, "method": "cash", **S}),
    row("POST", "/v1/member-cards/{card_id}/cancel", MANAGERS, body={"method": "cash"}),
    row("GET", "/v1/expenses", MANAGERS, query=S),
    row("POST", "/v1/expenses", MANAGERS, body={**S, "category": "utilities", "amount_fen": 100}),
    row("GET", "/v1/reports/kpis", MANAGERS, query={**S, "from": "2026-01-01", "to": "2026-12-31"}),
    row("GET", "/v1/reports/commissions", MANAGERS, query={**S, "month": "2026-11"}),
    # 人员绩效: managers every row; a technician or an advisor their own (the report of their role, by default)
    row("GET", "/v1/reports/people", MANAGERS | {"technician", "service_advisor"},
        query={**S, "from": "2026-11-01", "to": "2026-11-30"}),
    row("GET", "/v1/reports/pnl", MANAGERS, query={**S, "month": "2026-11"}),
    row("GET", "/v1/reports/retention", MANAGERS, query={**S, "from": "2026-01", "to": "2026-11"}),
    row("GET", "/v1/reports/customer-sources", MANAGERS, query={**S, "from": "2026-11-01", "to": "2026-11-30"}),
    row("GET", "/v1/reports/campaigns", MANAGERS, query={**S, "from": "2026-11-01", "to": "2026-11-30"}),
    row("GET", "/v1/reports/card-liabilities", MANAGERS, query=S),
    row("GET", "/v1/ledger/trial-balance", MANAGERS, query=S),
    row("GET", "/v1/ledger/reconciliation", MANAGERS, query=S),
    row("GET", "/v1/ledger/balance-sheet", MANAGERS, query=S),
    row("POST", "/v1/supplier-invoices", TILL, body={
        "purchase_order_id": "{po_id}", "number": "{uniq}", "issued_on": "2026-11-01",
        "lines": [{"sku": "{sku}", "qty": 1, "unit_price_fen": 4000}]}),
    row("GET", "/v1/supplier-invoices", TILL, query=S),
    row("GET", "/v1/supplier-invoices/{supplier_invoice_id}", TILL),
    row("POST", "/v1/supplier-invoices/{supplier_invoice_id}/decision", MANAGERS,
        body={"approve": False, "reason": "价格不对"}),
    row("POST", "/v1/supplier-payments", MANAGERS, body={"method": "bank", "allocations": [
        {"supplier_invoice_id": "{supplier_invoice_id}", "amount_fen": 1}]}),
    row("GET", "/v1/supplier-payments", MANAGERS, query=S),
    row("POST", "/v1/supplier-credit-notes", TILL, body={
        **S, "supplier_id": "{supplier_id}", "supplier_invoice_id": "{supplier_invoice_id}", "number": "{uniq}",
        "issued_on": "2026-11-01", "total_fen": 1}),
    row("GET", "/v1/supplier-credit-notes", TILL, query=S),
    row("GET", "/v1/reports/payables-ageing", MANAGERS, query=S),
    row("GET", "/v1/reports/receivables-ageing", MANAGERS, query=S),
    row("GET", "/v1/suppliers/{supplier_id}/statement", MANAGERS,
        query={**S, "from": "2026-01-01", "to": "2026-12-31"}),
    row("POST", "/v1/company-accounts", MANAGERS, body={"name": "新物流公司", "tax_number": "{credit_code}",
                                                        "credit_limit_fen": 100, "store_ids": ["{store_id}"]}),
    row("GET", "/v1/company-accounts", TILL, query=S),
    row("GET", "/v1/company-accounts/{account_id}", TILL, ids={"account_id": "company_account_id"}),
    row("PATCH", "/v1/company-accounts/{account_id}", MANAGERS, body={"payment_terms_days": 45},
        ids={"account_id": "company_account_id"}),
    row("POST", "/v1/company-accounts/{account_id}/members", MANAGERS, body={"customer_id": "{customer_id}"},
        ids={"account_id": "company_account_id"}),
    row("GET", "/v1/company-accounts/{account_id}/statements", TILL, query={"month": "2026-12"},
        ids={"account_id": "company_account_id"}),
    row("GET", "/v1/company-accounts/{account_id}/statements/{month}.pdf", TILL,
        ids={"account_id": "company_account_id"}),
    row("POST", "/v1/company-accounts/{account_id}/payments", TILL, body={"method": "bank", "amount_fen": 1},
        ids={"account_id": "company_account_id"}),
    row("POST", "/v1/invoices/{invoice_id}/account-charges", TILL,
        body={"account_id": "{company_account_id}", "amount_fen": 1}),
    row("POST", "/v1/insurers", MANAGERS, body={"name": "{uniq}", "store_ids": ["{store_id}"]}),
    row("GET", "/v1/insurers", TILL, query=S),
    row("GET", "/v1/insurers/{insurer_id}", TILL),
    row("PATCH", "/v1/insurers/{insurer_id}", MANAGERS, body={"contact_name": "李定损"}),
    row("GET", "/v1/insurers/{insurer_id}/statement", TILL),
    row("GET", "/v1/insurers/{insurer_id}/statements", TILL, query={"month": "2026-12"}),
    row("GET", "/v1/insurers/{insurer_id}/statements/{month}.pdf", TILL),
    row("POST", "/v1/insurers/{insurer_id}/remittances", MANAGERS, body={"method": "bank", "lines": [
        {"claim_id": "{claim_id}", "amount_fen": 1}]}),
    row("GET", "/v1/insurance-claims", TILL, query=S),
    row("GET", "/v1/insurance-claims/{claim_id}", TILL),
    row("POST", "/v1/insurance-claims/{claim_id}/write-off", MANAGERS, body={"reason": "定损核减"}),
    row("POST", "/v1/insurance-claims/{claim_id}/void", MANAGERS, body={"reason": "报案号有误"}),
    row("POST", "/v1/insurance-claims/{claim_id}/fapiao", TILL, body={"type": "normal"}),
    row("POST", "/v1/invoices/{invoice_id}/insurance-claims", TILL,
        body={"insurer_id": "{insurer_id}", "claim_number": "RDAA0000", "amount_fen": 1}),
    row("GET", "/v1/audit-trail", MANAGERS, query={"document_type": "invoice", "document_id": "{invoice_id}"}),
    row("GET", "/v1/ledger/settlements", MANAGERS, query=S),
    row("POST", "/v1/ledger/settlements", HQ, body={"debtor_store_id": "{store_id}", "creditor_store_id": "{store_c}"}),
    row("GET", "/v1/ledger/entries", MANAGERS, query=S),
    row("GET", "/v1/ledger/accounts", MANAGERS, CHAIN),
    row("GET", "/v1/stores/{store_id}/commission-rule", MANAGERS),
    row("PUT", "/v1/stores/{store_id}/commission-rule", MANAGERS, body={"labour_pct": 10}),
    row("PUT", "/v1/stores/{store_id}/commission-targets", MANAGERS, body={
        "employee_id": "{user_id}", "month": "2026-11", "target_fen": 100000}),
    row("GET", "/v1/stores/{store_id}/kpi-targets", MANAGERS, query={"from": "2026-11", "to": "2026-12"}),
    row("PUT", "/v1/stores/{store_id}/kpi-targets/{month}", MANAGERS, body={"sales_fen": 10_000_000, "car_count": 300},
        ids={"month": "month"}),
    row("GET", "/v1/stores/{store_id}/finance-settings", MANAGERS),
    row("PATCH", "/v1/stores/{store_id}/finance-settings", MANAGERS, body={"refund_approval_limit_fen": 50000}),
    row("GET", "/v1/stores/{store_id}/provider-accounts", MANAGERS),
    row("GET", "/v1/reports/daily-close", TILL, query={**S, "date": "2026-11-26"}),
    # last: a closed day takes no more postings in store A
    row("POST", "/v1/reports/daily-close", MANAGERS, body={**S, "date": "2026-11-20", "cash_counted_fen": 0}),
    row("GET", "/v1/ledger/month-closes", MANAGERS, query=S),
    row("POST", "/v1/ledger/month-closes", MANAGERS, body={**S, "month": "2026-10"}),
]


class Values(dict):
    """A scope's ids for `str.format_map`, plus a fresh value for each `{uniq}`, `{mobile}`, `{plate}`,
    `{credit_code}`, and a month for `{month}`."""

    def __missing__(self, key: str) -> str:
        from tests.support import data
        fresh = {"uniq": lambda: f"SEC-{uuid.uuid4().hex[:10].upper()}", "mobile": data.mobile, "plate": data.plate,
                 "credit_code": data.credit_code, "month": lambda: "2026-12"}
        if key not in fresh:
            raise KeyError(f"the chain has no document for {{{key}}}")
        return fresh[key]()


def fill(template, values: Values):
    if isinstance(template, str):
        return template.format_map(values)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template


def send(chain, session: requests.Session, entry: Row, scope: str) -> requests.Response:
    values = Values(chain.ids[scope])
    path = entry.path.format_map(Values({**values, **{name: values[doc] for name, doc in entry.ids.items()}}))
    return session.request(entry.method, chain.url + path, json=fill(entry.body, values),
                           params=fill(entry.query, values), timeout=30)


def expected(entry: Row, role: str, scope: str) -> str:
    refused = role not in entry.roles or (scope == "other" and role != "hq_admin")
    return "403" if refused else "not 401/403"


def test_every_operation_of_the_api_is_in_the_table(chain):
    operations = {op for op in chain.operations() if " /c/v1/" not in op}  # car owners': test_customer_matrix.py
    table = [entry.key for entry in TABLE]
    assert len(table) == len(set(table)), "a row appears twice"
    missing = sorted(operations - set(table))
    assert not missing, "add a row to TABLE (its roles from API.md and the product) for: " + ", ".join(missing)
    stale = sorted(set(table) - operations)
    assert not stale, "the API has no such operation any more; drop the row: " + ", ".join(stale)


@pytest.mark.parametrize("entry", TABLE, ids=lambda entry: entry.key)
def test_roles_and_stores(chain, entry: Row):
    anonymous = send(chain, requests.Session(), entry, "own")
    assert_no_leak(chain, anonymous, "anonymous")
    if not entry.roles:  # public: anyone, and nothing to refuse
        assert anonymous.status_code < 500 and anonymous.status_code != 403, anonymous.text
        return
    wrong = [] if anonymous.status_code == 401 else [f"no token: {anonymous.status_code} (expected 401)"]
    for role in ROLES:
        for scope in ("own", "other") if entry.scope == STORE else ("own",):
            reply = send(chain, chain.sessions[role], entry, scope)
            assert_no_leak(chain, reply, role)
            want, got = expected(entry, role, scope), reply.status_code
            if got >= 500 or got == 401 or (want == "403") != (got == 403):
                wrong.append(f"{role} on the {scope} store: {got} (expected {want}): {reply.text[:300]}")
    wrong += _keys_beyond_their_grants(chain, entry)
    assert not wrong, f"{entry.key}:\n  " + "\n  ".join(wrong)


KEY_AREAS = {
    "customers": ("customers", "vehicles", "follow-ups", "complaints", "reminders"),
    "appointments": ("appointments",),
    "quotes": ("visits", "quotes", "declined-work", "test-drives"),
    "orders": ("orders",),
    "work_orders": ("work-orders", "technicians", "bays", "bay-plan", "crew-board", "workshop-stats"),
    "stock": ("parts", "suppliers", "stock", "purchase-orders", "transfers", "stocktakes"),
    "invoices": ("invoices", "payments", "payment-intents", "member-cards"),
    "ledger": ("ledger", "reports", "expenses"),
}
"""The documents each API key area covers (README, Partner API); everything else is never a key's."""


def key_area(path: str) -> str | None:
    if path.startswith("/v1/reports/people"):  # personal data: no key's (README, Partner API)
        return None
    segment = path.split("/")[2] if path.startswith("/v1/") else None
    return next((area for area, segments in KEY_AREAS.items() if segment in segments), None)


def _keys_beyond_their_grants(chain, entry: Row) -> list[str]:
    """The row with API keys of store A: a key with the operation's area (write, or read for a GET) acts
    as a manager of store A only; without it, or outside every area, or on an HQ-only operation: 403."""
    area, reads = key_area(entry.path), entry.method == "GET"
    opened = area is not None and "store_manager" in entry.roles
    cases = [("write", opened), ("read", opened and reads)] + ([(f"no {area}", False)] if area else [])
    wrong = []
    for grant, allowed in cases:
        for scope in ("own", "other") if entry.scope == STORE else ("own",):
            reply = send(chain, chain.keys[grant], entry, scope)
            assert_no_leak(chain, reply, "store_manager")
            refused = not allowed or scope == "other"
            if reply.status_code >= 500 or reply.status_code == 401 or refused != (reply.status_code == 403):
                wrong.append(f"key ({grant}) on the {scope} store: {reply.status_code} "
                             f"(expected {'403' if refused else 'not 401/403'}): {reply.text[:300]}")
    return wrong
