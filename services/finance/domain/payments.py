"""Payments at the till and refunds.

A payment locks its invoice row (two tills paying at once are serialised; the second sees what the
first collected), refuses more than is due, and is deduplicated by its idempotency key (a retry
after a timeout returns the first payment). Cash is taken to the fen: no rounding to the jiao (抹零)
is applied by the system; a store that waives small change records it as a discount at quoting.

Postings: money in: Dr method account · Cr 1122 AR. Stored value: Dr 2205 (paid part) · Dr 4101
(bonus part) · Cr 1122. Package: Dr 2206 (the unit's share of the price) · Dr/Cr 4101 (difference to
the line's price) · Cr 1122. When the card's store is not the serving store, the serving store books
Dr 1190 due-from instead of the liability and the card's store books Dr liability · Cr 2190 due-to,
and an inter-store settlement is recorded. A refund is the payment's posting reversed with 4102
refunds in place of AR, for the refunded amount; the VAT inside it (the invoice's VAT in proportion)
then moves from 4102 to 2221, so refunds are reported tax excluded and VAT payable comes down."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.money import round_fen
from services.common.outbox import record_event
from services.common.policy import MANAGERS, manages

from ..models import CardTransaction, InterStoreSettlement, Invoice, MemberCard, Payment, Refund
from . import fapiao, health_records, ledger
from .cards import check_usable, split_stored_value, unit_value
from .common import by_key, get_locked, illegal, newest_first
from .invoices import PAID, VOID, announce_paid, status_after
from .ledger import AR, DEPOSITS, DISCOUNTS, DUE_FROM, DUE_TO, PACKAGES, REFUNDS, STORED_VALUE, VAT

CARD_METHODS = {"stored_value": STORED_VALUE, "package": PACKAGES}


def money_postings(method: str, serving_store: str, card_store: str | None, liability_fen: int,
                   amount_fen: int, counter: str = AR) -> dict[str, list[tuple[str, int, int]]]:
    """store → journal lines of money coming in by `method` against `counter` (see module doc)."""
    if method not in CARD_METHODS or card_store is None:  # (a deposit by card method names no card)
        return {serving_store: [(ledger.money_account(method), amount_fen, 0), (counter, 0, amount_fen)]}
    liability = CARD_METHODS[method]
    same = card_store == serving_store
    postings = {serving_store: [(liability if same else DUE_FROM, liability_fen, 0),
                                (DISCOUNTS, amount_fen - liability_fen, 0), (counter, 0, amount_fen)]}
    if not same:
        postings[card_store] = [(liability, liability_fen, 0), (DUE_TO, 0, liability_fen)]
    return postings


def refund_postings(method: str, serving_store: str, card_store: str | None, liability_fen: int,
                    amount_fen: int) -> dict[str, list[tuple[str, int, int]]]:
    return {store: ledger.reversal(lines) for store, lines in money_postings(
        method, serving_store, card_store, liability_fen, amount_fen, counter=REFUNDS).items()}


def _post(session: Session, postings: dict, *, source_type: str, source_id: str, memo: str) -> None:
    for store_id, lines in postings.items():
        ledger.post_journal_entry(session, store_id, lines, source_type=source_type, source_id=source_id, memo=memo)


def _replay(found: Payment, invoice_id: str, data: dict) -> Payment:
    if found.invoice_id != invoice_id or found.amount_fen != data["amount_fen"] or found.method != data["method"]:
        raise Conflict("This Idempotency-Key was already used for a different payment.",
                       fields={"idempotency_key": ["Used for another request."]}, code="idempotency_key_reused")
    return found


def take_payment(session: Session, caller: Caller, invoice_id: str, data: dict,
                 key: str | None = None) -> tuple[Payment, Invoice]:
    if (found := by_key(session, Payment, key)) is not None:
        payment = _replay(found, invoice_id, data)
        return payment, session.get_one(Invoice, invoice_id)
    invoice = get_locked(session, Invoice, invoice_id, "invoice")
    caller.require_store(invoice.store_id)
    if (found := by_key(session, Payment, key)) is not None:  # the same request, committed while we waited
        return _replay(found, invoice_id, data), invoice
    if invoice.status in (PAID, VOID):
        raise illegal("invoice", invoice.status, "paid")
    amount, method = data["amount_fen"], data["method"]
    if amount > invoice.due_fen:
        raise Invalid(f"Only {invoice.due_fen} fen is due; overpayment is refused.",
                      fields={"amount_fen": [f"At most {invoice.due_fen}."]}, code="overpayment",
                      params={"due_fen": str(invoice.due_fen)})
    day = ledger.business_date(session, invoice.store_id)
    payment = Payment(kind="payment", invoice_id=invoice.id, order_id=invoice.order_id, store_id=invoice.store_id,
                      customer_id=invoice.customer_id, method=method, amount_fen=amount, refunded_fen=0,
                      currency=invoice.currency, reference=data.get("reference"), idempotency_key=key,
                      received_by=caller.user_id, received_at=utcnow(), business_date=day, liability_fen=0)
    card = None
    if method in CARD_METHODS:
        card = _draw_on_card(session, invoice, payment, data, day)
    session.add(payment)
    session.flush()
    _post(session, money_postings(method, invoice.store_id, card.store_id if card else None, payment.liability_fen,
                                  amount), source_type="payment", source_id=payment.id,
          memo=f"{method} payment on {invoice.number}")
    if card is not None and card.store_id != invoice.store_id:
        session.add(InterStoreSettlement(card_id=card.id, payment_id=payment.id, debtor_store_id=card.store_id,
                                         creditor_store_id=invoice.store_id, amount_fen=payment.liability_fen,
                                         currency=invoice.currency))
    before = {"paid_fen": invoice.paid_fen, "status": invoice.status}
    invoice.paid_fen += amount
    invoice.status = status_after(invoice.total_fen, invoice.paid_fen)
    record_audit(session, caller, "payment_taken", "invoice", invoice.id, store_id=invoice.store_id, details={
        "payment_id": payment.id, "method": method, "amount_fen": amount, "card_id": payment.card_id,
        "before": before, "after": {"paid_fen": invoice.paid_fen, "status": invoice.status}})
    if card is not None:
        _audit_card_use(session, caller, card, payment)
    record_event(session, "payment_received", {
        "payment_id": payment.id, "invoice_id": invoice.id, "order_id": invoice.order_id,
        "store_id": invoice.store_id, "customer_id": invoice.customer_id, "method": method,
        "amount_fen": amount, "due_fen": invoice.due_fen}, store_id=invoice.store_id)
    if invoice.status == PAID:
        invoice.paid_at = payment.received_at
        announce_paid(session, invoice)
    session.flush()
    return payment, invoice


def _audit_card_use(session: Session, caller: Caller, card: MemberCard, payment: Payment) -> None:
    if payment.method == "package":
        item = next(i for i in card.items if i.service_code == payment.service_code)
        record_audit(session, caller, "package_redeemed", "member_card", card.id, store_id=payment.store_id,
                     details={"payment_id": payment.id, "invoice_id": payment.invoice_id,
                              "service_code": item.service_code, "amount_fen": payment.amount_fen,
                              "value_fen": payment.liability_fen, "units_left": item.units_left})
        return
    record_audit(session, caller, "card_charged", "member_card", card.id, store_id=payment.store_id, details={
        "payment_id": payment.id, "invoice_id": payment.invoice_id, "amount_fen": payment.amount_fen,
        "paid_fen": payment.liability_fen, "bonus_fen": payment.amount_fen - payment.liability_fen,
        "balance_after_fen": card.paid_balance_fen + card.bonus_balance_fen})


def _draw_on_card(session: Session, invoice: Invoice, payment: Payment, data: dict, day) -> MemberCard:
    if not data.get("card_id"):
        raise Invalid("Card payments name the card.", fields={"card_id": ["Required for this method."]},
                      code="card_required")
    card = session.execute(select(MemberCard).where(MemberCard.id == data["card_id"]).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one_or_none()
    if card is None:
        raise Invalid("No such member card.", fields={"card_id": ["Unknown card."]}, code="unknown_card")
    check_usable(card, invoice.customer_id, day)
    payment.card_id = card.id
    amount = payment.amount_fen
    if payment.method == "stored_value":
        if card.kind != "stored_value":
            raise Invalid("That card is not a stored-value card.", fields={"card_id": [card.kind]},
                          code="card_not_stored_value", params={"kind": card.kind})
        if amount > card.paid_balance_fen + card.bonus_balance_fen:
            raise Conflict(f"The card holds only {card.paid_balance_fen + card.bonus_balance_fen} fen.",
                           fields={"amount_fen": ["More than the card's balance."]},
                           code="card_balance_short",
                           params={"balance_fen": str(card.paid_balance_fen + card.bonus_balance_fen)})
        paid, bonus = split_stored_value(card.paid_balance_fen, card.bonus_balance_fen, amount)
        card.paid_balance_fen -= paid
        card.bonus_balance_fen -= bonus
        payment.liability_fen = paid
        session.add(CardTransaction(card_id=card.id, store_id=invoice.store_id, kind="payment", payment_id=payment.id,
                                    paid_delta_fen=-paid, bonus_delta_fen=-bonus, business_date=day,
                                    created_by=payment.received_by))
        return card
    if card.kind != "package":
        raise Invalid("That card is not a service-package card.", fields={"card_id": [card.kind]},
                      code="card_not_package", params={"kind": card.kind})
    code = data.get("service_code")
    item = next((i for i in card.items if i.service_code == code), None)
    if item is None:
        raise Invalid("The package does not cover that service.", fields={"service_code": ["Not on the card."]},
                      code="service_not_on_card")
    if item.units_left < 1:
        raise Conflict(f"No {item.name} left on the card.", fields={"service_code": ["Used up."]},
                       code="service_used_up", params={"service": item.name})
    covered = sum(line.total_fen for line in invoice.lines if line.op_code == code)
    already = sum(p.amount_fen for p in session.execute(select(Payment).where(
        Payment.invoice_id == invoice.id, Payment.method == "package", Payment.service_code == code)).scalars())
    if covered - already <= 0:
        raise Invalid("The invoice has no unpaid line for that service.", fields={"service_code": ["Not billed."]},
                      code="service_not_billed")
    if amount > covered - already:
        raise Invalid(f"A redemption covers the service's line: at most {covered - already} fen.",
                      fields={"amount_fen": [f"At most {covered - already}."]},
                      code="redemption_above_line", params={"max_fen": str(covered - already)})
    value = unit_value(item.value_left_fen, item.units_left)
    item.units_left -= 1
    item.value_left_fen -= value
    card.package_value_fen -= value
    payment.service_code = code
    payment.liability_fen = value
    session.add(CardTransaction(card_id=card.id, store_id=invoice.store_id, kind="redemption", payment_id=payment.id,
                                service_code=code, units_delta=-1, paid_delta_fen=-value, business_date=day,
                                created_by=payment.received_by))
    return card


def get_payment(session: Session, caller: Caller, payment_id: str) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("No such payment.")
    caller.require_store(payment.store_id)
    return payment


def payments_of(session: Session, invoice_id: str) -> list[Payment]:
    return list(session.execute(select(Payment).where(Payment.invoice_id == invoice_id)
                                .order_by(Payment.id)).scalars())


def refund_payment(session: Session, caller: Caller, payment_id: str, data: dict,
                   key: str | None = None) -> tuple[Refund, Payment]:
    """Refund (part of) a payment to where it came from; never more than is left of it; above the
    store's limit only a manager may. A stored-value refund goes back onto the card (paid and bonus
    in the payment's proportion); a package redemption is refunded whole (the unit goes back)."""
    if (found := by_key(session, Refund, key)) is not None:
        if found.payment_id != payment_id or found.amount_fen != data["amount_fen"]:
            raise Conflict("This Idempotency-Key was already used for a different refund.",
                           code="idempotency_key_reused")
        return found, session.get_one(Payment, payment_id)
    head = session.get(Payment, payment_id)
    if head is None:
        raise NotFound("No such payment.")
    caller.require_store(head.store_id)
    invoice = get_locked(session, Invoice, head.invoice_id, "invoice") if head.invoice_id else None
    payment = get_locked(session, Payment, payment_id, "payment")
    if (found := by_key(session, Refund, key)) is not None:
        return found, payment
    amount = data["amount_fen"]
    approved_by = check_refund(session, caller, payment, invoice, amount)
    day = ledger.business_date(session, payment.store_id)
    refund = Refund(payment_id=payment.id, invoice_id=payment.invoice_id, order_id=payment.order_id,
                    store_id=payment.store_id, customer_id=payment.customer_id, method=payment.method,
                    amount_fen=amount, currency=payment.currency, reason=data["reason"], requested_by=caller.user_id,
                    approved_by=approved_by, idempotency_key=key, business_date=day)
    session.add(refund)
    session.flush()
    liability_back = 0
    card = None
    if payment.card_id:
        card = get_locked(session, MemberCard, payment.card_id, "member card")
        liability_back = _back_to_card(session, card, payment, refund, day)
    from_deposits = unapplied_part(payment, invoice, amount)
    postings = refund_postings(payment.method, payment.store_id, card.store_id if card else None,
                               liability_back, amount - from_deposits)
    vat = refund_vat(invoice, amount - from_deposits)
    if vat:  # the VAT inside the refunded price is no longer owed: revenue and VAT both come down
        postings.setdefault(payment.store_id, []).extend([(VAT, vat, 0), (REFUNDS, 0, vat)])
    if from_deposits:  # money still held as a prepayment goes back from customer deposits, not revenue
        postings.setdefault(payment.store_id, []).extend([
            (DEPOSITS, from_deposits, 0), (ledger.money_account(payment.method), 0, from_deposits)])
    _post(session, postings, source_type="refund", source_id=refund.id, memo=f"Refund of {payment.method} payment")
    if card is not None and card.store_id != payment.store_id:
        session.add(InterStoreSettlement(card_id=card.id, payment_id=payment.id, debtor_store_id=card.store_id,
                                         creditor_store_id=payment.store_id, amount_fen=-liability_back,
                                         currency=payment.currency))
    refunded_before = payment.refunded_fen
    payment.refunded_fen += amount
    if invoice is not None:
        invoice.refunded_fen += amount - from_deposits
        if invoice.refunded_fen >= invoice.total_fen:  # refunded whole: its fapiao is reversed (红冲) or cancelled
            fapiao.reverse_refunded(session, caller, invoice.id)
        if amount > from_deposits:  # an uploaded health record cannot be corrected: the manager is told
            health_records.note_refund(session, invoice)
    details = {"refund_id": refund.id, "payment_id": payment.id, "method": payment.method, "amount_fen": amount,
               "approved_by": approved_by, "payment_refunded_fen": {"before": refunded_before,
                                                                    "after": payment.refunded_fen}}
    if payment.invoice_id:
        record_audit(session, caller, "refund_issued", "invoice", payment.invoice_id, store_id=payment.store_id,
                     details={**details, "from_deposit_fen": from_deposits})
    else:
        record_audit(session, caller, "deposit_refunded", "deposit", payment.id, store_id=payment.store_id,
                     details=details)
    if card is not None:
        record_audit(session, caller, "card_refunded", "member_card", card.id, store_id=payment.store_id,
                     details={"refund_id": refund.id, "payment_id": payment.id, "amount_fen": amount,
                              "paid_back_fen": liability_back, "service_code": payment.service_code})
    if payment.invoice_id:  # a deposit returned before any invoice was never spend: nothing to announce
        record_event(session, "refund_issued", {
            "refund_id": refund.id, "payment_id": payment.id, "invoice_id": payment.invoice_id,
            "order_id": payment.order_id, "store_id": payment.store_id, "customer_id": payment.customer_id,
            "amount_fen": amount, "method": payment.method}, store_id=payment.store_id)
    session.flush()
    return refund, payment


