"""The webhook deliverer: `python -m gateway.partners.deliverer`, its own process (scaled apart from the
gateway and the services; several may run, they share the work through the database).

One thread consumes every contracted event from its own durable queue (`partners.webhooks`, bound to each
`<source>.events` exchange) and records one pending delivery per matching subscription (`webhooks.fan_out`),
acking after the commit; an event handed over twice makes no second delivery. Sender threads post due
deliveries: signed (`signing.py`), a short timeout, redirects not followed, the answer cut short; no
database transaction is open while a receiver answers. Services never wait on any of it: they publish
to the bus as they always do.

Probes on `WEBHOOK_HEALTH_PORT` (8090): `/healthz` answers while the process runs (liveness); `/readyz`
answers 200 only while the consumer holds the broker and the database answers (readiness, compose's
healthcheck)."""
from __future__ import annotations

import json
import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests
from kombu import Connection, Exchange, Queue, binding
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from services.common import config
from services.common.db import make_engine
from services.common.logs import configure_logging
from services.contracts import EVENTS

from . import signing, webhooks
from ..config import webhook_allow_private, webhook_secret_keys
from .vault import Vault

log = logging.getLogger(__name__)
QUEUE = "partners.webhooks"
BATCH = 20
"""Deliveries a sender claims at a time."""
IDLE_SECONDS = 30.0
"""The longest an idle sender sleeps without news."""
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
    allow_private: bool = field(default_factory=webhook_allow_private)
    secret_keys: tuple[str, ...] = field(default_factory=webhook_secret_keys)
    health_port: int = field(default_factory=lambda: config.env_int("WEBHOOK_HEALTH_PORT", 8090))
    """0: no probe server (the test stacks run several deliverers on one machine)."""


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
        self.consuming = threading.Event()
        self.queued = threading.Event()
        """Set when the consumer has queued deliveries: it wakes the idle senders."""
        self.http = requests.Session()
        self.vault = Vault(settings.secret_keys)

    # -- from the bus to the delivery log ---------------------------------------------------
    def on_message(self, body, message) -> None:
        envelope = body if isinstance(body, dict) else json.loads(body)
        with self.sessions() as session, session.begin():
            made = webhooks.fan_out(session, envelope)
        message.ack()
        if made:
            self.queued.set()
            log.info("webhook deliveries queued", extra={"event_id": envelope["event_id"], "count": made})

    def consume(self) -> None:
        while not self.stopping.is_set():
            try:
                with Connection(self.settings.amqp_uri, heartbeat=30) as connection, connection.Consumer(
                        queue(), callbacks=[self.on_message], accept=["json"], prefetch_count=50):
                    self.consuming.set()
                    while not self.stopping.is_set():
                        try:
                            connection.drain_events(timeout=1)
                        except socket.timeout:
                            connection.heartbeat_check()
            except Exception as exc:  # the broker went away: connect again
                self.consuming.clear()
                log.warning("deliverer lost the broker", extra={"error": repr(exc)})
                self.stopping.wait(2)

    # -- from the delivery log to the receivers ---------------------------------------------
    def send_due(self, limit: int = BATCH) -> int:
        """Claim a batch of due deliveries (one short transaction), post each with no transaction open,
        then record the outcomes (one transaction: the 2xx ones in one statement); how many were sent."""
        with self.sessions() as session, session.begin():
            batch = webhooks.claim_due(session, limit, LEASE)
        outcomes = [(delivery_id, self.post(*target)) for delivery_id, *target in batch]
        if outcomes:
            answered = [(delivery_id, status, answer, took) for delivery_id, (status, answer, _error, took) in outcomes
                        if status is not None and 200 <= status < 300]
            with self.sessions() as session, session.begin():
                webhooks.record_delivered(session, answered)
                for delivery_id, outcome in outcomes:
                    if outcome[0] is None or not 200 <= outcome[0] < 300:
                        delivery = session.get_one(webhooks.WebhookDelivery, delivery_id)
                        webhooks.record(session, delivery, *outcome, base_seconds=self.settings.backoff_seconds)
        return len(batch)

    def post(self, url: str, secret: str, body: str, event_id: str, event_type: str
             ) -> tuple[int | None, str | None, str | None, int]:
        """(status, answer, error, milliseconds) of one signed POST."""
        started = time.perf_counter()
        data = body.encode()
        try:
            signature = signing.sign(self.vault.open(secret), data)
            webhooks.check_url(url, self.settings.allow_private)  # again: the name may resolve elsewhere now
            reply = self.http.post(url, data=data, timeout=self.settings.timeout, allow_redirects=False, stream=True,
                                   headers={"Content-Type": "application/json", "Webhook-Id": event_id,
                                            "Webhook-Event": event_type, signing.HEADER: signature,
                                            "User-Agent": "autoservice-webhooks/1"})
            answer = reply.raw.read(webhooks.RESPONSE_KEPT, decode_content=True).decode("utf-8", "replace")
            reply.close()
            return reply.status_code, answer, None, _ms(started)
        except Exception as exc:  # refused address, timeout, connection refused: an attempt that failed
            log.info("webhook attempt failed", extra={"host": urlsplit(url).hostname, "error": type(exc).__name__})
            return None, None, type(exc).__name__, _ms(started)

    def send_forever(self) -> None:
        """Send while something is due; when idle, sleep until the earliest pending retry comes due, the
        consumer queues deliveries, or IDLE_SECONDS pass (a lease another replica left to expire)."""
        while not self.stopping.is_set():
            try:
                sent = self.send_due()
                if sent == BATCH:  # more may be waiting: the idle senders help
                    self.queued.set()
                elif not sent:
                    with self.sessions() as session:
                        pause = webhooks.seconds_to_next(session, IDLE_SECONDS)
                    if self.queued.wait(max(pause, 0.05)):  # (a due row another sender holds: soon)
                        self.queued.clear()
            except Exception:
                log.exception("webhook sender failed; going on")
                self.stopping.wait(1)

    # -- probes -------------------------------------------------------------------------------
    def ready(self) -> bool:
        """Consuming from the broker and the database answering."""
        if not self.consuming.is_set():
            return False
        try:
            with self.sessions() as session:
                session.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def probe_server(self) -> ThreadingHTTPServer:
        deliverer = self

        class Probe(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                ok = {"/healthz": True, "/readyz": None}.get(self.path, False)
                ok = deliverer.ready() if ok is None else ok
                self.send_response(200 if ok else 503 if self.path == "/readyz" else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return ThreadingHTTPServer(("0.0.0.0", self.settings.health_port), Probe)

    def run(self) -> None:
        threads = [threading.Thread(target=self.consume, name="consume", daemon=True)]
        if self.settings.health_port:
            server = self.probe_server()
            threads.append(threading.Thread(target=server.serve_forever, name="probes", daemon=True))
        threads += [threading.Thread(target=self.send_forever, name=f"send-{n}", daemon=True)
                    for n in range(self.settings.senders)]
        for thread in threads:
            thread.start()
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        while not self.stopping.wait(1):
            pass
        self.queued.set()  # the idle senders wake and see the stop
        for thread in threads:
            thread.join(timeout=10)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def main() -> None:
    configure_logging("webhooks")
    Deliverer(DelivererSettings()).run()


if __name__ == "__main__":
    main()
