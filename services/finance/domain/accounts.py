"""Company accounts (挂账): a company's people and cars charge their invoices to its account at the
stores it names, within its credit limit (above it only with a manager's reason), and the company
pays against monthly statements; charges fall due `payment_terms_days` after their month ends.

Postings (per store): a charge moves the debt inside 1122 accounts receivable from the invoice to
the account — Dr 1122 (the company) · Cr 1122 (the invoice), so the invoice counts it as settled
and 1122 keeps equal to what invoices and open charges leave unpaid. The company's payment — Dr
1002 bank or 1001 cash · Cr 1122, at the store of each charge it clears (oldest due first)."""
from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import unique_or_conflict, utcnow
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.outbox import record_event
from services.common.policy import manages, sees_every_store

from ..models import AccountCharge, AccountPayment, AccountReminder, CompanyAccount, CompanyAccountMember, Invoice
from . import ageing, ledger
from .common import get_locked, illegal, replayed, require_manager
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
def sees(caller: Caller, account: CompanyAccount | Any) -> bool:
    """Staff see an account (or an insurer) one of their stores may charge to; HQ every one."""
    return sees_every_store(caller) or bool(set(account.store_ids) & set(caller.store_ids))


def require_visible(caller: Caller, account: CompanyAccount | Any) -> None:
    """Staff see an account one of their stores may charge to (another store's document: 403)."""
    if not sees(caller, account):
        raise Forbidden("This account is outside your account's stores.", code="store_out_of_scope")


def get_visible(session: Session, caller: Caller, model, record_id: str, what: str):
    """A company account or an insurer one of the caller's stores may use (404, 403)."""
    found = session.get(model, record_id)
    if found is None:
        raise NotFound(f"No such {what}.")
    require_visible(caller, found)
    return found


def get_account(session: Session, caller: Caller, account_id: str) -> CompanyAccount:
    return get_visible(session, caller, CompanyAccount, account_id, "company account")


def new_debtor(caller: Caller, model, data: dict, action: str):
    """A company account or an insurer (`model`), active with nothing owed: HQ's for any stores, a manager's
    for the stores they manage (`action` names what needs the manager)."""
    require_manager(caller, action)
    for store_id in data["store_ids"]:
        caller.require_store(store_id)
    return model(**data, status=ACTIVE, balance_fen=0, created_by=caller.user_id, created_at=utcnow())


def create_account(session: Session, caller: Caller, data: dict) -> CompanyAccount:
    """HQ opens an account for any stores; a manager for the stores they manage."""
    account = new_debtor(caller, CompanyAccount, data, "Opening a company account")
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
    accounts = [account for account in session.scalars(query) if sees(caller, account)]
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
    return change_debtor(session, caller, (CompanyAccount, "company account", "company_account"), account_id, changes)


def change_debtor(session: Session, caller: Caller, kind: tuple, record_id: str, changes: dict):
    """A manager changes a company account or an insurer (`kind`: its model, its name, its audited type) of
    their stores, naming only their stores; audited before and after."""
    model, what, audited = kind
    require_manager(caller, f"Changing a {what}")
    found = get_locked(session, model, record_id, what)
    require_visible(caller, found)
    for store_id in changes.get("store_ids", ()):
        caller.require_store(store_id)
    before = {key: getattr(found, key) for key in changes}
    for key, value in changes.items():
        setattr(found, key, value)
    session.flush()
    record_audit(session, caller, f"{audited}_changed", audited, found.id, store_id=None,
                 details={"before": before, "after": changes})
    return found


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
    earlier, invoice, account = lock_for_debtor(session, caller, invoice_id, lambda: _charged_before(
        session, key, invoice_id, data), (CompanyAccount, data["account_id"], "company account", "company_account"))
    if earlier is not None:
        return earlier
    amount = data["amount_fen"]
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
    session.flush()
    move_to_debtor(session, caller, invoice, amount, at=charge.charged_at, source=("account_charge", charge.id),
                   memo=f"{invoice.number} charged to {account.name}", day=day,
                   audit=("invoice_charged_to_account", {"charge_id": charge.id, "account_id": account.id,
                                                         "amount_fen": amount,
                                                         "over_limit_reason": charge.over_limit_reason}))
    return charge


