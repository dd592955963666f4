"""Alipay intents and refunds through the payment providers, with a real SQLite session and both sandboxes
in the test's process: an Alipay QR code split with cash and recorded once though told twice; a forged
Alipay notification changes nothing; a refund of a WeChat Pay payment is recorded only when WeChat Pay's
REFUND.SUCCESS arrives (once, however often it is told, and by the refund rules: never more than is left,
a manager above the store's limit); an Alipay refund is recorded when Alipay answers, its later
notification changes nothing; a refund whose confirmation never comes is found by the poller; money paid
when nothing was due is listed as unapplied. The books balance."""
from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from services.common.db import utcnow
from services.common.errors import Forbidden, Invalid, Unavailable
from services.finance.domain import intents, refunds
from services.finance.models import Base, Payment, ProviderRefund, Refund
from services.finance.accounts import PaymentAccounts
from services.finance.service import FinanceService
from tests.service.test_finance_service import CASHIER, MANAGER, STORE, SYSTEM, assert_books_balance, issue
from tests.support.alipay import alipay_world
from tests.support.service import sqlite_session
from tests.support.wechatpay import wechatpay_world


@pytest.fixture
def session():
    with sqlite_session(Base.metadata, "finance", CASHIER.to_context()) as opened:
        yield opened


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    with wechatpay_world(tmp_path_factory.mktemp("wechatpay")) as wechat, \
            alipay_world(tmp_path_factory.mktemp("alipay")) as alipay:
        yield {"wechat": wechat, "alipay": alipay}


def finance(session, worlds, caller=CASHIER):
    return worker_factory(FinanceService, db=session, caller=caller,
                          providers=PaymentAccounts({name: world.provider for name, world in worlds.items()}))


def ask(session, worlds, provider, invoice, amount, channel="qr"):
    return finance(session, worlds).create_payment_intent(invoice["id"], {
        "provider": provider, "channel": channel, "amount_fen": amount})


def notify(session, worlds, provider, notification) -> dict:
    headers, body = notification
    return finance(session, worlds, SYSTEM).payment_notified(provider, headers, body)


def paid_by(session, worlds, provider, invoice) -> dict:
    """The whole invoice paid through `provider`, its notification applied: the payment."""
    intent = ask(session, worlds, provider, invoice, invoice["due_fen"])
    before = len(worlds[provider].receiver.received)
    worlds[provider].pay(intent["code_url"])
    notify(session, worlds, provider, worlds[provider].receiver.received[before])
    return finance(session, worlds).get_payment(finance(session, worlds).get_payment_intent(intent["id"])["payment_id"])


def next_notification(world, before: int, timeout: float = 5):
    deadline = time.monotonic() + timeout
    while len(world.receiver.received) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    return world.receiver.received[before]


def test_part_in_cash_the_rest_by_alipay_qr_told_twice_is_paid_once(session, worlds):
    invoice = issue(session)
    finance(session, worlds).take_payment(invoice["id"], {"method": "cash", "amount_fen": 1_000})
    intent = ask(session, worlds, "alipay", invoice, invoice["due_fen"] - 1_000)
    assert intent["status"] == "pending" and intent["code_url"].startswith("https://qr.alipay.com/")
    before = len(worlds["alipay"].receiver.received)
    trade_no = worlds["alipay"].pay(intent["code_url"], deliveries=2)["order"]["trade_no"]
    first, second = worlds["alipay"].receiver.received[before:]
    assert notify(session, worlds, "alipay", first) == {"ack": "success"}
    assert notify(session, worlds, "alipay", second) == {"ack": "success"}
    shown = finance(session, worlds).get_invoice(invoice["id"])
    assert (shown["status"], shown["due_fen"]) == ("paid", 0)
    assert sorted((p["method"], p["amount_fen"], p["reference"]) for p in shown["payments"]) == [
        ("alipay", intent["amount_fen"], trade_no), ("cash", 1_000, None)]
    assert assert_books_balance(session)["1013"] == intent["amount_fen"]  # 支付宝待清算


def test_a_forged_alipay_notification_changes_nothing_and_alipay_down_is_a_503(session, worlds):
    invoice = issue(session)
    intent = ask(session, worlds, "alipay", invoice, invoice["due_fen"])
    before = len(worlds["alipay"].receiver.received)
    worlds["alipay"].pay(intent["code_url"])
    _, body = worlds["alipay"].receiver.received[before]
    for forged in (body.replace("sign=", "sign=A"), urlencode({**dict(parse_qsl(body)), "total_amount": "0.01"})):
        with pytest.raises(Invalid) as rejected:
            notify(session, worlds, "alipay", ({}, forged))
        assert rejected.value.code == "notification_rejected"
    assert finance(session, worlds).get_payment_intent(intent["id"])["status"] == "pending"
    assert finance(session, worlds).get_invoice(invoice["id"])["payments"] == []
    other = issue(session)
    worlds["alipay"].down()
    try:
        with pytest.raises(Unavailable) as down:
            ask(session, worlds, "alipay", other, other["due_fen"])
    finally:
        worlds["alipay"].down(False)
    assert (down.value.code, down.value.params) == ("payment_provider_unavailable", {"provider": "alipay"})


