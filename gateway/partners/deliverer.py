"""The webhook deliverer: `python -m gateway.partners.deliverer`, its own process (scaled apart from the
gateway and the services; several may run, they share the work through the broker and the database).

One thread consumes every contracted event from its own durable queue (`partners.webhooks`, bound to each
`<source>.events` exchange) and records one pending delivery per matching subscription, the events the broker
has ready (up to PREFETCH) in one transaction and one INSERT (`webhooks.fan_out_held`), acking after the commit;
an event handed over twice makes no second delivery.
The new deliveries are held by this process for their first attempt (a lease: another replica takes them
only if this one dies before recording the outcome), so they are posted at once with no claim query.
Retries and deliveries whose lease ran out are claimed in batches (`webhooks.claim_due`). The posts are
coroutines of one asyncio thread (aiohttp, connections kept alive per host), at most `WEBHOOK_SENDERS` at
once: signed (`signing.py`), a short timeout, redirects not followed, the answer cut short, every address
connected to checked as public (unless allowed); no database transaction is open while a receiver answers.
A batch's outcomes are written in one transaction (the 2xx ones in one statement). The consumer takes no
new event while `WEBHOOK_SENDERS` posts are in flight, so a backlog waits in the broker, not in memory.
Services never wait on any of it: they publish to the bus as they always do.

Probes on `WEBHOOK_HEALTH_PORT` (8090): `/healthz` answers while the process runs (liveness); `/readyz`
answers 200 only while the consumer holds the broker and the database answers (readiness, compose's
healthcheck)."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import ResolveResult
from kombu import Connection, Exchange, Queue, binding
from kombu.message import Message
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from services.common import config
from services.common.db import make_engine
from services.common.logs import configure_logging
from services.contracts import EVENTS

from . import signing, webhooks
from ..config import webhook_allow_private, webhook_secret_keys
from .vault import Vault
from .webhooks import Target

log = logging.getLogger(__name__)
QUEUE = "partners.webhooks"
BATCH = 200
"""Due deliveries (retries, expired leases) claimed at a time, at most."""
IDLE_SECONDS = 5.0
"""The longest the retry loop sleeps without news (a redelivery asked for, a lease another replica left)."""
DB_THREADS = 3
"""Threads of the senders' loop writing outcomes and claiming retries."""
PREFETCH = 20
"""Events the broker hands over unacked, at most: the most taken in one transaction."""
GATHER_SECONDS = 0.005
"""An event waits this long for the next before those received are taken."""
LEASE = timedelta(seconds=60)
"""A held delivery is not taken by another sender for this long (a sender that died mid-post)."""
Outcome = tuple[int | None, str | None, str | None, int]
"""(status, answer, error, milliseconds) of one attempt."""


@dataclass(frozen=True)
class DelivererSettings:
    amqp_uri: str = field(default_factory=config.amqp_uri)
    database_url: str = field(default_factory=lambda: config.database_url("gateway"))
    senders: int = field(default_factory=lambda: config.env_int("WEBHOOK_SENDERS", 200))
    """Posts in flight at once (coroutines of one thread, as many connections at most)."""
    timeout: float = field(default_factory=lambda: config.env_float("WEBHOOK_TIMEOUT_SECONDS", 5))
    backoff_seconds: float = field(default_factory=lambda: config.env_float("WEBHOOK_BACKOFF_SECONDS", 10))
    """The first retry's delay; each next one doubles, at most an hour, for a day."""
    allow_private: bool = field(default_factory=webhook_allow_private)
    secret_keys: tuple[str, ...] = field(default_factory=webhook_secret_keys)
    health_port: int = field(default_factory=lambda: config.env_int("WEBHOOK_HEALTH_PORT", 8090))
    """0: no probe server (the test stacks run several deliverers on one machine)."""
    nice: int = field(default_factory=lambda: config.env_int("WEBHOOK_NICE", 0))
    """How far below the gateway's and the services' CPU priority the deliverer runs (`os.nice`) on a host it shares:
    a burst of deliveries then takes the CPU the staff's requests leave, and waits longer (tests/bench/README.md:
    at 10, staff reads × 1.33 instead of × 1.78 while delivering, deliveries' p99 4.1 s instead of 0.47 s)."""


def queue() -> Queue:
    """The deliverer's queue, bound to every contracted event of every source."""
    facts = sorted({(source, fact) for source, fact, _version in EVENTS})
    return Queue(QUEUE, durable=True, bindings=[
        binding(Exchange(f"{source}.events", type="topic", durable=True), routing_key=fact)
        for source, fact in facts])


class PublicResolver(aiohttp.ThreadedResolver):
    """Names resolved as usual, refused when any of their addresses is not public: checked where the
    connection is made, so a name pointed elsewhere after the subscription was checked reaches nothing
    private (an address written in the URL is checked before the post: `check_url`)."""

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        resolved = await super().resolve(host, port, family)
        if not all(webhooks.public_address(entry["host"]) for entry in resolved):
            raise OSError(f"{host} resolves to an address that is not public")
        return resolved


