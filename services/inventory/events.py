"""inventory's events: what it publishes is its contract, shared with every service in
`services/contracts/inventory.py` (re-exported here); `HANDLES` lists the `(source, fact)` pairs its
handlers consume, each declared in the source's contract (tests/unit/test_event_contracts.py)."""
from services.contracts.inventory import PUBLISHES

__all__ = ["PUBLISHES", "HANDLES"]

HANDLES = (
    ("sales", "order_confirmed"),           # reserve the order's parts at its store
    ("sales", "order_cancelled"),           # release everything the order holds
    ("workshop", "work_order_completed"),   # issue what was used at moving average cost, release the rest
)
