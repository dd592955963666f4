"""Text messages to customers (sign-in codes). `SMS_BACKEND` picks where they go: `sink` (the default,
also under `make run`) appends each as a JSON line to `DATA_DIR/sms-sink.jsonl`, where a developer or a
test reads the code; `webhook` posts each to the SMS gateway at `SMS_WEBHOOK_URL`."""
from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from typing import Protocol

import requests

from services.common.config import data_dir
from services.common.db import utcnow

SINK_FILE = "sms-sink.jsonl"


@dataclass(frozen=True)
class Sms:
    to: str
    body: str
    purpose: str


class SmsSender(Protocol):
    def send(self, message: Sms) -> None: ...


class SinkSender:
    """Appends every message, with its time, as one JSON line (one writer at a time per process)."""

    def __init__(self, path=None):
        self.path = path or data_dir() / SINK_FILE
        self._lock = threading.Lock()

    def send(self, message: Sms) -> None:
        line = json.dumps({**asdict(message), "at": utcnow().isoformat()}, ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


class WebhookSmsSender:
    def __init__(self, url: str, timeout: float = 5.0):
        self.url = url
        self.timeout = timeout

    def send(self, message: Sms) -> None:
        requests.post(self.url, json=asdict(message), timeout=self.timeout).raise_for_status()


def sms_sender_from_env() -> SmsSender:
    backend = os.environ.get("SMS_BACKEND", "sink")
    if backend == "sink":
        return SinkSender()
    if backend == "webhook":
        return WebhookSmsSender(os.environ["SMS_WEBHOOK_URL"])
    raise RuntimeError(f"SMS_BACKEND must be `sink` or `webhook`, not {backend!r}")
