"""The inventory account follows inventory's valuation: each `inventory.stock_valued` is booked at the
value inventory gave it (moving average cost; finance never re-prices stock), and the reconciliation
reads the ledger side of every store's stock invariants.

Counter-accounts by movement kind (a signed value: + stock in, − stock out):
receipt, supplier_return (goods received sent back: a negative value) → 2209 goods received not
invoiced · issue, return (a customer brings a part back) → 5001
cost of sales · adjustment, stocktake variance → 6712 inventory gains and losses · opening (stock held
when the books began following it) → 3999 opening balances. A transfer leaves the sender into 1191
(due between stores) and enters the receiver's 1402 goods in transit; on receipt transit becomes 1405
stock, a shortfall the receiver's loss (6712). A work order's issue comes as `stock_issued` (books.py).
"""
from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..models import JournalLine
from . import ledger
from .ledger import (COGS, GRNI, IN_TRANSIT, INVENTORY, OPENING, STOCK_GAINS_LOSSES, TRANSFERS, credit,
                     debit)

SIDES = ("inventory_fen", "in_transit_fen", "debit_fen", "credit_fen")
COUNTER_ACCOUNTS = {"receipt": GRNI, "supplier_return": GRNI, "issue": COGS, "return": COGS,
                    "adjustment": STOCK_GAINS_LOSSES, "stocktake_variance": STOCK_GAINS_LOSSES}


def stock_entries(valued: dict) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(store, lines) of the entries one change of stock value makes; unknown kinds are refused
    (the event is retried and dead-lettered rather than left out of the books)."""
    kind, store_id, value = valued["kind"], valued["store_id"], valued["value_fen"]
    if kind in COUNTER_ACCOUNTS:
        return [(store_id, [debit(INVENTORY, value), credit(COUNTER_ACCOUNTS[kind], value)])]
    if kind == "transfer_out":
        return [(store_id, [debit(INVENTORY, value), credit(TRANSFERS, value)]),
                (valued["to_store_id"], [debit(IN_TRANSIT, -value), credit(TRANSFERS, -value)])]
    if kind == "transfer_in":
        in_transit = valued["in_transit_fen"]
        return [(store_id, [debit(INVENTORY, value), debit(STOCK_GAINS_LOSSES, in_transit - value),
                            credit(IN_TRANSIT, in_transit)])]
    if kind == "opening":
        in_transit = valued.get("in_transit_fen", 0)
        return [(store_id, [debit(INVENTORY, value), debit(IN_TRANSIT, in_transit),
                            credit(OPENING, value + in_transit)])]
    raise ValueError(f"no posting rule for stock movements of kind {kind}")


def record_stock_value(session: Session, valued: dict) -> None:
    """Post what one `stock_valued` event says (once: the handler dedupes by event id)."""
    for store_id, lines in stock_entries(valued):
        ledger.post_journal_entry(session, store_id, lines, source_type=f"stock_{valued['kind']}",
                                  source_id=valued["reference_id"],
                                  memo=f"Stock {valued['kind']} {valued['reference_type']} {valued['reference_id']}")


def stock_accounts(session: Session, store_ids: list[str] | None) -> list[dict]:
    """Per store: the inventory and goods-in-transit balances (debit minus credit) and the journal's
    total debits and credits, in one grouped read."""
    def net(account: str):
        return func.coalesce(func.sum(case((JournalLine.account == account,
                                            JournalLine.debit_fen - JournalLine.credit_fen), else_=0)), 0)

    query = (select(JournalLine.store_id, net(INVENTORY), net(IN_TRANSIT),
                    func.coalesce(func.sum(JournalLine.debit_fen), 0),
                    func.coalesce(func.sum(JournalLine.credit_fen), 0))
             .group_by(JournalLine.store_id).order_by(JournalLine.store_id))
    if store_ids is not None:
        query = query.where(JournalLine.store_id.in_(store_ids))
    found = {store_id: dict(zip(SIDES, map(int, sides), strict=True)) for store_id, *sides in session.execute(query)}
    return [{"store_id": store_id, **found.get(store_id, dict.fromkeys(SIDES, 0))}
            for store_id in sorted(set(found) | set(store_ids or ()))]


def reconcile(books: list[dict], valuation: list[dict]) -> dict:
    """Each store's invariants with their two sides: finance's stock accounts (`stock_accounts`)
    beside inventory's valuation (`GET /v1/stock/valuation` rows), and the journal's debits beside
    its credits. A store known to either side is listed."""
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
                       "finance:journal.credit_fen", book["credit_fen"])]
        stores.append({"store_id": store_id, "invariants": invariants,
                       "ok": all(item["difference_fen"] == 0 for item in invariants)})
    return {"stores": stores, "ok": all(store["ok"] for store in stores)}


def _invariant(code: str, left: str, left_fen: int, right: str, right_fen: int) -> dict:
    return {"code": code, "left": left, "left_fen": left_fen, "right": right, "right_fen": right_fen,
            "difference_fen": left_fen - right_fen}
