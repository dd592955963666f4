"""What stock is worth, told to finance: every movement that changes stock value is announced in the
transaction that makes it (the outbox), so finance's inventory account follows the valuation.

`ledger.post_movement` notes each valued movement here; the operation that made them announces
them once, as one `stock_valued` event per store, kind and document (a work order's issue is
announced by `stock_issued`, which finance books as the cost of sale). A transaction that would
commit movements nobody announced fails: no path can move value without telling the books.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import event
from sqlalchemy.orm import Session

from services.common.outbox import record_event

from ..models import Movement

PENDING = "valued_movements"


def note(session: Session, movement: Movement) -> None:
    """A movement that changes value waits for its announcement."""
    if movement.value_fen:
        session.info.setdefault(PENDING, []).append(movement)


def take(session: Session) -> list[Movement]:
    """The valued movements not yet announced (now the caller's to announce)."""
    return session.info.pop(PENDING, [])


def announce(session: Session, **extra) -> list[dict]:
    """One `stock_valued` per store, kind and document for what was noted; `extra` goes into each."""
    groups: dict[tuple, list[Movement]] = defaultdict(list)
    for movement in take(session):
        groups[(movement.store_id, movement.kind, movement.reference_type, movement.reference_id)].append(movement)
    return [record_valued(session, store_id, kind, reference_type, reference_id,
                          sum(m.value_fen for m in movements), valued_lines(movements), **extra)
            for (store_id, kind, reference_type, reference_id), movements in groups.items()]


def valued_lines(movements: list[Movement]) -> list[dict]:
    """Per SKU: quantity and value moved (signed)."""
    by_sku: dict[str, list] = {}
    for movement in movements:
        qty, value = by_sku.setdefault(movement.sku, [Decimal(0), 0])
        by_sku[movement.sku] = [qty + movement.qty, value + movement.value_fen]
    return [{"sku": sku, "qty": qty, "value_fen": value} for sku, (qty, value) in by_sku.items()]


def record_valued(session: Session, store_id: str, kind: str, reference_type: str, reference_id: str,
                  value_fen: int, lines: list[dict], **extra) -> dict:
    payload = {"store_id": store_id, "kind": kind, "reference_type": reference_type, "reference_id": reference_id,
               "value_fen": value_fen, "lines": lines, **extra}
    return record_event(session, "stock_valued", payload, store_id=store_id)


@event.listens_for(Session, "before_commit")
def _refuse_unannounced(session: Session) -> None:
    if session.info.get(PENDING):
        kinds = sorted({m.kind for m in session.info[PENDING]})
        raise AssertionError(f"stock movements {kinds} change value but were not announced to finance")


@event.listens_for(Session, "after_transaction_end")
def _forget_on_end(session: Session, transaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING, None)
