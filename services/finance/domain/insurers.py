"""Insurers' claims (事故车): an accident repair is paid mostly by the car's insurer. At the till the
cashier puts the insurer's share of the invoice on the insurer under the claim's number (报案号, once per
insurer), with the assessed amount (定损金额) when known; the customer pays the rest (免赔额) as usual. The
insurer has no credit limit and pays claim by claim (赔款到账): a remittance names the claims it pays, each
up to what it leaves open; what an insurer will not pay a manager writes off with a reason.

An insurer is its own record, not a kind of company account: it has no members (any car may be insured
by it), no credit limit, no monthly terms or reminders, and it pays named claims rather than the oldest
charges — the account's rules would each need an exception.

Postings (at the claim's store): the claim moves the debt inside 1122 from the invoice to the insurer —
Dr 1122 (the insurer) · Cr 1122 (the invoice); a remittance Dr 1002 bank / 1001 cash · Cr 1122; a
write-off Dr 4102 refunds and allowances (理赔核减) · Cr 1122; a void (a claim put on an insurer by mistake,
before any remittance) Dr 1122 (the invoice) · Cr 1122 (the insurer), the share due at the till again. So
1122 stays equal to what invoices, company charges and claims leave open.

Every change of a claim — put on the insurer, remitted, written off, voided — is announced
(`finance.insurance_claim_changed`, with its status): the claims screen and the cashier's invoice follow it."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import unique_or_conflict, utcnow
from services.common.errors import Conflict, Invalid, NotFound
from services.common.outbox import record_event
from services.common.policy import sees_every_store

from ..models import ClaimRemittance, Fapiao, InsuranceClaim, Insurer, Invoice
from . import ageing, fapiao, ledger
from .accounts import (add_owed_to_ageing, apply_received, change_debtor, get_visible, lock_for_debtor, month_bounds,
                       move_to_debtor, new_debtor, require_visible, sees)
from .invoices import PAID, status_after
from .common import get_locked, illegal, replayed, require_manager
from .ledger import AR, REFUNDS, credit, debit


# -- insurers ---------------------------------------------------------------------------------------
def get_insurer(session: Session, caller: Caller, insurer_id: str) -> Insurer:
    return get_visible(session, caller, Insurer, insurer_id, "insurer")


def create_insurer(session: Session, caller: Caller, data: dict) -> Insurer:
    """HQ sets an insurer up for any stores; a manager for the stores they manage."""
    insurer = new_debtor(caller, Insurer, data, "Setting up an insurer")
    with unique_or_conflict(session, {"name": "An insurer with this name exists."}, codes={"name": "insurer_taken"}):
        session.add(insurer)
    record_audit(session, caller, "insurer_set_up", "insurer", insurer.id, store_id=None,
                 details={"name": insurer.name, "store_ids": insurer.store_ids})
    return insurer


def list_insurers(session: Session, caller: Caller, params: dict) -> list[Insurer]:
    query = select(Insurer).order_by(Insurer.name, Insurer.id)
    if params.get("q"):
        query = query.where(Insurer.name.contains(params["q"]))
    found = [insurer for insurer in session.scalars(query) if sees(caller, insurer)]
    if params.get("store_id"):
        caller.require_store(params["store_id"])
        found = [insurer for insurer in found if params["store_id"] in insurer.store_ids]
    return found


def open_counts(session: Session, insurer_ids: list[str]) -> dict[str, int]:
    query = (select(InsuranceClaim.insurer_id, func.count())
             .where(InsuranceClaim.insurer_id.in_(insurer_ids), open_claim())
             .group_by(InsuranceClaim.insurer_id))
    return {insurer_id: int(count) for insurer_id, count in session.execute(query)}


def update_insurer(session: Session, caller: Caller, insurer_id: str, changes: dict) -> Insurer:
    return change_debtor(session, caller, (Insurer, "insurer", "insurer"), insurer_id, changes)


# -- claims -----------------------------------------------------------------------------------------
def open_claim():
    return (InsuranceClaim.paid_fen + InsuranceClaim.written_off_fen < InsuranceClaim.amount_fen) \
        & InsuranceClaim.voided_at.is_(None)


def claim_changed(session: Session, claim: InsuranceClaim) -> None:
    """`finance.insurance_claim_changed`: what the claims screen and the cashier's invoice follow."""
    record_event(session, "insurance_claim_changed", {
        "claim_id": claim.id, "insurer_id": claim.insurer_id, "invoice_id": claim.invoice_id,
        "store_id": claim.store_id, "claim_number": claim.claim_number, "status": claim.status,
        "open_fen": claim.open_fen, "changed_at": utcnow().isoformat()}, store_id=claim.store_id)


