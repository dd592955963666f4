"""A customer's erasure (crm publishes `customer_erased`) as every service that copied personal data
applies it: names become `ERASED_NAME`, free text written about the customer is dropped, ids stay (they
now point at crm's anonymised record). Legal records keep what the law requires; see the README,
"Privacy: erasure"."""
from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

ERASED_NAME = "已删除客户"
"""What an erased customer's name reads everywhere, in crm and in every copy."""


def blank(session: Session, model, customer_id: str, **values) -> int:
    """Overwrite `values` on every row of `model` about the customer (idempotent: a redelivered
    event writes the same values again); how many rows."""
    result = session.execute(update(model).where(model.customer_id == customer_id).values(**values))
    return cast(CursorResult, result).rowcount  # an UPDATE's result is a cursor's
