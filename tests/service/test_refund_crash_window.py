"""A refund asked of a payment provider whose answer finance never recorded — finance stopped after the claim
was committed and before the provider was asked, or the provider's answer was lost — is completed by the
poller (`FinanceService.poll_payment_intents`) exactly once: it asks the provider again under the claim's
number (the sandbox, as the real providers, answers a repeated number with the refund it holds, never a second
refund), records the outcome once, and the refund notification that may come too changes nothing. For a
payment's refund, an unapplied intent's refund and a manager's approved refund request; with a real SQLite
session and both sandboxes in the test's process. The books balance."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select, update

from services.common.db import utcnow
from services.finance.domain import refund_requests, refunds
from services.finance.models import JournalEntry, Payment, PaymentIntent, ProviderRefund, Refund, RefundRequest
from tests.service import test_provider_payments as provider_payments
from tests.service.test_finance_service import CASHIER, MANAGER, assert_books_balance, issue
from tests.service.test_provider_payments import finance, next_notification, notify, paid_by
from tests.service.test_unapplied_refunds import unapplied

session, worlds = provider_payments.session, provider_payments.worlds  # their fixtures: a session, both sandboxes


def finance_stops(session, number: str) -> None:
    """The claim is committed and finance stops: the worker's transaction ends there, and by the time the
    poller runs the claim is older than its bound."""
    session.execute(update(ProviderRefund).where(ProviderRefund.id == number)
                    .values(created_at=utcnow() - timedelta(minutes=10)))
    session.commit()


def poll_until(session, worlds, settled, timeout: float = 5) -> None:
    """The poller's ticks until `settled()` (WeChat Pay settles a refund a moment after taking it)."""
    deadline = time.monotonic() + timeout
    while True:
        finance(session, worlds).poll_payment_intents()
        if settled() or time.monotonic() > deadline:
            return
        time.sleep(0.1)


def status(session, number: str) -> str:
    session.expire_all()
    return session.get_one(ProviderRefund, number).status


def order_of(worlds, provider: str, reference: str) -> dict:
    [order] = [o for o in worlds[provider].sandbox.orders.values() if o.get("trade_no") == reference
               or o.get("transaction_id") == reference]
    return order


def test_a_payment_refund_claimed_but_never_asked_is_asked_by_the_poller_and_recorded_once(session, worlds):
    payment = paid_by(session, worlds, "alipay", issue(session))
    before = len(worlds["alipay"].receiver.received)
    row, claimed = refunds.refund(session, CASHIER, finance(session, worlds).providers, payment["id"],
                                  {"amount_fen": 2_000, "reason": "多收"}, "cashier-1:crash-1")
    assert claimed and row.status == "pending"
    finance_stops(session, row.id)  # Alipay never asked
    assert order_of(worlds, "alipay", payment["reference"])["refunded_fen"] == 0
    poll_until(session, worlds, lambda: status(session, row.id) != "pending")
    assert status(session, row.id) == "succeeded"
    notify(session, worlds, "alipay", next_notification(worlds["alipay"], before))  # its notification comes too
    finance(session, worlds).poll_payment_intents()  # and the poller ticks again
    assert order_of(worlds, "alipay", payment["reference"])["refunded_fen"] == 2_000  # refunded once
    assert [r.amount_fen for r in session.scalars(select(Refund).where(Refund.payment_id == payment["id"]))] \
        == [2_000]  # booked once
    assert session.get_one(Payment, payment["id"]).refunded_fen == 2_000
    again = finance(session, worlds).refund_payment(payment["id"], {"amount_fen": 2_000, "reason": "多收"},
                                                    idempotency_key="cashier-1:crash-1")
    assert (again["status"], again["amount_fen"]) == ("issued", 2_000)  # the cashier's retry: the same refund
    assert order_of(worlds, "alipay", payment["reference"])["refunded_fen"] == 2_000
    assert_books_balance(session)