def put_on_insurer(session: Session, caller: Caller, invoice_id: str, data: dict, plate: str | None,
                   key: str | None = None) -> InsuranceClaim:
    """Put the insurer's share of an invoice on it under the claim's number. The invoice row, then the
    insurer's, are locked before either is read (two tills at once: the second sees the first's share)."""
    earlier, invoice, insurer = lock_for_debtor(session, caller, invoice_id, lambda: _claimed_before(
        session, key, invoice_id, data), (Insurer, data["insurer_id"], "insurer", "insurer"))
    if earlier is not None:
        return earlier
    amount = data["amount_fen"]
    if invoice.store_id not in insurer.store_ids:
        raise Conflict("This store may not put claims on the insurer.",
                       fields={"insurer_id": ["Not for this store."]}, code="insurer_store_not_allowed")
    if amount > invoice.due_fen:
        raise Invalid(f"Only {invoice.due_fen} fen is due.", fields={"amount_fen": [f"At most {invoice.due_fen}."]},
                      code="overpayment", params={"due_fen": str(invoice.due_fen)})
    day = ledger.business_date(session, invoice.store_id)
    claim = InsuranceClaim(insurer_id=insurer.id, claim_number=data["claim_number"].upper(), invoice_id=invoice.id,
                           invoice_number=invoice.number, store_id=invoice.store_id, customer_id=invoice.customer_id,
                           vehicle_id=invoice.vehicle_id, plate=plate, assessed_fen=data.get("assessed_fen"),
                           amount_fen=amount, paid_fen=0, written_off_fen=0, business_date=day,
                           idempotency_key=key, created_by=caller.user_id, created_at=utcnow())
    with unique_or_conflict(session, {"claim_number": "This claim number is already on the insurer."},
                            codes={"claim_number": "claim_number_taken"}, params={"claim_number": claim.claim_number}):
        session.add(claim)
    insurer.balance_fen += amount
    move_to_debtor(session, caller, invoice, amount, at=claim.created_at, source=("insurance_claim", claim.id),
                   memo=f"{invoice.number} claim {claim.claim_number} on {insurer.name}", day=day,
                   audit=("invoice_put_on_insurer", {"claim_id": claim.id, "insurer_id": insurer.id,
                                                     "claim_number": claim.claim_number, "amount_fen": amount,
                                                     "assessed_fen": claim.assessed_fen}))
    claim_changed(session, claim)
    return claim


def _claimed_before(session: Session, key: str | None, invoice_id: str, data: dict) -> InsuranceClaim | None:
    return replayed(session, InsuranceClaim, key, lambda found: (found.invoice_id, found.insurer_id, found.amount_fen)
                    == (invoice_id, data["insurer_id"], data["amount_fen"]), "claim")


def get_claim(session: Session, caller: Caller, claim_id: str) -> InsuranceClaim:
    claim = session.get(InsuranceClaim, claim_id)
    if claim is None:
        raise NotFound("No such claim.")
    caller.require_store(claim.store_id)
    return claim


