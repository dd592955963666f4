"""Refunds of money a payment provider took (a payment recorded from a payment intent): asked of the
provider, recorded through the refund rules of `payments.refund_payment` only when the provider
confirms it.

The rules are checked before the provider is asked (what is left of the payment less what is already
asked and unconfirmed; a manager above the store's limit), then again when the refund is recorded.
No transaction is open while the provider is called. The refund's number at the provider is the
`ProviderRefund` id, drawn from the Idempotency-Key when there is one, so a retry after a timeout
asks the provider again under the same number and is never refunded twice. WeChat Pay usually
answers PROCESSING: its REFUND.SUCCESS notification, or finance's timer asking again, settles it;
Alipay's refund is done when it answers.

Money a provider took when nothing was due (an `unapplied` intent: no payment was recorded of it; it is
booked Dr clearing · Cr 2241 provider receipts to refund) is returned whole the same way, from the
account it was paid to (`refund_unapplied`): the intent is claimed with a conditional update (its
`refund_id`, where it is still unapplied and unclaimed: two clicks at once ask the provider once), the
claim committed, the provider asked, and the claim given back if the provider does not take it. When
the provider confirms, the intent is `refunded` and 2241 is cleared against the clearing account."""
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
           key: str | None) -> Refund | ProviderRefund:
    """Refund (part of) a payment: a provider's payment through the provider, any other at the till."""
    intent = intent_of(session, payment_id)
    if intent is None:
        return refund_payment(session, caller, payment_id, data, key)[0]
    if key and (found := _by_key(session, key)) is not None:
        if (found.payment_id, found.amount_fen) != (payment_id, data["amount_fen"]):
            raise Conflict("This Idempotency-Key was already used for a different refund.",
                           code="idempotency_key_reused")
        return found
    provider = of_merchant(providers, intent.provider, intent.merchant_id)  # refunded from the account it was paid to
    payment = get_or_404(session, Payment, payment_id, "payment")
    caller.require_store(payment.store_id)
    invoice = session.get(Invoice, payment.invoice_id) if payment.invoice_id else None
    check_refund(session, caller, payment, invoice, data["amount_fen"], held_fen=held(session, payment_id))
    ask = _question(intent, _number(key), data["amount_fen"], data["reason"])
    state = _ask(session, provider, ask)
    row = ProviderRefund(id=ask.out_refund_no, payment_id=payment_id, intent_id=intent.id,
                         store_id=payment.store_id, provider=provider.name, amount_fen=ask.amount_fen,
                         reason=ask.reason, status="pending", requested_by=caller.user_id,
                         requested_role=caller.role, idempotency_key=key)
    session.add(row)
    session.flush()
    record_audit(session, caller, "provider_refund_requested", "invoice", payment.invoice_id,
                 store_id=payment.store_id, details={"provider_refund_id": row.id, "payment_id": payment_id,
                                                     "provider": provider.name, "amount_fen": row.amount_fen})
    return apply_refund_state(session, provider.name, state)


def _question(intent: PaymentIntent, number: str, amount_fen: int, reason: str) -> RefundAsk:
    return RefundAsk(out_refund_no=number, out_trade_no=intent.id, transaction_id=intent.transaction_id or "",
                     amount_fen=amount_fen, total_fen=intent.amount_fen, reason=reason)


def _ask(session: Session, provider, ask: RefundAsk) -> RefundState:
    """The provider asked to refund, no transaction open; its refusal or silence is the caller's 409 / 503."""
    before_remote_call(session, "the payment provider")
    try:
        return provider.refund(ask)
    except ProviderError as exc:
        log.warning("payment provider %s refused refund %s: %s", provider.name, ask.out_refund_no, exc)
        raise provider_failed(provider.name, exc) from None


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
        invoice_id = session.get_one(Payment, row.payment_id).invoice_id  # ("payment" is no audited document)
        record_audit(session, None, "provider_refund_failed", *(("invoice", invoice_id) if invoice_id else
                                                                ("deposit", row.payment_id)),
                     store_id=row.store_id, details={"provider_refund_id": row.id, "payment_id": row.payment_id,
                                                     "amount_fen": row.amount_fen})
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


def claim_unapplied(session: Session, caller: Caller, intent_id: str, key: str | None) -> tuple[PaymentIntent, bool]:
    """The intent and whether this call claimed its refund (unapplied and unclaimed → `refund_id` set, one call
    wins); one claimed or refunded already is answered as it is. The whole amount is returned; above the store's
    refund limit only a manager may. The caller commits the claim before the provider is asked."""
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
    claimed = rowcount(session.execute(update(PaymentIntent).where(
        PaymentIntent.id == intent.id, PaymentIntent.status == "unapplied", PaymentIntent.refund_id.is_(None))
        .values(refund_id=_number(key)).execution_options(synchronize_session=False)))
    session.refresh(intent)
    return intent, bool(claimed)


def refund_unapplied(session: Session, caller: Caller, providers, intent: PaymentIntent) -> PaymentIntent:
    """Ask the provider to refund the claimed intent whole under its claimed number (from the account it was
    paid to); the answer is applied as a notification would be. Raises 503/409 when it does not take it."""
    provider = of_merchant(providers, intent.provider, intent.merchant_id)
    number = intent.refund_id or ""
    state = _ask(session, provider, _question(intent, number, intent.amount_fen, UNAPPLIED_REASON))
    if session.get(ProviderRefund, number) is None:
        session.add(ProviderRefund(id=number, payment_id=None, intent_id=intent.id, store_id=intent.store_id,
                                   provider=provider.name, amount_fen=intent.amount_fen, reason=UNAPPLIED_REASON,
                                   status="pending", requested_by=caller.user_id, requested_role=caller.role))
        session.flush()
        record_audit(session, caller, "unapplied_refund_requested", "invoice", intent.invoice_id,
                     store_id=intent.store_id, details={"intent_id": intent.id, "provider_refund_id": number,
                                                        "provider": provider.name, "amount_fen": intent.amount_fen})
    apply_refund_state(session, provider.name, state)
    session.refresh(intent)
    return intent


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
