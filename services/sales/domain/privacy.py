"""crm's `customer_erased` in sales: the copies of the customer's name and plate on visits, the
signatory's name on contracts and beside drawn signatures, the driving licence on test drives and free
text written about the customer (notes, expectations) go, and so do the walk-around photos of the customer's
visits; a drawn signature stays (the contract's evidence: its hash still matches). Orders keep their number,
lines and amounts (the contract's commercial terms); see the README, "Privacy: erasure"."""
from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from services.common.attachments import ATTACHMENTS, forget
from services.common.privacy import ERASED_NAME, blank

from ..models import Appointment, Order, Quote, TestDrive, Visit
from .signing import CONTRACT, DECISION

ERASED_LICENCE = "ERASED"


def erase_customer(session: Session, payload: dict) -> None:
    customer_id = payload["customer_id"]
    blank(session, Visit, customer_id, customer_name=ERASED_NAME, plate=None, notes=None, expectations=None)
    blank(session, Appointment, customer_id, notes=None)
    blank(session, TestDrive, customer_id, licence_number=ERASED_LICENCE, notes=None)
    blank(session, Quote, customer_id, notes=None)
    blank(session, Order, customer_id, signed_by=ERASED_NAME)
    # the signer written beside a drawn signature (not part of the signed document, so its hash still matches)
    session.execute(update(ATTACHMENTS).where(
        ATTACHMENTS.c.owner_type.in_((CONTRACT, DECISION)),
        or_(ATTACHMENTS.c.owner_id.in_(select(Order.id).where(Order.customer_id == customer_id)),
            ATTACHMENTS.c.owner_id.in_(select(Quote.id).where(Quote.customer_id == customer_id)))
    ).values(signer=ERASED_NAME))
    visits = select(Visit.id).where(Visit.customer_id == customer_id)
    forget(session, [dict(row) for row in session.execute(select(ATTACHMENTS).where(
        ATTACHMENTS.c.owner_type == "visit", ATTACHMENTS.c.owner_id.in_(visits))).mappings()], "erasure")
