"""crm's `customer_erased` in sales: the copies of the customer's name and plate on visits, the
signatory's name on contracts, the driving licence on test drives and free text written about the
customer (notes, expectations) go, and so do the walk-around photos of the customer's visits. Orders
keep their number, lines and amounts (the contract's commercial terms); see the README, "Privacy: erasure"."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.attachments import forget_documents
from services.common.privacy import ERASED_NAME, blank

from ..models import Appointment, Order, Quote, TestDrive, Visit

ERASED_LICENCE = "ERASED"


def erase_customer(session: Session, payload: dict) -> None:
    customer_id = payload["customer_id"]
    blank(session, Visit, customer_id, customer_name=ERASED_NAME, plate=None, notes=None, expectations=None)
    blank(session, Appointment, customer_id, notes=None)
    blank(session, TestDrive, customer_id, licence_number=ERASED_LICENCE, notes=None)
    blank(session, Quote, customer_id, notes=None)
    blank(session, Order, customer_id, signed_by=ERASED_NAME)
    forget_documents(session, list(session.scalars(select(Visit.id).where(Visit.customer_id == customer_id))))
