"""Negotiating the price: discounts on a line or the whole quote, a manager's approval or rejection
above the store's limit or below cost, and repricing after every change."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.outbox import record_event
from services.common.policy import MANAGERS

from ...models import Quote, QuoteLine, StoreSettings
from .. import pricing
from ..settings import discount_limit, settings_of
from .base import editable, get_quote, require_state


def _discount(kind: str | None, value) -> pricing.Discount | None:
    if not kind or value is None or Decimal(value) == 0:
        return None
    return pricing.Discount(kind, Decimal(value))


def set_line_discount(line: QuoteLine, data: dict) -> None:
    line.discount_kind, line.discount_value = data["kind"], data["value"]
    line.discount_reason = data.get("reason")
    if not _discount(line.discount_kind, line.discount_value):
        line.discount_kind = line.discount_value = line.discount_reason = None


def note_discounter(quote: Quote, caller: Caller) -> None:
    quote.discount_by, quote.discount_role = caller.user_id, caller.role


def set_discount(session: Session, caller: Caller, quote_id: str, data: dict) -> Quote:
    """A percent or amount off one line (`line_id`) or the whole quote, with a reason;
    a value of 0 removes it."""
    quote = editable(session, caller, quote_id)
    before = {"discount_fen": quote.discount_fen, "total_fen": quote.total_fen}
    if data.get("line_id"):
        line = next((line for line in quote.lines if line.id == data["line_id"]), None)
        if line is None:
            raise NotFound(f"The quote has no line {data['line_id']}.")
        set_line_discount(line, data)
    else:
        quote.discount_kind, quote.discount_value = data["kind"], data["value"]
        quote.discount_reason = data.get("reason")
        if not _discount(quote.discount_kind, quote.discount_value):
            quote.discount_kind = quote.discount_value = quote.discount_reason = None
    note_discounter(quote, caller)
    quote.rejected_by = quote.rejected_at = quote.rejection_reason = None  # a new discount is a new request
    reprice(session, quote, settings_of(session, quote.store_id))
    record_audit(session, caller, "discount_set", "quote", quote.id, store_id=quote.store_id, details={
        "line_id": data.get("line_id"), "kind": data["kind"], "value": data["value"], "before": before,
        "after": {"discount_fen": quote.discount_fen, "total_fen": quote.total_fen},
        "approval_status": quote.approval_status})
    return quote


def _awaiting_decision(session: Session, caller: Caller, quote_id: str, action: str
                       ) -> tuple[Quote, StoreSettings, pricing.QuotePrice]:
    """The quote (locked and repriced) whose discount or below-cost price waits for a manager."""
    if caller.role not in MANAGERS:
        raise Forbidden("Only a store manager or HQ approves discounts and prices below cost.", code="needs_manager")
    quote = get_quote(session, caller, quote_id, lock=True)
    require_state(quote, ("draft", "presented", "approved", "partially_approved"), action)
    settings = settings_of(session, quote.store_id)
    price = reprice(session, quote, settings)
    if quote.approval_status != "pending":
        raise Conflict("Nothing on this quote waits for approval.", code="approval_not_pending",
                       params={"status": quote.approval_status})
    return quote, settings, price


def approve(session: Session, caller: Caller, quote_id: str, note: str | None) -> Quote:
    """A manager approves the discount as it stands and any line below cost, up to the
    manager's own limit (deeper discounts need HQ)."""
    quote, settings, price = _awaiting_decision(session, caller, quote_id, "approving a discount")
    limit = discount_limit(settings, caller.role)
    if price.max_negotiated_pct > limit:
        raise Forbidden(f"A discount of {_pct(price.max_negotiated_pct)}% is above your own limit of {limit}%; "
                        "HQ must approve it.", code="discount_above_own_limit",
                        params={"pct": _pct(price.max_negotiated_pct), "limit": str(limit)})
    quote.approved_pct = price.max_negotiated_pct.quantize(Decimal("0.001"), rounding="ROUND_CEILING")
    quote.approved_below_cost = list(price.below_cost)
    quote.approved_by, quote.approved_at, quote.approval_note = caller.user_id, utcnow(), note
    reprice(session, quote, settings)
    record_audit(session, caller, "discount_approved", "quote", quote.id, store_id=quote.store_id, details={
        "approved_pct": quote.approved_pct, "below_cost_lines": quote.approved_below_cost,
        "discount_fen": quote.discount_fen, "total_fen": quote.total_fen})
    return quote


