"""Retention on PostgreSQL and SQLite: sent outbox rows, processed-event records and idempotency
records older than their retention go, recent ones and unsent outbox rows stay, and an event
redelivered inside the window is still deduplicated (one outside it would be applied again)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from marshmallow import ValidationError
from nameko.testing.services import worker_factory
from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from services.common.db import make_engine, utcnow
from services.common.migrate import upgrade
from services.common.outbox import OUTBOX, PROCESSED_EVENTS
from gateway.models import IdempotencyRecord
from services.common.retention import event_retention, prune, redelivery_window
from services.finance.service import FinanceService
from tests.support.service import RecordingRelay

HANDLER = "finance.on_stock_valued"


@pytest.fixture(params=["postgresql", "sqlite"])
def urls(request, tmp_path):
    if request.param == "sqlite":
        found = {owner: f"sqlite:///{tmp_path / owner}.db" for owner in ("finance", "gateway")}
        for owner, url in found.items():
            upgrade(owner, url)
        return found
    return request.getfixturevalue("migrated").urls


def ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def add_outbox(conn, event_id: str, created_ago: timedelta, sent_ago: timedelta | None) -> None:
    now = utcnow()
    conn.execute(insert(OUTBOX).values(event_id=event_id, type="stock_valued", envelope={"event_id": event_id},
                                       created_at=now - created_ago, attempts=1,
                                       sent_at=now - sent_ago if sent_ago is not None else None))


def remaining(engine, column, wanted: list[str]) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(column).where(column.in_(wanted))).scalars())


def test_old_rows_go_recent_and_unsent_ones_stay(urls):
    engine = make_engine(urls["finance"])
    old_sent, recent_sent, old_unsent, old_seen, recent_seen = ids(5)
    retention = event_retention()
    with engine.begin() as conn:
        add_outbox(conn, old_sent, retention + timedelta(days=1), retention + timedelta(hours=1))
        add_outbox(conn, recent_sent, retention + timedelta(days=1), retention - timedelta(hours=1))
        add_outbox(conn, old_unsent, retention + timedelta(days=30), None)
        for event_id, ago in ((old_seen, retention + timedelta(hours=1)),
                              (recent_seen, retention - timedelta(hours=1))):
            conn.execute(insert(PROCESSED_EVENTS).values(event_id=event_id, handler=HANDLER,
                                                         processed_at=utcnow() - ago))
    deleted = prune(engine, "finance")
    assert deleted["outbox"] >= 1 and deleted["processed_events"] >= 1
    assert remaining(engine, OUTBOX.c.event_id, [old_sent, recent_sent, old_unsent]) == {recent_sent, old_unsent}
    assert remaining(engine, PROCESSED_EVENTS.c.event_id, [old_seen, recent_seen]) == {recent_seen}
    engine.dispose()


def test_old_idempotency_records_go_recent_ones_stay(urls):
    engine = make_engine(urls["gateway"])
    records = IdempotencyRecord.__table__
    old, recent = ids(2)
    with engine.begin() as conn:
        for key, ago in ((old, timedelta(days=8)), (recent, timedelta(days=6))):
            conn.execute(insert(records).values(user_id="u-retention", key=key, fingerprint="f" * 64, status=201,
                                                response={}, created_at=utcnow() - ago))
    prune(engine, "gateway")
    assert remaining(engine, records.c.key, [old, recent]) == {recent}
    engine.dispose()


def redeliver(engine, event_id: str) -> None:
    """Hand finance's stock_valued handler a copy of an event it processed (the payload is empty:
    were the copy applied again, reading it would raise)."""
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    session.info.update({"service": "finance", "relay": RecordingRelay(), "outbox": [], "context": {}})
    try:
        worker_factory(FinanceService, db=session).on_stock_valued({"event_id": event_id, "version": 1, "payload": {}})
    finally:
        session.close()


def test_a_redelivered_event_inside_the_window_is_still_deduplicated(urls):
    engine = make_engine(urls["finance"])
    inside, outside = ids(2)
    retention = event_retention()
    assert retention > redelivery_window()
    with engine.begin() as conn:
        for event_id, ago in ((inside, retention - timedelta(hours=1)), (outside, retention + timedelta(hours=1))):
            conn.execute(insert(PROCESSED_EVENTS).values(event_id=event_id, handler=HANDLER,
                                                         processed_at=utcnow() - ago))
    prune(engine, "finance")
    redeliver(engine, inside)  # skipped: its record is still there
    with pytest.raises(ValidationError):
        redeliver(engine, outside)  # its record was pruned: the handler ran
    engine.dispose()


def test_a_retention_inside_the_redelivery_window_is_refused(monkeypatch):
    monkeypatch.setenv("EVENT_RETRY_DELAYS_MS", "1000,86400000")
    monkeypatch.setenv("EVENT_RETENTION_DAYS", "2")
    with pytest.raises(ValueError, match="redelivery window"):
        event_retention()
    monkeypatch.setenv("EVENT_RETENTION_DAYS", "2.5")
    assert event_retention() == timedelta(days=2.5)


def test_every_service_prunes_on_its_own_timer(urls):
    engine = make_engine(urls["finance"])
    old = ids(1)[0]
    with engine.begin() as conn:
        conn.execute(insert(PROCESSED_EVENTS).values(event_id=old, handler=HANDLER,
                                                     processed_at=utcnow() - event_retention() - timedelta(hours=1)))
    session = sessionmaker(bind=engine)()
    try:
        worker_factory(FinanceService, db=session).prune_history()  # the hourly nameko timer's method
    finally:
        session.close()
    assert remaining(engine, PROCESSED_EVENTS.c.event_id, [old]) == set()
    engine.dispose()
