"""Rate limits: a token bucket per API key and per signed-in user, kept in the gateway's database so
every worker and host draws from the same one (one upsert per request, the row locked only for it).

A bucket holds up to a minute's worth of calls (`per_minute`) and refills continuously. Buckets are
named after the authenticated caller only, never an address or a name a request merely claims, so
nobody can spend another caller's calls: a refused caller is refused alone. A refused call costs its
token too (down to -1 at most), so hammering while refused does not come back sooner."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import falcon
from sqlalchemy import func
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import dialect_insert

from ..models import RateBucket


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    """Until the bucket is full again."""
    retry_after: int
    """Until the next call is allowed (0 when it is now)."""

    def headers(self) -> dict[str, str]:
        """The `RateLimit-*` headers (IETF draft), and `Retry-After` when refused."""
        headers = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
                   "RateLimit-Reset": str(self.reset_seconds)}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def take(session: Session, name: str, per_minute: int, now: float | None = None, period: float = 60.0) -> Verdict:
    """Take one call from the bucket `name` (created full); `per_minute` calls a `period` of seconds."""
    now = time.time() if now is None else now
    rate = per_minute / period
    least = func.min if session.get_bind().dialect.name == "sqlite" else func.least
    greatest = func.max if session.get_bind().dialect.name == "sqlite" else func.greatest
    refilled = least(float(per_minute), RateBucket.tokens + greatest(now - RateBucket.stamp, 0.0) * rate)
    insert = dialect_insert(session)(RateBucket).values(name=name, tokens=per_minute - 1.0, stamp=now)
    statement = insert.on_conflict_do_update(
        index_elements=["name"],
        set_={"tokens": greatest(refilled - 1, -1.0), "stamp": now},
    ).returning(RateBucket.tokens)
    left = float(session.execute(statement).scalar_one())
    allowed = left >= 0
    return Verdict(allowed=allowed, limit=per_minute, remaining=max(0, math.floor(left)),
                   reset_seconds=math.ceil((per_minute - left) / rate),
                   retry_after=0 if allowed else max(1, math.ceil((1 - left) / rate)))


def enforce(sessions: sessionmaker, resp: falcon.Response, name: str, limit: int, period: float) -> None:
    """One action from the bucket `name` (`limit` a `period` of seconds), in a transaction of its own; the
    `RateLimit-*` headers on the answer, and 429 `rate_limited` with Retry-After when it is empty."""
    with sessions() as session, session.begin():
        verdict = take(session, name, limit, period=period)
    headers = verdict.headers()
    resp.set_headers(headers)
    if not verdict.allowed:
        raise falcon.HTTPTooManyRequests(title="rate_limited", headers=headers, description=(
            f"More than {limit} in {int(period)} s; try again in {verdict.retry_after} s."))
