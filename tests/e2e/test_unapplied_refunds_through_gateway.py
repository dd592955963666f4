"""Money paid at a provider when nothing was due, refunded through the gateway against the real services and
the sandboxes the stack starts, once with WeChat Pay and once with Alipay: an invoice paid in cash while the
customer also pays a QR code (unapplied, booked owed back); two clicks on 原路退款 at once ask the provider once;
the intent is `refunded` when the provider confirms (Alipay at once, WeChat Pay by its refund notification);
the books balance and prove themselves (2241 = unapplied intents), and the provider's statement of the day,
reconciled for the merchant account, shows the payment and its refund matched."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.e2e.test_finance_through_gateway import balanced, create_store, invoice_for, make_user, wait_for

pytestmark = pytest.mark.e2e

CLEARING = {"wechat": "1012", "alipay": "1013"}


@pytest.fixture(scope="module")
def shop(stack, admin):
    store = create_store(stack, admin, "东莞南城退款店")
    return store, *(make_user(stack, admin, role, [store["id"]]) for role in ("store_manager", "cashier"))


def sandbox_url(stack, provider: str) -> str:
    return stack.wechatpay_url if provider == "wechat" else stack.alipay_url


def unapplied(stack, vhost, shop, provider: str, amount: int = 3_000) -> dict:
    store, manager, cashier = shop
    invoice = invoice_for(stack, vhost, manager, store["id"])
    created = cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payment-intents",
                           json={"provider": provider, "channel": "qr", "amount_fen": amount})
    assert created.status_code == 201, created.text
    intent = created.json()
    cash = cashier.post(f"{stack.url}/v1/invoices/{invoice['id']}/payments",
                        json={"method": "cash", "amount_fen": invoice["due_fen"]})
    assert cash.status_code == 201, cash.text
    paid = requests.post(f"{sandbox_url(stack, provider)}/sandbox/pay", json={"url": intent["code_url"]}, timeout=30)
    assert paid.status_code == 200, paid.text
    shown = cashier.get(f"{stack.url}/v1/payment-intents/{intent['id']}").json()
    assert shown["status"] == "unapplied", shown
    return shown


def invariants_hold(stack, manager, store_id) -> None:
    reply = manager.get(f"{stack.url}/v1/ledger/reconciliation", params={"store_id": store_id})
    assert reply.status_code == 200, reply.text
    [row] = reply.json()["stores"]
    assert row["ok"], row
    assert "to_refund_equals_unapplied_intents" in {item["code"] for item in row["invariants"]}


@pytest.mark.parametrize("provider", ["wechat", "alipay"])
def test_money_paid_when_nothing_was_due_is_refunded_once_through_the_provider(stack, vhost, shop, provider):
    store, manager, cashier = shop
    before = balanced(stack, manager, store["id"])
    intent = unapplied(stack, vhost, shop, provider)
    amount, clearing = intent["amount_fen"], CLEARING[provider]
    books = balanced(stack, manager, store["id"])
    assert books[clearing] - before.get(clearing, 0) == amount and books["2241"] - before.get("2241", 0) == -amount
    invariants_hold(stack, manager, store["id"])
    listed = cashier.get(f"{stack.url}/v1/payment-intents", params={"store_id": store["id"], "status": "unapplied"})
    assert intent["id"] in [item["id"] for item in listed.json()["items"]]

    url = f"{stack.url}/v1/payment-intents/{intent['id']}/refund"
    with ThreadPoolExecutor(2) as pool:  # two clicks at once
        replies = list(pool.map(lambda n: cashier.post(url, headers={"Idempotency-Key": f"{provider}-click-{n}"}),
                                range(2)))
    assert [r.status_code for r in replies] == [200, 200], [r.text for r in replies]
    numbers = {r.json()["refund_id"] for r in replies}
    assert len(numbers) == 1 and None not in numbers, numbers
    [number] = numbers

    def status() -> str:
        return cashier.get(f"{stack.url}/v1/payment-intents/{intent['id']}").json()["status"]

    assert wait_for(lambda: status() == "refunded", timeout=30), status()
    again = cashier.post(url, headers={"Idempotency-Key": f"{provider}-click-0"})
    assert (again.status_code, again.json()["refund_id"]) == (200, number)
    listed = cashier.get(f"{stack.url}/v1/payment-intents", params={"store_id": store["id"], "status": "unapplied"})
    assert intent["id"] not in [item["id"] for item in listed.json()["items"]]
    books = balanced(stack, manager, store["id"])
    assert books[clearing] == before.get(clearing, 0) and books["2241"] == before.get("2241", 0)
    invariants_hold(stack, manager, store["id"])

    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    run_reply = manager.post(f"{stack.url}/v1/payment-reconciliations", json={"date": today, "provider": provider})
    assert run_reply.status_code == 200, run_reply.text
    [run] = [r for r in run_reply.json()["items"] if r["store_totals"].get(store["id"])]
    mine = [d for d in run["differences"] if d["status"] == "open"
            and (d["intent_id"] == intent["id"] or d["provider_refund_id"] == number)]
    assert mine == [], mine  # the payment and its refund are both on the statement, matched
    totals = run["store_totals"][store["id"]]
    assert totals["refund_count"] >= 1 and totals["refunded_fen"] >= amount, totals
