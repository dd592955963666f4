"""workshop's events: what it publishes is its contract, shared with every service in
`services/contracts/workshop.py` (re-exported here); `HANDLES` lists the `(source, fact)` pairs its
handlers consume, each declared in the source's contract (tests/unit/test_event_contracts.py)."""
from services.contracts.workshop import PUBLISHES

__all__ = ["PUBLISHES", "HANDLES"]

HANDLES = (
    ("sales", "order_confirmed"),    # opens the work order (one per order): a job per labour line, the parts
    ("sales", "order_cancelled"),    # cancels it unless already completed
    ("inventory", "stock_shortage"),  # waiting_parts: true
    ("inventory", "stock_reserved"),  # waiting_parts: false
    ("crm", "customer_erased"),       # who took the car back and what they said go (domain/privacy.py)
)
