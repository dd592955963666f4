"""A server-sent-events reader for tests and benchmarks: `Listener` reads one stream in a thread and keeps
each event (with the time it arrived), so a test can wait for the one it expects."""
from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass

import requests


@dataclass
class Event:
    event: str
    id: str | None
    data: dict
    at: float  # time.perf_counter() when its last line arrived


def parse(lines) -> "iter[Event | str]":
    """Events, and `:` comments as their text, from an iterable of decoded lines."""
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if fields:
                yield Event(fields.get("event", "message"), fields.get("id"), json.loads(fields.get("data") or "{}"),
                            time.perf_counter())
            fields = {}
        elif line.startswith(":"):
            yield line[1:].strip()
        else:
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value


class Listener:
    def __init__(self, url: str, token: str, store_id: str | None = None, last_event_id: str | None = None,
                 path: str = "/v1/stream"):
        """A staff stream (`path` /v1/stream) or a car owner's (/c/v1/stream, a customer token)."""
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.response = requests.get(f"{url}{path}", params={"store_id": store_id} if store_id else None,
                                     headers=headers, stream=True, timeout=(5, 30))
        self.events: queue.Queue = queue.Queue()
        self.comments: list[str] = []
        if self.response.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for item in parse(self.response.iter_lines(decode_unicode=True)):
                if isinstance(item, str):
                    self.comments.append(item)
                else:
                    self.events.put(item)
        except (requests.RequestException, AttributeError, ValueError):  # closed by the test
            pass
        self.events.put(None)

    def next(self, timeout: float = 15) -> Event | None:
        """The next event (None when the stream ended); fails the test after `timeout` seconds."""
        return self.events.get(timeout=timeout)

    def until(self, match, timeout: float = 15) -> Event:
        """The first event for which `match(event)` holds (those before it are passed over)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(deadline - time.monotonic(), 0.01))
            assert event is not None, "the stream ended"
            if match(event):
                return event

    def close(self) -> None:
        self.response.close()
