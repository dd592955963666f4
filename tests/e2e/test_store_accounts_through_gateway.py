"""Two stores that are legal entities of their own, each a sub-merchant (特约商户) of the chain's WeChat Pay
service provider by its keys file (PROVIDER_KEYS_DIR/wechatpay/<store code>.json): a payment in each lands on
its store's merchant account at the sandbox, a refund goes back from that account, each account's statement is
reconciled in a run of its own, and the manager sees the store's merchant ids (never a key)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from deploy.sandboxes import wechatpay as sandbox
from tests.e2e.test_finance_through_gateway import invoice_for, wait_for
from tests.e2e.test_payments_through_gateway import ask, scan
from tests.support.accounts import create_store, make_user

pytestmark = pytest.mark.e2e

SUB_A, SUB_B = sandbox.SUB_MCHIDS[:2]


@pytest.fixture(scope="module")
def stores(stack, admin):
    """Two stores, each with its manager and cashier and its own sub-merchant; the keys files go again after."""
    found = []
    for name, sub_mchid in (("上海浦东店", SUB_A), ("杭州西湖店", SUB_B)):
        store = create_store(stack, admin, name)
        stack.give_account("wechatpay", store["code"], sandbox.sub_merchant(sub_mchid))
        found.append((store, sub_mchid, *(make_user(stack, admin, role, [store["id"]])
                                          for role in ("store_manager", "cashier"))))
    yield found
    for store, *_ in found:
        stack.give_account("wechatpay", store["code"], None)


def at_sandbox(stack, intent_id: str) -> dict:
    return requests.get(f"{stack.wechatpay_url}/sandbox/orders/{intent_id}", timeout=5).json()


def test_payments_in_two_stores_land_on_two_merchant_accounts_and_are_reconciled_separately(
        stack, vhost, admin, stores):
    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    paid = {}
    for store, sub_mchid, manager, cashier in stores:
        invoice = invoice_for(stack, vhost, manager, store["id"])
        intent = ask(stack, cashier, invoice, invoice["due_fen"]).json()  # settled: refundable
        scan(stack, intent["code_url"])
        assert wait_for(lambda i=intent, c=cashier: c.get(f"{stack.url}/v1/payment-intents/{i['id']}").json()
                        ["status"] == "paid", timeout=10)
        order = at_sandbox(stack, intent["id"])
        assert (order["sp_mchid"], order["sub_mchid"]) == (sandbox.SP_MCHID, sub_mchid)  # the store's account
        paid[store["id"]] = (intent, invoice)

    store_a, _, manager_a, cashier_a = stores[0]
    intent_a, invoice_a = paid[store_a["id"]]
    [payment] = cashier_a.get(f"{stack.url}/v1/invoices/{invoice_a['id']}").json()["payments"]
    refund = cashier_a.post(f"{stack.url}/v1/payments/{payment['id']}/refunds",
                            json={"amount_fen": 500, "reason": "多收"}, headers={"Idempotency-Key": "sub-a-refund"})
    assert refund.status_code == 201, refund.text
    assert wait_for(lambda: cashier_a.get(f"{stack.url}/v1/invoices/{invoice_a['id']}").json()["payments"][0]
                    ["refunded_fen"] == 500, timeout=20)  # confirmed by the sub-merchant's refund notification

    reply = admin.post(f"{stack.url}/v1/payment-reconciliations", json={"date": today, "provider": "wechat"})
    assert reply.status_code == 200, reply.text
    runs = {run["merchant_id"]: run for run in reply.json()["items"]}
    assert {SUB_A, SUB_B, sandbox.MCHID} <= set(runs)  # a run per merchant account: the chain's and each store's
    assert len({runs[SUB_A]["id"], runs[SUB_B]["id"], runs[sandbox.MCHID]["id"]}) == 3
    for store, sub_mchid, *_ in stores:
        run, refunds = runs[sub_mchid], 1 if sub_mchid == SUB_A else 0  # store A's partial refund, on its account
        intent, _ = paid[store["id"]]
        assert run["status"] == "done" and run["differences"] == [], run
        assert run["totals"]["payment_count"] == 1 and run["totals"]["collected_fen"] == intent["amount_fen"]
        assert run["totals"]["refund_count"] == refunds
        assert set(run["store_totals"]) == {store["id"]}
    chain = runs[sandbox.MCHID]
    assert not set(chain["store_totals"]) & {store["id"] for store, *_ in stores}

    shown = manager_a.get(f"{stack.url}/v1/payment-reconciliations",
                          params={"store_id": store_a["id"], "date": today, "provider": "wechat"}).json()["items"]
    assert [run["merchant_id"] for run in shown] == [SUB_A]  # the store's own account's run


def test_the_manager_sees_the_stores_merchant_ids_and_never_a_key(stack, stores):
    store, sub_mchid, manager, cashier = stores[1]
    reply = manager.get(f"{stack.url}/v1/stores/{store['id']}/provider-accounts")
    assert reply.status_code == 200, reply.text
    found = reply.json()
    wechat = next(account for account in found["payments"] if account["provider"] == "wechat")
    assert (wechat["own"], wechat["mode"], wechat["merchant_id"], wechat["sp_mchid"]) == (
        True, "partner", sub_mchid, sandbox.SP_MCHID)
    assert found["store_code"] == store["code"] and found["keys_file"] == f"{store['code']}.json"
    assert stack.env["WECHATPAY_APIV3_KEY"] not in reply.text
    assert cashier.get(f"{stack.url}/v1/stores/{store['id']}/provider-accounts").status_code == 403
    other = stores[0][0]
    assert manager.get(f"{stack.url}/v1/stores/{other['id']}/provider-accounts").status_code == 403
