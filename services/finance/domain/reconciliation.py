"""The books prove themselves, per store: the journal's debits equal its credits; the inventory
(1405) and goods-in-transit (1402) accounts equal inventory's valuation; payables (2202) equal what
booked supplier invoices leave unpaid; goods received not invoiced (2209) equals what inventory
received from suppliers (less sent back) that no booked supplier invoice has matched yet;
receivables (1122) equal what issued customer invoices and charges to company accounts leave
unpaid; the member cards' liabilities (2205, 2206) equal what the store's active cards hold. Each
invariant is given with its two sides and their
difference: `book_sides` reads finance's sides, and `reconcile` (services/contracts/rpc/finance/reconciliation.py,
run by the gateway) sets them beside inventory's valuation. Also the balance sheet."""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.contracts.rpc.finance.reconciliation import JOURNAL_SIDES, SIDES

from ..models import Invoice, JournalLine, PaymentIntent
from . import accounts, cards, insurers, ledger, payables
from .ledger import AR, CHART, GRNI, IN_TRANSIT, INVENTORY, PACKAGES, PAYABLES, STORED_VALUE, TO_REFUND


def book_sides(session: Session, store_ids: list[str] | None) -> list[dict]:
    """Per store: the balances of the accounts reconciled (debit minus credit), the journal's total
    debits and credits (one grouped read), and what open supplier and customer invoices leave unpaid."""
    def net(account: str):
        return func.coalesce(func.sum(case((JournalLine.account == account,
                                            JournalLine.debit_fen - JournalLine.credit_fen), else_=0)), 0)

    query = (select(JournalLine.store_id, net(INVENTORY), net(IN_TRANSIT),
                    func.coalesce(func.sum(JournalLine.debit_fen), 0),
                    func.coalesce(func.sum(JournalLine.credit_fen), 0), -net(PAYABLES), net(AR),
                    -net(STORED_VALUE) - net(PACKAGES), -net(GRNI), -net(TO_REFUND))
             .group_by(JournalLine.store_id))
    if store_ids is not None:
        query = query.where(JournalLine.store_id.in_(store_ids))
    found = {store_id: dict(zip(SIDES, map(int, sides), strict=False)) for store_id, *sides in session.execute(query)}
    supplier_owed = payables.open_payables(session, store_ids)
    customers_owe = open_receivables(session, store_ids)
    cards_hold = cards.open_card_values(session, store_ids)
    matched = payables.matched_receipts(session, store_ids)
    to_refund = unapplied_intents(session, store_ids)
    rows = []
    for store_id in sorted(set(found) | set(supplier_owed) | set(customers_owe) | set(cards_hold) | set(matched)
                           | set(to_refund) | set(store_ids or ())):
        row = found.get(store_id) or dict.fromkeys(JOURNAL_SIDES, 0)
        rows.append({"store_id": store_id, **row, "open_supplier_invoices_fen": supplier_owed.get(store_id, 0),
                     "open_invoices_fen": customers_owe.get(store_id, 0),
                     "open_cards_fen": cards_hold.get(store_id, 0),
                     "matched_receipts_fen": matched.get(store_id, 0),
                     "unapplied_intents_fen": to_refund.get(store_id, 0)})
    return rows


def unapplied_intents(session: Session, store_ids: list[str] | None) -> dict[str, int]:
    """store → what its unapplied payment intents hold at the provider (2241: booked when found unapplied,
    cleared when the provider confirms their refund)."""
    query = (select(PaymentIntent.store_id, func.sum(PaymentIntent.amount_fen))
             .where(PaymentIntent.status == "unapplied").group_by(PaymentIntent.store_id))
    if store_ids is not None:
        query = query.where(PaymentIntent.store_id.in_(store_ids))
    return {store_id: int(total) for store_id, total in session.execute(query)}


def open_receivables(session: Session, store_ids: list[str] | None) -> dict[str, int]:
    """store → what issued (not void) customer invoices, their charges to company accounts and their claims
    on insurers leave unpaid (a charge or a claim settles the invoice's part and is owed by the account or
    the insurer)."""
    query = (select(Invoice.store_id, func.sum(Invoice.total_fen - Invoice.paid_fen))
             .where(Invoice.status != "void").group_by(Invoice.store_id))
    if store_ids is not None:
        query = query.where(Invoice.store_id.in_(store_ids))
    owed = {store_id: int(due or 0) for store_id, due in session.execute(query)}
    for open_documents in (accounts.open_charges, insurers.open_claims):
        for store_id, due in open_documents(session, store_ids).items():
            owed[store_id] = owed.get(store_id, 0) + due
    return owed


SECTIONS = {"asset": "assets", "liability": "liabilities", "equity": "equity"}
EARNINGS = ("revenue", "contra_revenue", "expense")
"""The profit-and-loss account types: their credits less their debits are the earnings."""


def balance_sheet(session: Session, store_ids: list[str] | None, as_of: date | None) -> dict:
    """Assets = liabilities + equity as of a day: each balance-sheet account at its normal side,
    and the profit or loss of every posting so far as current earnings (the books are not closed
    into retained earnings yet), so the two totals are equal whenever the journal balances."""
    sums = ledger.balances(session, store_ids, as_of=as_of)
    sections: dict[str, list[dict]] = {name: [] for name in SECTIONS.values()}
    earnings = 0
    for code in sorted(sums):
        dr, cr = sums[code]
        name, kind = CHART[code]
        if kind in EARNINGS:
            earnings += cr - dr
            continue
        balance = dr - cr if kind in ledger.DEBIT_NORMAL else cr - dr
        if balance:
            sections[SECTIONS[kind]].append({"code": code, "name": name, "balance_fen": balance})
    sections["equity"].append({"code": None, "name": "Current earnings 本期损益", "balance_fen": earnings})
    totals = {f"{name}_fen": sum(row["balance_fen"] for row in rows) for name, rows in sections.items()}
    return {"as_of": as_of, **sections, **{f"total_{key}": value for key, value in totals.items()},
            "balanced": totals["assets_fen"] == totals["liabilities_fen"] + totals["equity_fen"]}
