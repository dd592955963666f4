"""Company accounts (挂账) through finance's entrypoints on SQLite, crm answered by a fake called
through the guarded proxy (never inside a write): an account opened with a verified tax number,
members, invoices charged within the credit limit (above it only by a manager with a reason), a
monthly statement, the ageing by due date and the company's payment clearing the oldest charges.
After every step the books balance and receivables (1122) equal what open invoices and open
charges leave unpaid, per store."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from nameko.testing.services import worker_factory

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.finance.domain.accounts import allocate, due_on
from services.finance.models import AccountCharge
from services.finance.service import FinanceService
from tests.service.test_finance_service import (CASHIER, HQ, MANAGER, OTHER, STORE, assert_books_balance, issue,
                                                order)
from tests.service.test_finance_service import session as books  # noqa: F401  (fixture)
from tests.support.service import guarded

TAX_NUMBER = "91350100M000100Y43"
STRANGER = Caller(user_id="cashier-9", role="cashier", store_ids=frozenset({"store-z"}))


class Crm:
    """crm's reads of a customer and a vehicle."""

    def get_customer(self, customer_id):
        if customer_id == "nobody":
            raise NotFound("No such customer.")
        return {"id": customer_id, "name": "王经理"}

    def get_vehicle(self, vehicle_id):
        return {"id": vehicle_id, "plate": {"veh-1": "浙B12345", "veh-2": "浙B67890"}[vehicle_id]}


def finance(session, caller=CASHIER):
    service = worker_factory(FinanceService, db=session, caller=caller)
    service.crm = guarded(Crm(), "crm", session)
    return service


def owed(session, store=STORE) -> tuple[int, int]:
    """(1122 at the store, what open invoices and charges leave unpaid there): equal after every step."""
    accounts = assert_books_balance(session, store)
    [side] = [row for row in finance(session, HQ).book_sides({})["stores"] if row["store_id"] == store]
    return accounts.get("1122", 0), side["open_invoices_fen"]


def opened(session, **changes) -> dict:
    return finance(session, HQ).create_company_account({
        "name": "宁波顺达物流有限公司", "tax_number": TAX_NUMBER, "contact_name": "王经理",
        "contact_phone": "13812345678", "credit_limit_fen": 80_000, "payment_terms_days": 30,
        "store_ids": [STORE, OTHER], **changes})


def test_the_tax_number_is_a_unified_social_credit_code_with_its_check_character(books):  # noqa: F811
    session = books
    with pytest.raises(Invalid) as bad:
        opened(session, tax_number="91350100M000100Y44")
    assert "tax_number" in bad.value.fields
    with pytest.raises(Invalid) as storeless:  # the stores that may charge to it are named
        finance(session, HQ).create_company_account({"name": "某公司", "tax_number": TAX_NUMBER, "credit_limit_fen": 1})
    assert "store_ids" in storeless.value.fields
    account = opened(session, tax_number=" 91350100m000100y43 ")
    assert account["tax_number"] == TAX_NUMBER and account["balance_fen"] == 0
    with pytest.raises(Conflict) as twice:
        opened(session)
    assert twice.value.code == "company_account_taken"
    with pytest.raises(Forbidden):
        finance(session, CASHIER).create_company_account({"name": "某公司", "tax_number": "91110000600037341L",
                                                          "credit_limit_fen": 1, "store_ids": [STORE]})
    with pytest.raises(Forbidden):  # a manager opens accounts for their own stores only
        finance(session, MANAGER).create_company_account({"name": "某公司", "tax_number": "91110000600037341L",
                                                          "credit_limit_fen": 1, "store_ids": [OTHER]})


