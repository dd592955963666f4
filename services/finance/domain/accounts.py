"""Company accounts (挂账): a company's people and cars charge their invoices to its account at the
stores it names, within its credit limit (above it only with a manager's reason), and the company
pays against monthly statements; charges fall due `payment_terms_days` after their month ends.

Postings (per store): a charge moves the debt inside 1122 accounts receivable from the invoice to
the account — Dr 1122 (the company) · Cr 1122 (the invoice), so the invoice counts it as settled
and 1122 keeps equal to what invoices and open charges leave unpaid. The company's payment — Dr
1002 bank or 1001 cash · Cr 1122, at the store of each charge it clears (oldest due first)."""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import unique_or_conflict, utcnow
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.policy import manages, sees_every_store

from ..models import AccountCharge, AccountPayment, CompanyAccount, CompanyAccountMember, Invoice
from . import ageing, ledger
from .common import by_key, get_locked, illegal, require_manager
from .invoices import PAID, VOID, announce_paid, status_after
from .ledger import AR, BANK, CASH, credit, debit

ACTIVE = "active"
PAID_INTO = {"bank": BANK, "cash": CASH}


# -- pure rules -------------------------------------------------------------------------------------
def due_on(charged_on: date, terms_days: int) -> date:
    """A charge is billed on its month's statement and due `terms_days` after that month ends."""
    month_end = charged_on.replace(day=calendar.monthrange(charged_on.year, charged_on.month)[1])
    return month_end + timedelta(days=terms_days)


def allocate(open_charges: list[AccountCharge], amount: int) -> list[tuple[AccountCharge, int]]:
    """A payment over open charges, oldest due first, each up to what it leaves unpaid."""
    left, allocations = amount, []
    for charge in sorted(open_charges, key=lambda c: (c.due_on, c.id)):
        if left <= 0:
            break
        share = min(left, charge.due_fen)
        if share > 0:
            allocations.append((charge, share))
            left -= share
    return allocations


def month_bounds(month: str) -> tuple[date, date]:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


# -- accounts ---------------------------------------------------------------------------------------
def _sees(caller: Caller, account: CompanyAccount) -> bool:
    return sees_every_store(caller) or bool(set(account.store_ids) & set(caller.store_ids))


def _require_visible(caller: Caller, account: CompanyAccount) -> None:
    """Staff see an account one of their stores may charge to (another store's document: 403)."""
    if not _sees(caller, account):
        raise Forbidden("This account is outside your account's stores.", code="store_out_of_scope")


def get_account(session: Session, caller: Caller, account_id: str) -> CompanyAccount:
    account = session.get(CompanyAccount, account_id)
    if account is None:
        raise NotFound("No such company account.")
    _require_visible(caller, account)
    return account


def create_account(session: Session, caller: Caller, data: dict) -> CompanyAccount:
    """HQ opens an account for any stores; a manager for the stores they manage."""
    require_manager(caller, "Opening a company account")
    for store_id in data["store_ids"]:
        caller.require_store(store_id)
    account = CompanyAccount(**data, status=ACTIVE, balance_fen=0, created_by=caller.user_id, created_at=utcnow())
    with unique_or_conflict(session, {"tax_number": "A company account with this tax number exists."},
                            codes={"tax_number": "company_account_taken"}):
        session.add(account)
    record_audit(session, caller, "company_account_opened", "company_account", account.id, store_id=None, details={
        "name": account.name, "tax_number": account.tax_number, "credit_limit_fen": account.credit_limit_fen,
        "payment_terms_days": account.payment_terms_days, "store_ids": account.store_ids})
    return account


def list_accounts(session: Session, caller: Caller, params: dict) -> list[CompanyAccount]:
    """Accounts the caller's stores may charge to (one store's with `store_id`), by name; with
    `invoice_id` only those that invoice may be charged to (its customer or car a member, its store named)."""
    query = select(CompanyAccount).order_by(CompanyAccount.name, CompanyAccount.id)
    if params.get("q"):
        query = query.where(or_(CompanyAccount.name.contains(params["q"]),
                                CompanyAccount.tax_number.contains(params["q"].upper())))
    accounts = [account for account in session.scalars(query) if _sees(caller, account)]
    if params.get("store_id"):
        caller.require_store(params["store_id"])
        accounts = [account for account in accounts if params["store_id"] in account.store_ids]
    if params.get("invoice_id"):
        invoice = session.get(Invoice, params["invoice_id"])
        if invoice is None:
            raise NotFound("No such invoice.")
        caller.require_store(invoice.store_id)
        accounts = [account for account in accounts if account.status == ACTIVE and _may_charge(account, invoice)]
    return accounts


