"""Retention: the outbox's sent rows, the processed-event records and the gateway's idempotency
records are pruned by age, `python -m services.common.retention <owner>` or, in every service, an
hourly nameko timer (`entrypoints.ServiceBase.prune_history`).

What each record is for bounds how long it must stay:
- `processed_events` makes a redelivered event change nothing. A copy can arrive as long as it can
  wait in the broker: the retry delays (`EVENT_RETRY_DELAYS_MS`), a queue backed up while its
  consumer was down, a dead letter replayed after a fix. `EVENT_RETENTION_DAYS` (default 14) must
  exceed that window; it is refused at or below the retry delays' sum plus a day.
- a sent `outbox` row is what a restore can replay from; it is kept as long.
- an idempotency record answers a client's repeat of a POST; `IDEMPOTENCY_RETENTION_DAYS`
  (default 7) exceeds any client's retry of one request.
Unsent outbox rows are never pruned, however old.
"""
from __future__ import annotations

import argparse
import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, column, delete, inspect, table

from . import config
from .db import UTCDateTime, make_engine, utcnow
from .metrics import PRUNED_ROWS
from .outbox import OUTBOX, PROCESSED_EVENTS
from .retries import retry_delays_ms

log = logging.getLogger(__name__)

PRUNE_INTERVAL_SECONDS = 3600
IDEMPOTENCY_RECORDS = table("idempotency_records", column("created_at", UTCDateTime))
"""The gateway's table (gateway/models.py), named here without importing the gateway."""


def redelivery_window() -> timedelta:
    """The least time a redelivered copy must still be recognised: every retry delay, plus a day."""
    return timedelta(milliseconds=sum(retry_delays_ms())) + timedelta(days=1)


def event_retention() -> timedelta:
    retention = timedelta(days=config.event_retention_days())
    if retention <= redelivery_window():
        raise ValueError(f"EVENT_RETENTION_DAYS must exceed the redelivery window ({redelivery_window()}): "
                         "a redelivered event would be applied twice")
    return retention


def idempotency_retention() -> timedelta:
    return timedelta(days=config.idempotency_retention_days())


def prune(engine: Engine, owner: str, now: datetime | None = None) -> dict[str, int]:
    """Delete what the owner's database keeps past its retention; {table: rows deleted}."""
    now = now or utcnow()
    tables = set(inspect(engine).get_table_names())
    statements = []
    if OUTBOX.name in tables:
        cutoff = now - event_retention()
        statements += [(OUTBOX.name, delete(OUTBOX).where(OUTBOX.c.sent_at.is_not(None), OUTBOX.c.sent_at < cutoff)),
                       (PROCESSED_EVENTS.name,
                        delete(PROCESSED_EVENTS).where(PROCESSED_EVENTS.c.processed_at < cutoff))]
    if IDEMPOTENCY_RECORDS.name in tables:
        records = IDEMPOTENCY_RECORDS
        statements.append((records.name, delete(records).where(records.c.created_at < now - idempotency_retention())))
    deleted = {}
    for name, statement in statements:
        with engine.begin() as conn:  # one short transaction per table
            deleted[name] = conn.execute(statement).rowcount
        PRUNED_ROWS.labels(owner, name).inc(deleted[name])
    if any(deleted.values()):
        log.info("pruned", extra={"owner": owner, **{f"deleted_{k}": v for k, v in deleted.items()}})
    return deleted


def main(argv: list[str] | None = None) -> None:
    from .migrate import OWNERS
    parser = argparse.ArgumentParser(prog="python -m services.common.retention", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("owner", choices=OWNERS)
    args = parser.parse_args(argv)
    engine = make_engine(config.database_url(args.owner))
    try:
        print(prune(engine, args.owner))
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
