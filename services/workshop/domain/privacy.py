"""crm's `customer_erased` in the workshop: who took the car back (`accepted_by`, a name) and what the
customer said at delivery go; the work done, times, hours and technicians stay (the repair record)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.common.privacy import blank

from ..models import WorkOrder


def erase_customer(session: Session, payload: dict) -> None:
    blank(session, WorkOrder, payload["customer_id"], accepted_by=None, customer_comment=None)
