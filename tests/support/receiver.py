"""A webhook receiver a test starts on this machine (a partner's endpoint, as the README's example
verifies it): checks each post's signature and replay window, keeps every attempt, and de-duplicates by
the event id; it can answer 500 to the first N attempts of each event, and take its time to answer."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gateway.partners import signing


class Receiver:
    def __init__(self, secret: str = "", fail_first: int = 0, answer_after: float = 0):
        self.secret, self.fail_first, self.answer_after = secret, fail_first, answer_after
        self.attempts: list[dict] = []
        """Every post: its event id, body, whether its signature verified, and the status answered."""
        self.events: dict[str, dict] = {}
        """Each event once, by id (what a partner's de-duplication keeps)."""
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.take(self.headers, raw, self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, headers, raw: bytes, handler: BaseHTTPRequestHandler) -> None:
        event_id = headers.get("Webhook-Id", "")
        verified = signing.verify(self.secret, raw, headers.get(signing.HEADER, ""))
        with self._lock:
            earlier = sum(1 for attempt in self.attempts if attempt["event_id"] == event_id)
            status = 401 if not verified else 500 if earlier < self.fail_first else 200
            self.attempts.append({"event_id": event_id, "body": json.loads(raw), "verified": verified,
                                  "status": status})
            if status == 200:
                self.events.setdefault(event_id, json.loads(raw))
        time.sleep(self.answer_after)  # kept, then answered: the sender's record of it lags behind
        handler.send_response(status)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")

    def of(self, event_id: str) -> list[dict]:
        with self._lock:
            return [attempt for attempt in self.attempts if attempt["event_id"] == event_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
