"""Relays outbox rows to RabbitMQ.

After a unit of work commits, `publish_pending` sends the events it wrote (persistent,
publisher confirms) and marks each sent only once the broker confirmed it. Anything left
behind (broker down at commit, process killed) is picked up by `sweep`, which every
service runs on a timer; with several replicas, PostgreSQL's SKIP LOCKED keeps two of them
off the same row.
"""
from __future__ import annotations

import logging
import os
from datetime import timedelta

from kombu import Exchange
from nameko.amqp.publish import Publisher
from sqlalchemy import select, update

from .db import utcnow
from .outbox import OUTBOX

log = logging.getLogger(__name__)


class OutboxRelay:
    """Publishes outbox rows of one service to its nameko event exchange."""

    def __init__(self, engine, amqp_uri: str, service_name: str, publish_timeout: float = 5.0,
                 copies: int | None = None):
        self.engine = engine
        self.service_name = service_name
        # Fault-testing switch: OUTBOX_PUBLISH_COPIES=2 delivers every event twice, to prove
        # that every handler is idempotent (projections and balances must not change).
        self.copies = copies or int(os.environ.get("OUTBOX_PUBLISH_COPIES", "1"))
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
        table = OUTBOX
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.event_id, table.c.type, table.c.envelope)
                                .where(table.c.event_id.in_(event_ids), table.c.sent_at.is_(None))
                                ).all()
            return self._publish_rows(conn, rows)

    def sweep(self, older_than: timedelta = timedelta(seconds=5), batch: int = 200) -> int:
        """Relay rows that stayed unsent (broker was down, process died after commit)."""
        table = OUTBOX
        cutoff = utcnow() - older_than
        with self.engine.connect() as conn:
            query = (select(table.c.event_id, table.c.type, table.c.envelope)
                     .where(table.c.sent_at.is_(None), table.c.created_at <= cutoff)
                     .order_by(table.c.created_at).limit(batch))
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).all()
            return self._publish_rows(conn, rows)

    def _publish_rows(self, conn, rows) -> int:
        table = OUTBOX
        sent = 0
        for event_id, event_type, envelope in rows:
            try:
                for _ in range(self.copies):
                    self.publisher.publish(
                        envelope, exchange=self.exchange, routing_key=event_type,
                        headers={"nameko.request_id": envelope.get("request_id") or ""},
                        message_id=event_id)
            except Exception as exc:  # broker unreachable: leave it for the sweep
                log.warning("outbox publish failed", extra={"event_id": event_id, "error": repr(exc)})
                conn.execute(update(table).where(table.c.event_id == event_id)
                             .values(attempts=table.c.attempts + 1, last_error=repr(exc)[:500]))
                conn.commit()
                break
            conn.execute(update(table).where(table.c.event_id == event_id)
                         .values(sent_at=utcnow(), attempts=table.c.attempts + 1))
            sent += 1
        conn.commit()
        return sent
