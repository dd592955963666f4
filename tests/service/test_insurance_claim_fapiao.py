"""The insurer's fapiao for its claim's share (the insurer the buyer, by its name and tax number) and the
customer's for the rest: whichever is asked for first, the two add up to the invoice, a fen never on two
fapiao, and each line's tax is shared without a fen lost; one per claim while it stands; a claim whose fapiao
stands is not voided until a red one reverses it, and a voided claim gets none."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from services.common.errors import Conflict
from services.finance.domain import fapiao
from services.finance.models import Fapiao
from tests.service.test_company_accounts import finance
from tests.service.test_fapiao_worker import CODES, FakeProvider, tick
from tests.service.test_finance_service import CASHIER, HQ, MANAGER, issue
from tests.service.test_finance_service import session as books  # noqa: F401  (fixture)
from tests.service.test_insurance_claims import PICC, claim, set_up

TAX_NUMBER = "91440101MA59TE5T2P"


def ask(session, claim_id: str, **data) -> Fapiao:
    return fapiao.request_claim_fapiao(session, CASHIER, claim_id, {"type": "normal", **data}, None, CODES)


def customers(session, invoice_id: str) -> Fapiao:
    return fapiao.request_fapiao(session, CASHIER, invoice_id, {"type": "normal", "buyer_title": "张伟"}, None, CODES)


def assert_shared(invoice: dict, rows: list[Fapiao]) -> None:
    """The fapiao cover the invoice once: per line its total and its tax, no more."""
    for line in invoice["lines"]:
        parts = [part for row in rows for part in row.lines if part["line_id"] == line["id"]]
        assert sum(part["total_fen"] for part in parts) == line["total_fen"], (line, parts)
        assert sum(part["tax_fen"] for part in parts) == line["tax_fen"], (line, parts)
    assert sum(row.amount_fen for row in rows) == invoice["total_fen"]


def test_the_insurers_fapiao_and_the_customers_cover_the_invoice_once_whichever_comes_first(books):  # noqa: F811
    session = books
    insurer = set_up(session)
    first = issue(session, customer_id="cust-9")
    deductible = 10_000
    share = first["total_fen"] - deductible
    put = claim(session, first, insurer, amount=share)["claim"]
    with pytest.raises(Conflict) as no_tax_number:
        ask(session, put["id"])
    assert (no_tax_number.value.code, no_tax_number.value.params) == ("insurer_tax_number_missing",
                                                                      {"insurer": PICC})
    finance(session, HQ).update_insurer(insurer["id"], {"tax_number": TAX_NUMBER})

    # the insurer's first, before the customer paid: the insurer the buyer, the claim's amount
    theirs = ask(session, put["id"], buyer_email="claims@picc.example")
    assert (theirs.buyer_title, theirs.buyer_tax_no, theirs.amount_fen, theirs.insurance_claim_id) == (
        PICC, TAX_NUMBER, share, put["id"])
    with pytest.raises(Conflict) as twice:
        ask(session, put["id"])
    assert twice.value.code == "claim_fapiao_exists"
    finance(session).take_payment(first["id"], {"method": "wechat", "amount_fen": deductible})
    mine = customers(session, first["id"])
    assert (mine.amount_fen, mine.insurance_claim_id) == (deductible, None)
    assert_shared(finance(session).get_invoice(first["id"]), [theirs, mine])
    with pytest.raises(Conflict) as nothing_left:
        customers(session, first["id"])
    assert nothing_left.value.code == "fapiao_nothing_left"
    listed = finance(session).get_insurance_claim(put["id"])["fapiao"]
    assert (listed["id"], listed["status"], listed["amount_fen"]) == (theirs.id, "queued", share)

    # the customer's first: it covers the deductible only, the insurer's share waits for the insurer's
    second = issue(session, customer_id="cust-9")
    other = claim(session, second, insurer, number="RDAA0002", amount=second["total_fen"] - deductible)["claim"]
    finance(session).take_payment(second["id"], {"method": "cash", "amount_fen": deductible})
    mine = customers(session, second["id"])
    assert mine.amount_fen == deductible
    theirs = ask(session, other["id"])
    assert theirs.amount_fen == other["amount_fen"]
    assert_shared(finance(session).get_invoice(second["id"]), [mine, theirs])


def test_a_claim_with_a_fapiao_is_voided_once_it_is_reversed_and_a_voided_claim_gets_none(books):  # noqa: F811
    session = books
    insurer = set_up(session, tax_number=TAX_NUMBER)
    invoice = issue(session, customer_id="cust-9")
    put = claim(session, invoice, insurer)["claim"]
    blue = ask(session, put["id"])
    session.commit()
    provider = FakeProvider(session)
    tick(session, provider)
    tick(session, provider)
    assert finance(session).get_insurance_claim(put["id"])["fapiao"]["number"] == "24310000000000000001"
    with pytest.raises(Conflict) as standing:
        finance(session, MANAGER).void_insurance_claim(put["id"], {"reason": "金额录错"})
    assert (standing.value.code, standing.value.params) == ("claim_fapiao_standing", {
        "claim_number": put["claim_number"], "fapiao_status": "issued"})
    red = finance(session, MANAGER).red_letter_fapiao(blue.id, {"reason": "error"})
    assert (red["insurance_claim_id"], red["amount_fen"]) == (put["id"], -put["amount_fen"])
    # the red one issued (the provider's steps are test_fapiao_worker's): the blue one is reversed
    session.execute(update(Fapiao).where(Fapiao.id == blue.id).values(status="reversed"))
    voided = finance(session, MANAGER).void_insurance_claim(put["id"], {"reason": "金额录错"})
    assert voided["status"] == "voided"
    with pytest.raises(Conflict) as none:
        ask(session, put["id"])
    assert none.value.code == "claim_fapiao_voided"
    # the share is the customer's again: paid at the till, all of it on the customer's fapiao
    finance(session).take_payment(invoice["id"], {"method": "cash", "amount_fen": invoice["total_fen"]})
    assert customers(session, invoice["id"]).amount_fen == invoice["total_fen"]
