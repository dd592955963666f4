"""finance's payment intents with a real SQLite session and the WeChat Pay sandbox in the test's
process: a QR code paid and recorded once however often WeChat Pay tells it, split with cash, never
more than is due; a forged notification and a provider that is down change nothing; the poller
applies a payment whose notification never came and closes an order nobody paid. The books balance."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from services.common.db import utcnow
from services.common.errors import Invalid, Unavailable
from services.finance.domain import intents
from services.finance.models import Base, Payment, PaymentIntent
from services.finance.accounts import PaymentAccounts
from services.finance.service import FinanceService
from tests.service.test_finance_service import (
    CASHIER,
    SYSTEM,
    assert_books_balance,
    issue,
)
from tests.support.service import sqlite_session
from tests.support.wechatpay import wechatpay_world


@pytest.fixture
def session():
    with sqlite_session(Base.metadata, "finance", CASHIER.to_context()) as opened:
        yield opened


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with wechatpay_world(tmp_path_factory.mktemp("wechatpay")) as running:
        yield running


def finance(session, world, caller=CASHIER):
    return worker_factory(FinanceService, db=session, caller=caller,
                          providers=PaymentAccounts({"wechat": world.provider}))


def qr(session, world, invoice, amount):
    return finance(session, world).create_payment_intent(invoice["id"], {
        "provider": "wechat", "channel": "qr", "amount_fen": amount})


def deliver(session, world, notification, intent_id: str | None = None) -> dict | None:
    """The notification handed to finance as the gateway does; the intent afterwards (when named)."""
    headers, body = notification
    assert finance(session, world, SYSTEM).payment_notified("wechat", headers, body) == {"ack": None}
    return finance(session, world).get_payment_intent(intent_id) if intent_id else None


def payments(session, invoice_id):
    return session.scalars(select(Payment).where(Payment.invoice_id == invoice_id)).all()


def test_part_in_cash_the_rest_by_qr_told_twice_is_paid_once(session, world):
    invoice = issue(session)
    finance(session, world).take_payment(invoice["id"], {"method": "cash", "amount_fen": 1_000})
    intent = qr(session, world, invoice, invoice["due_fen"] - 1_000)
    assert intent["status"] == "pending" and intent["code_url"].startswith("weixin://")
    before = len(world.receiver.received)
    world.pay(intent["code_url"], deliveries=2)
    first, second = world.receiver.received[before:]
    assert deliver(session, world, first, intent["id"])["status"] == "paid"
    again = deliver(session, world, second, intent["id"])
    assert again["status"] == "paid" and again["payment_id"]
    [_cash, wechat] = sorted(payments(session, invoice["id"]), key=lambda p: p.method)
    assert (wechat.method, wechat.amount_fen, wechat.reference) == ("wechat", intent["amount_fen"],
                                                                     again["transaction_id"])
    shown = finance(session, world).get_invoice(invoice["id"])
    assert (shown["status"], shown["due_fen"]) == ("paid", 0)
    assert_books_balance(session)


def test_more_than_is_due_is_refused_before_anything_is_asked_of_the_provider(session, world):
    invoice, orders = issue(session), len(world.sandbox.orders)
    with pytest.raises(Invalid) as refused:
        qr(session, world, invoice, invoice["due_fen"] + 1)
    assert refused.value.code == "overpayment"
    assert session.scalar(select(func.count()).select_from(PaymentIntent)) == 0
    assert len(world.sandbox.orders) == orders


def test_a_provider_that_is_down_leaves_nothing_recorded(session, world):
    invoice, orders = issue(session), len(world.sandbox.orders)
    world.down()
    try:
        with pytest.raises(Unavailable) as down:
            qr(session, world, invoice, 100)
    finally:
        world.down(False)
    assert (down.value.code, down.value.params) == ("payment_provider_unavailable", {"provider": "wechat"})
    assert session.scalar(select(func.count()).select_from(PaymentIntent)) == 0
    assert len(world.sandbox.orders) == orders


def test_a_forged_notification_changes_nothing(session, world):
    invoice = issue(session)
    intent = qr(session, world, invoice, invoice["due_fen"])
    before = len(world.receiver.received)
    world.pay(intent["code_url"])
    headers, body = world.receiver.received[before]
    for forged in ({**headers, "Wechatpay-Signature": headers["Wechatpay-Signature"][::-1]},
                   {**headers, "Wechatpay-Serial": "ABCDEF"}):
        with pytest.raises(Invalid) as rejected:
            deliver(session, world, (forged, body))
        assert rejected.value.code == "notification_rejected"
    with pytest.raises(Invalid):
        deliver(session, world, (headers, body.replace('"summary"', '"summary2"')))
    assert payments(session, invoice["id"]) == []
    assert finance(session, world).get_payment_intent(intent["id"])["status"] == "pending"


def test_paid_when_nothing_is_due_any_more_is_kept_apart_for_a_refund(session, world):
    invoice = issue(session)
    intent = qr(session, world, invoice, invoice["due_fen"])
    finance(session, world).take_payment(invoice["id"], {"method": "cash", "amount_fen": invoice["due_fen"]})
    before = len(world.receiver.received)
    world.pay(intent["code_url"])
    assert deliver(session, world, world.receiver.received[before], intent["id"])["status"] == "unapplied"
    assert [p.method for p in payments(session, invoice["id"])] == ["cash"]
    assert_books_balance(session)


def test_the_poller_applies_a_silent_payment_and_closes_what_nobody_paid(session, world):
    paid_invoice, lapsed_invoice = issue(session), issue(session)
    paid = qr(session, world, paid_invoice, paid_invoice["due_fen"])
    world.pay(paid["code_url"], deliveries=0)  # the notification never comes
    lapsed = finance(session, world).create_payment_intent(lapsed_invoice["id"], {
        "provider": "wechat", "channel": "h5", "amount_fen": 100})
    assert lapsed["pay_url"] and lapsed["code_url"] is None
    later = utcnow() + timedelta(hours=1)
    for intent in intents.open_intents(session, later):
        finance(session, world).poll_intent(intent, later)
    assert finance(session, world).get_payment_intent(paid["id"])["status"] == "paid"
    assert finance(session, world).get_invoice(paid_invoice["id"])["status"] == "paid"
    assert finance(session, world).get_payment_intent(lapsed["id"])["status"] == "closed"
    assert world.provider.query(lapsed["id"]).state == "closed"
    assert requests.post(f"{world.url}/sandbox/pay", json={"url": lapsed["pay_url"]}, timeout=5).status_code == 400
    assert_books_balance(session)


def test_a_code_left_open_when_the_invoice_was_settled_otherwise_is_closed_at_the_next_poll(session, world):
    invoice = issue(session)
    intent = qr(session, world, invoice, invoice["due_fen"])
    finance(session, world).take_payment(invoice["id"], {"method": "cash", "amount_fen": invoice["due_fen"]})
    now = utcnow()
    [pending] = [i for i in intents.open_intents(session, now + timedelta(seconds=1)) if i.id == intent["id"]]
    assert finance(session, world).poll_intent(pending, now) == "closed"
    assert world.provider.query(intent["id"]).state == "closed"
    late = requests.post(f"{world.url}/sandbox/pay", json={"url": intent["code_url"]}, timeout=5)
    assert (late.status_code, late.json()["code"]) == (400, "ORDER_CLOSED")
