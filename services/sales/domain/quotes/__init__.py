"""Quotes: lines of three kinds priced on the server (labour from the catalogue and the
store's rate, parts from inventory and the price list, fees), packages added in one step,
discounts with approval above the store's limit, price floors, presenting, the customer's
decision per line and new versions of a presented quote. One module per part of the work, each
building only on those before it: `base` (the quote itself), `negotiation` (discounts, approval,
repricing), `lines` (building lines) and `lifecycle` (presenting, deciding, revising, expiring)."""
from .base import (CONTRACTABLE, DECIDED_STATES, OPEN_STATES, editable, get_quote, list_quotes, open_quote,
                   require_state, store_today, versions_of)
from .negotiation import (approve, note_discounter, reject, reprice, require_approved_discount, set_discount,
                          set_line_discount)
from .lines import (QuoteParts, add_line, add_lines, add_package, finding_lines, findings_note, price_parts,
                    remove_line, stock_covers)
from .lifecycle import (APPROVED_STATES, advisor_scorecards, close_ratio, close_ratios, decide, expire_overdue, present,
                        revise)

__all__ = [
    "APPROVED_STATES", "CONTRACTABLE", "DECIDED_STATES", "OPEN_STATES", "QuoteParts", "add_line", "add_lines",
    "add_package", "advisor_scorecards",
    "approve", "close_ratio", "close_ratios", "decide", "editable", "expire_overdue", "finding_lines",
    "findings_note", "get_quote", "list_quotes", "note_discounter", "open_quote", "present", "price_parts", "reject",
    "remove_line", "reprice", "require_approved_discount", "require_state", "revise", "set_discount",
    "set_line_discount", "stock_covers", "store_today", "versions_of",
]
