"""Invoices: the billing basis stored from `sales.order_confirmed` (with its deposit, a prepayment),
the invoice issued once per order from `workshop.work_order_completed` (contracted lines at contracted
prices; parts billed at the quantity actually used), voiding, and order cancellation.

Posting at issue (per store):   Dr 1122 AR total · Dr 4101 discounts · Cr 4001/4002/4003 revenue
(net + discount per kind) · Cr 2221 VAT.  A consumed deposit: Dr 2203 · Cr 1122."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.common.money import gross_fen, round_fen, split_tax, to_qty
from services.common.outbox import record_event

from ..models import (AccountCharge, BillingBasis, InsuranceClaim, Invoice, InvoiceJob, InvoiceLine, Payment,
                      Refund)
from . import cohorts, health_records, kpi_days, ledger
from .common import get_locked, illegal, newest_first, require_manager
from .ledger import AR, DEPOSITS, DISCOUNTS, REVENUE, VAT, credit, debit

ISSUED, PARTIALLY_PAID, PAID, VOID = "issued", "partially_paid", "paid", "void"


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- pure billing rules -------------------------------------------------------------------------------
def scale_line(line: dict, qty_used: Decimal) -> dict:
    """A contracted part line billed at the quantity actually used, by the same line rule as the
    quote (so the statement's unit price × quantity − discount is its amount): the contracted unit
    price, the discount pro rata, VAT at the line's rate in the pricing mode it was contracted in."""
    qty = to_qty(line["qty"])
    used = to_qty(qty_used)
    if used == qty:
        return {**line, "qty": qty}
    ratio = used / qty if qty else Decimal(0)
    gross = gross_fen(used, line["unit_price_fen"])
    discount = min(round_fen(Decimal(line["discount_fen"]) * ratio), gross)
    _excl, tax, total = split_tax(gross - discount, Decimal(line["tax_rate"]), prices_include_tax(line))
    return {**line, "qty": used, "total_fen": total, "tax_fen": tax, "discount_fen": discount}


def prices_include_tax(line: dict) -> bool:
    """Whether a contracted line was priced tax included: its total is then quantity × unit price −
    discount, where a tax-exclusive total has the VAT on top (a line without VAT is either)."""
    return line["total_fen"] + line["discount_fen"] == gross_fen(to_qty(line["qty"]), line["unit_price_fen"])


def bill_lines(contract_lines: list[dict], parts_used: list[dict]) -> tuple[list[dict], list[dict]]:
    """(lines to bill, parts used with no contracted line). Labour and fees bill as contracted; part
    lines bill what was used (matched by line id, else by SKU); a part line nothing was used of drops."""
    used_by_line: dict[str, Decimal] = {}
    used_by_sku: dict[str, Decimal] = {}
    for part in parts_used:
        qty = to_qty(part["qty"])
        if part.get("line_id"):
            used_by_line[part["line_id"]] = used_by_line.get(part["line_id"], Decimal(0)) + qty
        else:
            used_by_sku[part["sku"]] = used_by_sku.get(part["sku"], Decimal(0)) + qty
    billed: list[dict] = []
    matched_lines: set[str] = set()
    for line in contract_lines:
        if line["kind"] != "part":
            billed.append({**line, "qty": to_qty(line["qty"])})
            continue
        used = used_by_line.pop(line["line_id"], None)
        if used is None and line.get("sku") in used_by_sku:
            used = min(used_by_sku[line["sku"]], to_qty(line["qty"])) if _more_lines_of(
                contract_lines, line, matched_lines) else used_by_sku[line["sku"]]
            used_by_sku[line["sku"]] -= used
            if not used_by_sku[line["sku"]]:
                del used_by_sku[line["sku"]]
        matched_lines.add(line["line_id"])
        if used:
            billed.append(scale_line(line, used))
    unbilled = [{"line_id": line_id, "sku": None, "qty": str(qty)} for line_id, qty in used_by_line.items()]
    unbilled += [{"line_id": None, "sku": sku, "qty": str(qty)} for sku, qty in used_by_sku.items() if qty > 0]
    return billed, unbilled


def _more_lines_of(lines: list[dict], line: dict, matched: set) -> bool:
    return any(other is not line and other["kind"] == "part" and other.get("sku") == line.get("sku")
               and other["line_id"] not in matched for other in lines)


def invoice_totals(lines: list[dict]) -> dict:
    """Per-kind revenue net of discount and tax excluded, the discount (tax included as priced), VAT
    and the tax-included total."""
    net = dict.fromkeys(REVENUE, 0)
    for line in lines:
        net[line["kind"]] += line["total_fen"] - line["tax_fen"]
    return {"labour_fen": net["labour"], "parts_fen": net["part"], "fees_fen": net["fee"],
            "discount_fen": sum(line["discount_fen"] for line in lines),
            "tax_fen": sum(line["tax_fen"] for line in lines),
            "total_fen": sum(line["total_fen"] for line in lines)}


def issue_posting(lines: list[dict]) -> list[tuple[str, int, int]]:
    """The journal lines of an issued invoice (balanced by construction: see the module doc)."""
    totals = invoice_totals(lines)
    posting = [debit(AR, totals["total_fen"]), debit(DISCOUNTS, totals["discount_fen"])]
    for kind, account in REVENUE.items():
        gross = sum(line["total_fen"] - line["tax_fen"] + line["discount_fen"] for line in lines
                    if line["kind"] == kind)
        posting.append(credit(account, gross))
    posting.append(credit(VAT, totals["tax_fen"]))
    return posting


def order_balance(session: Session, caller: Caller, order_id: str) -> dict:
    """What is still due on the order's open invoice (`invoice_id` None: not issued yet)."""
    invoice = session.execute(select(Invoice).where(Invoice.order_id == order_id,
                                                    Invoice.status != VOID)).scalar_one_or_none()
    if invoice is None:
        return {"invoice_id": None, "total_fen": None, "due_fen": None}
    caller.require_document(invoice.store_id, invoice.customer_id, "order")  # the owner accepting the car, too
    return {"invoice_id": invoice.id, "total_fen": invoice.total_fen, "due_fen": invoice.due_fen}


def status_after(total_fen: int, paid_fen: int) -> str:
    return PAID if paid_fen >= total_fen else PARTIALLY_PAID if paid_fen > 0 else ISSUED


# -- the billing basis and deposits -----------------------------------------------------------------
def record_order(session: Session, order: dict) -> BillingBasis | None:
    """Store (or refresh, while no invoice exists) what the order contracted; a deposit becomes a
    prepayment: Dr the method's account · Cr 2203 customer deposits. An order already invoiced is
    left as it is."""
    basis = session.get(BillingBasis, order["order_id"])
    invoiced = session.execute(select(Invoice.id).where(Invoice.order_id == order["order_id"],
                                                        Invoice.status != VOID)).first()
    if invoiced:
        return basis
    lines = [_plain_line(line) for line in order["lines"]]
    if basis is None:
        basis = BillingBasis(order_id=order["order_id"])
        session.add(basis)
    basis.order_number = order["order_number"]
    basis.store_id = order["store_id"]
    basis.customer_id = order["customer_id"]
    basis.vehicle_id = order.get("vehicle_id")
    basis.advisor_id = order.get("advisor_id")
    basis.lines = lines
    basis.totals = dict(order["totals"])
    basis.currency = order["totals"].get("currency", "CNY")
    basis.status = "confirmed"
    basis.confirmed_at = parse_time(order["confirmed_at"]) or utcnow()
    deposit = order.get("deposit")
    has_deposit = session.execute(select(Payment.id).where(
        Payment.order_id == order["order_id"], Payment.kind == "deposit")).first()
    if deposit and deposit["amount_fen"] > 0 and not has_deposit:
        method = deposit["method"]
        day = ledger.business_date(session, order["store_id"])
        payment = Payment(kind="deposit", order_id=order["order_id"], store_id=order["store_id"],
                          customer_id=order["customer_id"], method=method, amount_fen=deposit["amount_fen"],
                          reference=deposit.get("reference"), currency=basis.currency, business_date=day,
                          received_at=basis.confirmed_at)
        session.add(payment)
        session.flush()
        ledger.post_journal_entry(session, order["store_id"], [
            debit(ledger.money_account(method), deposit["amount_fen"]), credit(DEPOSITS, deposit["amount_fen"])],
            source_type="deposit", source_id=payment.id, memo=f"Deposit for order {order['order_number']}", day=day)
        record_audit(session, None, "deposit_taken", "deposit", payment.id, store_id=payment.store_id, details={
            "order_id": payment.order_id, "method": method, "amount_fen": payment.amount_fen})
    session.flush()
    return basis


def _plain_line(line: dict) -> dict:
    plain = dict(line)
    for key in ("qty", "hours"):
        if plain.get(key) is not None:
            plain[key] = str(plain[key])
    return plain


def cancel_order(session: Session, cancelled: dict) -> list[Refund]:
    """The order is cancelled: its unconsumed deposits go back to the customer by their method
    (Dr 2203 · Cr the method's account). An invoiced order is left alone."""
    basis = session.get(BillingBasis, cancelled["order_id"])
    if basis is not None:
        if session.execute(select(Invoice.id).where(Invoice.order_id == basis.order_id,
                                                    Invoice.status != VOID)).first():
            return []
        basis.status = "cancelled"
    refunds = []
    deposits = session.execute(select(Payment).where(
        Payment.order_id == cancelled["order_id"], Payment.kind == "deposit", Payment.invoice_id.is_(None))
        .with_for_update()).scalars().all()
    for payment in deposits:
        amount = payment.amount_fen - payment.refunded_fen
        if amount <= 0:
            continue
        day = ledger.business_date(session, payment.store_id)
        refund = Refund(payment_id=payment.id, order_id=payment.order_id, store_id=payment.store_id,
                        customer_id=payment.customer_id, method=payment.method, amount_fen=amount,
                        currency=payment.currency, reason=f"order cancelled: {cancelled['reason']}",
                        business_date=day)
        session.add(refund)
        payment.refunded_fen += amount
        session.flush()
        ledger.post_journal_entry(session, payment.store_id, [
            debit(DEPOSITS, amount), credit(ledger.money_account(payment.method), amount)],
            source_type="refund", source_id=refund.id, memo="Deposit returned: order cancelled", day=day)
        record_audit(session, None, "deposit_refunded", "deposit", payment.id, store_id=payment.store_id, details={
            "refund_id": refund.id, "order_id": payment.order_id, "method": payment.method, "amount_fen": amount,
            "reason": "order_cancelled"})
        # no finance.refund_issued: its contract is a refund against an invoice (crm takes spend back)
        refunds.append(refund)
    return refunds


# -- issuing ----------------------------------------------------------------------------------------
def issue_invoice(session: Session, completed: dict, caller: Caller | None = None) -> Invoice:
    """Issue the order's invoice once (a redelivered or repeated completion returns the open one; after
    a void, a new completion issues a new invoice). `caller`: the manager reissuing, none from an event."""
    existing = session.execute(select(Invoice).where(Invoice.order_id == completed["order_id"],
                                                     Invoice.status != VOID)).scalar_one_or_none()
    if existing is not None:
        return existing
    basis = session.get(BillingBasis, completed["order_id"])
    if basis is None:
        # order_confirmed has not reached finance yet: refuse, the event comes back after a delay
        raise NotFound(f"No billing basis for order {completed['order_id']} yet.", code="billing_basis_pending")
    lines, unbilled = bill_lines(basis.lines, completed.get("parts_used") or [])
    totals = invoice_totals(lines)
    now = utcnow()
    day = ledger.business_date(session, basis.store_id, now)
    jobs = completed.get("jobs") or []
    invoice = Invoice(
        number=f"INV{day:%Y%m%d}-{new_id()[-8:].upper()}",
        store_id=basis.store_id, order_id=basis.order_id, order_number=basis.order_number,
        work_order_id=completed.get("work_order_id"), customer_id=basis.customer_id, vehicle_id=basis.vehicle_id,
        advisor_id=basis.advisor_id, status=ISSUED, currency=basis.currency, **totals, deposit_fen=0, paid_fen=0,
        refunded_fen=0, billed_hours=sum((to_qty(j["billed_hours"]) for j in jobs), Decimal(0)),
        clocked_hours=sum((to_qty(t["hours"]) for j in jobs for t in j["technicians"]), Decimal(0)),
        comeback=bool(completed.get("comeback")), unbilled_parts=unbilled, issued_at=now, business_date=day)
    invoice.lines = [InvoiceLine(
        position=i, line_id=line.get("line_id"), kind=line["kind"], description=line["description"][:200],
        op_code=line.get("op_code"), sku=line.get("sku"),
        hours=to_qty(line["hours"]) if line.get("hours") is not None else None, qty=to_qty(line["qty"]),
        unit_price_fen=line["unit_price_fen"], discount_fen=line["discount_fen"], tax_rate=str(line["tax_rate"]),
        tax_fen=line["tax_fen"], total_fen=line["total_fen"]) for i, line in enumerate(lines)]
    invoice.jobs = [InvoiceJob(job_id=j["job_id"], line_id=j.get("line_id"), op_code=j.get("op_code"),
                               billed_hours=to_qty(j["billed_hours"]),
                               technicians=[{**t, "hours": str(t["hours"]), "split_pct": str(t["split_pct"])}
                                            for t in j["technicians"]]) for j in jobs]
    session.add(invoice)
    session.flush()
    kpi_days.count_invoice(session, invoice)
    cohorts.count_visit(session, invoice)
    ledger.post_journal_entry(session, invoice.store_id, issue_posting(lines), source_type="invoice",
                              source_id=invoice.id, memo=f"Invoice {invoice.number}", day=day,
                              currency=invoice.currency)
    _consume_deposits(session, invoice, day)
    record_audit(session, caller, "invoice_issued", "invoice", invoice.id, store_id=invoice.store_id, details={
        "order_id": invoice.order_id, "total_fen": invoice.total_fen, "tax_fen": invoice.tax_fen,
        "deposit_applied_fen": invoice.deposit_fen, "status": invoice.status})
    record_event(session, "invoice_issued", {
        "invoice_id": invoice.id, "invoice_number": invoice.number, "order_id": invoice.order_id,
        "store_id": invoice.store_id, "customer_id": invoice.customer_id, "total_fen": invoice.total_fen,
        "due_fen": invoice.due_fen}, store_id=invoice.store_id)
    if invoice.status == PAID:
        announce_paid(session, invoice)
    return invoice


def _consume_deposits(session: Session, invoice: Invoice, day) -> None:
    deposits = session.execute(select(Payment).where(
        Payment.order_id == invoice.order_id, Payment.kind == "deposit", Payment.invoice_id.is_(None))
        .order_by(Payment.id).with_for_update()).scalars().all()
    for payment in deposits:
        available = payment.amount_fen - payment.refunded_fen
        applied = min(available, invoice.total_fen - invoice.paid_fen)
        if applied <= 0:
            continue
        payment.invoice_id = invoice.id
        invoice.deposit_fen += applied
        invoice.paid_fen += applied
        ledger.post_journal_entry(session, invoice.store_id, [debit(DEPOSITS, applied), credit(AR, applied)],
                                  source_type="invoice", source_id=invoice.id,
                                  memo=f"Deposit applied to {invoice.number}", day=day)
    invoice.status = status_after(invoice.total_fen, invoice.paid_fen)
    if invoice.status == PAID:
        invoice.paid_at = utcnow()


def announce_paid(session: Session, invoice: Invoice) -> None:
    """The invoice is settled: `invoice_paid`, and its repair health record queued for upload, both in this
    transaction (domain/health_records.py)."""
    health_records.queue_upload(session, invoice)
    record_event(session, "invoice_paid", {
        "invoice_id": invoice.id, "order_id": invoice.order_id, "store_id": invoice.store_id,
        "customer_id": invoice.customer_id, "total_fen": invoice.total_fen,
        "paid_at": (invoice.paid_at or utcnow()).isoformat()}, store_id=invoice.store_id)


# -- reading and voiding ----------------------------------------------------------------------------
def get_invoice(session: Session, caller: Caller, invoice_id: str) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("No such invoice.")
    caller.require_store(invoice.store_id)
    return invoice


def list_invoices(session: Session, stores: list[str] | None, params: dict) -> list[Invoice]:
    return newest_first(session, Invoice, stores, params, ("status", "order_id", "customer_id"))


def void_invoice(session: Session, caller: Caller, invoice_id: str, reason: str) -> Invoice:
    """A manager voids an invoice nobody has paid at the till: every posting of the invoice is
    reversed and a consumed deposit goes back to being the order's prepayment."""
    require_manager(caller, "Voiding an invoice")
    invoice = get_locked(session, Invoice, invoice_id, "invoice")
    caller.require_store(invoice.store_id)
    till_paid = session.execute(select(Payment.id).where(Payment.invoice_id == invoice.id,
                                                         Payment.kind == "payment")).first()
    charged = (session.execute(select(AccountCharge.id).where(AccountCharge.invoice_id == invoice.id)).first()
               or session.execute(select(InsuranceClaim.id).where(InsuranceClaim.invoice_id == invoice.id,
                                                                   InsuranceClaim.voided_at.is_(None))).first())
    if invoice.status in (PAID, VOID) or till_paid or charged:
        raise illegal("invoice", invoice.status, "voided once paid" if invoice.status != VOID else "voided again")
    day = ledger.business_date(session, invoice.store_id)
    for entry in ledger.entries_for(session, "invoice", invoice.id):
        ledger.post_journal_entry(session, invoice.store_id, ledger.reversal(
            [(line.account, line.debit_fen, line.credit_fen) for line in entry.lines]),
            source_type="invoice_void", source_id=invoice.id, memo=f"Void {invoice.number}: {reason}", day=day)
    for payment in session.execute(select(Payment).where(Payment.invoice_id == invoice.id,
                                                         Payment.kind == "deposit")).scalars():
        payment.invoice_id = None
    record_audit(session, caller, "invoice_voided", "invoice", invoice.id, store_id=invoice.store_id, details={
        "total_fen": invoice.total_fen, "deposit_released_fen": invoice.deposit_fen,
        "before": {"status": invoice.status}, "after": {"status": VOID}})
    kpi_days.count_invoice(session, invoice, sign=-1)
    cohorts.count_visit(session, invoice, sign=-1)
    invoice.status = VOID
    invoice.void_reason = reason
    invoice.voided_at = utcnow()
    invoice.voided_by = caller.user_id
    invoice.paid_fen = 0
    invoice.deposit_fen = 0
    return invoice


def reissue_invoice(session: Session, caller: Caller, invoice_id: str) -> Invoice:
    """A manager bills a voided invoice's order again: the order's current billing basis (sales may
    have confirmed it again with corrected prices) with the jobs and parts of the voided invoice."""
    require_manager(caller, "Reissuing an invoice")
    void = get_locked(session, Invoice, invoice_id, "invoice")
    caller.require_store(void.store_id)
    if void.status != VOID:
        raise illegal("invoice", void.status, "reissued (only a void invoice is)")
    open_one = session.execute(select(Invoice.id).where(Invoice.order_id == void.order_id,
                                                        Invoice.status != VOID)).first()
    if open_one:
        raise Conflict("The order already has an open invoice.", fields={"invoice_id": [open_one[0]]},
                       code="order_has_open_invoice")
    parts = [{"sku": line.sku, "qty": line.qty, "line_id": line.line_id} for line in void.lines if line.kind == "part"]
    parts += [{"sku": p["sku"], "qty": p["qty"], "line_id": p.get("line_id")} for p in void.unbilled_parts or []]
    invoice = issue_invoice(session, {
        "order_id": void.order_id, "work_order_id": void.work_order_id, "comeback": void.comeback,
        "jobs": [{"job_id": job.job_id, "line_id": job.line_id, "op_code": job.op_code,
                  "billed_hours": job.billed_hours, "technicians": job.technicians} for job in void.jobs],
        "parts_used": parts}, caller)
    record_audit(session, caller, "invoice_reissued", "invoice", void.id, store_id=void.store_id,
                 details={"new_invoice_id": invoice.id, "total_fen": invoice.total_fen})
    return invoice
