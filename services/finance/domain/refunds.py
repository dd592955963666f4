"""Refunds of money a payment provider took (a payment recorded from a payment intent): asked of the
provider, recorded through the refund rules of `payments.refund_payment` only when the provider
confirms it.

The rules are checked before the provider is asked (what is left of the payment less what is already
asked and unconfirmed; a manager above the store's limit), then again when the refund is recorded.
No transaction is open while the provider is called. The refund's number at the provider is the
`ProviderRefund` id, drawn from the Idempotency-Key when there is one, so a retry after a timeout
asks the provider again under the same number and is never refunded twice. WeChat Pay usually
answers PROCESSING: its REFUND.SUCCESS notification, or finance's timer asking again, settles it;
Alipay's refund is done when it answers."""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.common.transactions import before_remote_call

from ..models import Invoice, Payment, PaymentIntent, ProviderRefund, Refund
from ..providers import ProviderError, RefundAsk, RefundState, provider_failed, provider_named
from .common import get_or_404
from .payments import check_refund, refund_payment

log = logging.getLogger(__name__)


def intent_of(session: Session, payment_id: str) -> PaymentIntent | None:
    """The paid intent a payment was recorded from (None: money taken at the till)."""
    return session.execute(select(PaymentIntent).where(PaymentIntent.payment_id == payment_id)).scalar_one_or_none()


def refund(session: Session, caller: Caller, providers: dict, payment_id: str, data: dict,
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
    provider = provider_named(providers, intent.provider)
    payment = get_or_404(session, Payment, payment_id, "payment")
    caller.require_store(payment.store_id)
    invoice = session.get(Invoice, payment.invoice_id) if payment.invoice_id else None
    check_refund(session, caller, payment, invoice, data["amount_fen"], held_fen=_held(session, payment_id))
    ask = RefundAsk(out_refund_no=_number(key), out_trade_no=intent.id, transaction_id=intent.transaction_id or "",
                    amount_fen=data["amount_fen"], total_fen=intent.amount_fen, reason=data["reason"])
    before_remote_call(session, "the payment provider")
    try:
        state = provider.refund(ask)
    except ProviderError as exc:
        log.warning("payment provider %s refused a refund: %s", provider.name, exc)
        raise provider_failed(provider.name, exc) from None
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


def _number(key: str | None) -> str:
    """The refund's number at the provider: from the Idempotency-Key when there is one (a retry reuses it)."""
    return hashlib.sha256(key.encode()).hexdigest()[:26] if key else new_id()


def _by_key(session: Session, key: str) -> ProviderRefund | None:
    return session.execute(select(ProviderRefund).where(ProviderRefund.idempotency_key == key)).scalar_one_or_none()


def _held(session: Session, payment_id: str) -> int:
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
        record_audit(session, None, "provider_refund_failed", "payment", row.payment_id, store_id=row.store_id,
                     details={"provider_refund_id": row.id, "amount_fen": row.amount_fen})
        return row
    requester = Caller(user_id=row.requested_by, role=row.requested_role, store_ids=frozenset({row.store_id}))
    recorded, _ = refund_payment(session, requester, row.payment_id, {"amount_fen": row.amount_fen,
                                                                      "reason": row.reason},
                                 key=f"{provider}-refund:{row.id}")
    row.status, row.refund_id = "succeeded", recorded.id
    session.flush()
    return row


def pending_refunds(session: Session, older_than: datetime, limit: int = 50) -> list[ProviderRefund]:
    return list(session.execute(select(ProviderRefund).where(
        ProviderRefund.status == "pending", ProviderRefund.created_at < older_than)
        .order_by(ProviderRefund.created_at).limit(limit)).scalars())


def refund_question(session: Session, row: ProviderRefund) -> RefundAsk:
    """What the poller asks the provider about a refund whose confirmation never came (under the same
    number if it never arrived: it is not refunded twice); `apply_refund_state` records the answer."""
    intent = session.get_one(PaymentIntent, row.intent_id)
    return RefundAsk(out_refund_no=row.id, out_trade_no=intent.id, transaction_id=intent.transaction_id or "",
                     amount_fen=row.amount_fen, total_fen=intent.amount_fen, reason=row.reason)
