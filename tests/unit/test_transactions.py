"""The guard that keeps database transactions out of calls to other services
(`services/common/transactions.py`, `upstream.ServiceRpc`)."""
from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from services.common.db import make_engine
from services.common.dependencies import SESSIONS
from services.common.transactions import TransactionAcrossCall, before_remote_call
from services.common.upstream import ServiceRpc


class Base(DeclarativeBase):
    metadata = MetaData()


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


NOTES = Table("notes", Base.metadata, Column("id", Integer, primary_key=True), Column("text", String(20)))


@pytest.fixture
def session():
    engine = make_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        session.add(Thing(id=1, name="one"))
        session.commit()
        yield session


def test_a_read_only_transaction_is_ended_before_the_call_and_its_objects_stay_loaded(session):
    thing = session.get(Thing, 1)
    assert session.in_transaction()
    before_remote_call(session, "crm.get_customer")
    assert not session.in_transaction() and thing.name == "one"


@pytest.mark.parametrize("write", [
    lambda s: (s.add(Thing(id=2, name="two")), s.flush()),
    lambda s: s.add(Thing(id=3, name="three")),  # not flushed yet: would be written after the call
    lambda s: setattr(s.get(Thing, 1), "name", "uno"),
    lambda s: s.execute(insert(NOTES).values(id=1, text="x")),
    lambda s: s.get(Thing, 1, with_for_update=True),  # locks rows (PostgreSQL) like a write
], ids=["flushed", "pending", "dirty", "core-insert", "for-update"])
def test_a_call_inside_a_write_transaction_is_refused_until_it_commits(session, write):
    write(session)
    with pytest.raises(TransactionAcrossCall, match="inventory.quote_parts"):
        before_remote_call(session, "inventory.quote_parts")
    session.commit()
    before_remote_call(session, "inventory.quote_parts")
    session.rollback()


def test_a_rolled_back_write_no_longer_counts(session):
    session.add(Thing(id=4, name="four"))
    session.flush()
    session.rollback()
    session.scalars(select(Thing)).all()
    before_remote_call(session, "sales.quote_findings")


class FakeWorkerContext:
    pass


def test_service_rpc_checks_the_workers_sessions_before_every_call(session, monkeypatch):
    calls = []

    class Proxy:
        def quote_parts(self, *args):
            calls.append(args)
            return {"items": []}

    monkeypatch.setattr("nameko.rpc.RpcProxy.get_dependency", lambda self, worker_ctx: Proxy())
    worker_ctx = FakeWorkerContext()
    worker_ctx.__dict__[SESSIONS] = {"db": session}
    inventory = ServiceRpc("inventory").get_dependency(worker_ctx)

    session.get(Thing, 1)
    assert inventory.quote_parts("s1", ["OIL"]) == {"items": []} and not session.in_transaction()
    session.add(Thing(id=5, name="five"))
    session.flush()
    with pytest.raises(TransactionAcrossCall):
        inventory.quote_parts("s1", ["FILTER"])
    assert calls == [("s1", ["OIL"])]


def test_a_sqlite_writer_takes_the_write_lock_when_it_begins_and_readers_stay_outside(tmp_path):
    """BEGIN IMMEDIATE at the first write (no read lock upgraded later); reads take no lock."""
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    Base.metadata.create_all(engine)
    statements = []
    with engine.connect() as conn:
        conn.connection.dbapi_connection.set_trace_callback(statements.append)
        conn.execute(select(NOTES)).all()
        conn.execute(insert(NOTES).values(id=1, text="x"))
        conn.commit()
    assert [s.split()[0] for s in statements] == ["SELECT", "BEGIN", "INSERT", "COMMIT"]
    assert statements[1] == "BEGIN IMMEDIATE"
    engine.dispose()
