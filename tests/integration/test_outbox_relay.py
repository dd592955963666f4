"""The outbox against real PostgreSQL and RabbitMQ: an event whose publish failed at commit
(broker unreachable) stays in the outbox and is delivered by the sweep once the broker is
back, exactly once."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pika
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import sessionmaker

from services.common.db import make_engine
from services.common.outbox import OUTBOX, record_event
from services.common import relay as relay_module
from services.common.relay import OutboxRelay
from tests.support.doubled import publish_twice

UNREACHABLE = "amqp://guest:guest@127.0.0.1:1/"


@pytest.fixture
def engine(migrated):
    engine = make_engine(migrated.urls["inventory"])
    yield engine
    engine.dispose()


def low(sku: str) -> dict:
    return {"store_id": "s1", "sku": sku, "available": 1, "reorder_point": 2, "reorder_qty": None}


def commit_event(engine, sku: str) -> str:
    session = sessionmaker(bind=engine)()
    session.info.update({"service": "inventory", "context": {"request_id": "req-9"}, "outbox": []})
    envelope = record_event(session, "stock_low", low(sku), store_id="s1")
    session.commit()
    session.close()
    return envelope["event_id"]


def row(engine, event_id):
    with engine.connect() as conn:
        return conn.execute(select(OUTBOX).where(OUTBOX.c.event_id == event_id)).one()


def drain(channel, queue, wait: float = 1.5) -> list[dict]:
    messages, deadline = [], time.monotonic() + wait
    while time.monotonic() < deadline:
        method, _props, body = channel.basic_get(queue, auto_ack=True)
        if method:
            messages.append(json.loads(body))
        else:
            time.sleep(0.05)
    return messages


def test_event_left_behind_by_a_dead_broker_is_delivered_once_by_the_sweep(engine, vhost):
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    channel = connection.channel()
    channel.exchange_declare("inventory.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "inventory.events", routing_key="stock_low")
    try:
        event_id = commit_event(engine, "OIL-5W30")
        down = OutboxRelay(engine, UNREACHABLE, "inventory", publish_timeout=1)
        assert down.publish_pending([event_id]) == 0
        stuck = row(engine, event_id)
        assert stuck.sent_at is None and stuck.attempts == 2 and stuck.last_error  # claimed when inserted, again here

        up = OutboxRelay(engine, vhost.uri, "inventory")
        assert up.sweep(older_than=timedelta(0)) >= 1
        assert row(engine, event_id).sent_at is not None
        assert up.sweep(older_than=timedelta(0)) == 0  # nothing is sent twice
        delivered = [m for m in drain(channel, queue) if m["event_id"] == event_id]
    finally:
        connection.close()
    assert len(delivered) == 1
    assert delivered[0]["type"] == "inventory.stock_low" and delivered[0]["request_id"] == "req-9"
    assert delivered[0]["payload"] == low("OIL-5W30")


def test_just_committed_events_are_relayed_at_once(engine, vhost):
    event_id = commit_event(engine, "FILTER-1")
    relay = OutboxRelay(engine, vhost.uri, "inventory")
    assert relay.publish_pending([event_id]) == 1
    assert relay.publish_pending([event_id]) == 0
    assert row(engine, event_id).sent_at is not None


def test_the_test_only_doubling_relay_publishes_every_event_twice(engine, vhost, monkeypatch):
    monkeypatch.setattr(OutboxRelay, "publish", publish_twice)
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    channel = connection.channel()
    channel.exchange_declare("inventory.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "inventory.events", routing_key="stock_low")
    try:
        event_id = commit_event(engine, "TWICE")
        assert OutboxRelay(engine, vhost.uri, "inventory").publish_pending([event_id]) == 1
        delivered = [m for m in drain(channel, queue) if m["event_id"] == event_id]
    finally:
        connection.close()
    assert len(delivered) == 2


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request, tmp_path):
    if request.param == "sqlite":
        from services.common.migrate import upgrade
        url = f"sqlite:///{tmp_path / 'inventory.db'}"
        upgrade("inventory", url)
    else:
        url = request.getfixturevalue("migrated").urls["inventory"]
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_no_connection_is_held_while_the_broker_is_called(any_engine, monkeypatch):
    """The relay holds no transaction (no connection at all) while the broker answers."""
    event_ids = [commit_event(any_engine, f"P{i}") for i in range(3)]
    held = []
    monkeypatch.setattr(OutboxRelay, "publish", lambda self, event_type, envelope: held.append(
        (envelope["event_id"], any_engine.pool.checkedout())))
    assert OutboxRelay(any_engine, UNREACHABLE, "inventory").publish_pending(event_ids) == 3
    assert sorted(held) == sorted((event_id, 0) for event_id in event_ids)
    assert all(row(any_engine, e).sent_at is not None and row(any_engine, e).attempts == 2 for e in event_ids)


def test_of_two_replicas_that_read_the_same_rows_only_one_claims_each(any_engine):
    event_ids = [commit_event(any_engine, f"Q{i}") for i in range(2)]
    with any_engine.connect() as conn:
        rows = conn.execute(select(OUTBOX.c.event_id, OUTBOX.c.type, OUTBOX.c.envelope, OUTBOX.c.attempts)
                            .where(OUTBOX.c.event_id.in_(event_ids))).all()
    first, second = (OutboxRelay(any_engine, UNREACHABLE, "inventory") for _ in range(2))
    assert sorted(event_id for event_id, _type, _envelope in first.claim(rows)) == sorted(event_ids)
    assert second.claim(rows) == []


def unit_of_work(engine, skus: list[str], rolled_back: tuple[str, ...] = (), savepoint: tuple[str, ...] = ()):
    """A session that recorded a `stock_low` for each of `skus` (those in `rolled_back` inside a savepoint that
    rolled back, those in `savepoint` inside one that was kept), as a unit of work leaves it before its commit."""
    session = sessionmaker(bind=engine)()
    session.info.update({"service": "inventory", "context": {"request_id": "req-7"}, "outbox": []})
    for sku in skus:
        if sku in rolled_back or sku in savepoint:
            nested = session.begin_nested()
            record_event(session, "stock_low", low(sku), store_id="s1")
            nested.rollback() if sku in rolled_back else nested.commit()
        else:
            record_event(session, "stock_low", low(sku), store_id="s1")
    return session


def statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2].split()[0].upper()))
    return seen


def recording(monkeypatch, engine) -> list:
    published: list = []
    monkeypatch.setattr(OutboxRelay, "publish", lambda self, event_type, envelope: published.append(
        (envelope["payload"]["sku"], engine.pool.checkedout())))
    return published


def test_a_unit_of_works_events_are_claimed_in_its_commit_and_published_from_memory_in_order(any_engine,
                                                                                             monkeypatch):
    """No read of the outbox and no claim of its own between the commit and the broker (issue 25: the live
    stream's latency): inserted claimed in the unit of work's transaction, published, marked sent after."""
    published = recording(monkeypatch, any_engine)
    relay = OutboxRelay(any_engine, UNREACHABLE, "inventory")
    session = unit_of_work(any_engine, ["C1", "C2", "C3"])
    event_ids = session.info["outbox"]
    seen = statements(any_engine)
    claimed = relay.claim_at_commit(session, event_ids)
    assert seen == []  # nothing more to claim: inserted claimed
    session.commit()
    session.close()
    assert [event.envelope["event_id"] for event in claimed] == event_ids
    assert all(row(any_engine, e).attempts == 1 and row(any_engine, e).sent_at is None for e in event_ids)
    seen.clear()
    assert relay.publish_pending(event_ids, claimed) == 3
    assert published == [("C1", 0), ("C2", 0), ("C3", 0)]  # in order, no connection held
    assert [s for s in seen if s in ("SELECT", "UPDATE")] == ["UPDATE"]  # the mark only
    assert all(row(any_engine, e).sent_at is not None and row(any_engine, e).attempts == 1 for e in event_ids)
    relay.sweep(older_than=timedelta(0))
    assert [sku for sku, _held in published if sku.startswith("C")] == ["C1", "C2", "C3"]  # not again


def test_an_event_recorded_in_a_kept_savepoint_is_claimed_by_one_update_before_the_commit(any_engine,
                                                                                          monkeypatch):
    published = recording(monkeypatch, any_engine)
    relay = OutboxRelay(any_engine, UNREACHABLE, "inventory")
    session = unit_of_work(any_engine, ["K1", "K2", "K3"], savepoint=("K2",))
    event_ids = session.info["outbox"]
    seen = statements(any_engine)
    claimed = relay.claim_at_commit(session, event_ids)
    assert [s for s in seen if s in ("SELECT", "UPDATE")] == ["UPDATE"]
    session.commit()
    session.close()
    assert len(claimed) == 3
    assert relay.publish_pending(event_ids, claimed) == 3
    assert [sku for sku, _held in published] == ["K1", "K2", "K3"]


def test_an_event_rolled_back_with_a_savepoint_is_not_published(any_engine, monkeypatch):
    published = recording(monkeypatch, any_engine)
    relay = OutboxRelay(any_engine, UNREACHABLE, "inventory")
    session = unit_of_work(any_engine, ["R1", "GONE", "R2"], rolled_back=("GONE",))
    event_ids = session.info["outbox"]
    claimed = relay.claim_at_commit(session, event_ids)
    session.commit()
    session.close()
    assert claimed == []  # the claim counted no row for the savepoint's event: read back after the commit instead
    assert relay.publish_pending(event_ids, claimed) == 2
    assert [sku for sku, _held in published] == ["R1", "R2"]  # in the order recorded


def test_a_unit_of_work_rolled_back_whole_publishes_nothing_of_it(any_engine, monkeypatch):
    """Its session may commit other work after: the events of the rolled-back work are forgotten with it."""
    published = recording(monkeypatch, any_engine)
    relay = OutboxRelay(any_engine, UNREACHABLE, "inventory")
    session = unit_of_work(any_engine, ["UNDONE"])
    session.rollback()
    record_event(session, "stock_low", low("KEPT"), store_id="s1")
    event_ids = session.info["outbox"]
    claimed = relay.claim_at_commit(session, event_ids)
    session.commit()
    session.close()
    assert relay.publish_pending(event_ids, claimed) == 1
    assert [sku for sku, _held in published] == ["KEPT"]


def test_a_long_unit_of_works_events_are_read_and_claimed_after_its_commit(any_engine, monkeypatch):
    """Recorded longer than FRESH before the commit, a sweep may take them as soon as it commits: they are read
    and claimed after the commit, as a sweep does (of two that read the same rows, one claims them)."""
    published = recording(monkeypatch, any_engine)
    relay = OutboxRelay(any_engine, UNREACHABLE, "inventory")
    session = unit_of_work(any_engine, ["L1"])
    event_ids = session.info["outbox"]
    monkeypatch.setattr(relay_module, "FRESH", -1.0)  # as if recorded longer ago than FRESH
    assert relay.claim_at_commit(session, event_ids) == []
    session.commit()
    session.close()
    seen = statements(any_engine)
    assert relay.publish_pending(event_ids, []) == 1
    assert [s for s in seen if s in ("SELECT", "UPDATE")] == ["SELECT", "UPDATE", "UPDATE"]  # read, claim, mark
    assert [sku for sku, _held in published] == ["L1"]


def test_a_claimed_event_whose_publish_failed_is_left_for_the_sweep(engine, vhost):
    down = OutboxRelay(engine, UNREACHABLE, "inventory", publish_timeout=1)
    session = unit_of_work(engine, ["F1"])
    event_ids = session.info["outbox"]
    claimed = down.claim_at_commit(session, event_ids)
    session.commit()
    session.close()
    assert down.publish_pending(event_ids, claimed) == 0
    stuck = row(engine, event_ids[0])
    assert stuck.sent_at is None and stuck.attempts == 1 and stuck.last_error
    assert OutboxRelay(engine, vhost.uri, "inventory").sweep(older_than=timedelta(0)) >= 1
    assert row(engine, event_ids[0]).sent_at is not None
