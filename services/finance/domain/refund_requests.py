"""Refund requests: a refund above the store's limit, asked for at the till by someone who may not make it
(a cashier), waits in the store manager's approval queue.

Asking checks the refund rules on the amount (what is left of the payment less what is already asked of
the provider or waits in the queue) and that it is above the limit (within it the till refunds it
itself). A manager approves it — the refund is then made as one within the limit is (`refunds.refund`:
at the till, or asked of the payment provider that took the money), under the key
`refund-request:<id>`, so it is made once — or declines it with a reason.

Two managers approving at once refund once: the approval first claims the request with a conditional
update (`pending → approved` where it is still pending; on PostgreSQL the second update waits for the
first's row lock and then finds it no longer pending). The second manager is answered the request as
the first left it. A refund at the till is recorded in the claim's transaction; a refund through the
provider is claimed with the approval (a pending ProviderRefund under the request's key, committed before the
provider is asked: no transaction is open across the call); if the provider refuses it, the claim is withdrawn
(the request waits again); if its answer never comes, finance's poller asks again under the same number and
the request follows the refund (domain/refunds.py). Each change of state is
announced (`finance.refund_request_changed`): the manager's queue and the cashier's invoice follow it."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import rowcount, utcnow
from services.common.errors import Conflict

from ..models import Invoice, Payment, Refund, RefundRequest
from . import refunds
from .common import by_key, get_locked, get_or_404, illegal, newest_first, require_manager
from .payments import check_refund_amount, refund_limit
from .refunds import APPROVED, DECLINED, PENDING


def _key(request: RefundRequest) -> str:
    return f"refund-request:{request.id}"


def _waiting(session: Session, payment_id: str) -> int:
    """What requests on the payment still wait for a manager."""
    return int(session.execute(select(func.coalesce(func.sum(RefundRequest.amount_fen), 0)).where(
        RefundRequest.payment_id == payment_id, RefundRequest.status == PENDING)).scalar_one())


def ask(session: Session, caller: Caller, payment_id: str, data: dict, key: str | None = None) -> RefundRequest:
    """Ask a manager for a refund above the store's limit (a retry with the same key answers the first ask)."""
    if (found := by_key(session, RefundRequest, key)) is not None:
        if (found.payment_id, found.amount_fen) != (payment_id, data["amount_fen"]):
            raise Conflict("This Idempotency-Key was already used for a different refund request.",
                           code="idempotency_key_reused")
        return found
    head = get_or_404(session, Payment, payment_id, "payment")
    caller.require_store(head.store_id)
    payment = get_locked(session, Payment, payment_id, "payment")  # two asks on one payment: one after the other
    invoice = session.get(Invoice, payment.invoice_id) if payment.invoice_id else None
    amount = data["amount_fen"]
    check_refund_amount(payment, invoice, amount, refunds.held(session, payment_id) + _waiting(session, payment_id))
    limit = refund_limit(session, payment.store_id)
    if amount <= limit:
        raise Conflict(f"A refund of at most {limit} fen needs no manager: refund it at the till.",
                       fields={"amount_fen": [f"At most {limit}: no approval needed."]},
                       code="refund_within_limit", params={"limit_fen": limit})
    request = RefundRequest(payment_id=payment.id, invoice_id=payment.invoice_id, store_id=payment.store_id,
                            customer_id=payment.customer_id, method=payment.method, amount_fen=amount,
                            currency=payment.currency, reason=data["reason"], status=PENDING,
                            requested_by=caller.user_id, idempotency_key=key)
    session.add(request)
    session.flush()
    _audit(session, caller, "refund_requested", request, {"reason": request.reason, "limit_fen": limit})
    refunds.request_changed(session, request)
    return request


def get_request(session: Session, caller: Caller, request_id: str) -> RefundRequest:
    request = get_or_404(session, RefundRequest, request_id, "refund request")
    caller.require_store(request.store_id)
    return request


def list_requests(session: Session, stores: list[str] | None, params: dict) -> list[RefundRequest]:
    """Newest first (the queue: `status=pending`)."""
    return newest_first(session, RefundRequest, stores, params, ("status", "invoice_id", "payment_id"))


