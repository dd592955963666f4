"""How a webhook is signed (Stripe's scheme): header `Webhook-Signature: t=<unix seconds>,v1=<hex>` where
`<hex>` is HMAC-SHA256 under the subscription's secret of `<t>.<the raw body>`. A receiver recomputes it,
compares in constant time and refuses a `t` outside its replay window (five minutes)."""
from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Webhook-Signature"
REPLAY_WINDOW_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, now: float | None = None,
           window: int = REPLAY_WINDOW_SECONDS) -> bool:
    """Whether `header` signs `body` under `secret` within the replay window."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > window:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
