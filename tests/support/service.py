"""Helpers for service tests: a real SQLite session shaped like the one `Database` injects,
with a relay that records what it was asked to publish instead of talking to a broker."""
from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from services.common.db import make_engine
from services.common.upstream import GuardedProxy


class RecordingRelay:
    def __init__(self):
        self.published: list[str] = []

    def claim_at_commit(self, session: Session, event_ids: list[str]) -> list:
        return []

    def publish_pending(self, event_ids: list[str], claimed=()) -> int:
        self.published += event_ids
        return len(event_ids)

    def sweep(self) -> int:
        return 0


def sqlite_session(metadata, service: str, context: dict | None = None) -> Session:
    engine = make_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine)
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    session.info.update({"service": service, "relay": RecordingRelay(), "outbox": [], "context": context or {}})
    return session


def guarded(fake, service: str, session: Session) -> GuardedProxy:
    """A fake of another service called the way `upstream.ServiceRpc` calls the real one: refused
    while `session` has an open write transaction (`services/common/transactions.py`)."""
    return GuardedProxy(fake, service, lambda: [session])
