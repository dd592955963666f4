"""Reconciling WeChat Pay's statement (对账) through the gateway against the real services and the sandbox the
stack starts: a customer pays by QR (matched), another recorded payment is dropped from the provider's
statement (extra here) and a payment is added only at the provider for an intent never told it was paid
(missing here); a second run of the same day changes nothing; the daily close shows the statement's totals
beside the takings; a manager resolves a difference with a note, once; an intent asked about at the provider
is recorded when the provider says it was paid."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.e2e.test_finance_through_gateway import create_store, invoice_for, make_user
from tests.e2e.test_payments_through_gateway import ask, scan

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(stack, admin):
    """A store of its own (its totals are this test's alone), its manager and its cashier."""
    store = create_store(stack, admin, "深圳南山店")
    return store, *(make_user(stack, admin, role, [store["id"]]) for role in ("store_manager", "cashier"))


def statement_change(stack, **data) -> None:
    requests.post(f"{stack.wechatpay_url}/sandbox/statement", json=data, timeout=10).raise_for_status()


def differences_of(run: dict) -> dict:
    return {(row["kind"], row["out_trade_no"]): row for row in run["differences"]}


def test_a_run_finds_the_payment_missing_here_and_the_one_extra_here_and_a_second_run_changes_nothing(
        stack, vhost, shop):
    store, manager, cashier = shop
    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    paid, dropped, unpaid = (ask(stack, cashier, invoice_for(stack, vhost, manager, store["id"]), 5_000 + n).json()
                             for n in range(3))
    for intent in (paid, dropped):
        scan(stack, intent["code_url"])
        assert cashier.get(f"{stack.url}/v1/payment-intents/{intent['id']}").json()["status"] == "paid"
    statement_change(stack, date=today, drop=dropped["id"])
    statement_change(stack, date=today, add={"out_trade_no": unpaid["id"], "amount_fen": unpaid["amount_fen"]})

    assert cashier.post(f"{stack.url}/v1/payment-reconciliations", json={"date": today}).status_code == 403
    reply = manager.post(f"{stack.url}/v1/payment-reconciliations", json={"date": today, "provider": "wechat"})
    assert reply.status_code == 200, reply.text
    run = reply.json()["items"][0]
    # the day may have been reconciled already by another test of this session's stack (the browser's 立即对账)
    assert (run["provider"], run["date"], run["status"]) == ("wechat", today, "done") and run["runs"] >= 1
    found = differences_of(run)
    assert set(found) == {("missing_here", unpaid["id"]), ("extra_here", dropped["id"])}
    assert found["missing_here", unpaid["id"]]["action"] == "record_payment"
    assert found["extra_here", dropped["id"]]["recorded_amount_fen"] == dropped["amount_fen"]
    assert all(row["store_id"] == store["id"] and row["status"] == "open" for row in found.values())
    collected = paid["amount_fen"] + unpaid["amount_fen"]
    fees = sum((intent["amount_fen"] * 6 + 500) // 1000 for intent in (paid, unpaid))  # the sandbox's 0.6%
    assert run["totals"] == {"payment_count": 2, "refund_count": 0, "collected_fen": collected, "refunded_fen": 0,
                             "fee_fen": fees}

    again = manager.post(f"{stack.url}/v1/payment-reconciliations", json={"date": today, "provider": "wechat"})
    assert again.status_code == 200, again.text
    second = again.json()["items"][0]
    assert (second["id"], second["runs"], second["totals"]) == (run["id"], run["runs"] + 1, run["totals"])
    assert {key: (row["id"], row["status"]) for key, row in differences_of(second).items()} == {
        key: (row["id"], row["status"]) for key, row in found.items()}

    listed = cashier.get(f"{stack.url}/v1/payment-reconciliations",
                         params={"store_id": store["id"], "date": today, "provider": "wechat"})
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [run["id"]]
    close = cashier.get(f"{stack.url}/v1/reports/daily-close", params={"store_id": store["id"], "date": today}).json()
    wechat = close["provider_statements"]["wechat"]
    assert (wechat["collected_fen"], wechat["open_differences"]) == (collected, 2)
    assert close["takings"]["wechat"] == paid["amount_fen"] + dropped["amount_fen"]  # what was recorded

    extra = found["extra_here", dropped["id"]]
    resolve = f"{stack.url}/v1/payment-reconciliations/{run['id']}/differences/{extra['id']}/resolve"
    assert cashier.post(resolve, json={"note": "收银员"}).status_code == 403
    done = manager.post(resolve, json={"note": "商户平台已核对：该笔已到账，对账单次日补录"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["note"]) == ("resolved", "商户平台已核对：该笔已到账，对账单次日补录")
    twice = manager.post(resolve, json={"note": "再来一次"})
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "reconciliation_difference_state")
    third = manager.post(f"{stack.url}/v1/payment-reconciliations", json={"date": today, "provider": "wechat"})
    kept = differences_of(third.json()["items"][0])["extra_here", dropped["id"]]
    assert (kept["status"], kept["note"]) == ("resolved", "商户平台已核对：该笔已到账，对账单次日补录")

    added_only = cashier.post(f"{stack.url}/v1/payment-intents/{unpaid['id']}/check")
    assert (added_only.status_code, added_only.json()["status"]) == (200, "pending")  # the provider says unpaid
    late = ask(stack, cashier, invoice_for(stack, vhost, manager, store["id"]), 4_000).json()
    scan(stack, late["code_url"], deliveries=0)  # paid; its notification never comes
    checked = cashier.post(f"{stack.url}/v1/payment-intents/{late['id']}/check")
    assert (checked.status_code, checked.json()["status"]) == (200, "paid"), checked.text
    assert cashier.get(f"{stack.url}/v1/invoices/{late['invoice_id']}").json()["payments"][0]["reference"] == \
        checked.json()["transaction_id"]