def check_refund(session: Session, caller: Caller, payment: Payment, invoice: Invoice | None, amount: int,
                 held_fen: int = 0) -> str | None:
    """The refund rules (the invoice paid, never more than is left of the payment less `held_fen` asked of a
    provider and not yet confirmed, a manager above the store's limit, a package whole); answers who
    approved it (a manager, or None)."""
    check_refund_amount(payment, invoice, amount, held_fen)
    limit = refund_limit(session, payment.store_id)
    approved_by = None
    if amount > limit:
        if not manages(caller):
            raise Forbidden(f"Refunds above {limit} fen need a store manager's approval.", code="refund_needs_manager",
                            params={"limit_fen": limit})
        approved_by = caller.user_id
    elif caller.role in MANAGERS:
        approved_by = caller.user_id
    return approved_by


def refund_limit(session: Session, store_id: str) -> int:
    """The largest refund the store's till makes without a manager."""
    return ledger.settings_of(session, store_id).refund_approval_limit_fen


def check_refund_amount(payment: Payment, invoice: Invoice | None, amount: int, held_fen: int = 0) -> None:
    """The refund rules on the amount (see `check_refund`), whoever refunds it."""
    if invoice is not None and invoice.status != PAID and unapplied_part(payment, invoice, amount) < amount:
        raise illegal("invoice", invoice.status, "refunded before it is paid")
    left = payment.amount_fen - payment.refunded_fen - held_fen
    if amount > left:
        raise Invalid(f"Only {left} fen of this payment can still be refunded.",
                      fields={"amount_fen": [f"At most {left}."]},
                      code="refund_above_left", params={"left_fen": str(left)})
    if payment.method == "package" and amount != payment.amount_fen:
        raise Invalid("A package redemption is refunded whole (the service unit goes back on the card).",
                      fields={"amount_fen": [f"Must be {payment.amount_fen}."]},
                      code="package_refund_whole", params={"amount_fen": str(payment.amount_fen)})


