"""The books prove themselves, per store: the journal's debits equal its credits; the inventory
(1405) and goods-in-transit (1402) accounts equal inventory's valuation; payables (2202) equal what
booked supplier invoices leave unpaid; receivables (1122) equal what issued customer invoices leave
unpaid. Each invariant is given with its two sides and their difference. Also the balance sheet."""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..models import Invoice, JournalLine
from . import ledger, payables
from .ledger import AR, CHART, IN_TRANSIT, INVENTORY, PAYABLES

SIDES = ("inventory_fen", "in_transit_fen", "debit_fen", "credit_fen", "payables_fen", "receivables_fen",
         "open_supplier_invoices_fen", "open_invoices_fen")


def book_sides(session: Session, store_ids: list[str] | None) -> list[dict]:
    """Per store: the balances of the accounts reconciled (debit minus credit), the journal's total
    debits and credits (one grouped read), and what open supplier and customer invoices leave unpaid."""
    def net(account: str):
        return func.coalesce(func.sum(case((JournalLine.account == account,
                                            JournalLine.debit_fen - JournalLine.credit_fen), else_=0)), 0)

    query = (select(JournalLine.store_id, net(INVENTORY), net(IN_TRANSIT),
                    func.coalesce(func.sum(JournalLine.debit_fen), 0),
                    func.coalesce(func.sum(JournalLine.credit_fen), 0), -net(PAYABLES), net(AR))
             .group_by(JournalLine.store_id))
    if store_ids is not None:
        query = query.where(JournalLine.store_id.in_(store_ids))
    found = {store_id: dict(zip(SIDES, map(int, sides), strict=False)) for store_id, *sides in session.execute(query)}
    supplier_owed = payables.open_payables(session, store_ids)
    customers_owe = open_receivables(session, store_ids)
    rows = []
    for store_id in sorted(set(found) | set(supplier_owed) | set(customers_owe) | set(store_ids or ())):
        row = found.get(store_id) or dict.fromkeys(SIDES[:6], 0)
        rows.append({"store_id": store_id, **row, "open_supplier_invoices_fen": supplier_owed.get(store_id, 0),
                     "open_invoices_fen": customers_owe.get(store_id, 0)})
    return rows


def open_receivables(session: Session, store_ids: list[str] | None) -> dict[str, int]:
    """store → what issued (not void) customer invoices leave unpaid."""
    query = (select(Invoice.store_id, func.sum(Invoice.total_fen - Invoice.paid_fen))
             .where(Invoice.status != "void").group_by(Invoice.store_id))
    if store_ids is not None:
        query = query.where(Invoice.store_id.in_(store_ids))
    return {store_id: int(owed or 0) for store_id, owed in session.execute(query)}


def reconcile(books: list[dict], valuation: list[dict]) -> dict:
    """Each store's invariants: finance's sides (`book_sides`) beside inventory's valuation
    (`GET /v1/stock/valuation` rows). A store known to either side is listed."""
    by_store = {row["store_id"]: row for row in books}
    valued = {row["store_id"]: row for row in valuation}
    stores = []
    for store_id in sorted(set(by_store) | set(valued)):
        book = by_store.get(store_id) or dict.fromkeys(SIDES, 0)
        stock = valued.get(store_id) or {"value_fen": 0, "in_transit_fen": 0}
        invariants = [
            _invariant("inventory_account_equals_stock_value", f"finance:{INVENTORY}", book["inventory_fen"],
                       "inventory:valuation.value_fen", stock["value_fen"]),
            _invariant("in_transit_account_equals_stock_in_transit", f"finance:{IN_TRANSIT}",
                       book["in_transit_fen"], "inventory:valuation.in_transit_fen", stock["in_transit_fen"]),
            _invariant("debits_equal_credits", "finance:journal.debit_fen", book["debit_fen"],
                       "finance:journal.credit_fen", book["credit_fen"]),
            _invariant("payables_equal_open_supplier_invoices", f"finance:{PAYABLES}", book["payables_fen"],
                       "finance:supplier_invoices.due_fen", book["open_supplier_invoices_fen"]),
            _invariant("receivables_equal_open_invoices", f"finance:{AR}", book["receivables_fen"],
                       "finance:invoices.due_fen", book["open_invoices_fen"])]
        stores.append({"store_id": store_id, "invariants": invariants,
                       "ok": all(item["difference_fen"] == 0 for item in invariants)})
    return {"stores": stores, "ok": all(store["ok"] for store in stores)}


def _invariant(code: str, left: str, left_fen: int, right: str, right_fen: int) -> dict:
    return {"code": code, "left": left, "left_fen": left_fen, "right": right, "right_fen": right_fen,
            "difference_fen": left_fen - right_fen}


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