def lock_for_debtor(session: Session, caller: Caller, invoice_id: str, replay: Callable[[], Any],
                    debtor: tuple) -> tuple[Any, Any, Any]:
    """Before part of an invoice is owed by another (`debtor`: a company account or an insurer — its model, id,
    name, audited type): (what an earlier request with the same key made, None, None) for a retry, else (None,
    the invoice, the debtor), the invoice row locked before the debtor's, both readable by the caller, the
    invoice still due and the debtor active (409 `invoice_state`, `<debtor>_state`)."""
    model, debtor_id, what, audited = debtor
    if (found := replay()) is not None:
        return found, None, None
    invoice = get_locked(session, Invoice, invoice_id, "invoice")
    caller.require_store(invoice.store_id)
    if (found := replay()) is not None:
        return found, None, None
    owner = get_locked(session, model, debtor_id, what)
    require_visible(caller, owner)
    if invoice.status in (PAID, VOID):
        raise illegal("invoice", invoice.status, f"owed by a {what}")
    if owner.status != ACTIVE:
        raise illegal(audited, owner.status, "used")
    return None, invoice, owner


def move_to_debtor(session: Session, caller: Caller, invoice: Invoice, amount: int, *, at, source: tuple[str, str],
                   memo: str, day: date, audit: tuple[str, dict]) -> None:
    """`amount` of the invoice's due is owed by another now (a company account, an insurer): the invoice
    counts it as settled (paid when whole) and the debt moves inside 1122 — Dr 1122 · Cr 1122 at its store."""
    before = {"paid_fen": invoice.paid_fen, "status": invoice.status}
    invoice.paid_fen += amount
    invoice.status = status_after(invoice.total_fen, invoice.paid_fen)
    session.flush()
    ledger.post_journal_entry(session, invoice.store_id, [debit(AR, amount), credit(AR, amount)],
                              source_type=source[0], source_id=source[1], memo=memo, day=day)
    action, details = audit
    record_audit(session, caller, action, "invoice", invoice.id, store_id=invoice.store_id, details={
        **details, "before": before, "after": {"paid_fen": invoice.paid_fen, "status": invoice.status}})
    if invoice.status == PAID:
        invoice.paid_at = at
        announce_paid(session, invoice)
    session.flush()


def _charged_before(session: Session, key: str | None, invoice_id: str, data: dict) -> AccountCharge | None:
    return replayed(session, AccountCharge, key, lambda found: (found.invoice_id, found.account_id, found.amount_fen)
                    == (invoice_id, data["account_id"], data["amount_fen"]), "charge")


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
    require_visible(caller, account)
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
    apply_received(session, account, payment, allocations, ("account_payment", f"{account.name} paid its account"))
    record_audit(session, caller, "company_account_paid", "company_account", account.id, store_id=None, details={
        "payment_id": payment.id, "amount_fen": amount, "method": payment.method,
        "allocations": payment.allocations})
    return payment


def apply_received(session: Session, debtor, received, allocations: list[tuple[Any, int]],
                   posting: tuple[str, str]) -> None:
    """Money received from a company account or an insurer (`debtor`) pays each document allocated its share
    and lowers the debtor's balance; each store books its part — Dr 1002 bank / 1001 cash · Cr 1122
    (`posting`: the entry's source type and memo)."""
    per_store: dict[str, int] = {}
    for document, share in allocations:
        document.paid_fen += share
        per_store[document.store_id] = per_store.get(document.store_id, 0) + share
    debtor.balance_fen -= received.amount_fen
    session.flush()
    for store_id, share in sorted(per_store.items()):
        ledger.post_journal_entry(session, store_id, [debit(PAID_INTO[received.method], share), credit(AR, share)],
                                  source_type=posting[0], source_id=received.id, memo=posting[1])


