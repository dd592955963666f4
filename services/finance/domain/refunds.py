"""Refunds of money a payment provider took (a payment recorded from a payment intent): asked of the
provider, recorded through the refund rules of `payments.refund_payment` only when the provider
confirms it.

The rules are checked before the provider is asked (what is left of the payment less what is already
asked and unconfirmed; a manager above the store's limit), then again when the refund is recorded.
No transaction is open while the provider is called: the refund is first claimed — its `ProviderRefund`
row written `pending` under its number at the provider (out_refund_no / out_request_no, drawn from the
Idempotency-Key when there is one) and committed by the caller — then asked (`ask_refund`). What
happens to the claim:
- the provider answers: applied at once (`apply_refund_state`); WeChat Pay usually answers PROCESSING:
  its REFUND.SUCCESS notification, or finance's poller asking again, settles it; Alipay's refund is done
  when it answers;
- the provider refuses (4xx): nothing was refunded, the claim is withdrawn (`withdraw`) and the caller
  answered 409;
- no answer (timeout, 5xx, finance stopped between the claim and the answer): the claim stays `pending`
  — the provider may have taken the refund — and the poller (`service.poll_payment_intents`, every
  PAYMENT_POLL_SECONDS, for refunds pending longer than that) asks the provider again under the same
  number (`query_refund`: WeChat Pay queries it and asks it again if it never arrived; Alipay is asked
  again); a repeated number is the same refund at the provider, never a second one. Its answer is
  applied once however often it comes (the row is locked and must still be pending), together with
  the refund notification that may come too.

Money a provider took when nothing was due (an `unapplied` intent: no payment was recorded of it; it is
booked Dr clearing · Cr 2241 provider receipts to refund) is returned whole the same way, from the
account it was paid to: the intent is claimed with a conditional update (its `refund_id`, where it is
still unapplied and unclaimed: two clicks at once ask the provider once) and its `ProviderRefund` row
written in the same transaction (`claim_unapplied`), the claim committed, the provider asked
(`ask_refund`). When the provider confirms, the intent is `refunded` and 2241 is cleared against the
clearing account."""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import rowcount, utcnow
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.ids import new_id
from services.common.outbox import record_event
from services.common.transactions import before_remote_call

from ..models import Invoice, Payment, PaymentIntent, ProviderRefund, Refund, RefundRequest
from ..providers import ProviderError, RefundAsk, RefundState, of_merchant, provider_failed
from services.common.policy import manages

from . import ledger
from .common import get_or_404, illegal
from .payments import check_refund, refund_limit, refund_payment

log = logging.getLogger(__name__)


def intent_of(session: Session, payment_id: str) -> PaymentIntent | None:
    """The paid intent a payment was recorded from (None: money taken at the till)."""
    return session.execute(select(PaymentIntent).where(PaymentIntent.payment_id == payment_id)).scalar_one_or_none()


def refund(session: Session, caller: Caller, providers, payment_id: str, data: dict,
           key: str | None) -> tuple[Refund | ProviderRefund, bool]:
    """Refund (part of) a payment: one taken at the till is refunded at once; a provider's payment is
    claimed — a `pending` ProviderRefund under its number at the provider — and answered with True: the
    caller commits the claim, then `ask_refund`s it. A retry with the same key answers the refund as it is."""
    intent = intent_of(session, payment_id)
    if intent is None:
        return refund_payment(session, caller, payment_id, data, key)[0], False
    if key and (found := _by_key(session, key)) is not None:
        if (found.payment_id, found.amount_fen) != (payment_id, data["amount_fen"]):
            raise Conflict("This Idempotency-Key was already used for a different refund.",
                           code="idempotency_key_reused")
        return found, False
    provider = of_merchant(providers, intent.provider, intent.merchant_id)  # refunded from the account it was paid to
    payment = get_or_404(session, Payment, payment_id, "payment")
    caller.require_store(payment.store_id)
    invoice = session.get(Invoice, payment.invoice_id) if payment.invoice_id else None
    check_refund(session, caller, payment, invoice, data["amount_fen"], held_fen=held(session, payment_id))
    row = ProviderRefund(id=_number(key), payment_id=payment_id, intent_id=intent.id,
                         store_id=payment.store_id, provider=provider.name, amount_fen=data["amount_fen"],
                         reason=data["reason"], status="pending", requested_by=caller.user_id,
                         requested_role=caller.role, idempotency_key=key)
    session.add(row)
    session.flush()
    record_audit(session, caller, "provider_refund_requested", "invoice", payment.invoice_id,
                 store_id=payment.store_id, details={"provider_refund_id": row.id, "payment_id": payment_id,
                                                     "provider": provider.name, "amount_fen": row.amount_fen})
    return row, True