def list_claims(session: Session, caller: Caller, stores: list[str] | None, params: dict) -> list[InsuranceClaim]:
    """Claims at `stores` (None: every store), oldest first."""
    query = select(InsuranceClaim).order_by(InsuranceClaim.business_date, InsuranceClaim.id)
    if stores is not None:
        query = query.where(InsuranceClaim.store_id.in_(stores))
    for name in ("insurer_id", "invoice_id"):
        if params.get(name):
            query = query.where(getattr(InsuranceClaim, name) == params[name])
    if params.get("q"):
        term = params["q"].strip().upper()
        query = query.where(InsuranceClaim.claim_number.contains(term) | InsuranceClaim.plate.contains(term))
    status = params.get("status")
    if status == "open":
        query = query.where(open_claim())
    elif status == "written_off":
        query = query.where(~open_claim(), InsuranceClaim.written_off_fen > 0, InsuranceClaim.voided_at.is_(None))
    elif status == "paid":
        query = query.where(~open_claim(), InsuranceClaim.written_off_fen == 0, InsuranceClaim.voided_at.is_(None))
    elif status == "voided":
        query = query.where(InsuranceClaim.voided_at.is_not(None))
    return list(session.scalars(query.limit(params.get("limit", 500))))


def dumped(session: Session, claims: list[InsuranceClaim]) -> list[dict[str, Any]]:
    """Claims as answered: with their insurer's name, status, age in days (their store's today) and the insurer's
    newest fapiao for it."""
    names: dict[str, str] = dict(session.execute(
        select(Insurer.id, Insurer.name).where(Insurer.id.in_({claim.insurer_id for claim in claims}))).tuples().all())
    fapiaos = {row.insurance_claim_id: row for row in session.scalars(
        select(Fapiao).where(Fapiao.insurance_claim_id.in_([claim.id for claim in claims]), Fapiao.kind == "blue")
        .order_by(Fapiao.id))}  # the newest of each claim
    todays: dict[str, date] = {}
    rows = []
    for claim in claims:
        today = todays.setdefault(claim.store_id, ledger.today(session, claim.store_id))
        rows.append({**{column: getattr(claim, column) for column in (
            "id", "insurer_id", "claim_number", "invoice_id", "invoice_number", "store_id", "plate", "assessed_fen",
            "amount_fen", "paid_fen", "written_off_fen", "open_fen", "write_off_reason", "written_off_on",
            "void_reason", "voided_on", "voided_at", "status", "business_date", "created_at")},
            "insurer_name": names.get(claim.insurer_id), "age_days": (today - claim.business_date).days,
            "fapiao": fapiaos.get(claim.id)})
    return rows


# -- the insurer's remittances and write-offs -------------------------------------------------------
def receive_remittance(session: Session, caller: Caller, insurer_id: str, data: dict,
                       key: str | None = None) -> ClaimRemittance:
    """The insurer pays the claims it names (a manager records it). The insurer, then the claims in id order,
    are locked before a claim's open amount is read, so of two remittances of one claim at once the second
    sees what the first paid (409 `claim_remittance_above_open`)."""
    require_manager(caller, "Recording an insurer's remittance")
    if (found := _remitted_before(session, key, insurer_id, data)) is not None:
        return found
    insurer = get_locked(session, Insurer, insurer_id, "insurer")
    require_visible(caller, insurer)
    if (found := _remitted_before(session, key, insurer_id, data)) is not None:
        return found
    asked = {line["claim_id"]: line["amount_fen"] for line in data["lines"]}
    claims = {claim.id: claim for claim in session.scalars(
        select(InsuranceClaim).where(InsuranceClaim.id.in_(sorted(asked))).order_by(InsuranceClaim.id)
        .with_for_update().execution_options(populate_existing=True))}
    for claim_id, amount in asked.items():
        claim = claims.get(claim_id)
        if claim is None or claim.insurer_id != insurer.id:
            raise Invalid("The claim is not one of this insurer's.", fields={"lines": [claim_id]},
                          code="claim_insurer_mismatch")
        caller.require_store(claim.store_id)
        if amount > claim.open_fen:
            raise Conflict(f"Claim {claim.claim_number} leaves only {claim.open_fen} fen open.",
                           fields={"lines": [f"At most {claim.open_fen}."]}, code="claim_remittance_above_open",
                           params={"claim_number": claim.claim_number, "open_fen": claim.open_fen})
    allocations = [(claims[claim_id], amount) for claim_id, amount in asked.items()]
    total = sum(asked.values())
    remittance = ClaimRemittance(
        insurer_id=insurer.id, method=data["method"], amount_fen=total, reference=data.get("reference"),
        idempotency_key=key, received_by=caller.user_id, received_at=utcnow(),
        business_date=ledger.today(session, allocations[0][0].store_id),
        allocations=[{"claim_id": claim.id, "claim_number": claim.claim_number, "invoice_number": claim.invoice_number,
                      "store_id": claim.store_id, "amount_fen": amount} for claim, amount in allocations])
    session.add(remittance)
    apply_received(session, insurer, remittance, allocations, ("claim_remittance", f"{insurer.name} remitted claims"))
    record_audit(session, caller, "insurer_remitted", "insurer", insurer.id, store_id=None, details={
        "remittance_id": remittance.id, "amount_fen": total, "method": remittance.method,
        "reference": remittance.reference, "allocations": remittance.allocations})
    for claim, _ in allocations:
        claim_changed(session, claim)
    return remittance


