"""Electronic fapiao (数电票) through the gateway against the real services and the 诺诺 sandbox the stack
starts (as `make run` does): a 专用发票 asked for a paid invoice is issued by the provider with its number,
date and PDF, then reversed by a red one after a refund, once the buyer confirms the 红字确认单; the
payment never waits for the fapiao: with the provider down the request is queued, retried with backoff and
issued once it is back; a tax number with a wrong check character and an unpaid invoice are refused."""
from __future__ import annotations

import io
import time
import uuid
import zipfile

import pytest
import requests

from deploy.sandboxes import nuonuo
from tests.e2e.test_finance_through_gateway import create_store, invoice_for, make_user, pay
from tests.service.test_finance_service import line

pytestmark = pytest.mark.e2e

BUYER_TAX_NO = "91110108MA01AB2C3T"


@pytest.fixture(scope="module")
def store(stack, admin):
    return create_store(stack, admin, "广州开票店")


@pytest.fixture(scope="module")
def manager(stack, admin, store):
    return make_user(stack, admin, "store_manager", [store["id"]])


@pytest.fixture(scope="module")
def cashier(stack, admin, store):
    return make_user(stack, admin, "cashier", [store["id"]])


def paid_invoice(stack, vhost, manager, cashier, store, lines=None) -> dict:
    invoice = invoice_for(stack, vhost, manager, store["id"], lines=lines)
    reply = pay(stack, cashier, invoice["id"], {"method": "cash", "amount_fen": invoice["due_fen"]})
    assert reply.status_code == 201, reply.text
    return {**invoice, "payment_id": reply.json()["payment"]["id"]}


