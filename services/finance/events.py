"""finance's events: what it publishes is its contract, shared with every service in
`services/contracts/finance.py` (re-exported here); `HANDLES` lists the `(source, fact)` pairs its
handlers consume, each declared in the source's contract (tests/unit/test_event_contracts.py)."""
from services.contracts.finance import PUBLISHES

__all__ = ["PUBLISHES", "HANDLES"]

HANDLES = (
    ("sales", "order_confirmed"),           # the order's billing basis; a deposit becomes a prepayment
    ("sales", "order_cancelled"),           # unconsumed deposits refunded to their method
    ("workshop", "work_order_completed"),   # the invoice (once per order): contracted lines, parts used
    ("inventory", "stock_issued"),          # cost of goods sold (Dr COGS · Cr inventory)
    ("inventory", "stock_valued"),          # every other change of stock value (domain/stock.py)
    ("crm", "customer_erased"),             # the plate and VIN copied into repair health-record uploads
)