def _remitted_before(session: Session, key: str | None, insurer_id: str, data: dict) -> ClaimRemittance | None:
    total = sum(line["amount_fen"] for line in data["lines"])
    return replayed(session, ClaimRemittance, key, lambda found: (found.insurer_id, found.amount_fen)
                    == (insurer_id, total), "remittance")


def write_off(session: Session, caller: Caller, claim_id: str, reason: str) -> InsuranceClaim:
    """A manager writes off what the insurer will not pay of a claim (Dr 4102 · Cr 1122): the claim is closed.
    The insurer is locked before the claim, as a remittance locks them."""
    require_manager(caller, "Writing off a claim")
    insurer_id = get_claim(session, caller, claim_id).insurer_id
    insurer = get_locked(session, Insurer, insurer_id, "insurer")
    claim = get_locked(session, InsuranceClaim, claim_id, "claim")
    left = claim.open_fen
    if left <= 0:
        raise illegal("claim", claim.status, "written off")
    claim.written_off_fen += left
    claim.write_off_reason = reason.strip()
    claim.written_off_on = ledger.business_date(session, claim.store_id)
    insurer.balance_fen -= left
    session.flush()
    ledger.post_journal_entry(session, claim.store_id, [debit(REFUNDS, left), credit(AR, left)],
                              source_type="claim_write_off", source_id=claim.id,
                              memo=f"claim {claim.claim_number} written off: {claim.write_off_reason}")
    record_audit(session, caller, "claim_written_off", "invoice", claim.invoice_id, store_id=claim.store_id,
                 details={"claim_id": claim.id, "claim_number": claim.claim_number, "amount_fen": left,
                          "reason": claim.write_off_reason})
    claim_changed(session, claim)
    return claim


