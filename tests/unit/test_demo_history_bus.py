"""The demo history's in-process bus (deploy/demo_history.py `InProcessBus`) is the services' outbox relay in the
seeding's process: after a unit of work commits (`entrypoints._commit_and_relay`), each event it recorded is
marked sent and delivered once, in the order recorded — an event whose savepoint rolled back never — claimed in
the unit of work's own transaction and delivered from memory (no read of the outbox after the commit)."""
from __future__ import annotations

from sqlalchemy import MetaData, event, select
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from deploy.demo_history import InProcessBus
from services.common.db import make_engine
from services.common.entrypoints import _commit_and_relay
from services.common.outbox import OUTBOX, add_infrastructure_tables, record_event


class Delivered:
    def __init__(self, engine):
        self.engines = {"inventory": engine}
        self.envelopes: list[dict] = []

    def deliver(self, envelope: dict) -> None:
        self.envelopes.append(envelope)


def low(sku: str) -> dict:
    return {"store_id": "s1", "sku": sku, "available": 1, "reorder_point": 2, "reorder_qty": None}


def test_a_unit_of_works_events_are_marked_sent_in_its_commit_and_delivered_in_order_once():
    engine = make_engine("sqlite://", poolclass=StaticPool)
    metadata = MetaData()
    add_infrastructure_tables(metadata)
    metadata.create_all(engine)
    chain = Delivered(engine)
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    session.info.update({"service": "inventory", "context": {"request_id": "r"}, "outbox": [],
                         "relay": InProcessBus(chain, "inventory")})  # type: ignore[arg-type]
    record_event(session, "stock_low", low("A"), store_id="s1")
    for sku, keep in (("B", False), ("C", True)):
        nested = session.begin_nested()
        record_event(session, "stock_low", low(sku), store_id="s1")
        nested.commit() if keep else nested.rollback()
    record_event(session, "stock_low", low("D"), store_id="s1")
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2].split()[0].upper()))
    _commit_and_relay(session)
    assert [e["payload"]["sku"] for e in chain.envelopes] == ["A", "C", "D"]
    assert "SELECT" not in seen  # delivered from memory
    with engine.connect() as connection:
        rows = connection.execute(select(OUTBOX.c.envelope, OUTBOX.c.sent_at, OUTBOX.c.attempts)).all()
    assert sorted(r.envelope["payload"]["sku"] for r in rows) == ["A", "C", "D"]
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows)
    session.close()
