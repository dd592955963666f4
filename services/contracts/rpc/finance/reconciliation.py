"""The books prove themselves, per store: finance's sides of each invariant (its `book_sides` answer) beside
inventory's valuation, joined by `reconcile` (a rule over the two services' answers, which the gateway
runs); and the balance sheet. Goods received not invoiced (2209) is proven against the receipts: what
inventory received from suppliers less what it sent back, less what booked supplier invoices matched of
it and plus what their credit notes gave back (the receipts not yet matched to an invoice)."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.fields import Fen


AR, INVENTORY, IN_TRANSIT, PAYABLES, GRNI = "1122", "1405", "1402", "2202", "2209"
STORED_VALUE, PACKAGES, TO_REFUND = "2205", "2206", "2241"
"""The ledger's accounts the invariants name (`finance:1405`): receivables, inventory, goods in transit,
payables, goods received not invoiced, member cards' stored value and packages, money a provider took that
nothing was due for (services/finance/domain/ledger.py posts to them)."""
SIDES = ("inventory_fen", "in_transit_fen", "debit_fen", "credit_fen", "payables_fen", "receivables_fen",
         "card_liabilities_fen", "grni_fen", "to_refund_fen", "open_supplier_invoices_fen", "open_invoices_fen",
         "open_cards_fen", "matched_receipts_fen", "unapplied_intents_fen")
"""finance's sides of a store (`BookSidesOut`): the journal's first (`JOURNAL_SIDES`), then its documents'."""
JOURNAL_SIDES = SIDES[:9]


class ReconciliationQuery(Schema):
    store_id = fields.String(metadata={"description": "One store; without it the caller's stores (HQ: all)"})


class BookSidesOut(Schema):
    """finance's sides of a store's invariants (account balances are debit minus credit, payables
    credit minus debit)."""
    store_id = fields.String()
    inventory_fen = Fen(allow_negative=True, metadata={"description": "1405 inventory"})
    in_transit_fen = Fen(allow_negative=True, metadata={"description": "1402 goods in transit"})
    debit_fen = Fen(metadata={"description": "All debits of the store's journal"})
    credit_fen = Fen(metadata={"description": "All credits of the store's journal"})
    payables_fen = Fen(allow_negative=True, metadata={"description": "2202 accounts payable"})
    receivables_fen = Fen(allow_negative=True, metadata={"description": "1122 accounts receivable"})
    open_supplier_invoices_fen = Fen(metadata={"description": "What booked supplier invoices leave unpaid"})
    open_invoices_fen = Fen(allow_negative=True,
                            metadata={"description": "What issued customer invoices leave unpaid"})
    card_liabilities_fen = Fen(allow_negative=True, metadata={"description": "2205 + 2206: what the store's member "
                                                              "cards hold (credit minus debit)"})
    open_cards_fen = Fen(metadata={"description": "The paid balances of the store's active stored-value cards and "
                                                  "the value left on its active packages"})
    grni_fen = Fen(allow_negative=True, metadata={"description": "2209 goods received not invoiced (credit minus "
                                                                 "debit)"})
    to_refund_fen = Fen(allow_negative=True, metadata={"description": "2241 provider receipts to refund (credit minus "
                                                                      "debit)"})
    unapplied_intents_fen = Fen(metadata={"description": "What unapplied payment intents hold at the provider (paid "
                                                         "when nothing was due, not yet refunded)"})
    matched_receipts_fen = Fen(allow_negative=True, metadata={
        "description": "The received value booked supplier invoices cleared, less the value of goods sent back "
                       "their credit notes cleared (the receipts matched)"})


