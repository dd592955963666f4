"""A customer's erasure reaches every service: after the one-car loop (appointment, visit, two quotes,
two contracts, work orders, inspection, invoice and payments, delivery, follow-up, complaint), a test
drive, a booking with notes and a member card, `POST /v1/customers/{id}/erase`, then every document of
the customer read through the gateway (JSON and the printed PDFs) holds neither the name, the mobile,
the plate, the VIN nor the driving licence. Invoices are legal records: they say what they keep."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from tests.support.one_car import SHANGHAI, Store, eventually, new_part, ok, one_car

pytestmark = pytest.mark.e2e

LICENCE = "440301198504120011"
BY_CUSTOMER = ("/v1/follow-ups", "/v1/complaints", "/v1/appointments", "/v1/visits", "/v1/test-drives",
               "/v1/quotes", "/v1/orders", "/v1/work-orders", "/v1/invoices", "/v1/member-cards")
"""Collections listed by `customer_id`, each document then read by id."""
LISTED_ONLY = ("/v1/reminders", "/v1/declined-work")
PRINTED = {"/v1/quotes": "pdf", "/v1/orders": "contract.pdf", "/v1/work-orders": "pdf", "/v1/invoices": "pdf"}


def documents_of(url: str, session, customer_id: str) -> dict[str, str]:
    """Every document of the customer, by where it was read, as text (JSON unescaped, PDFs extracted)."""
    found: dict[str, str] = {}

    def read(path: str, **params):
        reply = session.get(f"{url}{path}", params=params, timeout=30)
        assert reply.status_code == 200, f"{path}: {reply.status_code} {reply.text[:200]}"
        if reply.headers["Content-Type"] == "application/pdf":
            found[path] = "\n".join(page.extract_text() for page in PdfReader(BytesIO(reply.content)).pages)
            return None
        found[f"{path}?{params}" if params else path] = json.dumps(reply.json(), ensure_ascii=False)
        return reply.json()

    customer = read(f"/v1/customers/{customer_id}")
    read(f"/v1/customers/{customer_id}/history")
    for vehicle in customer["vehicles"]:
        read(f"/v1/vehicles/{vehicle['id']}")
        read(f"/v1/vehicles/{vehicle['id']}/history")
    for path in LISTED_ONLY:
        read(path, customer_id=customer_id)
    for path in BY_CUSTOMER:
        items = read(path, customer_id=customer_id, limit=100)["items"]
        assert items, f"{path}: the walk left no document to check"
        for item in items:
            read(f"{path}/{item['id']}")
            if path in PRINTED:
                read(f"{path}/{item['id']}/{PRINTED[path]}")
            if path == "/v1/work-orders":
                read(f"{path}/{item['id']}/inspections")
            if path == "/v1/invoices":
                read("/v1/audit-trail", document_type="invoice", document_id=item["id"])
    return found


def test_an_erased_customer_is_in_no_document_of_any_service(stack, admin):
    shop = Store(stack, admin)
    one_car(stack, admin, shop, new_part(stack, admin, shop))
    url = stack.url
    [customer_id] = {order["customer_id"] for order in ok(admin.get(f"{url}/v1/orders",
                                                                    params={"store_id": shop.id}))["items"]}
    customer = ok(admin.get(f"{url}/v1/customers/{customer_id}"))
    [vehicle] = customer["vehicles"]
    personal = {"name": customer["name"], "mobile": customer["mobile"], "plate": vehicle["plate"],
                "vin": vehicle["vin"], "licence": LICENCE}
    tomorrow = (datetime.now(SHANGHAI) + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
    ok(shop.advisor.post(f"{url}/v1/appointments", json={
        "store_id": shop.id, "customer_id": customer_id, "vehicle_id": vehicle["id"],
        "slot_start": tomorrow.isoformat(),
        "services": ["maintenance"], "notes": f"{customer['name']} {customer['mobile']} 来电预约"}))
    ok(shop.advisor.post(f"{url}/v1/test-drives", json={
        "store_id": shop.id, "customer_id": customer_id, "vehicle_description": "试驾车 汉 EV",
        "licence_number": LICENCE,
        "notes": f"{customer['name']} 试驾"}))
    ok(admin.post(f"{url}/v1/member-cards", json={"kind": "stored_value", "customer_id": customer_id,
                                                  "store_id": shop.id,
                                                  "top_up": {"amount_fen": 50000, "method": "cash"}}))
    before = documents_of(url, admin, customer_id)
    for path in ("/v1/customers/" + customer_id, "/v1/visits?{'customer_id': '" + customer_id + "', 'limit': 100}"):
        assert customer["name"] in before[path] and vehicle["plate"] in before[path]  # what erasure must reach
    printed = {where: text for where, text in before.items() if where.endswith("pdf")}
    assert len(printed) >= 7  # the PDFs are read as text
    without_vin = {where: text for where, text in printed.items() if vehicle["vin"] not in text}
    assert not without_vin, (vehicle["vin"], without_vin)

    ok(shop.manager.post(f"{url}/v1/customers/{customer_id}/erase"))
    eventually(lambda: ok(admin.get(f"{url}/v1/visits", params={"customer_id": customer_id}))["items"],
               lambda visits: all(v["plate"] is None for v in visits), "sales applies the erasure")
    eventually(lambda: ok(admin.get(f"{url}/v1/work-orders", params={"customer_id": customer_id}))["items"],
               lambda orders: all(o["accepted_by"] is None for o in orders), "the workshop applies the erasure")

    after = documents_of(url, admin, customer_id)
    assert set(after) == set(before)
    left = {(what, where) for where, text in after.items() for what, value in personal.items() if value in text}
    assert left == set()
    for invoice in ok(admin.get(f"{url}/v1/invoices", params={"customer_id": customer_id}))["items"]:
        retention = ok(admin.get(f"{url}/v1/invoices/{invoice['id']}"))["retention"]
        assert "total_fen" in retention["kept_after_erasure"] and "会计档案" in retention["basis"]