def ask_refund(session: Session, providers, number: str) -> ProviderRefund:
    """Ask the provider for the refund claimed (and committed) under `number`, no transaction open; its answer
    is applied. A refusal is the caller's 409 (it `withdraw`s the claim); no answer (down, a timeout: it may
    have taken it) leaves the claim pending for the poller, which asks again under the same number."""
    row = session.get_one(ProviderRefund, number)
    intent = session.get_one(PaymentIntent, row.intent_id)
    provider = of_merchant(providers, intent.provider, intent.merchant_id)
    ask = _question(intent, number, row.amount_fen, row.reason)
    before_remote_call(session, "the payment provider")
    try:
        state = provider.refund(ask)
    except ProviderError as exc:
        log.warning("payment provider %s did not take refund %s: %s", provider.name, number, exc)
        if exc.down:
            return session.get_one(ProviderRefund, number)
        raise provider_failed(provider.name, exc) from None
    return apply_refund_state(session, provider.name, state)


def withdraw(session: Session, number: str) -> None:
    """The provider refused the refund when asked (nothing was refunded under `number`): the claim is given
    back as if it had not been made — the row removed, an unapplied intent listed to refund again, an
    approved refund request waiting for a manager again."""
    row = session.execute(select(ProviderRefund).where(ProviderRefund.id == number).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None or row.status != "pending":
        return
    if row.payment_id is None:
        release_unapplied(session, row.intent_id, number)
    released = session.execute(select(RefundRequest).where(RefundRequest.provider_refund_id == number,
                                                           RefundRequest.status == APPROVED)
                               .with_for_update()).scalars().all()
    for request in released:
        request.status, request.decided_by, request.decided_at, request.provider_refund_id = PENDING, None, None, None
        request_changed(session, request)
    record_audit(session, None, "provider_refund_refused", *_document_of(session, row), store_id=row.store_id,
                 details={"provider_refund_id": number, "intent_id": row.intent_id, "payment_id": row.payment_id,
                          "amount_fen": row.amount_fen})
    session.flush()
    session.delete(row)
    session.flush()


def _document_of(session: Session, row: ProviderRefund) -> tuple[str, str]:
    """The audited document a provider refund belongs to: its invoice, or the deposit it refunds."""
    if row.payment_id is None:
        return "invoice", session.get_one(PaymentIntent, row.intent_id).invoice_id
    invoice_id = session.get_one(Payment, row.payment_id).invoice_id  # ("payment" is no audited document)
    return ("invoice", invoice_id) if invoice_id else ("deposit", row.payment_id)


def _question(intent: PaymentIntent, number: str, amount_fen: int, reason: str) -> RefundAsk:
    return RefundAsk(out_refund_no=number, out_trade_no=intent.id, transaction_id=intent.transaction_id or "",
                     amount_fen=amount_fen, total_fen=intent.amount_fen, reason=reason)


def _number(key: str | None) -> str:
    """The refund's number at the provider: from the Idempotency-Key when there is one (a retry reuses it)."""
    return hashlib.sha256(key.encode()).hexdigest()[:26] if key else new_id()


def _by_key(session: Session, key: str) -> ProviderRefund | None:
    return session.execute(select(ProviderRefund).where(ProviderRefund.idempotency_key == key)).scalar_one_or_none()


def held(session: Session, payment_id: str) -> int:
    """What is asked of the provider for this payment and not yet confirmed."""
    return int(session.execute(select(func.coalesce(func.sum(ProviderRefund.amount_fen), 0)).where(
        ProviderRefund.payment_id == payment_id, ProviderRefund.status == "pending")).scalar_one())


def apply_refund_state(session: Session, provider: str, state: RefundState) -> ProviderRefund:
    """The provider's word on a refund, applied once: succeeded is recorded through the refund rules
    (as the person who asked for it), failed is marked, pending waits."""
    row = session.execute(select(ProviderRefund).where(ProviderRefund.id == state.out_refund_no).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None or row.provider != provider:
        log.warning("refund notification from %s names no refund of ours", provider)
        raise NotFound("No such refund.")
    if row.status != "pending" or state.state == "pending":
        return row
    row.settled_at, row.provider_refund_id = utcnow(), state.refund_id
    if state.state == "failed":
        row.status = "failed"
        if row.payment_id is None:
            return _unapplied_refund_failed(session, row)
        record_audit(session, None, "provider_refund_failed", *_document_of(session, row), store_id=row.store_id,
                     details={"provider_refund_id": row.id, "payment_id": row.payment_id, "amount_fen": row.amount_fen})
        request_settled(session, row)
        return row
    if row.payment_id is None:
        return _unapplied_refunded(session, row)
    requester = Caller(user_id=row.requested_by, role=row.requested_role, store_ids=frozenset({row.store_id}))
    recorded, _ = refund_payment(session, requester, row.payment_id, {"amount_fen": row.amount_fen,
                                                                      "reason": row.reason},
                                 key=f"{provider}-refund:{row.id}")
    row.status, row.refund_id = "succeeded", recorded.id
    session.flush()
    request_settled(session, row)
    return row


# -- the whole of an unapplied intent returned (no payment was recorded of it) --
UNAPPLIED_REASON = "扫码已付但无需收款，原路退回"


def book_unapplied(session: Session, intent: PaymentIntent) -> None:
    """The money of an intent paid when nothing was due: at the provider (its clearing account), owed back (2241)."""
    ledger.post_journal_entry(session, intent.store_id, [(ledger.money_account(intent.provider), intent.amount_fen, 0),
                                                         (ledger.TO_REFUND, 0, intent.amount_fen)],
                              source_type="payment_intent", source_id=intent.id,
                              memo=f"{intent.provider} paid when nothing was due: to refund")


def claim_unapplied(session: Session, caller: Caller, providers, intent_id: str,
                    key: str | None) -> tuple[PaymentIntent, bool]:
    """The intent and whether this call claimed its refund (unapplied and unclaimed → `refund_id` set and its
    pending ProviderRefund written, one call wins); one claimed or refunded already is answered as it is. The
    whole amount is returned; above the store's refund limit only a manager may. The caller commits the claim,
    then `ask_refund`s it."""
    intent = get_or_404(session, PaymentIntent, intent_id, "payment intent")
    caller.require_store(intent.store_id)
    if intent.status == "refunded" or (intent.status == "unapplied" and intent.refund_id is not None):
        return intent, False
    if intent.status != "unapplied":
        raise illegal("payment_intent", intent.status, "refunded")
    limit = refund_limit(session, intent.store_id)
    if intent.amount_fen > limit and not manages(caller):
        raise Forbidden(f"Refunds above {limit} fen need a store manager's approval.", code="refund_needs_manager",
                        params={"limit_fen": limit})
    number = _number(key)
    if session.get(ProviderRefund, number) is not None:  # that key's refund failed at the provider: a new one
        number = new_id()
    claimed = rowcount(session.execute(update(PaymentIntent).where(
        PaymentIntent.id == intent.id, PaymentIntent.status == "unapplied", PaymentIntent.refund_id.is_(None))
        .values(refund_id=number).execution_options(synchronize_session=False)))
    session.refresh(intent)
    if claimed:
        provider = of_merchant(providers, intent.provider, intent.merchant_id)  # the account it was paid to
        session.add(ProviderRefund(id=number, payment_id=None, intent_id=intent.id, store_id=intent.store_id,
                                   provider=provider.name, amount_fen=intent.amount_fen, reason=UNAPPLIED_REASON,
                                   status="pending", requested_by=caller.user_id, requested_role=caller.role))
        session.flush()
        record_audit(session, caller, "unapplied_refund_requested", "invoice", intent.invoice_id,
                     store_id=intent.store_id, details={"intent_id": intent.id, "provider_refund_id": number,
                                                        "provider": provider.name, "amount_fen": intent.amount_fen})
    return intent, bool(claimed)


def release_unapplied(session: Session, intent_id: str, number: str) -> None:
    """The provider did not take the refund: the intent's claim is given back (it is listed to refund again)."""
    session.execute(update(PaymentIntent).where(PaymentIntent.id == intent_id, PaymentIntent.refund_id == number,
                                                PaymentIntent.status == "unapplied").values(refund_id=None)
                    .execution_options(synchronize_session="fetch"))


def _unapplied_refunded(session: Session, row: ProviderRefund) -> ProviderRefund:
    """The provider confirmed an unapplied intent's refund: the intent is refunded, 2241 cleared (once: the
    refund row is locked and was pending)."""
    intent = session.execute(select(PaymentIntent).where(PaymentIntent.id == row.intent_id).with_for_update()
                             .execution_options(populate_existing=True)).scalar_one()
    row.status = "succeeded"
    if not ledger.entries_for(session, "payment_intent", intent.id):  # found unapplied before it was booked
        book_unapplied(session, intent)
    ledger.post_journal_entry(session, intent.store_id, [(ledger.TO_REFUND, row.amount_fen, 0),
                                                         (ledger.money_account(intent.provider), 0, row.amount_fen)],
                              source_type="intent_refund", source_id=row.id,
                              memo=f"{intent.provider} refund of money paid when nothing was due")
    intent.status = "refunded"
    record_audit(session, None, "unapplied_refunded", "invoice", intent.invoice_id, store_id=intent.store_id,
                 details={"intent_id": intent.id, "provider_refund_id": row.id, "amount_fen": row.amount_fen})
    record_event(session, "payment_intent_refunded", {
        "intent_id": intent.id, "invoice_id": intent.invoice_id, "store_id": intent.store_id,
        "provider": intent.provider, "amount_fen": row.amount_fen, "refunded_at": utcnow().isoformat()},
        store_id=intent.store_id)
    session.flush()
    return row


def _unapplied_refund_failed(session: Session, row: ProviderRefund) -> ProviderRefund:
    """The provider refused an unapplied intent's refund: it is listed to refund again (a new number)."""
    release_unapplied(session, row.intent_id, row.id)
    record_audit(session, None, "unapplied_refund_failed", "invoice",
                 session.get_one(PaymentIntent, row.intent_id).invoice_id, store_id=row.store_id,
                 details={"intent_id": row.intent_id, "provider_refund_id": row.id, "amount_fen": row.amount_fen})
    session.flush()
    return row


def pending_refunds(session: Session, older_than: datetime, limit: int = 50) -> list[ProviderRefund]:
    """Refunds claimed before `older_than` and still pending, oldest first (the poller's work): the provider's
    answer or confirmation never came, or was never asked for (finance stopped after the claim)."""
    return list(session.execute(select(ProviderRefund).where(
        ProviderRefund.status == "pending", ProviderRefund.created_at < older_than)
        .order_by(ProviderRefund.created_at).limit(limit)).scalars())


def refund_question(session: Session, row: ProviderRefund) -> RefundAsk:
    """What the poller asks the provider about a refund whose confirmation never came (under the same
    number if it never arrived: it is not refunded twice); `apply_refund_state` records the answer."""
    return _question(session.get_one(PaymentIntent, row.intent_id), row.id, row.amount_fen, row.reason)


# -- a refund request's refund (domain/refund_requests.py asks; its outcome is recorded here, where the refund is) --
PENDING, APPROVED, REFUNDED, DECLINED, FAILED = "pending", "approved", "refunded", "declined", "failed"
"""A refund request's statuses."""


def request_settled(session: Session, row: ProviderRefund) -> None:
    """The provider's last word on the refund an approved request asked of it: succeeded, the request is
    refunded; failed (refused at the provider), the request is failed and the cashier may ask again."""
    request = session.execute(select(RefundRequest).where(
        RefundRequest.provider_refund_id == row.id, RefundRequest.status == APPROVED)).scalar_one_or_none()
    if request is None or row.status == "pending":
        return
    if row.status == "failed":
        request.status = FAILED
    elif row.refund_id is not None:
        request_refunded(session, request, session.get_one(Refund, row.refund_id))
    request_changed(session, request)


def request_refunded(session: Session, request: RefundRequest, refund: Refund) -> None:
    request.status, request.refund_id = REFUNDED, refund.id
    refund.requested_by = request.requested_by  # the cashier asked; `approved_by` names the manager
    session.flush()


def request_changed(session: Session, request: RefundRequest) -> None:
    record_event(session, "refund_request_changed", {
        "refund_request_id": request.id, "payment_id": request.payment_id, "invoice_id": request.invoice_id,
        "store_id": request.store_id, "status": request.status, "changed_at": utcnow().isoformat()},
        store_id=request.store_id)
