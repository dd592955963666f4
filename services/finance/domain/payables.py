"""Accounts payable: supplier invoices matched three ways (`matching`) and booked, supplier payments
over one or more of them, ageing and the supplier's statement.

Postings (per store): an invoice booked (matched, or approved by a manager when held) —
Dr 2209 goods received not invoiced (the value received it bills) · Dr 1171 input VAT · Dr 5002
purchase price variance (the rest: billed above, or below, what was received) · Cr 2202 payables
(the total). A payment — Dr 2202 · Cr 1002 bank or 1001 cash, for what left the bank or till (a
supplier's credit applied by the payment books nothing: its note took its total off 2202). A
supplier's credit note (红字发票, mostly for goods sent back after their invoice was booked, which
left a debit on 2209) — Dr 2202 (its total) · Cr 1171 (the VAT it takes back) · Cr 2209 (the goods'
value as they went out of stock) · Cr 5002 (the rest: credited above, or below, that value). A
held or rejected invoice books nothing, so 2202 always equals what booked invoices leave unpaid
less the credit notes' unapplied rest."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import rowcount, unique_or_conflict, utcnow
from services.common.errors import Conflict, Invalid

from ..models import SupplierCreditNote, SupplierInvoice, SupplierPayment
from . import ageing, ledger, matching
from .common import by_key, get_locked, get_or_404, illegal, newest_first, require_manager
from .ledger import BANK, CASH, GRNI, INPUT_VAT, PAYABLES, PRICE_VARIANCE, credit, debit

HELD, OPEN, PARTIALLY_PAID, PAID, REJECTED = "held", "open", "partially_paid", "paid", "rejected"
PAYABLE = (OPEN, PARTIALLY_PAID)
PAID_FROM = {"bank": BANK, "cash": CASH}
DEFAULT_TERMS_DAYS = 30
STATEMENT_ORDER = {"invoice": 0, "credit_note": 1, "payment": 2}
"""A day's lines on the supplier's statement: what was billed, what was credited, what was paid."""
PO_LOCK_CLASS = 7_405  # advisory-lock namespace: invoices billed against one purchase order


def _lock_purchase_order(session: Session, po_id: str) -> None:
    """Two invoices for the same order are matched one after the other (each sees what the other
    billed). PostgreSQL; SQLite serialises writers anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:cls, :key)"),
                        {"cls": PO_LOCK_CLASS, "key": ledger.lock_key(po_id)})


def billed_before(session: Session, po_id: str) -> dict[str, Decimal]:
    """sku → quantity already billed on the order's invoices (rejected ones aside)."""
    billed: dict[str, Decimal] = {}
    for lines in session.scalars(select(SupplierInvoice.lines).where(
            SupplierInvoice.purchase_order_id == po_id, SupplierInvoice.status != REJECTED)):
        for line in lines:
            billed[line["sku"]] = billed.get(line["sku"], Decimal(0)) + Decimal(line["qty"])
    return billed


def record_invoice(session: Session, caller: Caller, data: dict, po: dict, key: str | None = None,
                   limits: matching.Tolerances | None = None) -> SupplierInvoice:
    """Match and keep a supplier's invoice for purchase order `po` (as inventory gave it): booked
    at once when it matches, else held for a manager."""
    if (found := _recorded_before(session, key, po, data)) is not None:
        return found
    caller.require_store(po["store_id"])
    _lock_purchase_order(session, po["id"])
    if (found := _recorded_before(session, key, po, data)) is not None:  # committed while we waited
        return found
    result = matching.match(po, data["lines"], billed_before(session, po["id"]), limits or matching.tolerances())
    if data["vat_fen"] > result["total_fen"]:
        raise Invalid("The VAT is part of the invoice's total and cannot exceed it.",
                      fields={"vat_fen": [f"At most {result['total_fen']}."]}, code="vat_above_total",
                      params={"total_fen": result["total_fen"]})
    invoice = SupplierInvoice(
        store_id=po["store_id"], supplier_id=po["supplier_id"], supplier_name=po["supplier_name"],
        purchase_order_id=po["id"], purchase_order_number=po["number"], number=data["number"],
        issued_on=data["issued_on"], due_on=data.get("due_on") or data["issued_on"] + timedelta(DEFAULT_TERMS_DAYS),
        status=HELD if result["issues"] else OPEN,
        lines=[{**line, "qty": str(line["qty"]), "qty_matchable": str(line["qty_matchable"])}
               for line in result["lines"]],
        issues=result["issues"], total_fen=result["total_fen"], vat_fen=data["vat_fen"],
        received_value_fen=result["received_value_fen"], paid_fen=0, idempotency_key=key,
        created_by=caller.user_id, created_at=utcnow())
    with unique_or_conflict(session, {"number": f"The supplier's invoice {data['number']} is already recorded."},
                            codes={"number": "supplier_invoice_taken"}, params={"number": data["number"]}):
        session.add(invoice)
    if invoice.status == OPEN:
        _book(session, invoice)
    record_audit(session, caller, "supplier_invoice_recorded", "supplier_invoice", invoice.id,
                 store_id=invoice.store_id, details={"number": invoice.number, "status": invoice.status,
                                                    "total_fen": invoice.total_fen, "issues": invoice.issues})
    return invoice