def test_charges_statement_ageing_and_payment_keep_receivables_equal_to_open_documents(books):  # noqa: F811
    session = books
    account = opened(session)
    member = finance(session, MANAGER).add_company_account_member(account["id"], {"vehicle_id": "veh-1"})
    assert member["label"] == "浙B12345"
    with pytest.raises(Conflict) as again:
        finance(session, MANAGER).add_company_account_member(account["id"], {"vehicle_id": "veh-1"})
    assert again.value.code == "account_member_taken"
    with pytest.raises(Invalid):
        finance(session, MANAGER).add_company_account_member(account["id"], {"vehicle_id": "v", "customer_id": "c"})
    with pytest.raises(NotFound):
        finance(session, MANAGER).add_company_account_member(account["id"], {"customer_id": "nobody"})
    with pytest.raises(Forbidden):
        finance(session, STRANGER).get_company_account(account["id"])

    first = issue(session, customer_id="cust-9")  # veh-1, ¥510.00
    total = first["total_fen"]
    assert [a["id"] for a in finance(session).list_company_accounts({"invoice_id": first["id"]})["items"]] == [
        account["id"]]
    charged = finance(session).charge_invoice_to_account(first["id"], {"account_id": account["id"],
                                                                       "amount_fen": total}, idempotency_key="k1")
    assert charged["invoice"]["status"] == "paid" and charged["invoice"]["due_fen"] == 0
    assert charged["charge"]["plate"] == "浙B12345" and charged["charge"]["due_fen"] == total
    retry = finance(session).charge_invoice_to_account(first["id"], {"account_id": account["id"],
                                                                     "amount_fen": total}, idempotency_key="k1")
    assert retry["charge"]["id"] == charged["charge"]["id"]
    assert owed(session) == (total, total)

    stranger = order(customer_id="cust-2")
    stranger["vehicle_id"] = "veh-2"
    outsider = issue(session, stranger)
    assert finance(session).list_company_accounts({"invoice_id": outsider["id"]})["items"] == []
    with pytest.raises(Conflict) as not_member:
        finance(session).charge_invoice_to_account(outsider["id"], {"account_id": account["id"], "amount_fen": 100})
    assert not_member.value.code == "account_member_required"

    # within the limit at the till; the rest only by a manager giving a reason
    second = issue(session, customer_id="cust-9")
    finance(session).charge_invoice_to_account(second["id"], {"account_id": account["id"], "amount_fen": 20_000})
    assert owed(session) == (total + total + outsider["total_fen"],) * 2
    for caller, reason in ((CASHIER, "老客户"), (MANAGER, None)):
        with pytest.raises(Conflict) as over:
            finance(session, caller).charge_invoice_to_account(second["id"], {
                "account_id": account["id"], "amount_fen": total - 20_000, "over_limit_reason": reason})
        assert over.value.code == "credit_limit_exceeded"
        assert over.value.params["available_fen"] == 80_000 - total - 20_000
    with pytest.raises(Invalid) as above_due:
        finance(session, MANAGER).charge_invoice_to_account(second["id"], {
            "account_id": account["id"], "amount_fen": total, "over_limit_reason": "月底结清"})
    assert above_due.value.code == "overpayment"
    override = finance(session, MANAGER).charge_invoice_to_account(second["id"], {
        "account_id": account["id"], "amount_fen": total - 20_000, "over_limit_reason": "月底结清"})
    assert override["charge"]["over_limit_reason"] == "月底结清" and override["invoice"]["status"] == "paid"
    assert finance(session).get_company_account(account["id"])["balance_fen"] == 2 * total
    with pytest.raises(Conflict) as void:
        finance(session, MANAGER).void_invoice(second["id"], {"reason": "开错了"})
    assert void.value.code == "invoice_state"
    assert owed(session) == (2 * total + outsider["total_fen"],) * 2

    # the month's statement: each car and invoice, the balance, when it falls due
    day = date.fromisoformat(charged["charge"]["business_date"])
    month = day.strftime("%Y-%m")
    statement = finance(session).company_account_statement(account["id"], {"month": month})
    assert [(line["kind"], line["plate"], line["amount_fen"]) for line in statement["lines"]] == [
        ("charge", "浙B12345", total), ("charge", "浙B12345", 20_000), ("charge", "浙B12345", total - 20_000)]
    assert statement["opening_balance_fen"] == 0 and statement["closing_balance_fen"] == 2 * total
    assert statement["due_on"] == due_on(day, 30).isoformat() == charged["charge"]["due_on"]
    next_month = (day.replace(day=28) + timedelta(days=5)).strftime("%Y-%m")
    later = finance(session).company_account_statement(account["id"], {"month": next_month})
    assert (later["opening_balance_fen"], later["lines"]) == (2 * total, [])

    # ageing by the charges' due date, per account, beside the unpaid invoice of the till
    late = due_on(day, 30) + timedelta(days=10)
    report = finance(session, MANAGER).receivables_ageing({"store_id": STORE, "as_of": late.isoformat()})
    [row] = report["accounts"]
    assert (row["name"], row["days_1_30_fen"], row["total_fen"]) == ("宁波顺达物流有限公司", 2 * total, 2 * total)
    assert report["chain"]["total_fen"] == 2 * total + outsider["total_fen"] == report["stores"][0]["total_fen"]

    # the company pays: the oldest charges first; never more than is open
    with pytest.raises(Conflict) as too_much:
        finance(session).receive_account_payment(account["id"], {"method": "bank", "amount_fen": 2 * total + 1})
    assert too_much.value.code == "account_payment_above_balance"
    paid = finance(session).receive_account_payment(account["id"], {"method": "bank", "amount_fen": 60_000,
                                                                    "reference": "转账-001"}, idempotency_key="p1")
    assert [(a["invoice_number"], a["amount_fen"]) for a in paid["allocations"]] == [
        (first["number"], total), (second["number"], 60_000 - total)]
    assert finance(session).receive_account_payment(account["id"], {"method": "bank", "amount_fen": 60_000},
                                                    idempotency_key="p1")["id"] == paid["id"]
    books = assert_books_balance(session, STORE)
    assert books["1002"] == 60_000
    assert owed(session) == (2 * total - 60_000 + outsider["total_fen"],) * 2
    assert finance(session).get_company_account(account["id"])["balance_fen"] == 2 * total - 60_000
    statement = finance(session).company_account_statement(account["id"], {"month": month})
    assert statement["lines"][-1]["kind"] == "payment" and statement["closing_balance_fen"] == 2 * total - 60_000


