"""In-memory fan-out of bus events to open streams, with a short history for `Last-Event-ID`.

Every event gets the id `<epoch>-<seq>`: `seq` counts up in this process, `epoch` is new whenever events
may have been missed (the process started, or its bus consumer reconnected). A stream resumed from an id of
this epoch still in the history gets what it missed; any other id gets `reset` (reload what you show).
Each stream holds at most `buffer` events not yet written; a stream that falls further behind is ended and
its client resumes from its last id, so one slow client costs bounded memory and never slows the others."""
from __future__ import annotations

import asyncio
import uuid
from collections import deque
from dataclasses import dataclass, field

from prometheus_client import Counter, Gauge

OPEN = Gauge("gateway_streams_open", "Open event streams", multiprocess_mode="livesum")
SENT = Counter("gateway_stream_events_total", "Events written to streams")
LAGGED = Counter("gateway_stream_lagged_total", "Streams ended because their client fell behind")
RECEIVED = Counter("gateway_stream_bus_events_total", "Events taken from the bus")


@dataclass(frozen=True)
class Change:
    """What a screen is told: an event's type, store and ids (never names, amounts or other fields)."""
    seq: int
    type: str
    store_id: str | None
    ids: dict[str, str]
    occurred_at: str | None

    def data(self) -> dict:
        return {"type": self.type, "store_id": self.store_id, "ids": self.ids, "occurred_at": self.occurred_at}


def change_of(seq: int, envelope: dict) -> Change:
    """The part of an event envelope a stream carries: the payload's top-level `…_id` strings."""
    payload = envelope.get("payload") or {}
    ids = {key: value for key, value in payload.items() if key.endswith("_id") and isinstance(value, str)}
    return Change(seq, str(envelope.get("type", "")), envelope.get("store_id"), ids, envelope.get("occurred_at"))


RESET = object()
"""Written to a stream whose missed events are gone: its client reloads."""
END = object()
"""Ends a stream (its client fell behind, or the bus went away)."""


@dataclass(eq=False)
class Subscriber:
    """A staff stream follows a store (`store_id`); a car owner's follows their own documents (`customer_id`)."""
    store_id: str | None
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    customer_id: str | None = None

    def wants(self, change: Change) -> bool:
        """A store's changes, and those of no store (chain-wide, everybody's: `policy.can_access_store`); a car
        owner's only the changes that name them (the events of their cars carry `customer_id`)."""
        if self.customer_id is not None:
            return change.ids.get("customer_id") == self.customer_id
        return change.store_id is None or change.store_id == self.store_id


class Hub:
    def __init__(self, history: int = 1000, buffer: int = 256, limit: int = 5000):
        self.history: deque[Change] = deque(maxlen=history)
        self.buffer = buffer
        self.limit = limit
        self.subscribers: set[Subscriber] = set()
        self.epoch = uuid.uuid4().hex[:8]
        self.seq = 0
        self.live = False
        """True while the bus consumer is connected; a stream opened otherwise would hear nothing."""

    def event_id(self, change: Change) -> str:
        return f"{self.epoch}-{change.seq}"

    def full(self) -> bool:
        return len(self.subscribers) >= self.limit

    def subscribe(self, store_id: str | None, last_event_id: str | None, customer_id: str | None = None
                  ) -> Subscriber:
        """A new stream of `store_id` (or of a car owner, `customer_id`), first given what it missed after
        `last_event_id` (or `reset`)."""
        subscriber = Subscriber(store_id, asyncio.Queue(self.buffer + 1), customer_id)
        if last_event_id:
            missed = self.missed(last_event_id)
            wanted = None if missed is None else [change for change in missed if subscriber.wants(change)]
            if wanted is None or len(wanted) > self.buffer:
                subscriber.queue.put_nowait(RESET)
            else:
                for change in wanted:
                    subscriber.queue.put_nowait(change)
        self.subscribers.add(subscriber)
        OPEN.inc()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self.subscribers:
            self.subscribers.discard(subscriber)
            OPEN.dec()

    def missed(self, last_event_id: str) -> list[Change] | None:
        """The changes after `last_event_id`, or None when they are not all here any more."""
        epoch, _, seq = last_event_id.partition("-")
        if epoch != self.epoch or not seq.isdigit() or int(seq) > self.seq:
            return None
        after = int(seq)
        oldest = self.history[0].seq if self.history else self.seq + 1
        if after + 1 < oldest:
            return None
        return [change for change in self.history if change.seq > after]

    def publish(self, envelope: dict) -> Change:
        """One event from the bus, to every stream that wants it (called on the event loop)."""
        RECEIVED.inc()
        self.seq += 1
        change = change_of(self.seq, envelope)
        self.history.append(change)
        for subscriber in list(self.subscribers):
            if subscriber.wants(change):
                self.offer(subscriber, change)
        return change

    def offer(self, subscriber: Subscriber, item: object) -> None:
        if subscriber.queue.qsize() >= self.buffer:  # fell behind: end it (its last slot is kept for END)
            LAGGED.inc()
            self.end(subscriber)
        else:
            subscriber.queue.put_nowait(item)

    def end(self, subscriber: Subscriber) -> None:
        self.unsubscribe(subscriber)
        try:
            subscriber.queue.put_nowait(END)
        except asyncio.QueueFull:  # already ended
            pass

    def connected(self, live: bool) -> None:
        """The bus consumer connected (`live`) or lost the broker: on a loss every stream ends (its client
        falls back to polling and tries again); a new epoch, as events may have been missed meanwhile."""
        if not live:
            for subscriber in list(self.subscribers):
                self.end(subscriber)
            if self.live:
                self.epoch = uuid.uuid4().hex[:8]
                self.history.clear()
        self.live = live