def void_claim(session: Session, caller: Caller, claim_id: str, reason: str) -> InsuranceClaim:
    """A manager voids a claim put on an insurer by mistake (wrong insurer, wrong 报案号, the customer pays
    after all) before the insurer remitted anything of it (else 409 `claim_remitted`): the share is due on
    the invoice again (a settled invoice is open again) and the debt moves back inside 1122 — Dr 1122 (the
    invoice) · Cr 1122 (the insurer). Locks in the order a claim is made and remitted in — the invoice, the
    insurer, the claim — so of two voids at once the second sees the first (409 `claim_state`), and a
    remittance racing a void either pays an open claim or finds it voided."""
    require_manager(caller, "Voiding a claim")
    seen = get_claim(session, caller, claim_id)
    invoice_id, insurer_id = seen.invoice_id, seen.insurer_id
    invoice = get_locked(session, Invoice, invoice_id, "invoice")
    insurer = get_locked(session, Insurer, insurer_id, "insurer")
    claim = get_locked(session, InsuranceClaim, claim_id, "claim")
    if claim.paid_fen > 0:
        raise Conflict(f"The insurer has remitted {claim.paid_fen} fen of claim {claim.claim_number}; it cannot "
                       "be voided.", fields={"status": [claim.status]}, code="claim_remitted",
                       params={"claim_number": claim.claim_number, "paid_fen": claim.paid_fen})
    if claim.status != "open":
        raise illegal("claim", claim.status, "voided")
    if (standing := fapiao.claim_fapiao(session, claim.id)) is not None:
        raise Conflict(f"Claim {claim.claim_number} has a fapiao ({standing.status}); reverse it by a red one first.",
                       fields={"fapiao_id": [standing.id]}, code="claim_fapiao_standing",
                       params={"claim_number": claim.claim_number, "fapiao_status": standing.status})
    amount, day, now = claim.amount_fen, ledger.business_date(session, claim.store_id), utcnow()
    claim.voided_at, claim.voided_on, claim.voided_by = now, day, caller.user_id
    claim.void_reason = reason.strip()
    insurer.balance_fen -= amount
    before = {"paid_fen": invoice.paid_fen, "status": invoice.status}
    invoice.paid_fen -= amount
    invoice.status = status_after(invoice.total_fen, invoice.paid_fen)
    if invoice.status != PAID:
        invoice.paid_at = None
    session.flush()
    ledger.post_journal_entry(session, claim.store_id, [debit(AR, amount), credit(AR, amount)],
                              source_type="insurance_claim_void", source_id=claim.id, day=day,
                              memo=f"{invoice.number} claim {claim.claim_number} on {insurer.name} voided")
    record_audit(session, caller, "claim_voided", "invoice", invoice.id, store_id=claim.store_id, details={
        "claim_id": claim.id, "insurer_id": insurer.id, "claim_number": claim.claim_number, "amount_fen": amount,
        "reason": claim.void_reason, "before": before,
        "after": {"paid_fen": invoice.paid_fen, "status": invoice.status}})
    claim_changed(session, claim)
    return claim


# -- statements, ageing, the reconciliation's side --------------------------------------------------
def statement(session: Session, caller: Caller, insurer_id: str, params: dict) -> dict:
    """Each claim of the insurer at the caller's stores (HQ: all) put on it in the period (open ones only when
    asked), oldest first, with its amount, paid, written off and open; the totals are the rows' sums, the
    ageing that of the open claims listed by days since they were put on the insurer."""
    insurer = get_insurer(session, caller, insurer_id)
    stores = None if sees_every_store(caller) else sorted(caller.store_ids)
    claims = list_claims(session, caller, stores, {"insurer_id": insurer.id,
                                                   "status": "open" if params.get("open_only") else None,
                                                   "limit": 10_000})
    claims = [claim for claim in claims if (params.get("from_") is None or claim.business_date >= params["from_"])
              and (params.get("to") is None or claim.business_date <= params["to"])]
    rows = dumped(session, claims)
    buckets = ageing.empty()
    for row in rows:
        if row["open_fen"] > 0:
            ageing.add((buckets,), row["age_days"], row["open_fen"])
    return {"insurer_id": insurer.id, "name": insurer.name, "as_of": ledger.today(session, None), "claims": rows,
            **{total: sum(row[total] for row in rows) for total in ("amount_fen", "paid_fen", "written_off_fen",
                                                                     "open_fen")},
            "ageing": buckets}


