"""Relays outbox rows to RabbitMQ.

After a unit of work commits, `publish_pending` sends the events it wrote (persistent,
publisher confirms) and marks each sent only once the broker confirmed it. Anything left
behind (broker down at commit, process killed) is picked up by `sweep`, which every
service runs on a timer.

No transaction is open while the broker is called (`transactions.py`): the rows are read, then
claimed in a short transaction by a conditional update of `attempts` (with several replicas
only one claims a row), published, and marked sent in a second short transaction. A process
that dies between the claim and the mark leaves the row unsent for the next sweep: delivery is
at least once, and handlers are idempotent.

The events a unit of work just recorded skip the read and the claim's own transaction (the live stream's
latency, issue 25): they are claimed in the unit of work's own transaction — inserted claimed (`attempts` 1)
outside a savepoint, else by one UPDATE before the commit whose row count proves none went with a rolled-back
savepoint (`claim_at_commit`) — and `publish_pending` publishes them from memory in the order they were
recorded. No sweep can take them meanwhile: it takes rows older than 5 s, and only rows recorded less than
`FRESH` before the commit are published so; others are read and claimed after the commit as before.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import timedelta

from kombu import Exchange
from nameko.amqp.publish import Publisher
from sqlalchemy import Select, func, select, update

from .db import utcnow
from .metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_SECONDS
from .outbox import OUTBOX, Recorded
from .tracing import producer_span

log = logging.getLogger(__name__)

SWEEP_AFTER = timedelta(seconds=5)
"""The sweep relays rows left unsent this long."""
FRESH = SWEEP_AFTER.total_seconds() / 2
"""Events recorded less than this many seconds before their commit are claimed in it (`claim_at_commit`); a
longer unit of work's go through the read and the claim after the commit, as a sweep may be taking them."""


class OutboxRelay:
    """Publishes outbox rows of one service to its nameko event exchange."""

    def __init__(self, engine, amqp_uri: str, service_name: str, publish_timeout: float = 5.0):
        self.engine = engine
        self.service_name = service_name
        self.exchange = Exchange(f"{service_name}.events", type="topic", durable=True)
        self.publisher = Publisher(
            amqp_uri, use_confirms=True, declare=[self.exchange], retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                          "interval_max": 0.5},
            transport_options={"confirm_publish": True, "connect_timeout": publish_timeout})

    def claim_at_commit(self, session, event_ids: list[str]) -> list[Recorded]:
        """Of the events `session`'s unit of work recorded (`event_ids`), claimed in its transaction before it
        commits: all of them, when each was recorded less than `FRESH` ago and its row is there; else none
        (`publish_pending` reads and claims them after the commit)."""
        recorded = session.info.get("outbox_recorded", {})
        events = [recorded[event_id] for event_id in dict.fromkeys(event_ids) if event_id in recorded]
        now = time.monotonic()
        if not events or len(events) < len(set(event_ids)) or any(now - event.at > FRESH for event in events):
            return []
        unclaimed = [event.envelope["event_id"] for event in events if not event.claimed]  # inside savepoints
        if unclaimed and session.execute(update(OUTBOX).where(
                OUTBOX.c.event_id.in_(unclaimed), OUTBOX.c.sent_at.is_(None), OUTBOX.c.attempts == 0)
                .values(attempts=1)).rowcount != len(unclaimed):
            return []
        return events

    def publish_pending(self, event_ids: list[str], claimed: Sequence[Recorded] = ()) -> int:
        """Relay the given just-committed events: all `claimed` at the commit (`claim_at_commit`) straight from
        memory, else read and claimed first; failures are left for the sweep."""
        if claimed:
            return self._publish_and_mark([(event.envelope["event_id"], event.type, event.envelope)
                                           for event in claimed])
        if not event_ids:
            return 0
        return self._relay(_unsent().where(OUTBOX.c.event_id.in_(event_ids)), order=event_ids)

    def sweep(self, older_than: timedelta = SWEEP_AFTER, batch: int = 200) -> int:
        """Relay rows that stayed unsent (broker was down, process died after commit)."""
        cutoff = utcnow() - older_than
        return self._relay(_unsent().where(OUTBOX.c.created_at <= cutoff)
                           .order_by(OUTBOX.c.created_at).limit(batch))

    def measure_backlog(self) -> None:
        """Set the outbox gauges: rows the broker has not confirmed, and the age of the oldest."""
        with self.engine.connect() as conn:
            count, oldest = conn.execute(select(func.count(), func.min(OUTBOX.c.created_at))
                                         .where(OUTBOX.c.sent_at.is_(None))).one()
        OUTBOX_BACKLOG.labels(self.service_name).set(count)
        OUTBOX_OLDEST_SECONDS.labels(self.service_name).set(
            (utcnow() - oldest).total_seconds() if oldest is not None else 0)

    def publish(self, event_type: str, envelope: dict) -> None:
        """One event to the broker, confirmed; stamped, so that RabbitMQ's
        `rabbitmq_queue_head_message_timestamp` tells how long the oldest has waited; with the trace of the
        work that recorded it."""
        with producer_span(envelope["type"], envelope.get("trace")) as trace_headers:
            self.publisher.publish(envelope, exchange=self.exchange, routing_key=event_type,
                                   headers={"nameko.request_id": envelope.get("request_id") or "", **trace_headers},
                                   message_id=envelope["event_id"], timestamp=int(time.time()))

    def claim(self, rows) -> list[tuple[str, str, dict]]:
        """Of the rows read (event_id, type, envelope, attempts), those this relay takes: one short
        transaction counts the attempt only where nobody else did since they were read."""
        if not rows:
            return []
        table = OUTBOX
        with self.engine.begin() as conn:
            return [(event_id, event_type, envelope) for event_id, event_type, envelope, attempts in rows
                    if conn.execute(update(table).where(table.c.event_id == event_id, table.c.sent_at.is_(None),
                                                        table.c.attempts == attempts)
                                    .values(attempts=attempts + 1)).rowcount]

    def _relay(self, query: Select, order: list[str] | None = None) -> int:
        """Relay the rows `query` reads (in the order of `order`'s event ids when given: as recorded)."""
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        if order is not None:
            position = {event_id: index for index, event_id in enumerate(order)}
            rows.sort(key=lambda row: position.get(row.event_id, len(position)))
        return self._publish_and_mark(self.claim(rows))

    def _publish_and_mark(self, claimed: list[tuple[str, str, dict]]) -> int:
        """Publish claimed events in their order (no transaction open while the broker answers), then mark those
        the broker confirmed sent; at the first failure the rest stay for the sweep."""
        table = OUTBOX
        sent, error = [], None
        for event_id, event_type, envelope in claimed:
            try:
                self.publish(event_type, envelope)
            except Exception as exc:  # broker unreachable: leave the rest for the sweep
                log.warning("outbox publish failed", extra={"event_id": event_id, "error": repr(exc)})
                error = (event_id, repr(exc)[:500])
                break
            sent.append(event_id)
        if not sent and not error:
            return 0
        with self.engine.begin() as conn:
            if sent:
                conn.execute(update(table).where(table.c.event_id.in_(sent)).values(sent_at=utcnow()))
            if error:
                conn.execute(update(table).where(table.c.event_id == error[0]).values(last_error=error[1]))
        return len(sent)


def _unsent() -> Select:
    return select(OUTBOX.c.event_id, OUTBOX.c.type, OUTBOX.c.envelope, OUTBOX.c.attempts).where(
        OUTBOX.c.sent_at.is_(None))