def invoice_numbers(session: Session, requests: list[RefundRequest]) -> dict[str, tuple[str, str | None]]:
    """invoice id → (its number, its car) for the requests' invoices."""
    ids = {r.invoice_id for r in requests if r.invoice_id}
    if not ids:
        return {}
    return {row.id: (row.number, row.vehicle_id) for row in session.execute(
        select(Invoice.id, Invoice.number, Invoice.vehicle_id).where(Invoice.id.in_(ids)))}


def _claim(session: Session, caller: Caller, request: RefundRequest, status: str, reason: str | None = None) -> bool:
    """pending → `status` by this manager, if it is still pending (the conditional update: one manager wins)."""
    claimed = rowcount(session.execute(update(RefundRequest).where(
        RefundRequest.id == request.id, RefundRequest.status == PENDING).values(
        status=status, decided_by=caller.user_id, decided_at=utcnow(), decline_reason=reason)
        .execution_options(synchronize_session=False)))
    session.refresh(request)
    return bool(claimed)


def _decidable(session: Session, caller: Caller, request_id: str) -> RefundRequest:
    request = get_request(session, caller, request_id)
    require_manager(caller, "A refund above the store's limit")
    return request


def claim_approval(session: Session, caller: Caller, providers, request_id: str) -> tuple[RefundRequest, bool]:
    """The request and whether this manager's approval won it (pending → approved, one manager wins); a declined
    one cannot be approved. A payment a provider took: its refund is claimed in the same transaction (a pending
    ProviderRefund, `provider_refund_id`), the approval recorded and announced; the caller commits, then asks the
    provider (the poller asks again if its answer never comes). At the till the caller `carry_out`s it."""
    request = _decidable(session, caller, request_id)
    won = request.status == PENDING and _claim(session, caller, request, APPROVED)
    if request.status == DECLINED:
        raise illegal("refund_request", request.status, "approved")
    if won and refunds.intent_of(session, request.payment_id) is not None:
        made, _ = refunds.refund(session, caller, providers, request.payment_id, _data(request), _key(request))
        request.provider_refund_id = made.id
        session.flush()
        _audit(session, caller, "refund_request_approved", request, {"provider_refund_id": made.id})
        refunds.request_changed(session, request)
    return request, won


def _data(request: RefundRequest) -> dict:
    return {"amount_fen": request.amount_fen, "reason": request.reason}


def carry_out(session: Session, caller: Caller, providers, request: RefundRequest) -> RefundRequest:
    """Make the approved request's refund at the till, once (its key)."""
    made, _ = refunds.refund(session, caller, providers, request.payment_id, _data(request), _key(request))
    if isinstance(made, Refund):
        refunds.request_refunded(session, request, made)
    _audit(session, caller, "refund_request_approved", request, {"refund_id": request.refund_id})
    refunds.request_changed(session, request)
    return request


def decline(session: Session, caller: Caller, request_id: str, reason: str) -> RefundRequest:
    """Decline with a reason: nothing is refunded; a request already decided cannot be declined."""
    request = _decidable(session, caller, request_id)
    won = request.status == PENDING and _claim(session, caller, request, DECLINED, reason)
    if not won and request.status == DECLINED and request.decided_by == caller.user_id:
        return request  # a retry of the same decline
    if not won:
        raise illegal("refund_request", request.status, "declined")
    _audit(session, caller, "refund_request_declined", request, {"reason": reason})
    refunds.request_changed(session, request)
    return request


def _audit(session: Session, caller: Caller, action: str, request: RefundRequest, details: dict) -> None:
    """On the invoice's trail (a deposit's when there is no invoice yet), as refunds are."""
    document = ("invoice", request.invoice_id) if request.invoice_id else ("deposit", request.payment_id)
    record_audit(session, caller, action, *document, store_id=request.store_id, details={
        "refund_request_id": request.id, "payment_id": request.payment_id, "amount_fen": request.amount_fen,
        **details})
