"""crm's `customer_erased` in the workshop: who took the car back (`accepted_by`, a name) and what the
customer said at delivery go, and so do the photos and files of the customer's work orders (their rows
now, their bytes within seconds); the work done, times, hours and technicians stay (the repair record)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.attachments import forget_documents
from services.common.privacy import blank

from ..models import WorkOrder


def erase_customer(session: Session, payload: dict) -> None:
    blank(session, WorkOrder, payload["customer_id"], accepted_by=None, customer_comment=None)
    forget_documents(session, list(session.scalars(select(WorkOrder.id).where(
        WorkOrder.customer_id == payload["customer_id"]))))
