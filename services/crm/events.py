"""crm's events: what it publishes is its contract, shared with every service in
`services/contracts/crm.py` (re-exported here); `HANDLES` lists the `(source, fact)` pairs its
handlers consume, each declared in the source's contract (tests/unit/test_event_contracts.py)."""
from services.contracts.crm import PUBLISHES

__all__ = ["PUBLISHES", "HANDLES"]

HANDLES = (
    ("sales", "visit_checked_in"),      # history; mileage only grows; last visit; the owner's text
    ("sales", "order_confirmed"),       # history with the total; op codes kept for service-due
    ("sales", "order_cancelled"),       # history
    ("workshop", "vehicle_delivered"),  # history, mileage, next service due, follow-up in N days
    ("finance", "invoice_paid"),        # spend, points, tier
    ("finance", "refund_issued"),       # spend and points taken back
    ("workshop", "work_order_completed"),  # the owner's "car ready" message
    ("finance", "payment_received"),    # the owner's payment receipt
    ("finance", "company_account_overdue"),  # the company contact's overdue reminder
    ("sales", "quote_presented"),       # the owner's "quote ready" (with the link when one is sent soon)
)
