"""The restore drill: after a one-car loop, every owner's database is backed up (`deploy/backup/dbdump.py`)
and restored into fresh databases, where every table of every owner holds the same rows as the original at
the time of the backup (count and a digest of the rows; the outbox apart from its `sent_at`, which the
restore clears for the replay). The suite started on the restored databases (a broker vhost of its own)
then publishes every replayed event again and each handler skips it as already processed: no
`processed_events` record is added anywhere, nothing is applied twice. The seconds it takes are recorded
(the figures of deploy/k8s/README.md, "Backup and restore")."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from deploy.backup import dbdump
from deploy.rabbitmq import migrate_queues
from services.common.config import SERVICES
from services.common.migrate import OWNERS
from tests.faults.conftest import own_stack
from tests.support.infra import Databases, Vhost
from tests.support.metrics import service_metrics, value
from tests.support.one_car import timed_loop
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]


def tables_digest(url: str) -> dict[str, tuple]:
    """{table: (rows, md5 of the sorted rows' text)} of a PostgreSQL database; the outbox without `sent_at`."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
            return {name: tuple(conn.execute(text(
                f"SELECT count(*), md5(coalesce(string_agg(md5(r::text), '' ORDER BY md5(r::text)), '')) FROM "
                f"""(SELECT {'event_id, type, envelope::text, created_at' if name == 'outbox' else '*'}
                     FROM "{name}") r""")).one()) for name in names}
    finally:
        engine.dispose()


def digests(env: dict[str, str]) -> dict[str, dict]:
    return {owner: tables_digest(env[f"{owner.upper()}_DATABASE_URL"]) for owner in OWNERS}


def rows(env: dict[str, str], table: str) -> list[str]:
    """The event ids in `table` (outbox, processed_events) of every owner that has one."""
    found = []
    for owner in OWNERS:
        engine = create_engine(env[f"{owner.upper()}_DATABASE_URL"])
        with engine.connect() as conn:
            if conn.execute(text(f"SELECT to_regclass('{table}')")).scalar():
                found += conn.execute(text(f"SELECT event_id FROM {table}")).scalars()
        engine.dispose()
    return found


def skipped(stack: Stack) -> float:
    return sum(value(service_metrics(stack, name), "service_event_duplicates_total") for name in SERVICES)


@pytest.fixture
def stack(tmp_path_factory):
    """A stack of its own: what is backed up and replayed is this test's loop alone, not whatever the other
    tests of its worker left in the shared stack."""
    with own_stack(tmp_path_factory.mktemp("backed-up")) as running:
        yield running


@pytest.fixture
def admin(stack):
    return stack.login()


def test_a_backup_restores_into_fresh_databases_and_replays_its_events_harmlessly(
        stack, admin, tmp_path, monkeypatch, record_property):
    timed_loop(stack, admin)
    for owner in OWNERS:
        monkeypatch.setenv(f"{owner.upper()}_DATABASE_URL", stack.env[f"{owner.upper()}_DATABASE_URL"])
    for _attempt in range(3):  # a backup of databases that did not move while it was taken
        before = digests(stack.env)
        manifest = dbdump.backup(tmp_path / "backup")
        if digests(stack.env) == before:
            break
    else:
        pytest.fail("the databases kept changing while they were backed up")
    fresh, vhost = Databases().create(), Vhost().create()
    try:
        for name, url in fresh.env().items():
            monkeypatch.setenv(name, url)
        restored = dbdump.restore(tmp_path / "backup")
        assert digests(fresh.env()) == before
        assert sum(restored["replayed_events"].values()) > 10, restored
        monkeypatch.setenv("AMQP_URI", vhost.uri)
        migrate_queues.main([])  # a new broker: the handler queues exist before anything is replayed
        replayed = set(rows(fresh.env(), "outbox"))
        handled = sum(event_id in replayed for event_id in rows(fresh.env(), "processed_events"))
        started = time.monotonic()
        restarted = Stack(vhost.uri, fresh.env(), tmp_path / "restored",  # no payment polling: only the replay
                          extra_env={"PAYMENT_POLL_SECONDS": "3600"},
                          queue_type="quorum").start()  # the queues migrate_queues declared, as in production
        try:
            deadline = time.monotonic() + 120  # the replay of every handler, on a loaded machine
            while skipped(restarted) < handled and time.monotonic() < deadline:
                time.sleep(0.5)
            replayed_in = time.monotonic() - started
            assert skipped(restarted) == handled > 10  # every handler got its events again and skipped each
            after = digests(fresh.env())
            assert {owner: tables.get("processed_events") for owner, tables in after.items()} == \
                {owner: tables.get("processed_events") for owner, tables in before.items()}
        finally:
            restarted.stop()
    finally:
        fresh.drop()
        vhost.drop()
    assert sum(count for tables in before.values() for count, _ in tables.values()) > 100
    record_property("backup_seconds", round(sum(entry["seconds"] for entry in manifest["owners"]), 2))
    record_property("backup_bytes", sum(entry["bytes"] for entry in manifest["owners"]))
    record_property("restore_seconds", restored["seconds"])
    record_property("started_and_replayed_seconds", round(replayed_in, 1))
