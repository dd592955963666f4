"""Back up every owner's database, and restore a backup into fresh databases.

    python -m deploy.backup.dbdump backup DIR    # DIR/<owner>.dump (PostgreSQL) or .sqlite, DIR/manifest.json
    python -m deploy.backup.dbdump backup DIR --keep 48   # into DIR/<UTC time>/, the 48 newest kept (CronJob)
    python -m deploy.backup.dbdump restore DIR [--replay-hours 24]   # into the databases <OWNER>_DATABASE_URL names now

The owners are the five services and the gateway (`services.common.migrate.OWNERS`), each at its
`<OWNER>_DATABASE_URL` (SQLite under DATA_DIR when unset). PostgreSQL: `pg_dump --format=custom` (one
consistent snapshot per database, taken without blocking writers; `pg_dump`/`pg_restore` of the server's
major version or newer on PATH), restored with `pg_restore --no-owner --exit-on-error` into an empty
database, so the restoring user owns what it restores. SQLite: the online backup API, restored by copying
the file. Credentials go to the tools through PG* environment variables, never their command line.

Each database is consistent in itself, but the six are taken one after another: an event can be in its
producer's restored outbox while the consumer's restore predates handling it (or it was still in a queue).
So a restore marks every outbox event created since `--replay-hours` before the backup began as unsent: the
services' outbox sweep publishes them again once they run (on a new broker, create the handler queues
first: `python -m deploy.rabbitmq.migrate_queues`), and each handler applies only those its database has not
recorded in `processed_events` (deploy/k8s/README.md, "Backup and restore").
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, inspect, update
from sqlalchemy.engine import URL, make_url

from services.common import config
from services.common.migrate import OWNERS
from services.common.outbox import OUTBOX


def _pg_env(url: URL) -> dict[str, str]:
    """libpq's environment for `url` (the password never on a command line)."""
    values = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username, "PGPASSWORD": url.password,
              "PGDATABASE": url.database}
    return {**os.environ, **{key: str(value) for key, value in values.items() if value is not None}}


def _sqlite_path(url: URL) -> Path:
    return Path(url.database or "")


def backup_owner(owner: str, directory: Path) -> dict:
    url = make_url(config.database_url(owner))
    started = time.monotonic()
    if url.get_backend_name() == "sqlite":
        target = directory / f"{owner}.sqlite"
        with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
    else:
        target = directory / f"{owner}.dump"
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)],
                       env=_pg_env(url), check=True)
    return {"owner": owner, "file": target.name, "bytes": target.stat().st_size,
            "seconds": round(time.monotonic() - started, 2)}


def restore_owner(entry: dict, directory: Path) -> dict:
    owner, source = entry["owner"], directory / entry["file"]
    url = make_url(config.database_url(owner))
    started = time.monotonic()
    if source.suffix == ".sqlite":
        if url.get_backend_name() != "sqlite":
            raise SystemExit(f"{owner}: a SQLite backup cannot be restored into {url.get_backend_name()}")
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size:
            raise SystemExit(f"{owner}: {path} exists; restore into a fresh database")
        shutil.copyfile(source, path)
    else:
        subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                        "--dbname", url.database or "", str(source)], env=_pg_env(url), check=True)
    return {"owner": owner, "seconds": round(time.monotonic() - started, 2)}


def mark_for_replay(owner: str, since: datetime) -> int:
    """Outbox events of `owner` created since `since` marked unsent (the sweep publishes them again)."""
    engine = create_engine(config.database_url(owner))
    try:
        if not inspect(engine).has_table(OUTBOX.name):
            return 0
        with engine.begin() as conn:
            return conn.execute(update(OUTBOX).where(OUTBOX.c.created_at >= since, OUTBOX.c.sent_at.is_not(None))
                                .values(sent_at=None)).rowcount
    finally:
        engine.dispose()


def backup(directory: Path) -> dict:
    directory.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    owners = [backup_owner(owner, directory) for owner in OWNERS]
    manifest = {"started_at": started.isoformat(), "finished_at": datetime.now(timezone.utc).isoformat(),
                "owners": owners}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def restore(directory: Path, replay_hours: float = 24) -> dict:
    manifest = json.loads((directory / "manifest.json").read_text())
    started = time.monotonic()
    owners = [restore_owner(entry, directory) for entry in manifest["owners"]]
    since = datetime.fromisoformat(manifest["started_at"]) - timedelta(hours=replay_hours)
    replayed = {entry["owner"]: mark_for_replay(entry["owner"], since) for entry in manifest["owners"]}
    return {"backup_started_at": manifest["started_at"], "owners": owners, "replayed_events": replayed,
            "seconds": round(time.monotonic() - started, 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.backup.dbdump", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("backup", "restore"))
    parser.add_argument("directory", type=Path)
    parser.add_argument("--keep", type=int, default=0,
                        help="backup: into a new DIR/<UTC time>/ folder, deleting all but the KEEP newest")
    parser.add_argument("--replay-hours", type=float, default=24,
                        help="restore: outbox events created this long before the backup began are sent again")
    args = parser.parse_args(argv)
    if args.action == "restore":
        result = restore(args.directory, args.replay_hours)
    elif args.keep:
        result = backup(args.directory / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
        for old in sorted(path for path in args.directory.iterdir() if (path / "manifest.json").exists())[:-args.keep]:
            shutil.rmtree(old)
    else:
        result = backup(args.directory)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