def _may_charge(account: CompanyAccount, invoice: Invoice) -> bool:
    return invoice.store_id in account.store_ids and any(
        (member.customer_id and member.customer_id == invoice.customer_id)
        or (member.vehicle_id and member.vehicle_id == invoice.vehicle_id) for member in account.members)


def update_account(session: Session, caller: Caller, account_id: str, changes: dict) -> CompanyAccount:
    require_manager(caller, "Changing a company account")
    account = get_locked(session, CompanyAccount, account_id, "company account")
    _require_visible(caller, account)
    for store_id in changes.get("store_ids", ()):
        caller.require_store(store_id)
    before = {key: getattr(account, key) for key in changes}
    for key, value in changes.items():
        setattr(account, key, value)
    session.flush()
    record_audit(session, caller, "company_account_changed", "company_account", account.id, store_id=None,
                 details={"before": before, "after": changes})
    return account


def add_member(session: Session, caller: Caller, account_id: str, data: dict, label: str) -> CompanyAccountMember:
    """A crm customer or vehicle (`label`: its name or plate as crm gave it) may now charge to the account."""
    require_manager(caller, "Adding to a company account")
    account = get_account(session, caller, account_id)
    member = CompanyAccountMember(account_id=account.id, customer_id=data.get("customer_id"),
                                  vehicle_id=data.get("vehicle_id"), label=label[:60], added_by=caller.user_id,
                                  added_at=utcnow())
    field = "customer_id" if member.customer_id else "vehicle_id"
    with unique_or_conflict(session, {field: "Already a member of this account."},
                            codes={field: "account_member_taken"}):
        session.add(member)
    record_audit(session, caller, "company_account_member_added", "company_account", account.id, store_id=None,
                 details={"customer_id": member.customer_id, "vehicle_id": member.vehicle_id, "label": member.label})
    return member


# -- charges ----------------------------------------------------------------------------------------
def charge_invoice(session: Session, caller: Caller, invoice_id: str, data: dict, plate: str | None,
                   key: str | None = None) -> AccountCharge:
    """Charge (part of) an invoice's due to a company account. The invoice row, then the account's,
    are locked before either is read (two charges at once: the second sees the first's balance)."""
    if (found := _charged_before(session, key, invoice_id, data)) is not None:
        return found
    invoice = get_locked(session, Invoice, invoice_id, "invoice")
    caller.require_store(invoice.store_id)
    if (found := _charged_before(session, key, invoice_id, data)) is not None:
        return found
    account = get_locked(session, CompanyAccount, data["account_id"], "company account")
    _require_visible(caller, account)
    amount = data["amount_fen"]
    if invoice.status in (PAID, VOID):
        raise illegal("invoice", invoice.status, "charged to an account")
    if account.status != ACTIVE:
        raise illegal("company_account", account.status, "charged")
    if invoice.store_id not in account.store_ids:
        raise Conflict("This store may not charge to the account.", fields={"account_id": ["Not for this store."]},
                       code="account_store_not_allowed")
    if not _may_charge(account, invoice):
        raise Conflict("Neither the invoice's customer nor its car belongs to the account.",
                       fields={"account_id": ["The customer or car is not a member."]}, code="account_member_required")
    if amount > invoice.due_fen:
        raise Invalid(f"Only {invoice.due_fen} fen is due.", fields={"amount_fen": [f"At most {invoice.due_fen}."]},
                      code="overpayment", params={"due_fen": str(invoice.due_fen)})
    over = account.balance_fen + amount > account.credit_limit_fen
    reason = (data.get("over_limit_reason") or "").strip() or None
    if over and not (reason and manages(caller)):
        raise Conflict("The charge would take the account above its credit limit.",
                       fields={"amount_fen": ["Above the credit limit."]}, code="credit_limit_exceeded",
                       params={"credit_limit_fen": account.credit_limit_fen, "balance_fen": account.balance_fen,
                               "amount_fen": amount,
                               "available_fen": max(account.credit_limit_fen - account.balance_fen, 0)})
    day = ledger.business_date(session, invoice.store_id)
    charge = AccountCharge(account_id=account.id, invoice_id=invoice.id, invoice_number=invoice.number,
                           store_id=invoice.store_id, customer_id=invoice.customer_id, vehicle_id=invoice.vehicle_id,
                           plate=plate, amount_fen=amount, paid_fen=0, business_date=day,
                           due_on=due_on(day, account.payment_terms_days), over_limit_reason=reason if over else None,
                           idempotency_key=key, charged_by=caller.user_id, charged_at=utcnow())
    session.add(charge)
    account.balance_fen += amount
    before = {"paid_fen": invoice.paid_fen, "status": invoice.status}
    invoice.paid_fen += amount
    invoice.status = status_after(invoice.total_fen, invoice.paid_fen)
    session.flush()
    ledger.post_journal_entry(session, invoice.store_id, [debit(AR, amount), credit(AR, amount)],
                              source_type="account_charge", source_id=charge.id,
                              memo=f"{invoice.number} charged to {account.name}", day=day)
    record_audit(session, caller, "invoice_charged_to_account", "invoice", invoice.id, store_id=invoice.store_id,
                 details={"charge_id": charge.id, "account_id": account.id, "amount_fen": amount,
                          "over_limit_reason": charge.over_limit_reason, "before": before,
                          "after": {"paid_fen": invoice.paid_fen, "status": invoice.status}})
    if invoice.status == PAID:
        invoice.paid_at = charge.charged_at
        announce_paid(session, invoice)
    session.flush()
    return charge


