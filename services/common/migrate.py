"""Alembic migrations for every owner of a database: `python -m services.common.migrate` upgrades
all owners (or the ones named) to head; subcommands `upgrade`, `downgrade`, `current`, `history`
and `revision` (autogenerate), see `--help`.

One migration history per service (`services/<name>/migrations`, `gateway/migrations`).
This is a separate step (make migrate, the compose `migrate` job), never run by service
replicas. A run is one transaction; two concurrent runs queue (PostgreSQL: an advisory lock; SQLite:
the write lock taken as the run begins).
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, TypeDecorator, create_engine, event, text

from . import config
from .db import SQLITE_BUSY_TIMEOUT_MS, make_engine

ROOT = Path(__file__).resolve().parents[2]
OWNERS = (*config.SERVICES, "gateway")
_LOCK_KEY = 7_245_113  # arbitrary, constant: the advisory lock id for migrations


def script_location(owner: str) -> Path:
    return ROOT / ("gateway" if owner == "gateway" else f"services/{owner}") / "migrations"


def alembic_config(owner: str, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location(owner)))
    # configparser interpolates '%': a URL-encoded password (p%40ss) must be escaped.
    cfg.set_main_option("sqlalchemy.url", (url or config.database_url(owner)).replace("%", "%%"))
    cfg.attributes["owner"] = owner
    return cfg


def upgrade(owner: str, url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(owner, url), revision)


def downgrade(owner: str, revision: str, url: str | None = None) -> None:
    """Back to `revision` (an id, `base`, or relative: `-1`)."""
    command.downgrade(alembic_config(owner, url), revision)


def script_directory(owner: str) -> ScriptDirectory:
    # The URL is never used: only the script location matters.
    return ScriptDirectory.from_config(alembic_config(owner, "sqlite://"))


def current_revisions(owner: str, url: str | None = None) -> tuple[str, ...]:
    """The revisions the owner's database is at (none: not migrated)."""
    engine = make_engine(url or config.database_url(owner))
    try:
        with engine.connect() as connection:
            return tuple(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def new_revision(owner: str, message: str) -> None:
    """Autogenerate a revision for `owner` against its current database (developers' tool)."""
    template = Path(__file__).with_name("script.py.mako")
    target = script_location(owner) / "script.py.mako"
    shutil.copy(template, target)
    try:
        command.revision(alembic_config(owner), message=message, autogenerate=True)
    finally:
        target.unlink()


def _render_item(kind: str, obj, _autogen_context):
    """Autogenerate writes our TypeDecorators as their plain SQL type, so a revision never
    imports application code that may change later."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _migration_engine(url: str) -> Engine:
    """The engine a migration runs on. On SQLite it follows SQLite's recipe for altering tables
    (https://www.sqlite.org/lang_altertable.html#otheralter), which batch mode's copy-and-move does:
    foreign keys off for the connection (a PRAGMA that is a no-op inside a transaction, so it is set
    as the connection opens), every revision of the run in one real transaction (the driver's own
    implicit transactions would commit DDL statement by statement and leave a failed run half done),
    and `PRAGMA foreign_key_check` before it commits (`_check_foreign_keys`). Built apart from the
    services' engine (`make_engine`), whose SQLite settings serve the application, not this."""
    if not url.startswith("sqlite"):
        return make_engine(url)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _foreign_keys_off(dbapi_connection, _record):  # pragma: no branch - trivial
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        # the services' journal mode (persistent), switched here while no service holds the file
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(connection):  # pragma: no branch - trivial
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock from the start: runs queue, never interleave

    return engine


def _check_foreign_keys(connection: Connection) -> None:
    """With foreign keys off a revision could leave a row pointing at nothing: refuse to commit it."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError("migration leaves rows whose foreign keys point at nothing (table, rowid, parent, "
                           f"constraint): {[tuple(row) for row in broken[:20]]}; nothing was committed")


def run_env(metadata: MetaData) -> None:
    """The body of every `migrations/env.py` (online mode only): every revision of a run in one
    transaction, on PostgreSQL under an advisory lock, on SQLite with foreign keys checked at the end."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no sqlalchemy.url: run migrations with python -m services.common.migrate")
    engine = _migration_engine(url)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=metadata, render_item=_render_item,
                              render_as_batch=not postgres, compare_type=True, transactional_ddl=True)
            with context.begin_transaction():
                context.run_migrations()
                if not postgres:
                    _check_foreign_keys(connection)
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                connection.commit()
    engine.dispose()