class InvariantOut(Schema):
    code = fields.String(metadata={"enum": ["debits_equal_credits", "inventory_account_equals_stock_value",
                                            "in_transit_account_equals_stock_in_transit",
                                            "payables_equal_open_supplier_invoices",
                                            "receivables_equal_open_invoices",
                                            "card_liabilities_equal_open_cards",
                                            "grni_equals_unmatched_receipts",
                                            "to_refund_equals_unapplied_intents"]})
    left = fields.String(metadata={"description": "What the left side is, e.g. `finance:1405`"})
    left_fen = Fen(allow_negative=True)
    right = fields.String(metadata={"description": "What the right side is, e.g. `inventory:valuation.value_fen`"})
    right_fen = Fen(allow_negative=True)
    difference_fen = Fen(allow_negative=True, metadata={"description": "left − right; 0 when it holds"})


class StoreReconciliationOut(Schema):
    store_id = fields.String()
    invariants = fields.List(fields.Nested(InvariantOut))
    ok = fields.Boolean(metadata={"description": "Every difference is zero"})


class ReconciliationOut(Schema):
    stores = fields.List(fields.Nested(StoreReconciliationOut))
    ok = fields.Boolean()


def reconcile(books: list[dict], valuation: list[dict]) -> dict:
    """Each store's invariants: finance's sides (`book_sides`) beside inventory's valuation
    (`GET /v1/stock/valuation` rows). A store known to either side is listed."""
    by_store = {row["store_id"]: row for row in books}
    valued = {row["store_id"]: row for row in valuation}
    stores = []
    for store_id in sorted(set(by_store) | set(valued)):
        book = by_store.get(store_id) or dict.fromkeys(SIDES, 0)
        stock = valued.get(store_id) or {"value_fen": 0, "in_transit_fen": 0, "received_fen": 0}
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
                       "finance:invoices.due_fen+account_charges.due_fen+insurance_claims.open_fen",
                       book["open_invoices_fen"]),
            _invariant("card_liabilities_equal_open_cards", f"finance:{STORED_VALUE}+{PACKAGES}",
                       book["card_liabilities_fen"], "finance:member_cards.paid_balance_fen+value_left_fen",
                       book["open_cards_fen"]),
            _invariant("grni_equals_unmatched_receipts", f"finance:{GRNI}", book.get("grni_fen", 0),
                       "inventory:valuation.received_fen-finance:matched_receipts_fen",
                       stock.get("received_fen", 0) - book.get("matched_receipts_fen", 0)),
            _invariant("to_refund_equals_unapplied_intents", f"finance:{TO_REFUND}", book.get("to_refund_fen", 0),
                       "finance:payment_intents.unapplied.amount_fen", book.get("unapplied_intents_fen", 0))]
        stores.append({"store_id": store_id, "invariants": invariants,
                       "ok": all(item["difference_fen"] == 0 for item in invariants)})
    return {"stores": stores, "ok": all(store["ok"] for store in stores)}


def _invariant(code: str, left: str, left_fen: int, right: str, right_fen: int) -> dict:
    return {"code": code, "left": left, "left_fen": left_fen, "right": right, "right_fen": right_fen,
            "difference_fen": left_fen - right_fen}


class BalanceSheetQuery(Schema):
    store_id = fields.String(metadata={"description": "One store; without it the caller's stores (HQ: all)"})
    as_of = fields.Date(load_default=None)


class BalanceLineOut(Schema):
    code = fields.String(allow_none=True, metadata={"description": "The account; none for current earnings"})
    name = fields.String()
    balance_fen = Fen(allow_negative=True, metadata={"description": "At the section's normal side"})


class BalanceSheetOut(Schema):
    store_id = fields.String(allow_none=True)
    as_of = fields.Date(allow_none=True)
    assets = fields.List(fields.Nested(BalanceLineOut))
    liabilities = fields.List(fields.Nested(BalanceLineOut))
    equity = fields.List(fields.Nested(BalanceLineOut))
    total_assets_fen = Fen(allow_negative=True)
    total_liabilities_fen = Fen(allow_negative=True)
    total_equity_fen = Fen(allow_negative=True)
    balanced = fields.Boolean(metadata={"description": "Assets = liabilities + equity"})