def reject(session: Session, caller: Caller, quote_id: str, reason: str) -> Quote:
    """A manager refuses the discount (or below-cost price) with a reason: the quote is neither
    presented nor signed until the advisor changes the discount, which asks again."""
    quote, _settings, _price = _awaiting_decision(session, caller, quote_id, "rejecting a discount")
    quote.rejected_by, quote.rejected_at, quote.rejection_reason = caller.user_id, utcnow(), reason
    quote.approval_status = "rejected"
    session.flush()
    approval_changed(session, quote)
    record_audit(session, caller, "discount_rejected", "quote", quote.id, store_id=quote.store_id, details={
        "reason": reason, "needs": quote.approval_needs, "discount_fen": quote.discount_fen,
        "total_fen": quote.total_fen})
    return quote


def _pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding='ROUND_HALF_UP')}"


def reprice(session: Session, quote: Quote, settings: StoreSettings) -> pricing.QuotePrice:
    """Recompute every line and the totals, then what still needs approval."""
    inputs = [pricing.LineInput(
        key=line.id, qty=Decimal(line.qty), unit_price_fen=line.unit_price_fen,
        discount=_discount(line.discount_kind, line.discount_value),
        package_discount_fen=line.package_discount_fen or 0, unit_cost_fen=line.unit_cost_fen,
        included=line.decision != "declined") for line in quote.lines]
    quote_discount = _discount(quote.discount_kind, quote.discount_value)
    try:
        price = pricing.price_quote(inputs, tax_rate=Decimal(quote.tax_rate), tax_inclusive=quote.tax_inclusive,
                                    quote_discount=quote_discount)
    except pricing.PricingError as exc:
        if quote.state != "draft" and quote_discount and quote_discount.kind == pricing.AMOUNT:
            # an amount off the whole quote that is now more than the approved lines: all of them free
            price = pricing.price_quote(inputs, tax_rate=Decimal(quote.tax_rate), tax_inclusive=quote.tax_inclusive,
                                        quote_discount=pricing.Discount(pricing.PERCENT, Decimal(100)))
        else:
            raise Invalid(str(exc), fields={"value": [str(exc)]}, code="discount_invalid") from exc
    for line in quote.lines:
        amounts = price.lines[line.id]
        line.gross_fen, line.discount_fen, line.net_fen = amounts.gross_fen, amounts.discount_fen, amounts.net_fen
        line.tax_fen, line.excl_tax_fen, line.total_fen = amounts.tax_fen, amounts.excl_tax_fen, amounts.total_fen
    quote.subtotal_fen, quote.discount_fen, quote.tax_fen = price.subtotal_fen, price.discount_fen, price.tax_fen
    quote.total_excl_tax_fen, quote.total_fen = price.total_excl_tax_fen, price.total_fen

    reasons, needs = [], []
    limit = discount_limit(settings, quote.discount_role)
    approved_pct = Decimal(quote.approved_pct) if quote.approved_pct is not None else None
    if price.max_negotiated_pct > limit and (approved_pct is None or price.max_negotiated_pct > approved_pct):
        reasons.append(f"A discount of {_pct(price.max_negotiated_pct)}% is above the {limit}% "
                       f"a {quote.discount_role or 'user'} may give.")
        needs.append({"code": "discount_above_limit", "pct": _pct(price.max_negotiated_pct), "limit": str(limit),
                      "role": quote.discount_role})
    below = [key for key in price.below_cost if key not in (quote.approved_below_cost or [])]
    for line in quote.lines:
        if line.id in below:
            reasons.append(f"{line.description} is priced below its cost.")
            needs.append({"code": "below_cost", "line": line.description})
    quote.approval_reasons, quote.approval_needs = reasons, needs
    waiting = "rejected" if quote.rejected_by else "pending"
    before = quote.approval_status
    quote.approval_status = waiting if reasons else ("approved" if quote.approved_by else "not_required")
    session.flush()
    if "pending" in (before, quote.approval_status) and before != quote.approval_status:
        approval_changed(session, quote)
    return price


def approval_changed(session: Session, quote: Quote) -> None:
    """`sales.quote_approval_changed`: the store's approval queue gains or loses the quote (the live stream)."""
    record_event(session, "quote_approval_changed", {
        "quote_id": quote.id, "store_id": quote.store_id, "approval_status": quote.approval_status,
        "changed_at": utcnow().isoformat()}, store_id=quote.store_id)


def require_approved_discount(quote: Quote, action: str) -> None:
    """A quote whose discount (or below-cost price) waits for a manager's approval is neither
    shown to the customer nor signed: the customer would see a price the store has not agreed to."""
    if quote.approval_status == "pending":
        raise Conflict(f"The quote waits for a manager's approval and cannot be {action}: "
                       + " ".join(quote.approval_reasons), fields={"approval_status": ["pending"]},
                       code="discount_approval_pending")
    if quote.approval_status == "rejected":
        raise Conflict(f"A manager rejected the discount ({quote.rejection_reason}); change it before the quote "
                       f"is {action}.", fields={"approval_status": ["rejected"]}, code="discount_rejected",
                       params={"reason": quote.rejection_reason})
