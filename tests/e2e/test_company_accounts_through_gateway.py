"""Company accounts (挂账) through the gateway (crm, sales, workshop, inventory, finance, RabbitMQ,
PostgreSQL): HQ opens an account (a wrong tax number is refused by field), a manager adds the car,
the cashier charges two invoices (the second above the limit: 409 for the cashier, passed by the
manager with a reason), two charges of the same invoice at once (one wins), the statement lists
the car's invoices, the ageing lists the account, the company's payment clears the oldest; after
every step the store's receivables equal what open invoices and charges leave unpaid; the month's
statement printed as a PDF lists the cars, invoices and the payment and adds up as printed."""
from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.browser.test_cashier import completed_work
from tests.e2e.test_stock_books_through_gateway import reconciled
from tests.support import data
from tests.support.one_car import Store, new_part, ok
from tests.support.printed import fen, text_of

pytestmark = pytest.mark.e2e


def test_a_company_runs_a_tab_and_the_receivables_stay_reconciled(stack, admin):
    url = stack.url
    shop = Store(stack, admin)
    part = new_part(stack, admin, shop)
    cashier, manager = shop.cashier, shop.manager

    def receivables(what: str) -> dict:
        return reconciled(stack, manager, shop.id, what)["receivables_equal_open_invoices"]

    bad = admin.post(f"{url}/v1/company-accounts", json={
        "name": "广州顺达物流有限公司", "tax_number": "91350100M000100Y44", "credit_limit_fen": 1,
        "store_ids": [shop.id]})
    assert bad.status_code == 422 and "tax_number" in bad.json()["error"]["fields"], bad.text
    first = completed_work(stack, shop, part)
    second = completed_work(stack, shop, part)
    limit = first["total_fen"] + second["total_fen"] // 2
    account = ok(admin.post(f"{url}/v1/company-accounts", json={
        "name": "广州顺达物流有限公司", "tax_number": data.credit_code(), "contact_name": "陈主管",
        "contact_phone": "13912345678", "credit_limit_fen": limit, "payment_terms_days": 30,
        "store_ids": [shop.id]}), 201)
    a = f"{url}/v1/company-accounts/{account['id']}"
    assert cashier.post(f"{a}/members", json={"vehicle_id": first["vehicle_id"]}).status_code == 403
    for invoice in (first, second):
        ok(manager.post(f"{a}/members", json={"vehicle_id": invoice["vehicle_id"]}), 201)
    plates = [ok(cashier.get(f"{url}/v1/vehicles/{invoice['vehicle_id']}"))["plate"] for invoice in (first, second)]
    assert [member["label"] for member in ok(cashier.get(a))["members"]] == plates
    offered = ok(cashier.get(f"{url}/v1/company-accounts", params={"invoice_id": first["id"]}))["items"]
    assert [item["id"] for item in offered] == [account["id"]]

    # two tills charge the whole first invoice at the same moment: one charge, one 409
    def charge(key: str):
        return cashier.post(f"{url}/v1/invoices/{first['id']}/account-charges", json={
            "account_id": account["id"], "amount_fen": first["total_fen"]}, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(r.status_code for r in pool.map(charge, [uuid.uuid4().hex, uuid.uuid4().hex]))
    assert answers == [201, 409], answers
    assert ok(cashier.get(f"{url}/v1/invoices/{first['id']}"))["status"] == "paid"
    owed = receivables("a charge")
    assert owed["left_fen"] == owed["right_fen"] == second["total_fen"] + first["total_fen"]

    over = cashier.post(f"{url}/v1/invoices/{second['id']}/account-charges", json={
        "account_id": account["id"], "amount_fen": second["total_fen"], "over_limit_reason": "老客户"})
    assert over.status_code == 409 and over.json()["error"]["code"] == "credit_limit_exceeded", over.text
    assert int(over.json()["error"]["params"]["available_fen"]) == limit - first["total_fen"]  # params travel as text
    charged = ok(manager.post(f"{url}/v1/invoices/{second['id']}/account-charges", json={
        "account_id": account["id"], "amount_fen": second["total_fen"], "over_limit_reason": "月底一并结清"}), 201)
    assert charged["charge"]["over_limit_reason"] == "月底一并结清" and charged["invoice"]["due_fen"] == 0
    receivables("a charge above the limit")

    month = charged["charge"]["business_date"][:7]
    statement = ok(cashier.get(f"{a}/statements", params={"month": month}))
    assert [line["invoice_number"] for line in statement["lines"]] == [first["number"], second["number"]]
    assert [line["plate"] for line in statement["lines"]] == plates
    assert statement["closing_balance_fen"] == first["total_fen"] + second["total_fen"]
    ageing = ok(manager.get(f"{url}/v1/reports/receivables-ageing", params={"store_id": shop.id}))
    assert [(row["name"], row["current_fen"]) for row in ageing["accounts"]] == [
        ("广州顺达物流有限公司", first["total_fen"] + second["total_fen"])]

    paid = ok(cashier.post(f"{a}/payments", json={"method": "bank", "amount_fen": first["total_fen"] + 1,
                                                  "reference": "对公转账 0001"},
                           headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    assert [(x["invoice_number"], x["amount_fen"]) for x in paid["allocations"]] == [
        (first["number"], first["total_fen"]), (second["number"], 1)]
    owed = receivables("the company's payment")
    assert owed["left_fen"] == owed["right_fen"] == second["total_fen"] - 1
    assert ok(cashier.get(a))["balance_fen"] == second["total_fen"] - 1

    # the month's statement printed (挂账对账单): the cars, the invoices, the payment, totals as printed
    pdf = cashier.get(f"{a}/statements/{month}.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf", pdf.text[:300]
    assert pdf.content.startswith(b"%PDF")
    text = text_of(pdf.content)
    for expected in ("挂账对账单", "广州顺达物流有限公司", month, *plates, first["number"], second["number"],
                     "对公转账 0001"):
        assert expected in text, expected
    totals = re.findall(r"(上期结余|本月挂账|本月收款|期末余额)\s+(-?¥[\d,.]+)", text)
    printed = {label: fen(amount) for label, amount in totals}
    assert printed == {"上期结余": 0, "本月挂账": first["total_fen"] + second["total_fen"],
                       "本月收款": -(first["total_fen"] + 1), "期末余额": second["total_fen"] - 1}, printed
    assert shop.techs[0][1].get(f"{a}/statements/{month}.pdf").status_code == 403
