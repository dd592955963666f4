"""The restore drill: after a one-car loop, every owner's database is backed up (`deploy/backup/dbdump.py`)
and restored into fresh databases; the restore marks the outbox's recent events for replay, and the suite
started on the restored databases (a broker vhost of its own) publishes them all again, which every handler
skips as already processed. Then every table of every owner holds the same rows as the original at the
time of the backup (count and a digest of the rows), the outbox apart from its `sent_at`. The seconds it
takes are recorded (the figures of deploy/k8s/README.md, "Backup and restore")."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from deploy.backup import dbdump
from services.common.migrate import OWNERS
from tests.support.infra import Databases, Vhost
from tests.support.one_car import timed_loop
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


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


def unsent(env: dict[str, str]) -> int:
    total = 0
    for owner in OWNERS:
        engine = create_engine(env[f"{owner.upper()}_DATABASE_URL"])
        with engine.connect() as conn:
            if conn.execute(text("SELECT to_regclass('outbox')")).scalar():
                total += conn.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar()
        engine.dispose()
    return total


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
        assert sum(restored["replayed_events"].values()) > 10, restored
        started = time.monotonic()
        restarted = Stack(vhost.uri, fresh.env(), tmp_path / "restored").start()
        try:
            deadline = time.monotonic() + 60
            while unsent(fresh.env()) and time.monotonic() < deadline:
                time.sleep(0.5)
            replayed_in = time.monotonic() - started
            assert unsent(fresh.env()) == 0
            time.sleep(2)  # the replayed events' handlers ran (skipping each as processed)
            assert digests(fresh.env()) == before
        finally:
            restarted.stop()
    finally:
        fresh.drop()
        vhost.drop()
    assert sum(rows for tables in before.values() for rows, _ in tables.values()) > 100
    record_property("backup_seconds", round(sum(entry["seconds"] for entry in manifest["owners"]), 2))
    record_property("backup_bytes", sum(entry["bytes"] for entry in manifest["owners"]))
    record_property("restore_seconds", restored["seconds"])
    record_property("started_and_replayed_seconds", round(replayed_in, 1))