def _status(owner: str, url: str | None = None) -> str:
    """Where the owner's database is against this release's head."""
    script = script_directory(owner)
    current = current_revisions(owner, url)
    head = script.get_current_head()
    if not current:
        return f"not migrated (head {head})"
    if current == (head,):
        return f"{head} (head)"
    known = {revision.revision for revision in script.walk_revisions()}
    newer = set(current) - known
    if newer:
        return f"{', '.join(current)}, newer than this release's head {head}"
    return f"{', '.join(current)}, behind head {head}: upgrade"


def _history(owner: str, url: str | None = None) -> list[str]:
    """The owner's revisions, newest first, the database's current one marked."""
    current = set(current_revisions(owner, url))
    return [f"{revision.revision} <- {revision.down_revision or 'base'}"
            f"{'  (current)' if revision.revision in current else ''}  {revision.doc.splitlines()[0]}"
            for revision in script_directory(owner).walk_revisions()]


def _owner(name: str) -> str:
    if name not in OWNERS:
        raise argparse.ArgumentTypeError(f"unknown owner {name!r}; choose from {', '.join(OWNERS)}")
    return name


_COMMANDS = ("upgrade", "downgrade", "current", "history", "revision")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.common.migrate", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Migrate the databases of the suite's owners: " + ", ".join(OWNERS) + ".",
        epilog="Without a command every owner is upgraded to head; `... migrate crm sales` upgrades those.\n"
               "Database URLs: <OWNER>_DATABASE_URL, else SQLite files under DATA_DIR.")
    commands = parser.add_subparsers(dest="command", metavar="command")
    up = commands.add_parser("upgrade", help="upgrade owners (default: all) to head or --to a revision")
    up.add_argument("owners", nargs="*", type=_owner, metavar="owner", help="default: every owner")
    up.add_argument("--to", default="head", metavar="REV",
                    help="a revision of the one owner named (or relative: +1); default head")
    down = commands.add_parser("downgrade", help="take one owner back to a revision (drops what later ones added)")
    down.add_argument("owner", type=_owner)
    down.add_argument("revision", help="a revision id (see history), base, or relative: -1")
    now = commands.add_parser("current", help="each owner's revision against this release's head")
    now.add_argument("owners", nargs="*", type=_owner, metavar="owner", help="default: every owner")
    log = commands.add_parser("history", help="an owner's revisions, newest first, the current one marked")
    log.add_argument("owner", type=_owner)
    new = commands.add_parser("revision", help="autogenerate a revision from the models (developers)")
    new.add_argument("owner", type=_owner)
    new.add_argument("message")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = list(argv if argv is not None else sys.argv[1:])
    if not args or args[0] not in _COMMANDS and not args[0].startswith("-"):  # make's and the jobs' form
        args.insert(0, "upgrade")
    parser = _parser()
    options = parser.parse_args(args)
    logging.basicConfig(format="%(message)s")
    steps = logging.getLogger("alembic.runtime.migration")  # each revision run: "Running upgrade a -> b, ..."
    steps.setLevel(logging.INFO)
    steps.addFilter(lambda record: record.levelno > logging.INFO or record.getMessage().startswith("Running "))
    if options.command == "upgrade":
        owners = options.owners or list(OWNERS)
        if options.to != "head" and len(owners) != 1:
            parser.error("--to names a revision of one owner: name that owner")
        for owner in owners:
            upgrade(owner, revision=options.to)
            print(f"migrated {owner}: {_status(owner)}")
    elif options.command == "downgrade":
        downgrade(options.owner, options.revision)
        print(f"downgraded {options.owner}: {_status(options.owner)}")
    elif options.command == "current":
        for owner in options.owners or OWNERS:
            print(f"{owner}: {_status(owner)}")
    elif options.command == "history":
        print("\n".join(_history(options.owner)))
    elif options.command == "revision":
        new_revision(options.owner, options.message)


if __name__ == "__main__":
    main()