def _recorded_before(session: Session, key: str | None, po: dict, data: dict) -> SupplierInvoice | None:
    if (found := by_key(session, SupplierInvoice, key)) is None:
        return None
    if found.purchase_order_id != po["id"] or found.number != data["number"]:
        raise Conflict("This Idempotency-Key was already used for another invoice.",
                       fields={"idempotency_key": ["Used for another request."]}, code="idempotency_key_reused")
    return found


def _book(session: Session, invoice: SupplierInvoice) -> None:
    net_of_vat = invoice.total_fen - invoice.vat_fen
    entry = ledger.post_journal_entry(session, invoice.store_id, [
        debit(GRNI, invoice.received_value_fen), debit(INPUT_VAT, invoice.vat_fen),
        debit(PRICE_VARIANCE, net_of_vat - invoice.received_value_fen), credit(PAYABLES, invoice.total_fen)],
        source_type="supplier_invoice", source_id=invoice.id,
        memo=f"Supplier invoice {invoice.number} ({invoice.purchase_order_number})")
    invoice.business_date = entry.business_date if entry else ledger.business_date(session, invoice.store_id)


def decide(session: Session, caller: Caller, invoice_id: str, data: dict) -> SupplierInvoice:
    """A manager approves a held invoice (booked as it stands) or rejects it (nothing booked)."""
    require_manager(caller, "Approving a supplier invoice that does not match")
    invoice = get_locked(session, SupplierInvoice, invoice_id, "supplier invoice")
    caller.require_store(invoice.store_id)
    if invoice.status != HELD:
        raise illegal("supplier_invoice", invoice.status, "approved or rejected (only a held one)")
    invoice.status = OPEN if data["approve"] else REJECTED
    invoice.decided_by, invoice.decided_at, invoice.decision_reason = caller.user_id, utcnow(), data.get("reason")
    if invoice.status == OPEN:
        _book(session, invoice)
    record_audit(session, caller, f"supplier_invoice_{'approved' if data['approve'] else 'rejected'}",
                 "supplier_invoice", invoice.id, store_id=invoice.store_id,
                 details={"number": invoice.number, "reason": data.get("reason")})
    session.flush()
    return invoice


def get_invoice(session: Session, caller: Caller, invoice_id: str) -> SupplierInvoice:
    invoice = get_or_404(session, SupplierInvoice, invoice_id, "supplier invoice")
    caller.require_store(invoice.store_id)
    return invoice


def list_invoices(session: Session, stores: list[str] | None, params: dict) -> list[SupplierInvoice]:
    return newest_first(session, SupplierInvoice, stores, params, ("status", "supplier_id", "purchase_order_id"))