def month_statement(session: Session, caller: Caller, insurer_id: str, month: str) -> dict:
    """The insurer's monthly statement at the caller's stores (HQ: all): the claims put on it in the month, the
    remittances' shares, the write-offs and the voids of the month (each on its store's day), and the balances —
    the opening one what the same kinds of lines before the month leave open, the closing one the opening plus
    what was opened less what was remitted, written off and voided. So the closing balance of a month is the
    opening balance of the next, and, for the month that is now, what the claims leave open."""
    insurer = get_insurer(session, caller, insurer_id)
    first, last = month_bounds(month)
    query = select(InsuranceClaim).where(InsuranceClaim.insurer_id == insurer.id,
                                         InsuranceClaim.business_date <= last)
    if not sees_every_store(caller):
        query = query.where(InsuranceClaim.store_id.in_(sorted(caller.store_ids)))
    claims = {claim.id: claim for claim in session.scalars(query)}
    moves: list[dict[str, Any]] = []

    def move(kind: str, day: date, claim: InsuranceClaim, amount: int, reference=None, reason=None) -> None:
        moves.append({"date": day, "kind": kind, "claim_id": claim.id, "claim_number": claim.claim_number,
                      "store_id": claim.store_id, "plate": claim.plate, "invoice_number": claim.invoice_number,
                      "reference": reference, "reason": reason, "amount_fen": amount})

    for claim in claims.values():
        move("opened", claim.business_date, claim, claim.amount_fen)
        if claim.written_off_fen:
            move("written_off", claim.written_off_on or claim.business_date, claim, claim.written_off_fen,
                 reason=claim.write_off_reason)
        if claim.voided_on is not None:
            move("voided", claim.voided_on, claim, claim.amount_fen, reason=claim.void_reason)
    for remittance in session.scalars(select(ClaimRemittance).where(ClaimRemittance.insurer_id == insurer.id,
                                                                    ClaimRemittance.business_date <= last)):
        for share in remittance.allocations:
            if share["claim_id"] in claims:
                move("remitted", remittance.business_date, claims[share["claim_id"]], share["amount_fen"],
                     reference=remittance.reference)
    sign = {"opened": 1, "remitted": -1, "written_off": -1, "voided": -1}
    opening = sum(sign[row["kind"]] * row["amount_fen"] for row in moves if row["date"] < first)
    kinds = list(sign)
    lines = sorted((row for row in moves if first <= row["date"] <= last),
                   key=lambda row: (kinds.index(row["kind"]), row["date"], row["claim_number"], row["claim_id"]))
    sums = {kind: sum(row["amount_fen"] for row in lines if row["kind"] == kind) for kind in kinds}
    return {"insurer_id": insurer.id, "name": insurer.name, "month": month, "from_": first, "to": last,
            "opening_balance_fen": opening, "lines": lines,
            **{f"{kind}_fen": total for kind, total in sums.items()},
            "closing_balance_fen": opening + sum(sign[kind] * total for kind, total in sums.items())}


def open_claims(session: Session, store_ids: list[str] | None) -> dict[str, int]:
    """store → what claims on insurers leave open (part of the receivables invariant)."""
    query = (select(InsuranceClaim.store_id, func.sum(InsuranceClaim.amount_fen - InsuranceClaim.paid_fen
                                                      - InsuranceClaim.written_off_fen))
             .where(InsuranceClaim.voided_at.is_(None)).group_by(InsuranceClaim.store_id))
    if store_ids is not None:
        query = query.where(InsuranceClaim.store_id.in_(store_ids))
    return {store_id: int(owed or 0) for store_id, owed in session.execute(query)}


def add_to_ageing(session: Session, report: dict, stores: list[str] | None, as_of: date) -> dict:
    """The receivables ageing with the open claims by days since they were put on the insurer (an insurer
    owes a claim at once): added to their store's row and the chain's, and listed per insurer (`insurers`)."""
    query = (select(InsuranceClaim, Insurer.name).join(Insurer)
             .where(open_claim(), InsuranceClaim.business_date <= as_of)
             .order_by(Insurer.name, InsuranceClaim.id))
    if stores is not None:
        query = query.where(InsuranceClaim.store_id.in_(stores))
    owed = ((claim.store_id, claim.insurer_id, name, (as_of - claim.business_date).days, claim.open_fen)
            for claim, name in session.execute(query))
    return add_owed_to_ageing(report, owed, "insurers", "insurer_id")


def claimed(session: Session, invoice_id: str) -> bool:
    return session.execute(select(InsuranceClaim.id).where(InsuranceClaim.invoice_id == invoice_id)).first() is not None