def test_a_wechat_refund_whose_answer_was_lost_is_found_by_the_poller_and_recorded_once(session, worlds):
    payment = paid_by(session, worlds, "wechat", issue(session))
    before = len(worlds["wechat"].receiver.received)
    row, _ = refunds.refund(session, CASHIER, finance(session, worlds).providers, payment["id"],
                            {"amount_fen": 1_500, "reason": "多收"}, None)
    number = row.id
    ask = refunds.refund_question(session, row)
    finance_stops(session, number)
    worlds["wechat"].provider.refund(ask)  # WeChat Pay took it; its answer never reached finance
    poll_until(session, worlds, lambda: status(session, number) != "pending")
    assert status(session, number) == "succeeded"
    notify(session, worlds, "wechat", next_notification(worlds["wechat"], before))  # REFUND.SUCCESS: nothing new
    finance(session, worlds).poll_payment_intents()
    assert [n for n in worlds["wechat"].sandbox.refunds if n == number] == [number]
    assert order_of(worlds, "wechat", payment["reference"])["refunded"] == 1_500  # refunded once
    assert [r.amount_fen for r in session.scalars(select(Refund).where(Refund.payment_id == payment["id"]))] \
        == [1_500]  # booked once
    assert_books_balance(session)


def test_an_unapplied_intent_refund_claimed_but_never_asked_is_completed_by_the_poller_once(session, worlds):
    intent = unapplied(session, worlds, "wechat")
    before = len(worlds["wechat"].receiver.received)
    claimed, won = refunds.claim_unapplied(session, CASHIER, finance(session, worlds).providers, intent["id"], None)
    number = claimed.refund_id
    assert won and number
    finance_stops(session, number)  # WeChat Pay never asked: the intent shows 退款处理中
    shown = finance(session, worlds).get_payment_intent(intent["id"])
    assert (shown["status"], shown["refund_id"]) == ("unapplied", number)
    assert number not in worlds["wechat"].sandbox.refunds
    poll_until(session, worlds, lambda: status(session, number) != "pending")
    assert finance(session, worlds).get_payment_intent(intent["id"])["status"] == "refunded"
    notify(session, worlds, "wechat", next_notification(worlds["wechat"], before))  # told as well: once
    finance(session, worlds).poll_payment_intents()
    assert [n for n in worlds["wechat"].sandbox.refunds if n == number] == [number]
    assert order_of(worlds, "wechat", intent["transaction_id"])["refunded"] == intent["amount_fen"]
    assert len(session.scalars(select(JournalEntry).where(JournalEntry.source_type == "intent_refund",
                                                          JournalEntry.source_id == number)).all()) == 1
    assert session.get_one(PaymentIntent, intent["id"]).status == "refunded"
    books = assert_books_balance(session)
    assert (books["1012"], books["2241"]) == (0, 0)


def test_an_approved_request_whose_provider_was_never_asked_is_refunded_by_the_poller_once(session, worlds):
    payment = paid_by(session, worlds, "alipay", issue(session))  # ¥510.00; the store's limit is ¥500.00
    asked = finance(session, worlds).request_refund(payment["id"], {"amount_fen": 50_001, "reason": "返工"})
    providers = finance(session, worlds).providers
    request, won = refund_requests.claim_approval(session, MANAGER, providers, asked["id"])
    number = request.provider_refund_id
    assert won and number
    finance_stops(session, number)  # approved; Alipay never asked
    assert finance(session, worlds).get_refund_request(asked["id"])["status"] == "approved"
    poll_until(session, worlds, lambda: status(session, number) != "pending")
    finance(session, worlds).poll_payment_intents()
    done = finance(session, worlds).get_refund_request(asked["id"])
    [refund] = session.scalars(select(Refund).where(Refund.payment_id == payment["id"])).all()
    assert (done["status"], done["refund_id"]) == ("refunded", refund.id)
    assert (refund.amount_fen, refund.requested_by, refund.approved_by) == (50_001, CASHIER.user_id,
                                                                            MANAGER.user_id)
    assert order_of(worlds, "alipay", payment["reference"])["refunded_fen"] == 50_001  # once
    assert session.get_one(RefundRequest, asked["id"]).provider_refund_id == number
    assert_books_balance(session)