def test_a_suspended_account_and_another_stores_invoice_are_refused(books):  # noqa: F811
    session = books
    account = opened(session, store_ids=[OTHER])
    finance(session, HQ).add_company_account_member(account["id"], {"customer_id": "cust-9"})
    invoice = issue(session, customer_id="cust-9")
    with pytest.raises(Forbidden):  # the account is not this store's to see
        finance(session, MANAGER).charge_invoice_to_account(invoice["id"], {"account_id": account["id"],
                                                                            "amount_fen": 100})
    with pytest.raises(Conflict) as store:  # HQ sees it, yet the store may not charge to it
        finance(session, HQ).charge_invoice_to_account(invoice["id"], {"account_id": account["id"], "amount_fen": 100})
    assert store.value.code == "account_store_not_allowed"
    finance(session, HQ).update_company_account(account["id"], {"store_ids": [STORE, OTHER], "status": "suspended"})
    with pytest.raises(Conflict) as suspended:
        finance(session).charge_invoice_to_account(invoice["id"], {"account_id": account["id"], "amount_fen": 100})
    assert suspended.value.code == "company_account_state"
    assert owed(session) == (invoice["total_fen"], invoice["total_fen"])


def test_due_dates_and_allocation_rules():
    assert due_on(date(2026, 2, 3), 30) == date(2026, 3, 30)
    assert due_on(date(2026, 12, 31), 0) == date(2026, 12, 31)
    old = AccountCharge(id="b", amount_fen=500, paid_fen=200, due_on=date(2026, 1, 30))
    new = AccountCharge(id="a", amount_fen=900, paid_fen=0, due_on=date(2026, 2, 28))
    assert [(c.id, share) for c, share in allocate([new, old], 700)] == [("b", 300), ("a", 400)]