class Deliverer:
    def __init__(self, settings: DelivererSettings):
        self.settings = settings
        # the consumer and DB_THREADS: a connection each, kept open (not one opened per use past DB_POOL_SIZE);
        # an UPDATE for many rows (the 2xx outcomes) sent a hundred to a round trip (psycopg2's execute_batch)
        batched = {"executemany_mode": "values_plus_batch"} if settings.database_url.startswith("postgresql") else {}
        engine = make_engine(settings.database_url, pool_size=1 + DB_THREADS, max_overflow=0, **batched)
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.stopping = threading.Event()
        self.consuming = threading.Event()
        self.vault = Vault(settings.secret_keys)
        self.received: list[tuple[dict, Message]] = []
        """Events the consumer received and has not taken yet."""
        self.in_flight = 0
        """Posts handed to the loop and not answered yet."""
        self.room = threading.Condition()
        """Notified when a post is answered: the consumer waits on it while `senders` posts are in flight."""
        self.loop: asyncio.AbstractEventLoop | None = None
        self.sending = threading.Event()
        """Set while the senders' loop runs (the consumer hands it deliveries)."""
        self.tasks: set[asyncio.Task] = set()
        self.wake: asyncio.Event | None = None
        """Wakes the retry loop: a retry was scheduled, or the process stops."""

    # -- from the bus to the delivery log ---------------------------------------------------
    def on_message(self, body, message) -> None:
        """kombu's callback: the event waits for the rest of what the broker has ready (`consume`)."""
        self.received.append((body if isinstance(body, dict) else json.loads(body), message))

    def take(self) -> None:
        """The events received so far, in one transaction (one INSERT), acked after its commit and handed to the
        senders. Nothing is taken while `senders` posts are in flight: a backlog waits in the broker."""
        received, self.received = self.received, []
        with self.room:
            while self.in_flight >= self.settings.senders and not self.stopping.is_set():
                self.room.wait(1)
        if self.stopping.is_set():
            return  # not acked: the broker hands them to another replica, or to this one after a restart
        with self.sessions() as session, session.begin():
            held = webhooks.fan_out_held(session, [envelope for envelope, _message in received], LEASE)
        for _envelope, message in received:
            message.ack()
        if held:
            self.hand_over(held)
            log.info("webhook deliveries queued", extra={"events": len(received), "count": len(held)})

    def hand_over(self, batch: list[Target]) -> None:
        """Post the batch on the senders' loop (from any thread)."""
        with self.room:
            self.in_flight += len(batch)
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.start, batch)

    def consume(self) -> None:
        """Events as the broker hands them over (up to PREFETCH unacked), taken together once none more arrives
        within GATHER_SECONDS: one by one when the deliverer keeps up, in batches when it falls behind."""
        while not self.stopping.is_set():
            try:
                with Connection(self.settings.amqp_uri, heartbeat=30) as connection, connection.Consumer(
                        queue(), callbacks=[self.on_message], accept=["json"], prefetch_count=PREFETCH):
                    self.consuming.set()
                    while not self.stopping.is_set():
                        try:
                            connection.drain_events(timeout=GATHER_SECONDS if self.received else 1)
                            if len(self.received) < PREFETCH:
                                continue  # more may be right behind
                        except socket.timeout:
                            connection.heartbeat_check()
                        if self.received:
                            self.take()
            except Exception as exc:  # the broker went away: connect again
                self.consuming.clear()
                self.received = []  # unacked: the broker hands them over again
                log.warning("deliverer lost the broker", extra={"error": repr(exc)})
                self.stopping.wait(2)

    # -- from the delivery log to the receivers (on the senders' loop) ---------------------------
    def client(self) -> aiohttp.ClientSession:
        """Connections kept alive per host, at most `senders` in all (as many posts at once: `slots`, of this
        loop); no redirects followed (`post`)."""
        self.slots = asyncio.Semaphore(self.settings.senders)
        connector = aiohttp.TCPConnector(limit=self.settings.senders,
                                         resolver=None if self.settings.allow_private else PublicResolver())
        return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
                                     headers={"User-Agent": "autoservice-webhooks/1"})

    def start(self, batch: list[Target]) -> None:
        task = asyncio.get_running_loop().create_task(self.deliver(self.http, batch))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, http: aiohttp.ClientSession, batch: list[Target]) -> None:
        """Post every delivery of the batch at once, then record the outcomes (one transaction)."""
        outcomes = await asyncio.gather(*(self.post(http, target) for target in batch))
        try:
            retried = await asyncio.to_thread(self.record, list(zip(batch, outcomes, strict=True)))
        except Exception:  # the leases run out and another sender (or this one) tries again
            log.exception("webhook outcomes not recorded")
            return
        if retried and self.wake is not None:
            self.wake.set()

    async def post(self, http: aiohttp.ClientSession, target: Target) -> Outcome:
        """One signed POST, when one of the `senders` slots is free (the timeout runs from then on)."""
        async with self.slots:
            return await self.post_now(http, target)

    async def post_now(self, http: aiohttp.ClientSession, target: Target) -> Outcome:
        started = time.perf_counter()
        data = target.body.encode()
        try:
            webhooks.check_url(target.url, self.settings.allow_private, resolve=False)  # names: PublicResolver
            headers = {"Content-Type": "application/json", "Webhook-Id": target.event_id,
                       "Webhook-Event": target.event_type,
                       signing.HEADER: signing.sign(self.vault.open(target.secret), data)}
            async with http.post(target.url, data=data, headers=headers, allow_redirects=False) as reply:
                answer = await reply.content.read(webhooks.RESPONSE_KEPT)
                return reply.status, answer.decode("utf-8", "replace"), None, _ms(started)
        except Exception as exc:  # refused address, timeout, connection refused: an attempt that failed
            log.info("webhook attempt failed", extra={"host": urlsplit(target.url).hostname,
                                                      "error": type(exc).__name__})
            return None, None, type(exc).__name__, _ms(started)
        finally:
            with self.room:
                self.in_flight -= 1
                self.room.notify()

    def record(self, outcomes: list[tuple[Target, Outcome]]) -> bool:
        """The batch's outcomes in one transaction, the 2xx ones in one statement; whether any is retried."""
        answered: list[tuple[str, int, str | None, int]] = []
        others: list[tuple[str, Outcome]] = []
        for target, (status, answer, error, took) in outcomes:
            if status is not None and 200 <= status < 300:
                answered.append((target.delivery_id, status, answer, took))
            else:
                others.append((target.delivery_id, (status, answer, error, took)))
        with self.sessions() as session, session.begin():
            webhooks.record_delivered(session, answered)
            for delivery_id, outcome in others:
                delivery = session.get_one(webhooks.WebhookDelivery, delivery_id)
                webhooks.record(session, delivery, *outcome, base_seconds=self.settings.backoff_seconds)
        return bool(others)

    def claim(self, limit: int) -> list[Target]:
        with self.sessions() as session, session.begin():
            return webhooks.claim_due(session, limit, LEASE)

    def send_due(self, limit: int = BATCH) -> int:
        """Claim due deliveries, post them and record the outcomes, on a loop of its own (what the retry loop
        does each round); how many were sent."""
        async def once() -> int:
            batch = self.claim(limit)
            with self.room:
                self.in_flight += len(batch)
            async with self.client() as http:
                await self.deliver(http, batch)
            return len(batch)

        return asyncio.run(once())

    async def send_forever(self) -> None:
        """The senders' loop: posts what the consumer hands over; claims due retries and expired leases while
        there is room, sleeping when none is due until the earliest comes due, a retry is scheduled, or
        IDLE_SECONDS pass."""
        self.loop, self.wake = asyncio.get_running_loop(), asyncio.Event()
        self.loop.set_default_executor(ThreadPoolExecutor(DB_THREADS, thread_name_prefix="db"))
        async with self.client() as self.http:
            self.sending.set()
            while not self.stopping.is_set():
                try:
                    room = self.settings.senders - self.in_flight
                    batch = await asyncio.to_thread(self.claim, min(room, BATCH)) if room > 0 else []
                    if batch:
                        self.hand_over(batch)
                        continue
                    pause = await asyncio.to_thread(self.seconds_to_next) if room > 0 else 0.1
                    self.wake.clear()
                    try:
                        await asyncio.wait_for(self.wake.wait(), max(pause, 0.05))
                    except asyncio.TimeoutError:
                        pass
                except Exception:
                    log.exception("webhook retry loop failed; going on")
                    await asyncio.sleep(1)
            if self.tasks:  # the posts under way end within the timeout and are recorded
                await asyncio.wait(self.tasks, timeout=self.settings.timeout + 5)

    def seconds_to_next(self) -> float:
        with self.sessions() as session:
            return webhooks.seconds_to_next(session, IDLE_SECONDS)

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
        sender = threading.Thread(target=lambda: asyncio.run(self.send_forever()), name="send")
        sender.start()
        if not self.sending.wait(30):
            raise RuntimeError("the senders' loop did not start")
        consumer = threading.Thread(target=self.consume, name="consume", daemon=True)
        consumer.start()
        if self.settings.health_port:
            threading.Thread(target=self.probe_server().serve_forever, name="probes", daemon=True).start()
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        while not self.stopping.wait(1):
            pass
        consumer.join(timeout=10)  # no new event taken
        assert self.loop is not None and self.wake is not None
        self.loop.call_soon_threadsafe(self.wake.set)  # the retry loop sees the stop; the posts under way end
        sender.join(timeout=self.settings.timeout + 10)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def main() -> None:
    configure_logging("webhooks")
    settings = DelivererSettings()
    os.nice(settings.nice)
    Deliverer(settings).run()


if __name__ == "__main__":
    main()