# -- payments ---------------------------------------------------------------------------------------
def pay(session: Session, caller: Caller, data: dict, key: str | None = None) -> SupplierPayment:
    """Pay one supplier's open invoices at one store, each in part or in full, less the supplier's
    unapplied credit notes applied against them (`credits`): what leaves the bank or the till is what
    the invoices are settled by less the credits. The invoices are locked (in id order) before their
    balance is read: of two payments of the same invoice at once, the second sees what the first
    paid; a credit is taken by a conditional update, so two payments cannot apply the same rest."""
    wanted = {item["supplier_invoice_id"]: item["amount_fen"] for item in data["allocations"]}
    offered = {item["supplier_credit_note_id"]: item["amount_fen"] for item in data.get("credits") or ()}
    if (found := _paid_before(session, key, wanted, offered)) is not None:
        return found
    invoices = [get_locked(session, SupplierInvoice, invoice_id, "supplier invoice") for invoice_id in sorted(wanted)]
    if (found := _paid_before(session, key, wanted, offered)) is not None:  # the same, committed while we waited
        return found
    for invoice in invoices:
        caller.require_store(invoice.store_id)
    if len({(invoice.store_id, invoice.supplier_id) for invoice in invoices}) > 1:
        raise Invalid("One payment pays one supplier's invoices at one store.",
                      fields={"allocations": ["Invoices of several suppliers or stores."]},
                      code="one_supplier_per_payment")
    for invoice in invoices:
        if invoice.status not in PAYABLE:
            raise illegal("supplier_invoice", invoice.status, "paid")
        if wanted[invoice.id] > invoice.due_fen:
            raise Conflict(f"Only {invoice.due_fen} fen of {invoice.number} is due.",
                           fields={"allocations": [f"{invoice.number}: at most {invoice.due_fen}."]},
                           code="supplier_payment_above_due",
                           params={"number": invoice.number, "due_fen": invoice.due_fen})
    head = invoices[0]
    settled, credited = sum(wanted.values()), sum(offered.values())
    if credited > settled:
        raise Invalid("The credits applied exceed what the invoices are settled by.",
                      fields={"credits": [f"At most {settled}."]}, code="supplier_credits_above_settled",
                      params={"settled_fen": settled, "credited_fen": credited})
    notes = [_apply_credit(session, head, note_id, offered[note_id]) for note_id in sorted(offered)]
    amount = settled - credited
    day = ledger.business_date(session, head.store_id)
    taken_off = spread_credits(credited, [(invoice.id, wanted[invoice.id]) for invoice in invoices])
    payment = SupplierPayment(store_id=head.store_id, supplier_id=head.supplier_id, supplier_name=head.supplier_name,
                              method=data["method"], amount_fen=amount, credited_fen=credited,
                              reference=data.get("reference"),
                              allocations=[{"supplier_invoice_id": invoice.id, "number": invoice.number,
                                            "amount_fen": wanted[invoice.id], "credited_fen": taken_off[invoice.id]}
                                           for invoice in invoices],
                              credits=[{"supplier_credit_note_id": note.id, "number": note.number,
                                        "amount_fen": offered[note.id]} for note in notes],
                              idempotency_key=key, paid_by=caller.user_id, paid_at=utcnow(), business_date=day)
    session.add(payment)
    for invoice in invoices:
        invoice.credited_fen += taken_off[invoice.id]
        invoice.paid_fen += wanted[invoice.id] - taken_off[invoice.id]
        invoice.status = PAID if invoice.due_fen == 0 else PARTIALLY_PAID
    session.flush()
    if amount:  # a credit applied books nothing: its note took its total off 2202 when it was booked
        ledger.post_journal_entry(session, payment.store_id, [debit(PAYABLES, amount),
                                                              credit(PAID_FROM[payment.method], amount)],
                                  source_type="supplier_payment", source_id=payment.id,
                                  memo=f"Paid {payment.supplier_name}", day=day)
    record_audit(session, caller, "supplier_paid", "supplier_payment", payment.id, store_id=payment.store_id,
                 details={"amount_fen": amount, "method": payment.method, "allocations": payment.allocations,
                          "credits": payment.credits})
    return payment


def spread_credits(credited: int, allocations: list[tuple[str, int]]) -> dict[str, int]:
    """invoice id → the part of its allocation the credits settle: taken off the allocations in the
    order given until the credits are used up (the rest of each allocation is paid)."""
    taken: dict[str, int] = {}
    for invoice_id, settled in allocations:
        taken[invoice_id] = min(credited, settled)
        credited -= taken[invoice_id]
    return taken