def refund_vat(invoice: Invoice | None, refunded_fen: int) -> int:
    """The VAT share of a refund against an invoice: the invoice's VAT in proportion to its total."""
    if invoice is None or refunded_fen <= 0 or not invoice.total_fen:
        return 0
    return round_fen(Decimal(refunded_fen) * invoice.tax_fen / invoice.total_fen)


def unapplied_part(payment: Payment, invoice: Invoice | None, amount: int) -> int:
    """How much of a refund of `payment` comes out of money still held as a deposit: a deposit no
    invoice consumed, or what was left of it over the invoice's total (refunded first)."""
    if payment.kind != "deposit":
        return 0
    applied = invoice.deposit_fen if invoice is not None else 0
    unapplied = payment.amount_fen - applied
    refunded_unapplied = min(payment.refunded_fen, unapplied)
    return max(0, min(amount, unapplied - refunded_unapplied))


def _back_to_card(session: Session, card: MemberCard, payment: Payment, refund: Refund, day) -> int:
    if payment.method == "package":
        item = next(i for i in card.items if i.service_code == payment.service_code)
        item.units_left += 1
        item.value_left_fen += payment.liability_fen
        card.package_value_fen += payment.liability_fen
        session.add(CardTransaction(card_id=card.id, store_id=payment.store_id, kind="refund", payment_id=payment.id,
                                    service_code=item.service_code, units_delta=1,
                                    paid_delta_fen=payment.liability_fen, business_date=day))
        return payment.liability_fen
    if card.status != "active":
        raise illegal("card", card.status, "refunded onto")
    paid_back_before = sum(t.paid_delta_fen for t in session.execute(select(CardTransaction).where(
        CardTransaction.payment_id == payment.id, CardTransaction.kind == "refund")).scalars())
    remaining_paid = payment.liability_fen - paid_back_before
    remaining = payment.amount_fen - payment.refunded_fen
    paid, bonus = split_stored_value(remaining_paid, remaining - remaining_paid, refund.amount_fen)
    card.paid_balance_fen += paid
    card.bonus_balance_fen += bonus
    session.add(CardTransaction(card_id=card.id, store_id=payment.store_id, kind="refund", payment_id=payment.id,
                                paid_delta_fen=paid, bonus_delta_fen=bonus, business_date=day))
    return paid


def list_payments(session: Session, stores: list[str] | None, params: dict) -> list[Payment]:
    on_the_day = [Payment.business_date == params["date"]] if params.get("date") else []
    return newest_first(session, Payment, stores, params, ("method",), *on_the_day)
