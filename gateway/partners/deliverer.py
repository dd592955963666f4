"""The webhook deliverer: `python -m gateway.partners.deliverer`, its own process (scaled apart from the
gateway and the services; several may run, they share the work through the database).

One thread consumes every contracted event from its own durable queue (`partners.webhooks`, bound to each
`<source>.events` exchange) and records one pending delivery per matching subscription (`webhooks.fan_out`),
acking after the commit; an event handed over twice makes no second delivery. Sender threads post due
deliveries: signed (`signing.py`), a short timeout, redirects not followed, the answer cut short; no
database transaction is open while a receiver answers. Services never wait on any of it: they publish
to the bus as they always do."""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from kombu import Connection, Exchange, Queue, binding
from sqlalchemy.orm import sessionmaker

from services.common import config
from services.common.db import make_engine
from services.common.logs import configure_logging
from services.contracts import EVENTS

from . import signing, webhooks

log = logging.getLogger(__name__)
QUEUE = "partners.webhooks"
LEASE = timedelta(seconds=60)
"""A claimed delivery is not taken by another sender for this long (a sender that died mid-post)."""


@dataclass(frozen=True)
class DelivererSettings:
    amqp_uri: str = field(default_factory=config.amqp_uri)
    database_url: str = field(default_factory=lambda: config.database_url("gateway"))
    senders: int = field(default_factory=lambda: config.env_int("WEBHOOK_SENDERS", 8))
    timeout: float = field(default_factory=lambda: config.env_float("WEBHOOK_TIMEOUT_SECONDS", 5))
    backoff_seconds: float = field(default_factory=lambda: config.env_float("WEBHOOK_BACKOFF_SECONDS", 10))
    """The first retry's delay; each next one doubles, at most an hour, for a day."""
    allow_private: bool = field(default_factory=lambda: os.environ.get("WEBHOOK_ALLOW_PRIVATE") == "1")


def queue() -> Queue:
    """The deliverer's queue, bound to every contracted event of every source."""
    facts = sorted({(source, fact) for source, fact, _version in EVENTS})
    return Queue(QUEUE, durable=True, bindings=[
        binding(Exchange(f"{source}.events", type="topic", durable=True), routing_key=fact)
        for source, fact in facts])


class Deliverer:
    def __init__(self, settings: DelivererSettings):
        self.settings = settings
        self.sessions = sessionmaker(bind=make_engine(settings.database_url), expire_on_commit=False)
        self.stopping = threading.Event()
        self.http = requests.Session()

    # -- from the bus to the delivery log ---------------------------------------------------
    def on_message(self, body, message) -> None:
        envelope = body if isinstance(body, dict) else json.loads(body)
        with self.sessions() as session, session.begin():
            made = webhooks.fan_out(session, envelope)
        message.ack()
        if made:
            log.info("webhook deliveries queued", extra={"event_id": envelope["event_id"], "count": made})

    def consume(self) -> None:
        while not self.stopping.is_set():
            try:
                with Connection(self.settings.amqp_uri, heartbeat=30) as connection, connection.Consumer(
                        queue(), callbacks=[self.on_message], accept=["json"], prefetch_count=50):
                    while not self.stopping.is_set():
                        try:
                            connection.drain_events(timeout=1)
                        except socket.timeout:
                            connection.heartbeat_check()
            except Exception as exc:  # the broker went away: connect again
                log.warning("deliverer lost the broker", extra={"error": repr(exc)})
                self.stopping.wait(2)

    # -- from the delivery log to the receivers ---------------------------------------------
    def send_due(self, limit: int = 10) -> int:
        """Claim a batch of due deliveries (one short transaction), post each with no transaction open,
        then record the outcomes (one transaction); how many were sent."""
        with self.sessions() as session, session.begin():
            batch = webhooks.claim_due(session, limit, LEASE)
        outcomes = [(delivery_id, self.post(*target)) for delivery_id, *target in batch]
        if outcomes:
            with self.sessions() as session, session.begin():
                for delivery_id, outcome in outcomes:
                    delivery = session.get_one(webhooks.WebhookDelivery, delivery_id)
                    webhooks.record(session, delivery, *outcome, base_seconds=self.settings.backoff_seconds)
        return len(batch)

    def post(self, url: str, secret: str, body: str, event_id: str, event_type: str
             ) -> tuple[int | None, str | None, str | None, int]:
        """(status, answer, error, milliseconds) of one signed POST."""
        started = time.perf_counter()
        data = body.encode()
        try:
            webhooks.check_url(url, self.settings.allow_private)  # again: the name may resolve elsewhere now
            reply = self.http.post(url, data=data, timeout=self.settings.timeout, allow_redirects=False, stream=True,
                                   headers={"Content-Type": "application/json", "Webhook-Id": event_id,
                                            "Webhook-Event": event_type, signing.HEADER: signing.sign(secret, data),
                                            "User-Agent": "autoservice-webhooks/1"})
            answer = reply.raw.read(webhooks.RESPONSE_KEPT, decode_content=True).decode("utf-8", "replace")
            reply.close()
            return reply.status_code, answer, None, _ms(started)
        except Exception as exc:  # refused address, timeout, connection refused: an attempt that failed
            log.info("webhook attempt failed", extra={"host": urlsplit(url).hostname, "error": type(exc).__name__})
            return None, None, type(exc).__name__, _ms(started)

    def send_forever(self) -> None:
        while not self.stopping.is_set():
            try:
                if not self.send_due():
                    self.stopping.wait(0.2)
            except Exception:
                log.exception("webhook sender failed; going on")
                self.stopping.wait(1)

    def run(self) -> None:
        threads = [threading.Thread(target=self.consume, name="consume", daemon=True)]
        threads += [threading.Thread(target=self.send_forever, name=f"send-{n}", daemon=True)
                    for n in range(self.settings.senders)]
        for thread in threads:
            thread.start()
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        while not self.stopping.wait(1):
            pass
        for thread in threads:
            thread.join(timeout=10)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def main() -> None:
    configure_logging("webhooks")
    Deliverer(DelivererSettings()).run()


if __name__ == "__main__":
    main()
