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
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from kombu import Exchange
from nameko.amqp.publish import Publisher
from sqlalchemy import Select, func, select, update

from .db import utcnow
from .metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_SECONDS
from .outbox import OUTBOX
from .tracing import producer_span

log = logging.getLogger(__name__)


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

    def publish_pending(self, event_ids: list[str]) -> int:
        """Relay the given just-committed events; failures are left for the sweep."""
        if not event_ids:
            return 0
        return self._relay(_unsent().where(OUTBOX.c.event_id.in_(event_ids)))

    def sweep(self, older_than: timedelta = timedelta(seconds=5), batch: int = 200) -> int:
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

    def _relay(self, query: Select) -> int:
        table = OUTBOX
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        sent, error = [], None
        for event_id, event_type, envelope in self.claim(rows):  # no transaction open while the broker answers
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