def _apply_credit(session: Session, invoice: SupplierInvoice, note_id: str, amount: int) -> SupplierCreditNote:
    """Take `amount` of the credit note's unapplied rest for a payment of `invoice`'s supplier at its
    store. The rest is read and lowered in one conditional update: of two payments applying the same
    credit at once, the second finds it gone."""
    note = get_or_404(session, SupplierCreditNote, note_id, "supplier credit note")
    if (note.store_id, note.supplier_id) != (invoice.store_id, invoice.supplier_id):
        raise Invalid("The credit note is another supplier's or another store's.",
                      fields={"credits": [f"{note.number}: not this supplier's at this store."]},
                      code="credit_note_not_this_supplier", params={"number": note.number})
    taken = rowcount(session.execute(
        update(SupplierCreditNote)
        .where(SupplierCreditNote.id == note_id,
               SupplierCreditNote.total_fen - SupplierCreditNote.applied_fen >= amount)
        .values(applied_fen=SupplierCreditNote.applied_fen + amount).execution_options(synchronize_session=False)))
    session.refresh(note)
    if not taken:
        raise Conflict(f"Only {note.unapplied_fen} fen of credit note {note.number} is left to apply.",
                       fields={"credits": [f"{note.number}: at most {note.unapplied_fen}."]},
                       code="supplier_credit_above_unapplied",
                       params={"number": note.number, "unapplied_fen": note.unapplied_fen})
    return note


def _paid_before(session: Session, key: str | None, wanted: dict[str, int],
                 offered: dict[str, int]) -> SupplierPayment | None:
    if (found := by_key(session, SupplierPayment, key)) is None:
        return None
    if ({a["supplier_invoice_id"]: a["amount_fen"] for a in found.allocations} != wanted
            or {c["supplier_credit_note_id"]: c["amount_fen"] for c in found.credits or ()} != offered):
        raise Conflict("This Idempotency-Key was already used for another payment.",
                       fields={"idempotency_key": ["Used for another request."]}, code="idempotency_key_reused")
    return found


def list_payments(session: Session, stores: list[str] | None, params: dict) -> list[SupplierPayment]:
    return newest_first(session, SupplierPayment, stores, params, ("supplier_id",))


# -- ageing and statements --------------------------------------------------------------------------
def payables_ageing(session: Session, stores: list[str] | None, as_of: date) -> dict:
    """What booked invoices leave unpaid, by days past due on `as_of`: per store and supplier, per
    store, and for the chain (the caller's stores)."""
    query = select(SupplierInvoice).where(SupplierInvoice.status.in_(PAYABLE)).order_by(
        SupplierInvoice.store_id, SupplierInvoice.supplier_name, SupplierInvoice.id)
    if stores is not None:
        query = query.where(SupplierInvoice.store_id.in_(stores))
    by_store: dict[str, dict] = {}
    chain = ageing.empty()
    for invoice in session.scalars(query):
        store = by_store.setdefault(invoice.store_id, {"store_id": invoice.store_id, **ageing.empty(), "suppliers": {}})
        supplier = store["suppliers"].setdefault(invoice.supplier_id, {
            "supplier_id": invoice.supplier_id, "supplier_name": invoice.supplier_name, **ageing.empty()})
        ageing.add((store, supplier, chain), (as_of - invoice.due_on).days, invoice.due_fen)
    for note in _unapplied_credits(session, stores):  # owed less now: not yet due, negative
        store = by_store.setdefault(note.store_id, {"store_id": note.store_id, **ageing.empty(), "suppliers": {}})
        supplier = store["suppliers"].setdefault(note.supplier_id, {
            "supplier_id": note.supplier_id, "supplier_name": note.supplier_name, **ageing.empty()})
        ageing.add((store, supplier, chain), 0, -note.unapplied_fen)
    return {"as_of": as_of, "chain": chain,
            "stores": [{**store, "suppliers": list(store["suppliers"].values())} for store in by_store.values()]}