def _received_before(session: Session, key: str | None, account_id: str, data: dict) -> AccountPayment | None:
    return replayed(session, AccountPayment, key, lambda found: (found.account_id, found.amount_fen, found.method)
                    == (account_id, data["amount_fen"], data["method"]), "payment")


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
            "from_": first, "to": last, "opening_balance_fen": opening, "lines": lines, "closing_balance_fen": balance,
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
    owed = ((charge.store_id, charge.account_id, name, (as_of - charge.due_on).days, charge.due_fen)
            for charge, name in session.execute(query))
    return add_owed_to_ageing(report, owed, "accounts", "account_id")


def add_owed_to_ageing(report: dict, owed, listed: str, key: str) -> dict:
    """`owed` — (store, debtor id, debtor name, days past due, amount) — added to the ageing's store rows
    and the chain's, and listed per debtor under `listed` (each row named by `key` and `name`)."""
    by_store = {row["store_id"]: row for row in report["stores"]}
    by_debtor: dict[str, dict] = {}
    for store_id, debtor_id, name, days, amount in owed:
        store = by_store.setdefault(store_id, {"store_id": store_id, **ageing.empty()})
        debtor = by_debtor.setdefault(debtor_id, {key: debtor_id, "name": name, **ageing.empty()})
        ageing.add((store, debtor, report["chain"]), days, amount)
    return {**report, "stores": sorted(by_store.values(), key=lambda row: row["store_id"]),
            listed: list(by_debtor.values())}


# -- overdue charges and reminders ------------------------------------------------------------------
def overdue(session: Session, account_ids: list[str] | None, today: date) -> dict[str, dict]:
    """account → what its charges past their due date leave unpaid on `today` (`overdue_fen`) and
    how many days the oldest of them is late (`overdue_days`); accounts with nothing overdue are left out."""
    query = (select(AccountCharge.account_id, func.sum(AccountCharge.amount_fen - AccountCharge.paid_fen),
                    func.min(AccountCharge.due_on))
             .where(AccountCharge.paid_fen < AccountCharge.amount_fen, AccountCharge.due_on < today)
             .group_by(AccountCharge.account_id))
    if account_ids is not None:
        query = query.where(AccountCharge.account_id.in_(account_ids))
    return {account_id: {"overdue_fen": int(owed), "overdue_days": (today - oldest).days}
            for account_id, owed, oldest in session.execute(query)}


def with_overdue(session: Session, dumped: list[dict], today: date) -> list[dict]:
    """Accounts as dumped, each with what is overdue on `today` and for how many days (0 and 0: nothing)."""
    late = overdue(session, [row["id"] for row in dumped], today)
    return [{**row, **late.get(row["id"], {"overdue_fen": 0, "overdue_days": 0})} for row in dumped]


def remind_overdue(session: Session, today: date) -> int:
    """The daily job: each active account with something overdue and a contact's mobile gets one
    reminder a day — a row (unique per account and day, so a second run, or a second replica, adds
    nothing) and `company_account_overdue` for crm, which texts the contact. Answers how many were sent."""
    late = overdue(session, None, today)
    if not late:
        return 0
    done = set(session.scalars(select(AccountReminder.account_id).where(AccountReminder.day == today,
                                                                        AccountReminder.account_id.in_(late))))
    sent = 0
    for account in session.scalars(select(CompanyAccount).where(CompanyAccount.id.in_(sorted(set(late) - done)),
                                                                CompanyAccount.status == ACTIVE)
                                   .order_by(CompanyAccount.id)):
        if not account.contact_phone:
            continue
        figures = late[account.id]
        try:
            with session.begin_nested():
                session.add(AccountReminder(account_id=account.id, day=today, created_at=utcnow(),
                                            overdue_fen=figures["overdue_fen"], days_overdue=figures["overdue_days"]))
        except IntegrityError:  # another run sent today's at the same moment
            continue
        record_event(session, "company_account_overdue", {
            "account_id": account.id, "name": account.name, "contact_name": account.contact_name,
            "contact_phone": account.contact_phone, "day": today.isoformat(), **figures,
            "member_customer_ids": [m.customer_id for m in account.members if m.customer_id]})
        sent += 1
    return sent
