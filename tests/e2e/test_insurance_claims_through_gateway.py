"""Insurers' claims (事故车) through the gateway (crm, sales, workshop, inventory, finance, RabbitMQ, PostgreSQL):
HQ sets up an insurer (the cashier may not), the cashier puts two accident repairs' shares on it under their
claim numbers (a number twice: 409), the customers pay their deductibles at the till, the statement and the
receivables ageing list the claims, the manager records the insurer's remittance against one named claim in
full and the other short (two remittances of one claim at once: one 201, one 409), then writes the short
one's rest off with a reason. After every step the store's receivables (1122) equal what open invoices and
claims leave unpaid, and the books balance."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.browser.test_cashier import completed_work
from tests.e2e.test_stock_books_through_gateway import reconciled
from tests.support.one_car import Store, eventually, new_part, ok

pytestmark = pytest.mark.e2e


def test_an_insurer_pays_its_claims_one_by_one_and_the_receivables_stay_reconciled(stack, admin):
    url = stack.url
    shop = Store(stack, admin)
    part = new_part(stack, admin, shop)
    cashier, manager = shop.cashier, shop.manager
    name = f"中国人保财险{uuid.uuid4().hex[:4]}"

    def receivables(what: str, expected: int | None = None) -> dict:
        owed = reconciled(stack, manager, shop.id, what)["receivables_equal_open_invoices"]
        assert owed["difference_fen"] == 0, (what, owed)
        if expected is not None:
            assert owed["left_fen"] == owed["right_fen"] == expected, (what, owed)
        return owed

    refused = cashier.post(f"{url}/v1/insurers", json={"name": name, "store_ids": [shop.id]})
    assert refused.status_code == 403, refused.text
    insurer = ok(admin.post(f"{url}/v1/insurers", json={"name": name, "contact_name": "李定损",
                                                         "contact_phone": "13800138000", "store_ids": [shop.id]}), 201)
    i = f"{url}/v1/insurers/{insurer['id']}"
    assert [row["name"] for row in ok(cashier.get(f"{url}/v1/insurers", params={"store_id": shop.id}))["items"]] == [
        name]
    first, second = completed_work(stack, shop, part), completed_work(stack, shop, part)
    receivables("two invoices", first["total_fen"] + second["total_fen"])
    deductible = 10_000 if first["total_fen"] > 20_000 else first["total_fen"] // 4
    shares = [invoice["total_fen"] - deductible for invoice in (first, second)]
    numbers = [f"RDAA{uuid.uuid4().hex[:12].upper()}" for _ in range(2)]

    def put(invoice, number, share, key=None):
        return cashier.post(f"{url}/v1/invoices/{invoice['id']}/insurance-claims", json={
            "insurer_id": insurer["id"], "claim_number": number, "amount_fen": share,
            "assessed_fen": invoice["total_fen"]}, headers={"Idempotency-Key": key or uuid.uuid4().hex})

    claims = []
    for invoice, number, share in zip((first, second), numbers, shares, strict=True):
        made = ok(put(invoice, number, share), 201)
        assert made["invoice"]["due_fen"] == deductible and made["claim"]["plate"], made
        claims.append(made["claim"])
        receivables(f"claim {number}", first["total_fen"] + second["total_fen"])
    twice = put(second, numbers[0], 1)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "claim_number_taken", twice.text

    for invoice in (first, second):  # the customers pay their deductibles
        paid = ok(cashier.post(f"{url}/v1/invoices/{invoice['id']}/payments", json={
            "method": "cash", "amount_fen": deductible}, headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
        assert paid["invoice"]["status"] == "paid", paid
    receivables("the deductibles paid", sum(shares))

    statement = ok(cashier.get(f"{i}/statement"))
    assert [(c["claim_number"], c["invoice_number"], c["open_fen"]) for c in statement["claims"]] == [
        (numbers[0], first["number"], shares[0]), (numbers[1], second["number"], shares[1])]
    assert statement["open_fen"] == statement["ageing"]["total_fen"] == sum(shares)
    ageing = ok(manager.get(f"{url}/v1/reports/receivables-ageing", params={"store_id": shop.id}))
    assert [(row["name"], row["total_fen"]) for row in ageing["insurers"]] == [(name, sum(shares))]

    # the insurer pays the first claim in full: recorded twice at once, one 201 and one 409
    def remit(key: str):
        return manager.post(f"{i}/remittances", json={"method": "bank", "reference": "PICC-0001", "lines": [
            {"claim_id": claims[0]["id"], "amount_fen": shares[0]}]}, headers={"Idempotency-Key": key})

    assert cashier.post(f"{i}/remittances", json={"lines": [{"claim_id": claims[0]["id"], "amount_fen": 1}]},
                        headers={"Idempotency-Key": uuid.uuid4().hex}).status_code == 403
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(remit, [uuid.uuid4().hex, uuid.uuid4().hex]))
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
    [lost] = [r for r in answers if r.status_code == 409]
    assert lost.json()["error"]["code"] == "claim_remittance_above_open", lost.text
    assert ok(cashier.get(f"{url}/v1/insurance-claims/{claims[0]['id']}"))["status"] == "paid"
    receivables("the first claim paid", shares[1])

    # the second paid short: the rest stays open until a manager writes it off with a reason
    short = 3_000
    ok(manager.post(f"{i}/remittances", json={"method": "bank", "reference": "PICC-0002", "lines": [
        {"claim_id": claims[1]["id"], "amount_fen": shares[1] - short}]},
        headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    receivables("the second claim paid short", short)
    assert cashier.post(f"{url}/v1/insurance-claims/{claims[1]['id']}/write-off",
                        json={"reason": "定损核减"}).status_code == 403
    closed = ok(manager.post(f"{url}/v1/insurance-claims/{claims[1]['id']}/write-off", json={"reason": "定损核减"}))
    assert (closed["status"], closed["written_off_fen"], closed["open_fen"]) == ("written_off", short, 0)
    receivables("the rest written off", 0)
    assert ok(cashier.get(i))["balance_fen"] == 0
    assert ok(cashier.get(f"{url}/v1/insurance-claims", params={"store_id": shop.id, "status": "open"}))["items"] == []


def test_a_voided_claims_number_is_recorded_again_on_the_same_insurer(stack, admin):
    """The cashier put the share on the insurer for a wrong amount; the manager voids the claim and the cashier
    records it again under the same 报案号 (201); a second live claim under it is still refused (409)."""
    url = stack.url
    shop = Store(stack, admin)
    part = new_part(stack, admin, shop)
    insurer = ok(admin.post(f"{url}/v1/insurers", json={"name": f"大地产险{uuid.uuid4().hex[:4]}",
                                                         "store_ids": [shop.id]}), 201)
    invoice, other = completed_work(stack, shop, part), completed_work(stack, shop, part)
    number = f"RDAA{uuid.uuid4().hex[:12].upper()}"

    def put(on, amount):
        return shop.cashier.post(f"{url}/v1/invoices/{on['id']}/insurance-claims", json={
            "insurer_id": insurer["id"], "claim_number": number, "amount_fen": amount},
            headers={"Idempotency-Key": uuid.uuid4().hex})

    wrong = ok(put(invoice, 100), 201)["claim"]
    ok(shop.manager.post(f"{url}/v1/insurance-claims/{wrong['id']}/void", json={"reason": "金额录错"}))
    again = ok(put(invoice, invoice["total_fen"]), 201)
    assert (again["claim"]["claim_number"], again["invoice"]["status"]) == (number, "paid"), again
    taken = put(other, 100)
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "claim_number_taken", taken.text
    claims = ok(shop.cashier.get(f"{url}/v1/insurance-claims", params={"insurer_id": insurer["id"]}))["items"]
    assert [(c["claim_number"], c["status"]) for c in claims] == [(number, "voided"), (number, "open")]


def test_the_insurer_gets_a_fapiao_for_its_share_and_the_customer_one_for_the_rest(stack, admin):
    """Through the gateway with the 诺诺 sandbox: the insurer's fapiao for its claim (the insurer the buyer, by its
    name and tax number) is issued for the claim's amount; the customer's then covers the deductible only — the two
    add up to the invoice; a second one for the claim is refused, and so is the claim's void while it stands."""
    url = stack.url
    shop = Store(stack, admin)
    part = new_part(stack, admin, shop)
    cashier, manager = shop.cashier, shop.manager
    name, tax_number = f"人保财险{uuid.uuid4().hex[:4]}", "91310000132211707B"
    insurer = ok(admin.post(f"{url}/v1/insurers", json={"name": name, "store_ids": [shop.id]}), 201)
    invoice = completed_work(stack, shop, part)
    deductible = 10_000 if invoice["total_fen"] > 20_000 else invoice["total_fen"] // 4
    share = invoice["total_fen"] - deductible
    claim = ok(cashier.post(f"{url}/v1/invoices/{invoice['id']}/insurance-claims", json={
        "insurer_id": insurer["id"], "claim_number": f"RDAA{uuid.uuid4().hex[:12].upper()}", "amount_fen": share},
        headers={"Idempotency-Key": uuid.uuid4().hex}), 201)["claim"]
    f = f"{url}/v1/insurance-claims/{claim['id']}/fapiao"

    def ask(who=cashier):
        return who.post(f, json={"type": "normal"}, headers={"Idempotency-Key": uuid.uuid4().hex})

    missing = ask()
    assert missing.status_code == 409 and missing.json()["error"]["code"] == "insurer_tax_number_missing", missing.text
    ok(manager.patch(f"{url}/v1/insurers/{insurer['id']}", json={"tax_number": tax_number}))
    theirs = ok(ask(), 202)
    assert (theirs["buyer_title"], theirs["buyer_tax_no"], theirs["amount_fen"], theirs["insurance_claim_id"]) == (
        name, tax_number, share, claim["id"]), theirs
    issued = eventually(lambda: ok(cashier.get(f"{url}/v1/fapiao/{theirs['id']}")),
                        lambda row: row["status"] == "issued", "the insurer's fapiao issued")
    assert issued["number"] and issued["pdf_url"], issued
    listed = ok(cashier.get(f"{url}/v1/insurance-claims/{claim['id']}"))["fapiao"]
    assert (listed["id"], listed["number"]) == (issued["id"], issued["number"])
    twice = ask()
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "claim_fapiao_exists", twice.text
    standing = manager.post(f"{url}/v1/insurance-claims/{claim['id']}/void", json={"reason": "金额录错"},
                            headers={"Accept-Language": "zh-CN"})
    assert standing.status_code == 409 and standing.json()["error"]["code"] == "claim_fapiao_standing", standing.text

    ok(cashier.post(f"{url}/v1/invoices/{invoice['id']}/payments", json={"method": "cash", "amount_fen": deductible},
                    headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    customers = {"type": "normal", "buyer_title": "王先生"}
    mine = ok(cashier.post(f"{url}/v1/invoices/{invoice['id']}/fapiao", json=customers,
                           headers={"Idempotency-Key": uuid.uuid4().hex}), 202)
    assert (mine["amount_fen"], mine["insurance_claim_id"]) == (deductible, None), mine
    all_of_it = ok(cashier.get(f"{url}/v1/fapiao", params={"invoice_id": invoice["id"], "store_id": shop.id}))["items"]
    assert sum(row["amount_fen"] for row in all_of_it) == invoice["total_fen"]
    more = cashier.post(f"{url}/v1/invoices/{invoice['id']}/fapiao", json=customers,
                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert more.status_code == 409 and more.json()["error"]["code"] == "fapiao_nothing_left", more.text


def test_a_claim_put_on_an_insurer_by_mistake_is_voided_and_the_insurers_month_prints_as_it_adds_up(stack, admin):
    """The cashier puts a share on the wrong insurer; two managers void it at once (one 200, one 409), the share is
    due at the till again and the customer pays it; a claim the insurer has remitted any of cannot be voided
    (409 `claim_remitted`, worded in Chinese). The insurer's month (JSON and PDF, read back with pypdf) lists the
    claims opened, remitted, written off and voided, and every printed total adds up."""
    import re
    from io import BytesIO

    from pypdf import PdfReader

    from tests.support.accounts import make_user
    from tests.support.printed import fen

    url = stack.url
    shop = Store(stack, admin)
    part = new_part(stack, admin, shop)
    cashier, manager = shop.cashier, shop.manager
    deputy = make_user(stack, admin, "store_manager", [shop.id])
    insurer = ok(admin.post(f"{url}/v1/insurers", json={"name": f"太平洋产险{uuid.uuid4().hex[:4]}",
                                                         "contact_name": "王定损", "store_ids": [shop.id]}), 201)
    i = f"{url}/v1/insurers/{insurer['id']}"
    mistaken, remitted = completed_work(stack, shop, part), completed_work(stack, shop, part)
    deductible = 10_000 if mistaken["total_fen"] > 20_000 else mistaken["total_fen"] // 4

    def put(invoice, share):
        return ok(cashier.post(f"{url}/v1/invoices/{invoice['id']}/insurance-claims", json={
            "insurer_id": insurer["id"], "claim_number": f"RDAA{uuid.uuid4().hex[:12].upper()}", "amount_fen": share},
            headers={"Idempotency-Key": uuid.uuid4().hex}), 201)["claim"]

    def receivables(what: str) -> None:
        owed = reconciled(stack, manager, shop.id, what)["receivables_equal_open_invoices"]
        assert owed["difference_fen"] == 0, (what, owed)

    share = mistaken["total_fen"] - deductible
    wrong = put(mistaken, share)
    ok(cashier.post(f"{url}/v1/invoices/{mistaken['id']}/payments", json={"method": "cash", "amount_fen": deductible},
                    headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    v = f"{url}/v1/insurance-claims/{wrong['id']}/void"
    assert cashier.post(v, json={"reason": "车主改为自付"}).status_code == 403
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda who: who.post(v, json={"reason": "车主改为自付"}), [manager, deputy]))
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    [lost] = [r for r in answers if r.status_code == 409]
    assert lost.json()["error"]["code"] == "claim_state", lost.text
    reopened = ok(cashier.get(f"{url}/v1/invoices/{mistaken['id']}"))
    assert (reopened["status"], reopened["due_fen"]) == ("partially_paid", share)
    receivables("the claim voided")
    ok(cashier.post(f"{url}/v1/invoices/{mistaken['id']}/payments", json={"method": "wechat", "amount_fen": share},
                    headers={"Idempotency-Key": uuid.uuid4().hex}), 201)  # the customer pays after all
    receivables("the share paid at the till")

    kept = put(remitted, remitted["total_fen"])
    ok(manager.post(f"{i}/remittances", json={"method": "bank", "reference": "CPIC-0001", "lines": [
        {"claim_id": kept["id"], "amount_fen": kept["amount_fen"] - 700}]},
        headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    refused = manager.post(f"{url}/v1/insurance-claims/{kept['id']}/void", json={"reason": "报案号有误"},
                           headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "claim_remitted", refused.text
    assert "不能作废" in refused.json()["error"]["message"], refused.text
    ok(manager.post(f"{url}/v1/insurance-claims/{kept['id']}/write-off", json={"reason": "定损核减"}))
    receivables("the second claim remitted and written off")

    month = kept["business_date"][:7]
    statement = ok(cashier.get(f"{i}/statements", params={"month": month}))
    kinds = [(line["kind"], line["claim_number"], line["amount_fen"]) for line in statement["lines"]]
    assert kinds == [("opened", c["claim_number"], c["amount_fen"]) for c in sorted(
        (wrong, kept), key=lambda c: (c["business_date"], c["claim_number"]))] + [
        ("remitted", kept["claim_number"], kept["amount_fen"] - 700), ("written_off", kept["claim_number"], 700),
        ("voided", wrong["claim_number"], share)]
    assert statement["closing_balance_fen"] == statement["opening_balance_fen"] == 0
    assert ok(cashier.get(i))["balance_fen"] == 0

    printed = cashier.get(f"{i}/statements/{month}.pdf")
    assert printed.status_code == 200 and printed.headers["Content-Type"] == "application/pdf", printed.text
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(printed.content)).pages)
    assert insurer["name"] in text and "广州天河店" in text and shop.id not in text and "车主改为自付" in text

    def total(label: str) -> int:
        found = re.search(rf"{label}\s*(-?¥[\d,]+\.\d{{2}})", text)
        assert found, (label, text)
        return fen(found.group(1))

    totals = {label: total(label) for label in ("上期结余", "本月报案", "本月到账", "本月核销", "本月作废", "期末余额")}
    assert totals == {"上期结余": 0, "本月报案": share + kept["amount_fen"], "本月到账": kept["amount_fen"] - 700,
                      "本月核销": 700, "本月作废": share, "期末余额": 0}
    assert totals["期末余额"] == totals["上期结余"] + totals["本月报案"] - totals["本月到账"] - totals["本月核销"] \
        - totals["本月作废"]