def settles(stack, session, fapiao_id: str, status: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = session.get(f"{stack.url}/v1/fapiao/{fapiao_id}").json()
        if found["status"] == status or time.monotonic() > deadline:
            assert found["status"] == status, found
            return found
        time.sleep(0.2)


def catalogue_lines(stack, admin) -> list[dict]:
    """A labour operation (sales) and a part (inventory) with their own 税收分类编码, and a fee with none."""
    code, sku = f"FP-{uuid.uuid4().hex[:6]}", f"FP-{uuid.uuid4().hex[:8]}"
    op = admin.post(f"{stack.url}/v1/labour-operations", json={
        "code": code, "name": "四轮定位", "category": "repair", "standard_hours": 1, "tax_code": "3040409990000000001"})
    part = admin.post(f"{stack.url}/v1/parts", json={
        "sku": sku, "name": "刹车片", "category": "brakes", "list_price_fen": 30000, "tax_code": "1090512990000000002"})
    assert op.status_code == 201 and part.status_code == 201, (op.text, part.text)
    assert part.json()["tax_code"] == "1090512990000000002"
    return [line("labour", "四轮定位", 21200, "0.06", 1200, op_code=code, hours="1"),
            line("part", "刹车片", 33900, "0.13", 3900, sku=part.json()["sku"]),
            line("fee", "环保处理费", 1000, "0.06", 57)]


def test_a_special_fapiao_is_issued_then_reversed_after_a_refund_once_the_buyer_confirms(
        stack, vhost, admin, store, manager, cashier):
    unpaid = invoice_for(stack, vhost, manager, store["id"])
    early = cashier.post(f"{stack.url}/v1/invoices/{unpaid['id']}/fapiao",
                         json={"type": "normal", "buyer_title": "王先生"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "invoice_state"
    invoice = paid_invoice(stack, vhost, manager, cashier, store, lines=catalogue_lines(stack, admin))
    url = f"{stack.url}/v1/invoices/{invoice['id']}/fapiao"
    wrong = cashier.post(url, json={"type": "special", "buyer_title": "广州某某物流有限公司",
                                    "buyer_tax_no": BUYER_TAX_NO[:-1] + "X"})
    assert wrong.status_code == 422 and "buyer_tax_no" in wrong.json()["error"]["fields"]
    no_tax_no = cashier.post(url, json={"type": "special", "buyer_title": "广州某某物流有限公司"})
    assert no_tax_no.status_code == 422 and "buyer_tax_no" in no_tax_no.json()["error"]["fields"]

    body = {"type": "special", "buyer_title": "广州某某物流有限公司", "buyer_tax_no": BUYER_TAX_NO.lower()}
    asked = cashier.post(url, json=body, headers={"Idempotency-Key": "fp-1"})
    assert asked.status_code == 202, asked.text
    blue = asked.json()
    assert blue["status"] == "queued" and blue["buyer_tax_no"] == BUYER_TAX_NO
    assert blue["amount_fen"] == invoice["total_fen"] and blue["invoice_number"] == invoice["number"]
    again = cashier.post(url, json=body, headers={"Idempotency-Key": "fp-1"})
    assert again.status_code == 202 and again.json()["id"] == blue["id"]  # the same request, not a second fapiao
    twice = cashier.post(url, json={"type": "normal", "buyer_title": "广州某某物流有限公司"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "fapiao_nothing_left"

    issued = settles(stack, cashier, blue["id"], "issued")
    assert len(issued["number"]) == 20 and issued["issued_at"] and issued["pdf_url"]
    pdf = requests.get(issued["pdf_url"], timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ofd = requests.get(issued["ofd_url"], timeout=10)  # the OFD 版式文件: a zip package (GB/T 33190)
    assert ofd.status_code == 200
    assert issued["number"] in zipfile.ZipFile(io.BytesIO(ofd.content)).read("OFD.xml").decode()
    at_provider = {f["number"]: f for f in requests.get(f"{stack.nuonuo_url}/sandbox/invoices",
                                                        timeout=10).json()["items"]}
    sent = at_provider[issued["number"]]["order"]
    assert sent["invoiceLine"] == "bs" and sent["buyerTaxNum"] == BUYER_TAX_NO
    assert issued["seller_tax_num"] == sent["salerTaxNum"] and issued["seller_name"]  # the seller it went under
    assert sum(round(float(d["taxIncludedAmount"]) * 100) for d in sent["invoiceDetail"]) == invoice["total_fen"]
    assert [d["goodsCode"] for d in sent["invoiceDetail"]] == [  # the catalogue's, else the configured one
        "3040409990000000001", "1090512990000000002", nuonuo.TAX_CODES["fee"]]

    refund = manager.post(f"{stack.url}/v1/payments/{invoice['payment_id']}/refunds",
                          json={"amount_fen": invoice["total_fen"], "reason": "客户退单"})
    assert refund.status_code == 201, refund.text
    # refunded whole: its red fapiao was queued with the refund (reason refund, 销货退回), not asked for again
    [red] = [f for f in cashier.get(f"{stack.url}/v1/fapiao", params={
        "store_id": store["id"], "invoice_id": invoice["id"]}).json()["items"] if f["kind"] == "red"]
    assert red["original_id"] == blue["id"] and red["amount_fen"] == -blue["amount_fen"]
    assert cashier.post(f"{stack.url}/v1/fapiao/{blue['id']}/red-letter",
                        json={"reason": "refund"}).json()["error"]["code"] == "fapiao_red_exists"
    settles(stack, cashier, red["id"], "confirming")  # a 专用发票: the buyer confirms the 红字确认单 first
    time.sleep(1)
    assert cashier.get(f"{stack.url}/v1/fapiao/{red['id']}").json()["status"] == "confirming"
    confirmed = requests.post(f"{stack.nuonuo_url}/sandbox/confirm", json={"blue_number": issued["number"],
                                                                          "accept": True}, timeout=10)
    assert confirmed.status_code == 200
    red_issued = settles(stack, cashier, red["id"], "issued")
    assert red_issued["number"] and red_issued["number"] != issued["number"]
    assert red_issued["seller_tax_num"] == issued["seller_tax_num"]
    assert cashier.get(f"{stack.url}/v1/fapiao/{blue['id']}").json()["status"] == "reversed"
    listed = cashier.get(f"{stack.url}/v1/fapiao", params={"store_id": store["id"], "status": "reversed"}).json()
    assert [f["id"] for f in listed["items"]] == [blue["id"]]


def asked_while_down(stack, cashier, invoice: dict, title: str, attempts: int) -> dict:
    """A fapiao asked for with the provider down, once its sends have found it down `attempts` times."""
    asked = cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/fapiao",
                         json={"type": "normal", "buyer_title": title})
    assert asked.status_code == 202, asked.text
    deadline = time.monotonic() + 15
    while True:
        row = cashier.get(f"{stack.url}/v1/fapiao/{asked.json()['id']}").json()
        if row["attempts"] >= attempts or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert row["status"] == "queued" and row["attempts"] >= attempts and row["last_error"], row
    return row


def test_the_provider_down_leaves_the_request_queued_and_it_is_issued_once_back(stack, vhost, store, manager,
                                                                                   cashier):
    requests.post(f"{stack.nuonuo_url}/sandbox/down", json={"down": True}, timeout=10)
    try:
        invoice = paid_invoice(stack, vhost, manager, cashier, store)  # the payment does not wait
        row = asked_while_down(stack, cashier, invoice, "李女士", 2)
        assert row["number"] is None
    finally:
        requests.post(f"{stack.nuonuo_url}/sandbox/down", json={"down": False}, timeout=10)
    issued = settles(stack, cashier, row["id"], "issued", timeout=30)
    assert issued["number"] and issued["pdf_url"]


def test_a_fapiao_still_queued_with_the_provider_down_is_cancelled_by_a_full_refund_and_never_issued(
        stack, vhost, store, manager, cashier):
    requests.post(f"{stack.nuonuo_url}/sandbox/down", json={"down": True}, timeout=10)
    try:
        invoice = paid_invoice(stack, vhost, manager, cashier, store)
        row = asked_while_down(stack, cashier, invoice, "赵先生", 1)
        refund = manager.post(f"{stack.url}/v1/payments/{invoice['payment_id']}/refunds",
                              json={"amount_fen": invoice["due_fen"], "reason": "整单退款"})
        assert refund.status_code == 201, refund.text
        assert cashier.get(f"{stack.url}/v1/fapiao/{row['id']}").json()["status"] == "cancelled"
    finally:
        requests.post(f"{stack.nuonuo_url}/sandbox/down", json={"down": False}, timeout=10)
    time.sleep(3)  # the worker's sweeps with the provider back: the cancelled one is never sent
    found = cashier.get(f"{stack.url}/v1/fapiao", params={"invoice_id": invoice["id"]}).json()["items"]
    assert [(f["kind"], f["status"], f["number"]) for f in found] == [("blue", "cancelled", None)]
