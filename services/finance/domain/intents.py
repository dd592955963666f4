"""Payment intents: money asked for through a provider (WeChat Pay, Alipay) and recorded when it says it
was paid, by the same rule as a payment at the till (`payments.take_payment`: never more than is
due; the rest by other methods).

No transaction is open while the provider is called (services/common/transactions.py): an intent
is validated, the order is opened at the provider, then the intent is written in a short
transaction that checks the invoice again; a provider that is down leaves nothing recorded. The
provider's word (a verified notification, or its answer to a poll) is applied once per transaction
id: the intent row is locked and the payment carries the id as its idempotency key."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Invalid, NotFound
from services.common.ids import new_id
from services.common.transactions import before_remote_call

from ..models import Invoice, PaymentIntent
from ..providers import ProviderError, RefundState, Rejected, Transaction, of_store, provider_failed, unavailable
from .common import get_locked, get_or_404, illegal, newest_first
from .invoices import PAID, VOID
from .ledger import store_keys
from . import refunds
from .payments import take_payment

if TYPE_CHECKING:
    from ..accounts import PaymentAccounts

log = logging.getLogger(__name__)

PAYMENT_METHOD = {"wechat": "wechat", "alipay": "alipay"}
"""The payment method a provider's money is recorded under."""


def _check_due(invoice: Invoice, amount: int) -> None:
    if invoice.status in (PAID, VOID):
        raise illegal("invoice", invoice.status, "paid")
    if amount > invoice.due_fen:
        raise Invalid(f"Only {invoice.due_fen} fen is due; overpayment is refused.",
                      fields={"amount_fen": [f"At most {invoice.due_fen}."]}, code="overpayment",
                      params={"due_fen": str(invoice.due_fen)})


def create_intent(session: Session, caller: Caller, providers: PaymentAccounts, invoice_id: str, data: dict,
                  key: str | None, client_ip: str | None, lifetime: timedelta) -> PaymentIntent:
    """Open an order at the provider, on the merchant account of the invoice's store, for (part of) what the
    invoice owes and record it as pending (with that account)."""
    if key and (found := _by_key(session, key)) is not None:
        if (found.invoice_id, found.amount_fen, found.channel) != (invoice_id, data["amount_fen"], data["channel"]):
            raise Conflict("This Idempotency-Key was already used for a different payment intent.",
                           code="idempotency_key_reused")
        return found
    invoice = get_or_404(session, Invoice, invoice_id, "invoice")
    caller.require_store(invoice.store_id)
    provider = of_store(providers, data["provider"], *store_keys(session, invoice.store_id))
    _check_due(invoice, data["amount_fen"])
    intent_id, expires_at, number = new_id(), utcnow() + lifetime, invoice.number
    before_remote_call(session, "the payment provider")
    try:
        url = provider.prepay(data["channel"], intent_id, f"{number} 汽车服务", data["amount_fen"], expires_at,
                              client_ip, **({"payer": data["payer"]} if data.get("payer") else {}))
    except ProviderError as exc:
        log.warning("payment provider %s refused a prepay: %s", provider.name, exc)
        raise provider_failed(provider.name, exc) from None
    invoice = get_locked(session, Invoice, invoice_id, "invoice")
    _check_due(invoice, data["amount_fen"])  # paid meanwhile: the order at the provider just times out
    intent = PaymentIntent(id=intent_id, invoice_id=invoice.id, store_id=invoice.store_id, provider=provider.name,
                           merchant_id=provider.merchant_id,
                           channel=data["channel"], amount_fen=data["amount_fen"], currency=invoice.currency,
                           status="pending", pay_url=url, idempotency_key=key, created_by=caller.user_id,
                           expires_at=expires_at)
    session.add(intent)
    session.flush()
    record_audit(session, caller, "payment_intent_created", "invoice", invoice.id, store_id=invoice.store_id,
                 details={"intent_id": intent.id, "provider": intent.provider, "channel": intent.channel,
                          "amount_fen": intent.amount_fen, "merchant_id": intent.merchant_id})
    return intent


def _by_key(session: Session, key: str) -> PaymentIntent | None:
    return session.execute(select(PaymentIntent).where(PaymentIntent.idempotency_key == key)).scalar_one_or_none()


def get_intent(session: Session, caller: Caller, intent_id: str) -> PaymentIntent:
    intent = get_or_404(session, PaymentIntent, intent_id, "payment intent")
    caller.require_store(intent.store_id)
    return intent


def notified(session: Session, providers: PaymentAccounts, name: str, headers: dict,
             body: str) -> Transaction | RefundState:
    """A provider's asynchronous notification: verified (and decrypted) by one of our accounts — each
    distinct verifier is tried: the chain's, a service provider's for all its sub-merchants, a store's own
    merchant — then applied once: a payment to its intent, a refund to its provider refund. One that fails
    verification changes nothing and is logged (its reasons, never its content). Answers what it said."""
    verifiers = providers.verifiers(name)
    if not verifiers:
        raise unavailable(name)
    reasons, failure = [], None
    for provider in verifiers:
        try:
            notice = provider.verify(headers, body)
            break
        except Rejected as exc:
            reasons.append(str(exc))
        except ProviderError as exc:  # the platform certificates could not be fetched: the provider retries
            failure = exc
    else:
        if failure is not None:
            raise provider_failed(name, failure) from None
        log.warning("payment notification from %s rejected: %s", name, "; ".join(reasons))
        raise Invalid("The notification failed verification.", code="notification_rejected") from None
    if isinstance(notice, RefundState):
        refunds.apply_refund_state(session, name, notice)
    elif notice.state == "paid":
        apply_transaction(session, name, notice)
    return notice