def supplier_statement(session: Session, stores: list[str] | None, supplier_id: str, since: date,
                       until: date) -> dict:
    """The supplier's account at the caller's stores: the balance owed before `since`, each booked
    invoice (owed more) and payment (owed less) up to `until` with the running balance, the closing."""
    invoices = select(SupplierInvoice).where(SupplierInvoice.supplier_id == supplier_id,
                                             SupplierInvoice.business_date.is_not(None))
    payments = select(SupplierPayment).where(SupplierPayment.supplier_id == supplier_id)
    if stores is not None:
        invoices = invoices.where(SupplierInvoice.store_id.in_(stores))
        payments = payments.where(SupplierPayment.store_id.in_(stores))
    rows: list[dict[str, Any]] = [
        {"date": invoice.business_date, "kind": "invoice", "id": invoice.id, "number": invoice.number,
         "store_id": invoice.store_id, "amount_fen": invoice.total_fen, "name": invoice.supplier_name}
        for invoice in session.scalars(invoices.where(SupplierInvoice.business_date <= until))]
    rows += [{"date": payment.business_date, "kind": "payment", "id": payment.id, "number": payment.reference,
              "store_id": payment.store_id, "amount_fen": -payment.amount_fen, "name": payment.supplier_name}
             for payment in session.scalars(payments.where(SupplierPayment.business_date <= until))]
    notes = select(SupplierCreditNote).where(SupplierCreditNote.supplier_id == supplier_id,
                                             SupplierCreditNote.business_date <= until)
    if stores is not None:
        notes = notes.where(SupplierCreditNote.store_id.in_(stores))
    rows += [{"date": note.business_date, "kind": "credit_note", "id": note.id, "number": note.number,
              "store_id": note.store_id, "amount_fen": -note.total_fen, "name": note.supplier_name}
             for note in session.scalars(notes)]
    rows.sort(key=lambda row: (row["date"], STATEMENT_ORDER[row["kind"]], row["id"]))
    opening = sum(row["amount_fen"] for row in rows if row["date"] < since)
    balance, lines = opening, []
    for row in rows:
        if row["date"] >= since:
            balance += row["amount_fen"]
            lines.append({**row, "balance_fen": balance})
    name = rows[0]["name"] if rows else None
    return {"supplier_id": supplier_id, "supplier_name": name, "from_": since, "to": until,
            "opening_balance_fen": opening, "lines": lines, "closing_balance_fen": balance}


def open_payables(session: Session, stores: list[str] | None) -> dict[str, int]:
    """store → what booked supplier invoices leave unpaid less the credit notes' unapplied rest (the
    payables invariant's other side)."""
    query = select(SupplierInvoice.store_id,
                   SupplierInvoice.total_fen - SupplierInvoice.paid_fen - SupplierInvoice.credited_fen).where(
        SupplierInvoice.status.in_(PAYABLE))
    if stores is not None:
        query = query.where(SupplierInvoice.store_id.in_(stores))
    owed: dict[str, int] = {}
    for store_id, due in session.execute(query):
        owed[store_id] = owed.get(store_id, 0) + int(due)
    for note in _unapplied_credits(session, stores):
        owed[note.store_id] = owed.get(note.store_id, 0) - note.unapplied_fen
    return owed


def matched_receipts(session: Session, stores: list[str] | None) -> dict[str, int]:
    """store → the received value booked supplier invoices cleared off 2209, less the value of goods
    sent back their credit notes cleared: inventory's receipts less this are those not yet matched to
    an invoice (the goods-received-not-invoiced invariant's other side)."""
    invoiced = select(SupplierInvoice.store_id, func.sum(SupplierInvoice.received_value_fen)).where(
        SupplierInvoice.status.in_((*PAYABLE, PAID))).group_by(SupplierInvoice.store_id)
    credited = select(SupplierCreditNote.store_id, func.sum(SupplierCreditNote.returned_value_fen)).group_by(
        SupplierCreditNote.store_id)
    if stores is not None:
        invoiced = invoiced.where(SupplierInvoice.store_id.in_(stores))
        credited = credited.where(SupplierCreditNote.store_id.in_(stores))
    matched = {store_id: int(value or 0) for store_id, value in session.execute(invoiced)}
    for store_id, value in session.execute(credited):
        matched[store_id] = matched.get(store_id, 0) - int(value or 0)
    return matched


def _unapplied_credits(session: Session, stores: list[str] | None) -> list[SupplierCreditNote]:
    query = select(SupplierCreditNote).where(SupplierCreditNote.total_fen > SupplierCreditNote.applied_fen)
    if stores is not None:
        query = query.where(SupplierCreditNote.store_id.in_(stores))
    return list(session.scalars(query.order_by(SupplierCreditNote.id)))


