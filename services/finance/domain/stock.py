"""The inventory account follows inventory's valuation: each `inventory.stock_valued` is booked at the
value inventory gave it (moving average cost; finance never re-prices stock); `reconciliation` proves it.

Counter-accounts by movement kind (a signed value: + stock in, − stock out):
receipt, supplier_return (goods received sent back: a negative value) → 2209 goods received not
invoiced · issue, return (a customer brings a part back) → 5001
cost of sales · adjustment, stocktake variance → 6712 inventory gains and losses · opening (stock held
when the books began following it) → 3999 opening balances. A transfer leaves the sender into 1191
(due between stores) and enters the receiver's 1402 goods in transit; on receipt transit becomes 1405
stock, a shortfall the receiver's loss (6712). A work order's issue comes as `stock_issued` (books.py).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from . import ledger
from .ledger import (COGS, GRNI, IN_TRANSIT, INVENTORY, OPENING, STOCK_GAINS_LOSSES, TRANSFERS, credit,
                     debit)

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
