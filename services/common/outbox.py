"""Transactional outbox and processed-event log (tables, and writing an event).

`record_event` writes the event into the service's own database in the caller's
transaction; `relay.OutboxRelay` publishes it after commit. Delivery is at-least-once:
handlers dedupe by `event_id` in `processed_events`.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, event
from sqlalchemy.orm import Session

from .db import UTCDateTime, utcnow
from .envelope import make_envelope
from .tracing import carrier

_metadata = MetaData()
OUTBOX = Table(
    "outbox", _metadata,
    Column("event_id", String(36), primary_key=True),
    Column("type", String(100), nullable=False, comment="routing key: the fact, e.g. customer_registered"),
    Column("envelope", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Index("ix_outbox_unsent", "sent_at", "created_at"),
)
PROCESSED_EVENTS = Table(
    "processed_events", _metadata,
    Column("event_id", String(36), primary_key=True),
    Column("handler", String(200), primary_key=True),
    Column("processed_at", UTCDateTime, nullable=False),
)


def add_infrastructure_tables(metadata: MetaData) -> None:
    """Put the outbox and processed-event tables into a service's own metadata (migrations)."""
    OUTBOX.to_metadata(metadata)
    PROCESSED_EVENTS.to_metadata(metadata)


def record_event(session: Session, fact: str, payload: dict, *,
                 store_id: str | None = None, version: int = 1) -> dict:
    """Write the event `<service>.<fact>` into the outbox in the session's transaction, its payload
    dumped through the declared contract (`services.contracts`: an undeclared event or an invalid
    payload raises ContractError). Its `actor` is the user whose request this is, or inside an event
    handler the one who caused that event."""
    return record_events(session, [(fact, payload, store_id)], version=version)[0]


def record_events(session: Session, events: Iterable[tuple[str, dict, str | None]], *,
                  version: int = 1) -> list[dict]:
    """`record_event` for many `(fact, payload, store_id)` at once: one INSERT (a bulk import)."""
    context = session.info.get("context", {})
    if "event" in session.info:
        actor = session.info["event"]["actor"]
    else:
        actor = {"user_id": context["user_id"], "role": context.get("role")} if context.get("user_id") else None
    trace = carrier()
    envelopes = [make_envelope(f"{session.info['service']}.{fact}", payload, store_id=store_id, version=version,
                               request_id=context.get("request_id"), actor=actor, trace=trace)
                 for fact, payload, store_id in events]
    if envelopes:
        now = utcnow()
        claimed, at = not session.in_nested_transaction(), time.monotonic()
        recorded = {envelope["event_id"]: Recorded(at, envelope["type"].split(".", 1)[1], envelope, claimed)
                    for envelope in envelopes}
        session.execute(OUTBOX.insert(), [
            {"event_id": event_id, "type": event.type, "envelope": event.envelope, "created_at": now,
             "attempts": int(claimed)} for event_id, event in recorded.items()])
        session.info.setdefault("outbox", []).extend(recorded)
        session.info.setdefault("outbox_recorded", {}).update(recorded)
    return envelopes


class Recorded(NamedTuple):
    """An event as its unit of work recorded it (`session.info["outbox_recorded"]`): the relay publishes it from
    here right after the commit (`relay.OutboxRelay.claim_at_commit`) instead of reading its row back."""
    at: float  # time.monotonic() when recorded
    type: str
    envelope: dict
    claimed: bool
    """Inserted already claimed by its writer (`attempts` 1): recorded outside any savepoint, its row commits or
    rolls back with the whole unit of work, and no sweep takes it before it is 5 s old. One recorded inside a
    savepoint (`attempts` 0) is claimed at the commit by an UPDATE whose row count proves it is still there."""


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    """A unit of work rolled back whole: the events it recorded are gone, and never published (its session may
    go on to commit other work)."""
    if not session.in_transaction() and "outbox" in session.info:
        session.info["outbox"], session.info["outbox_recorded"] = [], {}