def _charged_before(session: Session, key: str | None, invoice_id: str, data: dict) -> AccountCharge | None:
    if (found := by_key(session, AccountCharge, key)) is None:
        return None
    if (found.invoice_id, found.account_id, found.amount_fen) != (invoice_id, data["account_id"], data["amount_fen"]):
        raise Conflict("This Idempotency-Key was already used for another charge.",
                       fields={"idempotency_key": ["Used for another request."]}, code="idempotency_key_reused")
    return found


def charges_of_invoice(session: Session, invoice_id: str) -> list[AccountCharge]:
    return list(session.scalars(select(AccountCharge).where(AccountCharge.invoice_id == invoice_id)))


# -- the company's payments -------------------------------------------------------------------------
def receive_payment(session: Session, caller: Caller, account_id: str, data: dict,
                    key: str | None = None) -> AccountPayment:
    """The company pays: the amount clears its oldest open charges at the caller's stores (HQ: all),
    each store booking its part. More than those charges leave open is refused."""
    if (found := _received_before(session, key, account_id, data)) is not None:
        return found
    account = get_locked(session, CompanyAccount, account_id, "company account")
    _require_visible(caller, account)
    if (found := _received_before(session, key, account_id, data)) is not None:
        return found
    query = (select(AccountCharge).where(AccountCharge.account_id == account.id,
                                         AccountCharge.paid_fen < AccountCharge.amount_fen)
             .order_by(AccountCharge.id).with_for_update())
    if not sees_every_store(caller):
        query = query.where(AccountCharge.store_id.in_(sorted(caller.store_ids)))
    open_charges = list(session.scalars(query))
    owed = sum(charge.due_fen for charge in open_charges)
    amount = data["amount_fen"]
    if amount > owed:
        raise Conflict(f"Only {owed} fen is open on the account at your stores.",
                       fields={"amount_fen": [f"At most {owed}."]}, code="account_payment_above_balance",
                       params={"open_fen": owed})
    allocations = allocate(open_charges, amount)
    payment = AccountPayment(account_id=account.id, method=data["method"], amount_fen=amount,
                             reference=data.get("reference"), idempotency_key=key, received_by=caller.user_id,
                             received_at=utcnow(), business_date=ledger.today(session, allocations[0][0].store_id),
                             allocations=[{"charge_id": charge.id, "invoice_number": charge.invoice_number,
                                           "store_id": charge.store_id, "amount_fen": share}
                                          for charge, share in allocations])
    session.add(payment)
    per_store: dict[str, int] = {}
    for charge, share in allocations:
        charge.paid_fen += share
        per_store[charge.store_id] = per_store.get(charge.store_id, 0) + share
    account.balance_fen -= amount
    session.flush()
    for store_id, share in sorted(per_store.items()):
        ledger.post_journal_entry(session, store_id, [debit(PAID_INTO[payment.method], share), credit(AR, share)],
                                  source_type="account_payment", source_id=payment.id,
                                  memo=f"{account.name} paid its account")
    record_audit(session, caller, "company_account_paid", "company_account", account.id, store_id=None, details={
        "payment_id": payment.id, "amount_fen": amount, "method": payment.method,
        "allocations": payment.allocations})
    return payment


