"""Insurers' claims (事故车) through finance's entrypoints on SQLite, crm answered by a fake: HQ sets up an
insurer, the cashier puts an accident repair's share on it under the claim's number (报案号, once per insurer),
the customer pays the deductible at the till, the manager records the insurer's remittance against the named
claim (never above what it leaves open), and writes off what a short payment leaves; the statement lists each
claim with its ageing. After every step the books balance and receivables (1122) equal what open invoices,
company charges and claims leave unpaid, per store."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.common.errors import Conflict, Forbidden, Invalid
from tests.service.test_company_accounts import STRANGER, finance, owed
from tests.service.test_finance_service import (CASHIER, HQ, MANAGER, OTHER, STORE, assert_books_balance, events,
                                                issue)
from tests.service.test_finance_service import session as books  # noqa: F401  (fixture)

PICC = "中国人保财险广州分公司"


def set_up(session, **changes) -> dict:
    return finance(session, HQ).create_insurer({"name": PICC, "contact_name": "李定损", "contact_phone": "13800138000",
                                                "store_ids": [STORE], **changes})


def claim(session, invoice, insurer, number="RDAA202644010000123", amount=None, caller=CASHIER, key=None,
          **more) -> dict:
    return finance(session, caller).put_invoice_on_insurer(invoice["id"], {
        "insurer_id": insurer["id"], "claim_number": number, "amount_fen": amount or invoice["total_fen"], **more},
        idempotency_key=key)


def test_an_accident_repair_is_shared_by_the_insurer_and_the_customer_and_the_books_follow(books):  # noqa: F811
    session = books
    with pytest.raises(Forbidden):  # the till does not set insurers up
        finance(session, CASHIER).create_insurer({"name": PICC, "store_ids": [STORE]})
    with pytest.raises(Forbidden):  # a manager sets one up for their own stores only
        finance(session, MANAGER).create_insurer({"name": PICC, "store_ids": [OTHER]})
    insurer = set_up(session)
    assert (insurer["balance_fen"], insurer["open_claims"], insurer["status"]) == (0, 0, "active")
    with pytest.raises(Conflict) as taken:
        set_up(session)
    assert taken.value.code == "insurer_taken"
    assert [row["name"] for row in finance(session).list_insurers({"store_id": STORE})["items"]] == [PICC]
    with pytest.raises(Forbidden):
        finance(session, STRANGER).get_insurer(insurer["id"])

    invoice = issue(session, customer_id="cust-9")  # veh-1 浙B12345, ¥510.00
    total = invoice["total_fen"]
    share, deductible = total - 10_000, 10_000
    with pytest.raises(Invalid) as no_number:  # the claim's number is required
        finance(session).put_invoice_on_insurer(invoice["id"], {"insurer_id": insurer["id"], "amount_fen": share})
    assert "claim_number" in no_number.value.fields
    with pytest.raises(Invalid) as above_assessed:
        claim(session, invoice, insurer, amount=share, assessed_fen=share - 1)
    assert "amount_fen" in above_assessed.value.fields
    with pytest.raises(Invalid) as above_due:
        claim(session, invoice, insurer, amount=total + 1)
    assert above_due.value.code == "overpayment"

    put = claim(session, invoice, insurer, number="rdaa202644010000123", amount=share, assessed_fen=total, key="c1")
    assert put["claim"]["claim_number"] == "RDAA202644010000123" and put["claim"]["plate"] == "浙B12345"
    assert (put["claim"]["open_fen"], put["claim"]["status"], put["claim"]["insurer_name"]) == (share, "open", PICC)
    assert put["invoice"]["due_fen"] == deductible and put["invoice"]["status"] == "partially_paid"
    assert claim(session, invoice, insurer, number="RDAA202644010000123", amount=share,
                 key="c1")["claim"]["id"] == put["claim"]["id"]  # a retry
    assert owed(session) == (total, total)  # the insurer's share moved inside 1122; the deductible still due

    # the customer pays the deductible at the till: the invoice is settled, the insurer still owes its share
    finance(session).take_payment(invoice["id"], {"method": "wechat", "amount_fen": deductible})
    assert finance(session).get_invoice(invoice["id"])["status"] == "paid"
    assert owed(session) == (share, share)
    with pytest.raises(Conflict) as void:
        finance(session, MANAGER).void_invoice(invoice["id"], {"reason": "开错了"})
    assert void.value.code == "invoice_state"

    # a claim number is once per insurer (another insurer may use the same digits)
    second = issue(session, customer_id="cust-9")
    with pytest.raises(Conflict) as twice:
        claim(session, second, insurer, number="RDAA202644010000123", amount=1000)
    assert twice.value.code == "claim_number_taken"
    pingan = finance(session, HQ).create_insurer({"name": "平安产险广州分公司", "store_ids": [STORE, OTHER]})
    other = claim(session, second, pingan, number="RDAA202644010000123", amount=second["total_fen"])
    assert other["invoice"]["status"] == "paid"
    assert owed(session) == (share + second["total_fen"],) * 2

    # the statement: each claim with plate, invoice, day, amount, paid, open, and its ageing
    statement = finance(session, MANAGER).insurer_statement(insurer["id"], {})
    [row] = statement["claims"]
    assert (row["claim_number"], row["plate"], row["invoice_number"], row["amount_fen"], row["paid_fen"],
            row["open_fen"]) == ("RDAA202644010000123", "浙B12345", invoice["number"], share, 0, share)
    assert statement["ageing"]["current_fen"] == share == statement["open_fen"] == statement["amount_fen"]
    later = (date.fromisoformat(row["business_date"]) + timedelta(days=40)).isoformat()
    report = finance(session, MANAGER).receivables_ageing({"store_id": STORE, "as_of": later})
    assert sorted((r["name"], r["days_31_60_fen"]) for r in report["insurers"]) == [
        (PICC, share), ("平安产险广州分公司", second["total_fen"])]
    assert report["chain"]["total_fen"] == share + second["total_fen"]

    # the insurer remits claim by claim: a cashier may not record it, nor more than a claim leaves open
    lines = [{"claim_id": put["claim"]["id"], "amount_fen": share - 5_000}]
    with pytest.raises(Forbidden):
        finance(session, CASHIER).receive_claim_remittance(insurer["id"], {"lines": lines})
    with pytest.raises(Conflict) as too_much:
        finance(session, MANAGER).receive_claim_remittance(insurer["id"], {
            "lines": [{"claim_id": put["claim"]["id"], "amount_fen": share + 1}]})
    assert too_much.value.code == "claim_remittance_above_open"
    assert too_much.value.params["open_fen"] == share
    with pytest.raises(Invalid) as not_its:
        finance(session, MANAGER).receive_claim_remittance(insurer["id"], {
            "lines": [{"claim_id": other["claim"]["id"], "amount_fen": 1}]})
    assert not_its.value.code == "claim_insurer_mismatch"
    paid = finance(session, MANAGER).receive_claim_remittance(insurer["id"], {
        "method": "bank", "reference": "PICC-20261207-01", "lines": lines}, idempotency_key="r1")
    assert [(a["claim_number"], a["amount_fen"]) for a in paid["allocations"]] == [("RDAA202644010000123",
                                                                                   share - 5_000)]
    assert finance(session, MANAGER).receive_claim_remittance(insurer["id"], {"lines": lines},
                                                              idempotency_key="r1")["id"] == paid["id"]
    with pytest.raises(Conflict):  # what the first paid is seen: the rest only
        finance(session, MANAGER).receive_claim_remittance(insurer["id"], {"lines": lines})
    assert owed(session) == (5_000 + second["total_fen"],) * 2
    assert assert_books_balance(session, STORE)["1002"] == share - 5_000
    assert finance(session).get_insurer(insurer["id"])["balance_fen"] == 5_000

    # the short payment's rest: written off by a manager with a reason (Dr 4102 · Cr 1122), the claim closed
    with pytest.raises(Forbidden):
        finance(session, CASHIER).write_off_insurance_claim(put["claim"]["id"], {"reason": "定损核减"})
    with pytest.raises(Invalid):
        finance(session, MANAGER).write_off_insurance_claim(put["claim"]["id"], {"reason": ""})
    closed = finance(session, MANAGER).write_off_insurance_claim(put["claim"]["id"], {"reason": "定损核减"})
    assert (closed["status"], closed["open_fen"], closed["written_off_fen"]) == ("written_off", 0, 5_000)
    with pytest.raises(Conflict) as again:
        finance(session, MANAGER).write_off_insurance_claim(put["claim"]["id"], {"reason": "定损核减"})
    assert again.value.code == "claim_state"
    books_now = assert_books_balance(session, STORE)
    assert books_now["4102"] == 5_000
    assert owed(session) == (second["total_fen"],) * 2
    assert finance(session).get_insurer(insurer["id"]) | {"balance_fen": 0, "open_claims": 0} == \
        finance(session).get_insurer(insurer["id"])
    assert finance(session).list_insurance_claims({"store_id": STORE, "status": "open"})["items"][0]["id"] == \
        other["claim"]["id"]
    assert [c["claim_number"] for c in finance(session).list_insurance_claims({"q": "浙B123"})["items"]] == [
        "RDAA202644010000123", "RDAA202644010000123"]

    # pingan pays its claim in full: closed, nothing open at the store
    finance(session, HQ).receive_claim_remittance(pingan["id"], {"method": "bank", "lines": [
        {"claim_id": other["claim"]["id"], "amount_fen": second["total_fen"]}]})
    assert finance(session).get_insurance_claim(other["claim"]["id"])["status"] == "paid"
    assert owed(session) == (0, 0)


def test_another_stores_insurer_a_suspended_one_and_another_stores_claim_are_refused(books):  # noqa: F811
    session = books
    insurer = set_up(session, store_ids=[OTHER])
    invoice = issue(session, customer_id="cust-9")
    with pytest.raises(Forbidden):  # not this store's to see
        claim(session, invoice, insurer, amount=100, caller=MANAGER)
    with pytest.raises(Conflict) as store:  # HQ sees it, yet the store may not put claims on it
        claim(session, invoice, insurer, amount=100, caller=HQ)
    assert store.value.code == "insurer_store_not_allowed"
    with pytest.raises(Forbidden):  # a manager changes only insurers of their stores
        finance(session, MANAGER).update_insurer(insurer["id"], {"status": "suspended"})
    finance(session, HQ).update_insurer(insurer["id"], {"store_ids": [STORE, OTHER], "status": "suspended"})
    with pytest.raises(Conflict) as suspended:
        claim(session, invoice, insurer, amount=100)
    assert suspended.value.code == "insurer_state"
    finance(session, HQ).update_insurer(insurer["id"], {"status": "active"})
    put = claim(session, invoice, insurer, amount=100)
    with pytest.raises(Forbidden):
        finance(session, STRANGER).get_insurance_claim(put["claim"]["id"])
    assert owed(session) == (invoice["total_fen"], invoice["total_fen"])


def test_a_claim_put_on_the_wrong_insurer_is_voided_and_its_share_is_due_at_the_till_again(books):  # noqa: F811
    """The cashier put the share on the wrong insurer and the customer paid the deductible (the invoice settled):
    a manager voids the claim with the reason — the invoice is open again for the share, the insurer owes
    nothing, 1122 still equals what is open, and the share can be put on the right insurer."""
    session = books
    wrong = set_up(session)
    right = finance(session, HQ).create_insurer({"name": "平安产险广州分公司", "store_ids": [STORE]})
    invoice = issue(session, customer_id="cust-9")
    total = invoice["total_fen"]
    share = total - 10_000
    put = claim(session, invoice, wrong, amount=share)["claim"]
    finance(session).take_payment(invoice["id"], {"method": "wechat", "amount_fen": 10_000})
    assert finance(session).get_invoice(invoice["id"])["status"] == "paid"

    with pytest.raises(Forbidden):  # the till does not void claims
        finance(session, CASHIER).void_insurance_claim(put["id"], {"reason": "保险公司选错"})
    with pytest.raises(Invalid):  # a reason is typed
        finance(session, MANAGER).void_insurance_claim(put["id"], {"reason": " "})
    voided = finance(session, MANAGER).void_insurance_claim(put["id"], {"reason": "保险公司选错"})
    assert (voided["status"], voided["open_fen"], voided["void_reason"]) == ("voided", 0, "保险公司选错")
    assert voided["voided_on"] == voided["business_date"]
    again = finance(session).get_invoice(invoice["id"])
    assert (again["status"], again["due_fen"]) == ("partially_paid", share)
    assert finance(session).get_insurer(wrong["id"]) | {"balance_fen": 0, "open_claims": 0} == \
        finance(session).get_insurer(wrong["id"])
    assert owed(session) == (share, share)  # the share is the invoice's debt again, inside 1122
    assert [c["id"] for c in finance(session).list_insurance_claims({"status": "voided"})["items"]] == [put["id"]]
    assert finance(session).list_insurance_claims({"status": "open"})["items"] == []
    with pytest.raises(Conflict) as twice:
        finance(session, MANAGER).void_insurance_claim(put["id"], {"reason": "保险公司选错"})
    assert (twice.value.code, twice.value.params["status"]) == ("claim_state", "voided")
    trail = finance(session, MANAGER).list_audit({"document_type": "invoice", "document_id": invoice["id"]})["items"]
    [audited] = [entry for entry in trail if entry["action"] == "claim_voided"]
    assert audited["details"]["reason"] == "保险公司选错" and audited["details"]["after"]["status"] == "partially_paid"
    assert [(e["claim_id"], e["status"]) for e in events(session, "insurance_claim_changed")] == [
        (put["id"], "open"), (put["id"], "voided")]

    # the share on the right insurer, under the same 报案号: the invoice settled again
    moved = claim(session, invoice, right, amount=share)
    assert moved["invoice"]["status"] == "paid" and owed(session) == (share, share)
    assert finance(session).get_insurer(right["id"])["balance_fen"] == share


def test_a_claim_the_insurer_remitted_any_of_cannot_be_voided(books):  # noqa: F811
    session = books
    insurer = set_up(session)
    invoice = issue(session, customer_id="cust-9")
    put = claim(session, invoice, insurer)["claim"]
    finance(session, MANAGER).receive_claim_remittance(insurer["id"], {"lines": [
        {"claim_id": put["id"], "amount_fen": 100}]})
    with pytest.raises(Conflict) as remitted:
        finance(session, MANAGER).void_insurance_claim(put["id"], {"reason": "车主改为自付"})
    assert remitted.value.code == "claim_remitted"
    assert remitted.value.params == {"claim_number": put["claim_number"], "paid_fen": 100}
    stored = finance(session).get_insurance_claim(put["id"])
    assert (stored["status"], stored["open_fen"]) == ("open", invoice["total_fen"] - 100)
    assert finance(session).get_invoice(invoice["id"])["status"] == "paid"
    assert owed(session) == (invoice["total_fen"] - 100,) * 2


def test_the_insurers_month_adds_up_opened_less_remitted_written_off_and_voided(books):  # noqa: F811
    session = books
    insurer = set_up(session)
    first, second, third = (issue(session, customer_id="cust-9") for _ in range(3))
    a = claim(session, first, insurer, number="RDAA0001")["claim"]
    b = claim(session, second, insurer, number="RDAA0002")["claim"]
    c = claim(session, third, insurer, number="RDAA0003")["claim"]
    finance(session, MANAGER).receive_claim_remittance(insurer["id"], {"reference": "PICC-01", "lines": [
        {"claim_id": a["id"], "amount_fen": a["amount_fen"] - 500}, {"claim_id": b["id"], "amount_fen": 1_000}]})
    finance(session, MANAGER).write_off_insurance_claim(a["id"], {"reason": "定损核减"})
    finance(session, MANAGER).void_insurance_claim(c["id"], {"reason": "报案号有误"})
    month = a["business_date"][:7]
    statement = finance(session, MANAGER).insurer_month_statement(insurer["id"], {"month": month})
    assert statement["opening_balance_fen"] == 0
    by_kind = {}
    for line in statement["lines"]:
        by_kind.setdefault(line["kind"], []).append((line["claim_number"], line["amount_fen"]))
    assert by_kind == {"opened": [("RDAA0001", a["amount_fen"]), ("RDAA0002", b["amount_fen"]),
                                  ("RDAA0003", c["amount_fen"])],
                       "remitted": [("RDAA0001", a["amount_fen"] - 500), ("RDAA0002", 1_000)],
                       "written_off": [("RDAA0001", 500)], "voided": [("RDAA0003", c["amount_fen"])]}
    assert [line["reference"] for line in statement["lines"] if line["kind"] == "remitted"] == ["PICC-01"] * 2
    closing = statement["closing_balance_fen"]
    assert closing == (statement["opened_fen"] - statement["remitted_fen"] - statement["written_off_fen"]
                       - statement["voided_fen"]) == b["amount_fen"] - 1_000
    assert closing == finance(session).get_insurer(insurer["id"])["balance_fen"]
    year, number = (int(part) for part in month.split("-"))
    following = f"{year + number // 12}-{number % 12 + 1:02d}"
    after = finance(session, MANAGER).insurer_month_statement(insurer["id"], {"month": following})
    assert (after["opening_balance_fen"], after["lines"], after["closing_balance_fen"]) == (closing, [], closing)
    with pytest.raises(Forbidden):
        finance(session, STRANGER).insurer_month_statement(insurer["id"], {"month": month})


def test_a_voided_claims_number_is_put_on_the_same_insurer_again_a_live_ones_is_not(books):  # noqa: F811
    """The share was put on the insurer for the wrong amount: a manager voids the claim and the cashier records it
    again under the same 报案号 on the same insurer (the voided claim keeps it, read-only); the re-recorded claim
    holds the number — a third claim under it is refused (409 `claim_number_taken`)."""
    session = books
    insurer = set_up(session)
    invoice = issue(session, customer_id="cust-9")
    wrong = claim(session, invoice, insurer, amount=1_000)["claim"]
    finance(session, MANAGER).void_insurance_claim(wrong["id"], {"reason": "金额录错"})
    again = claim(session, invoice, insurer, amount=invoice["total_fen"])
    assert again["claim"]["claim_number"] == wrong["claim_number"] and again["claim"]["id"] != wrong["id"]
    assert (again["claim"]["status"], again["invoice"]["status"]) == ("open", "paid")
    assert [c["status"] for c in finance(session).list_insurance_claims({"insurer_id": insurer["id"]})["items"]] == [
        "voided", "open"]
    with pytest.raises(Conflict) as taken:
        claim(session, issue(session, customer_id="cust-9"), insurer, amount=100)
    assert (taken.value.code, taken.value.params) == ("claim_number_taken", {"claim_number": wrong["claim_number"]})
    assert finance(session).get_insurer(insurer["id"])["balance_fen"] == invoice["total_fen"]
