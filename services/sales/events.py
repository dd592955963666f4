"""sales' events: what it publishes is its contract, shared with every service in
`services/contracts/sales.py` (re-exported here); `HANDLES` lists the `(source, fact)` pairs its
handlers consume, each declared in the source's contract (tests/unit/test_event_contracts.py)."""
from services.contracts.sales import PUBLISHES

__all__ = ["PUBLISHES", "HANDLES"]

HANDLES = (
    ("workshop", "work_started"),          # order -> in_progress
    ("workshop", "work_order_completed"),  # order -> completed
    ("workshop", "vehicle_delivered"),     # order -> delivered (closed if already paid)
    ("finance", "invoice_paid"),           # order -> closed once delivered
    ("crm", "customer_erased"),            # copies of name, plate, licence, notes go (domain/privacy.py)
)