def apply_transaction(session: Session, provider: str, transaction: Transaction) -> PaymentIntent:
    """Record a provider's successful transaction against its intent, once per transaction id."""
    intent = session.execute(select(PaymentIntent).where(PaymentIntent.id == transaction.out_trade_no)
                             .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if intent is not None and None not in (intent.merchant_id, transaction.merchant_id) \
            and intent.merchant_id != transaction.merchant_id:
        log.warning("payment intent %s: %s reports it paid to another merchant account", intent.id, provider)
        intent = None
    if intent is None or intent.provider != provider:
        log.warning("payment notification from %s names no intent of ours", provider)
        raise NotFound("No such payment intent.")
    transaction_id = transaction.transaction_id
    if intent.transaction_id is not None:
        if intent.transaction_id != transaction_id:
            log.warning("payment intent %s: a second transaction id from %s", intent.id, provider)
            raise Conflict("The intent was paid by another transaction.", code="payment_intent_state",
                           params={"status": intent.status})
        return intent  # told again: applied already
    if transaction.state != "paid" or not transaction_id or transaction.amount_fen != intent.amount_fen:
        log.warning("payment intent %s: %s reports state %s for another amount or state", intent.id, provider,
                    transaction.state)
        raise Conflict("The provider's transaction does not match the intent.", code="payment_intent_state",
                       params={"status": intent.status})
    invoice = get_locked(session, Invoice, intent.invoice_id, "invoice")
    intent.transaction_id, intent.settled_at = transaction_id, utcnow()
    if invoice.status in (PAID, VOID) or intent.amount_fen > invoice.due_fen:
        intent.status = "unapplied"
        log.warning("payment intent %s paid at %s but the invoice owes %s fen: to refund at the provider",
                    intent.id, provider, invoice.due_fen)
        record_audit(session, None, "payment_intent_unapplied", "invoice", invoice.id, store_id=invoice.store_id,
                     details={"intent_id": intent.id, "transaction_id": transaction_id,
                              "amount_fen": intent.amount_fen, "due_fen": invoice.due_fen})
        refunds.book_unapplied(session, intent)
        return intent
    payment, _ = take_payment(session, Caller(), invoice.id, {
        "method": PAYMENT_METHOD[provider], "amount_fen": intent.amount_fen, "reference": transaction_id},
        key=f"{provider}:{transaction_id}")
    intent.status, intent.payment_id = "paid", payment.id
    session.flush()
    return intent


def list_intents(session: Session, stores: list[str] | None, params: dict) -> list[PaymentIntent]:
    """A page of intents, newest first (the cashier's list of `unapplied` ones: money to refund)."""
    return newest_first(session, PaymentIntent, stores, params, ("status",))


def open_intents(session: Session, older_than: datetime, limit: int = 50) -> list[PaymentIntent]:
    """Pending intents created before `older_than`, oldest first (the poller's work)."""
    return list(session.execute(select(PaymentIntent).where(
        PaymentIntent.status == "pending", PaymentIntent.created_at < older_than)
        .order_by(PaymentIntent.created_at).limit(limit)).scalars())


def expired(session: Session, intent: PaymentIntent, now: datetime) -> bool:
    """Whether an unpaid intent is to be closed: it has expired, or its invoice no longer owes anything
    (settled by other means, or void: a late scan would pay for nothing)."""
    return session.get_one(Invoice, intent.invoice_id).status in (PAID, VOID) or intent.expires_at <= now


def ask_provider(provider, intent_id: str, close: bool):
    """The poller's network step (no session: the caller holds no transaction open across it): the
    provider's word on the order; an unpaid one is closed at the provider when `close`. Answers the
    order, or None when it is unpaid and stays open. Raises ProviderError."""
    order = provider.query(intent_id)
    if order.state == "paid":
        return order
    if not close:
        return None
    provider.close(intent_id)
    return order


def record_poll(session: Session, provider: str, intent_id: str, order, now: datetime) -> str:
    """What `ask_provider` found, applied: a paid order through `apply_transaction`, one closed at
    the provider closed here (unless a notification settled it meanwhile). Answers the status."""
    if order.state == "paid":
        return apply_transaction(session, provider, order).status
    intent = get_locked(session, PaymentIntent, intent_id, "payment intent")
    if intent.status == "pending":
        intent.status, intent.settled_at = "closed", now
        record_audit(session, None, "payment_intent_closed", "invoice", intent.invoice_id, store_id=intent.store_id,
                     details={"intent_id": intent.id, "amount_fen": intent.amount_fen})
    return intent.status