# -- credit notes -----------------------------------------------------------------------------------
def record_credit_note(session: Session, caller: Caller, data: dict, po: dict | None,
                       key: str | None = None) -> SupplierCreditNote:
    """The supplier's credit note against a booked invoice (taking off what it still leaves due; the
    rest stands as a credit) or, without one, against the purchase order the goods came on (`po`, as
    inventory gave it): booked Dr 2202 · Cr 1171 · Cr 2209 at the store."""
    if (found := _credited_before(session, key, data)) is not None:
        return found
    caller.require_store(data["store_id"])
    invoice = None
    if data.get("supplier_invoice_id"):
        invoice = get_locked(session, SupplierInvoice, data["supplier_invoice_id"], "supplier invoice")
        caller.require_store(invoice.store_id)
        source = {"store_id": invoice.store_id, "supplier_id": invoice.supplier_id, "name": invoice.supplier_name,
                  "po": invoice.purchase_order_id}
        if invoice.status not in (*PAYABLE, PAID):
            raise illegal("supplier_invoice", invoice.status, "credited (only a booked one)")
    else:
        assert po is not None
        source = {"store_id": po["store_id"], "supplier_id": po["supplier_id"], "name": po["supplier_name"],
                  "po": po["id"]}
    if (found := _credited_before(session, key, data)) is not None:  # committed while we waited
        return found
    if (source["store_id"], source["supplier_id"]) != (data["store_id"], data["supplier_id"]):
        raise Invalid("The invoice or order is another supplier's or another store's.",
                      fields={"supplier_invoice_id" if invoice else "purchase_order_id": [
                          "Not this supplier's at this store."]}, code="credit_note_document_mismatch")
    applied = min(data["total_fen"], invoice.due_fen) if invoice is not None and invoice.status in PAYABLE else 0
    note = SupplierCreditNote(
        store_id=data["store_id"], supplier_id=data["supplier_id"], supplier_name=source["name"],
        supplier_invoice_id=invoice.id if invoice else None,
        supplier_invoice_number=invoice.number if invoice else None,
        purchase_order_id=source["po"], return_id=data.get("return_id"), number=data["number"],
        issued_on=data["issued_on"], total_fen=data["total_fen"], vat_fen=data["vat_fen"], applied_fen=applied,
        returned_value_fen=data["total_fen"] - data["vat_fen"] if data.get("returned_value_fen") is None
        else data["returned_value_fen"],
        reason=data.get("reason"), idempotency_key=key, created_by=caller.user_id, created_at=utcnow(),
        business_date=ledger.business_date(session, data["store_id"]))
    with unique_or_conflict(session, {"number": f"The supplier's credit note {data['number']} is already recorded."},
                            codes={"number": "supplier_credit_note_taken"}, params={"number": data["number"]}):
        session.add(note)
    if invoice is not None and applied:
        invoice.credited_fen += applied
        invoice.status = PAID if invoice.due_fen == 0 else invoice.status
    net_of_vat = note.total_fen - note.vat_fen
    entry = ledger.post_journal_entry(session, note.store_id, [
        debit(PAYABLES, note.total_fen), credit(INPUT_VAT, note.vat_fen), credit(GRNI, note.returned_value_fen),
        credit(PRICE_VARIANCE, net_of_vat - note.returned_value_fen)],
        source_type="supplier_credit_note", source_id=note.id,
        memo=f"Supplier credit note {note.number} ({note.supplier_invoice_number or note.purchase_order_id})")
    if entry is not None:
        note.business_date = entry.business_date
    record_audit(session, caller, "supplier_credit_note_recorded", "supplier_credit_note", note.id,
                 store_id=note.store_id, details={"number": note.number, "total_fen": note.total_fen,
                                                  "vat_fen": note.vat_fen, "applied_fen": applied,
                                                  "supplier_invoice_id": note.supplier_invoice_id,
                                                  "return_id": note.return_id})
    session.flush()
    return note


def _credited_before(session: Session, key: str | None, data: dict) -> SupplierCreditNote | None:
    if (found := by_key(session, SupplierCreditNote, key)) is None:
        return None
    if (found.supplier_id, found.number, found.total_fen) != (data["supplier_id"], data["number"], data["total_fen"]):
        raise Conflict("This Idempotency-Key was already used for another credit note.",
                       fields={"idempotency_key": ["Used for another request."]}, code="idempotency_key_reused")
    return found


def list_credit_notes(session: Session, stores: list[str] | None, params: dict) -> list[SupplierCreditNote]:
    still_open = [SupplierCreditNote.total_fen > SupplierCreditNote.applied_fen] if params.get("open") else []
    return newest_first(session, SupplierCreditNote, stores, params, ("supplier_id", "supplier_invoice_id"),
                        *still_open)
