"""Money a provider took when nothing was due (an unapplied intent) refunded whole through the provider, with a
real SQLite session and both sandboxes in the test's process: booked when found unapplied (Dr clearing · Cr
2241), refunded once from the account it was paid to — Alipay at once, WeChat Pay when its REFUND.SUCCESS
arrives (told twice: once) — then `refunded` with 2241 cleared; a second click while the first is asked, or a
retry with the same Idempotency-Key, asks the provider no second time; above the store's limit only a manager;
a paid or pending intent is refused; the provider down leaves the claim to the poller, which asks again under
the same number. The books balance throughout
(2241 = what unapplied intents hold)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden
from services.finance.domain import refunds
from services.finance.models import JournalEntry, PaymentIntent, ProviderRefund, Refund, StoreSettings
from tests.service.test_finance_service import CASHIER, MANAGER, OTHER_CASHIER, assert_books_balance, events, issue
from tests.service import test_provider_payments as provider_payments
from tests.service.test_provider_payments import ask, finance, next_notification, notify

session, worlds = provider_payments.session, provider_payments.worlds  # their fixtures: a session, both sandboxes


def unapplied(session, worlds, provider: str, amount: int = 3_000) -> dict:
    """An invoice paid in cash while the customer also paid a QR code for part of it: the unapplied intent."""
    invoice = issue(session)
    intent = ask(session, worlds, provider, invoice, amount)
    finance(session, worlds).take_payment(invoice["id"], {"method": "cash", "amount_fen": invoice["due_fen"]})
    before = len(worlds[provider].receiver.received)
    worlds[provider].pay(intent["code_url"])
    notify(session, worlds, provider, worlds[provider].receiver.received[before])
    shown = finance(session, worlds).get_payment_intent(intent["id"])
    assert (shown["status"], shown["refund_id"]) == ("unapplied", None)
    return shown


def balances(session) -> dict:
    return assert_books_balance(session)


def test_unapplied_money_is_booked_owed_back_and_an_alipay_refund_clears_it_at_once(session, worlds):
    intent = unapplied(session, worlds, "alipay")
    amount = intent["amount_fen"]
    books = balances(session)
    assert (books["1013"], books["2241"]) == (amount, -amount)  # at Alipay, owed back to the customer
    refunded = finance(session, worlds).refund_payment_intent(intent["id"], idempotency_key="cashier-1:u1")
    assert (refunded["status"], refunded["refund_id"]) == ("refunded", refunded["refund_id"])
    [order] = [o for o in worlds["alipay"].sandbox.orders.values() if o.get("trade_no") == intent["transaction_id"]]
    assert order["refunded_fen"] == amount  # the whole amount, at the provider
    row = session.get(ProviderRefund, refunded["refund_id"])
    assert (row.status, row.payment_id, row.intent_id, row.amount_fen) == ("succeeded", None, intent["id"], amount)
    assert session.scalars(select(Refund)).all() == []  # no payment was recorded of it: no till refund either
    books = balances(session)
    assert (books["1013"], books["2241"]) == (0, 0)
    assert [e["intent_id"] for e in events(session, "payment_intent_refunded")] == [intent["id"]]
    again = finance(session, worlds).refund_payment_intent(intent["id"], idempotency_key="cashier-1:u1")
    assert (again["status"], again["refund_id"]) == ("refunded", refunded["refund_id"])  # a retry: the same
    assert finance(session, worlds).list_payment_intents({"store_id": intent["store_id"],
                                                          "status": "unapplied"})["items"] == []


def test_a_wechat_refund_waits_for_its_notification_and_two_clicks_ask_once(session, worlds):
    intent = unapplied(session, worlds, "wechat")
    before = len(worlds["wechat"].receiver.received)
    asked = finance(session, worlds).refund_payment_intent(intent["id"], idempotency_key="cashier-1:w1")
    assert asked["status"] == "unapplied" and asked["refund_id"]  # asked; WeChat Pay confirms later
    assert balances(session)["2241"] == -intent["amount_fen"]  # nothing cleared before it confirms
    second = finance(session, worlds).refund_payment_intent(intent["id"], idempotency_key="cashier-1:w2")
    assert second["refund_id"] == asked["refund_id"]  # the second click: answered as it is, not asked again
    assert [r for r in worlds["wechat"].sandbox.refunds if r == asked["refund_id"]] == [asked["refund_id"]]
    assert len(session.scalars(select(ProviderRefund).where(ProviderRefund.intent_id == intent["id"])).all()) == 1
    told = next_notification(worlds["wechat"], before)
    notify(session, worlds, "wechat", told)
    notify(session, worlds, "wechat", told)  # told twice: cleared once
    assert finance(session, worlds).get_payment_intent(intent["id"])["status"] == "refunded"
    assert len(session.scalars(select(JournalEntry).where(JournalEntry.source_type == "intent_refund")).all()) == 1
    books = balances(session)
    assert (books["1012"], books["2241"]) == (0, 0)


def test_two_clicks_at_once_one_claims_the_refund(session, worlds):
    intent = unapplied(session, worlds, "alipay")
    loaded = session.get(PaymentIntent, intent["id"])  # the second click has read it unclaimed ...
    session.execute(update(PaymentIntent).where(PaymentIntent.id == intent["id"]).values(refund_id="X" * 26)
                    .execution_options(synchronize_session=False))  # ... when the first click's claim lands
    assert loaded.refund_id is None
    claimed, won = refunds.claim_unapplied(session, CASHIER, finance(session, worlds).providers, intent["id"],
                                           "cashier-1:c2")
    assert (won, claimed.refund_id) == (False, "X" * 26)  # the conditional update matched nothing
    assert session.scalars(select(ProviderRefund).where(ProviderRefund.intent_id == intent["id"])).all() == []


def test_the_refund_rules_and_a_provider_down_leave_the_claim_to_the_poller(session, worlds):
    intent = unapplied(session, worlds, "alipay")
    with pytest.raises(Forbidden):  # another store's cashier
        finance(session, worlds, OTHER_CASHIER).refund_payment_intent(intent["id"])
    session.add(StoreSettings(store_id=intent["store_id"], time_zone="Asia/Shanghai", currency="CNY",
                              refund_approval_limit_fen=intent["amount_fen"] - 1))
    session.flush()
    with pytest.raises(Forbidden) as above:
        finance(session, worlds).refund_payment_intent(intent["id"])
    assert (above.value.code, above.value.params) == ("refund_needs_manager",
                                                      {"limit_fen": intent["amount_fen"] - 1})
    worlds["alipay"].down()
    try:  # no answer: it may have been refunded, so the claim stays (退款处理中) under its number
        asked = finance(session, worlds, MANAGER).refund_payment_intent(intent["id"], idempotency_key="manager-1:d1")
    finally:
        worlds["alipay"].down(False)
    assert (asked["status"], asked["refund_id"]) == ("unapplied", refunds._number("manager-1:d1"))
    again = finance(session, worlds, MANAGER).refund_payment_intent(intent["id"], idempotency_key="manager-1:d2")
    assert again["refund_id"] == asked["refund_id"]  # a second click: answered as it is
    [row] = refunds.pending_refunds(session, utcnow() + timedelta(minutes=1))
    assert finance(session, worlds).poll_refund(row) == "succeeded"  # the poller asks again, under its number
    done = finance(session, worlds).get_payment_intent(intent["id"])
    assert (done["status"], done["refund_id"]) == ("refunded", asked["refund_id"])
    assert session.get(ProviderRefund, done["refund_id"]).requested_by == MANAGER.user_id
    assert balances(session)["2241"] == 0


def test_only_an_unapplied_intent_is_refunded_so(session, worlds):
    invoice = issue(session)
    intent = ask(session, worlds, "alipay", invoice, invoice["due_fen"])
    with pytest.raises(Conflict) as pending:
        finance(session, worlds).refund_payment_intent(intent["id"])
    assert (pending.value.code, pending.value.params) == ("payment_intent_state", {"status": "pending"})


def test_an_intent_found_unapplied_before_it_was_booked_is_booked_when_refunded(session, worlds):
    intent = unapplied(session, worlds, "alipay")
    for entry in session.scalars(select(JournalEntry).where(JournalEntry.source_id == intent["id"])):
        session.delete(entry)  # as before this change: nothing booked
    session.flush()
    assert finance(session, worlds).refund_payment_intent(intent["id"])["status"] == "refunded"
    books = balances(session)
    assert (books["1013"], books["2241"]) == (0, 0)