def _received_before(session: Session, key: str | None, account_id: str, data: dict) -> AccountPayment | None:
    if (found := by_key(session, AccountPayment, key)) is None:
        return None
    if (found.account_id, found.amount_fen, found.method) != (account_id, data["amount_fen"], data["method"]):
        raise Conflict("This Idempotency-Key was already used for another payment.",
                       fields={"idempotency_key": ["Used for another request."]}, code="idempotency_key_reused")
    return found


# -- statements, ageing, the reconciliation's side --------------------------------------------------
def statement(session: Session, caller: Caller, account_id: str, month: str) -> dict:
    """The month's statement: the balance brought forward, each charge (date, store, car, invoice)
    and payment with the running balance, the balance carried, and when the month's charges fall due."""
    account = get_account(session, caller, account_id)
    first, last = month_bounds(month)
    charges = list(session.scalars(select(AccountCharge).where(
        AccountCharge.account_id == account.id, AccountCharge.business_date <= last)))
    payments = list(session.scalars(select(AccountPayment).where(
        AccountPayment.account_id == account.id, AccountPayment.business_date <= last)))
    rows: list[dict[str, Any]] = [
        {"date": c.business_date, "kind": "charge", "id": c.id, "store_id": c.store_id, "plate": c.plate,
         "invoice_id": c.invoice_id, "invoice_number": c.invoice_number, "reference": None,
         "amount_fen": c.amount_fen, "open_fen": c.due_fen, "due_on": c.due_on} for c in charges]
    rows += [{"date": p.business_date, "kind": "payment", "id": p.id, "store_id": None, "plate": None,
              "invoice_id": None, "invoice_number": None, "reference": p.reference, "amount_fen": -p.amount_fen,
              "open_fen": None, "due_on": None} for p in payments]
    rows.sort(key=lambda row: (row["date"], row["kind"], row["id"]))
    opening = sum(row["amount_fen"] for row in rows if row["date"] < first)
    balance, lines = opening, []
    for row in rows:
        if row["date"] >= first:
            balance += row["amount_fen"]
            lines.append({**row, "balance_fen": balance})
    month_charges = [row for row in lines if row["kind"] == "charge"]
    return {"account_id": account.id, "name": account.name, "tax_number": account.tax_number, "month": month,
            "from": first, "to": last, "opening_balance_fen": opening, "lines": lines, "closing_balance_fen": balance,
            "charged_fen": sum(row["amount_fen"] for row in month_charges),
            "paid_fen": -sum(row["amount_fen"] for row in lines if row["kind"] == "payment"),
            "due_on": due_on(first, account.payment_terms_days), "credit_limit_fen": account.credit_limit_fen,
            "balance_fen": account.balance_fen}


def open_charges(session: Session, store_ids: list[str] | None) -> dict[str, int]:
    """store → what charges to company accounts leave unpaid (part of the receivables invariant)."""
    query = (select(AccountCharge.store_id, func.sum(AccountCharge.amount_fen - AccountCharge.paid_fen))
             .group_by(AccountCharge.store_id))
    if store_ids is not None:
        query = query.where(AccountCharge.store_id.in_(store_ids))
    return {store_id: int(owed or 0) for store_id, owed in session.execute(query)}


def add_to_ageing(session: Session, report: dict, stores: list[str] | None, as_of: date) -> dict:
    """The receivables ageing with the open charges by days past their due date: added to their
    store's row and the chain's, and listed per account (`accounts`)."""
    query = (select(AccountCharge, CompanyAccount.name).join(CompanyAccount)
             .where(AccountCharge.paid_fen < AccountCharge.amount_fen, AccountCharge.business_date <= as_of)
             .order_by(CompanyAccount.name, AccountCharge.id))
    if stores is not None:
        query = query.where(AccountCharge.store_id.in_(stores))
    by_store = {row["store_id"]: row for row in report["stores"]}
    by_account: dict[str, dict] = {}
    for charge, name in session.execute(query):
        store = by_store.setdefault(charge.store_id, {"store_id": charge.store_id, **ageing.empty()})
        account = by_account.setdefault(charge.account_id, {"account_id": charge.account_id, "name": name,
                                                            **ageing.empty()})
        ageing.add((store, account, report["chain"]), (as_of - charge.due_on).days, charge.due_fen)
    return {**report, "stores": sorted(by_store.values(), key=lambda row: row["store_id"]),
            "accounts": list(by_account.values())}