def test_a_wechat_refund_is_recorded_when_wechat_pay_confirms_it_once(session, worlds):
    invoice = issue(session)
    payment = paid_by(session, worlds, "wechat", invoice)
    with pytest.raises(Forbidden) as refused:  # the refund rules first: above the store's limit, a manager
        finance(session, worlds).refund_payment(payment["id"], {"amount_fen": 50_001, "reason": "返工"})
    assert refused.value.code == "refund_needs_manager"
    before = len(worlds["wechat"].receiver.received)
    asked = finance(session, worlds).refund_payment(payment["id"], {"amount_fen": 3_000, "reason": "多收"},
                                                    idempotency_key="cashier-1:r1")
    assert (asked["status"], asked["amount_fen"]) == ("pending", 3_000)
    assert session.scalars(select(Refund)).all() == []  # nothing booked before WeChat Pay confirms
    again = finance(session, worlds).refund_payment(payment["id"], {"amount_fen": 3_000, "reason": "多收"},
                                                    idempotency_key="cashier-1:r1")
    assert again["id"] == asked["id"]  # a retried click: the same refund, not asked twice
    with pytest.raises(Invalid) as above:  # what is asked and unconfirmed is held
        finance(session, worlds, MANAGER).refund_payment(payment["id"], {
            "amount_fen": payment["amount_fen"] - 2_999, "reason": "全退"})
    assert above.value.code == "refund_above_left"
    told = next_notification(worlds["wechat"], before)
    assert notify(session, worlds, "wechat", told) == {"ack": None}
    assert notify(session, worlds, "wechat", told) == {"ack": None}  # told twice: recorded once
    [refund] = session.scalars(select(Refund)).all()
    row = session.get(ProviderRefund, asked["id"])
    assert (refund.amount_fen, refund.method, refund.requested_by) == (3_000, "wechat", CASHIER.user_id)
    assert (row.status, row.refund_id) == ("succeeded", refund.id)
    assert session.get(Payment, payment["id"]).refunded_fen == 3_000
    assert finance(session, worlds).refund_payment(payment["id"], {"amount_fen": 3_000, "reason": "多收"},
                                                   idempotency_key="cashier-1:r1")["id"] == refund.id
    assert_books_balance(session)


def test_an_alipay_refund_is_recorded_when_alipay_answers_and_its_notification_changes_nothing(session, worlds):
    invoice = issue(session)
    payment = paid_by(session, worlds, "alipay", invoice)
    before = len(worlds["alipay"].receiver.received)
    refund = finance(session, worlds).refund_payment(payment["id"], {"amount_fen": 2_000, "reason": "多收"})
    assert (refund["status"], refund["method"], refund["amount_fen"]) == ("issued", "alipay", 2_000)
    [order] = [o for o in worlds["alipay"].sandbox.orders.values() if o.get("trade_no") == payment["reference"]]
    assert order["refunded_fen"] == 2_000
    told = next_notification(worlds["alipay"], before)
    assert notify(session, worlds, "alipay", told) == {"ack": "success"}
    assert [r.amount_fen for r in session.scalars(select(Refund)).all()] == [2_000]
    assert session.get(Payment, payment["id"]).refunded_fen == 2_000
    assert_books_balance(session)


def test_a_provider_payment_when_nothing_was_due_is_listed_as_unapplied(session, worlds):
    invoice = issue(session)
    intent = ask(session, worlds, "alipay", invoice, invoice["due_fen"])
    finance(session, worlds).take_payment(invoice["id"], {"method": "cash", "amount_fen": invoice["due_fen"]})
    before = len(worlds["alipay"].receiver.received)
    worlds["alipay"].pay(intent["code_url"])
    notify(session, worlds, "alipay", worlds["alipay"].receiver.received[before])
    listed = finance(session, worlds).list_payment_intents({"store_id": STORE, "status": "unapplied"})["items"]
    assert [(i["id"], i["provider"], i["status"]) for i in listed] == [(intent["id"], "alipay", "unapplied")]
    assert finance(session, worlds).list_payment_intents({"store_id": STORE, "status": "paid"})["items"] == []


def test_a_wechat_refund_whose_notification_never_comes_is_found_by_the_poller(session, worlds):
    invoice = issue(session)
    payment = paid_by(session, worlds, "wechat", invoice)
    asked = finance(session, worlds).refund_payment(payment["id"], {"amount_fen": 1_500, "reason": "多收"})
    assert asked["status"] == "pending"
    session.commit()
    deadline = time.monotonic() + 5  # WeChat Pay settles it a moment later; its notification is never handed over
    while worlds["wechat"].sandbox.refunds[asked["id"]]["status"] != "SUCCESS" and time.monotonic() < deadline:
        time.sleep(0.05)
    [row] = [r for r in refunds.pending_refunds(session, utcnow() + timedelta(minutes=1)) if r.id == asked["id"]]
    assert finance(session, {"wechat": worlds["wechat"]}).poll_refund(row) == "succeeded"
    assert session.get(Payment, payment["id"]).refunded_fen == 1_500
    assert [r.amount_fen for r in session.scalars(select(Refund)).all()] == [1_500]
    assert_books_balance(session)


def test_the_poller_applies_a_silent_alipay_payment_and_closes_a_code_nobody_scanned(session, worlds):
    paid_invoice, lapsed_invoice = issue(session), issue(session)
    paid = ask(session, worlds, "alipay", paid_invoice, paid_invoice["due_fen"])
    worlds["alipay"].pay(paid["code_url"], deliveries=0)  # the notification never comes
    lapsed = ask(session, worlds, "alipay", lapsed_invoice, 100)
    later = utcnow() + timedelta(hours=1)
    for intent in intents.open_intents(session, later):
        finance(session, {"alipay": worlds["alipay"]}).poll_intent(intent, later)
    assert finance(session, worlds).get_payment_intent(paid["id"])["status"] == "paid"
    assert finance(session, worlds).get_invoice(paid_invoice["id"])["status"] == "paid"
    assert finance(session, worlds).get_payment_intent(lapsed["id"])["status"] == "closed"
    assert_books_balance(session)
