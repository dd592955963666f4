"""Run alembic migrations for every owner of a database: `python -m services.common.migrate`
(all owners, or the ones named). `python -m services.common.migrate revision crm "message"`
autogenerates a new revision.

One migration history per service (`services/<name>/migrations`, `gateway/migrations`).
This is a separate step (make migrate, the compose `migrate` job), never run by service
replicas; on PostgreSQL an advisory lock also keeps two concurrent runs apart.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, TypeDecorator, text

from . import config
from .db import make_engine

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


def run_env(metadata: MetaData) -> None:
    """The body of every `migrations/env.py` (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=metadata, render_item=_render_item,
                              render_as_batch=not postgres, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                connection.commit()
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    if args[:1] == ["revision"] and len(args) == 3:
        new_revision(args[1], args[2])
        return
    owners = args or list(OWNERS)
    unknown = set(owners) - set(OWNERS)
    if unknown:
        sys.exit(f"unknown owners {sorted(unknown)}; choose from {OWNERS}")
    for owner in owners:
        upgrade(owner)
        print(f"migrated {owner}")


if __name__ == "__main__":
    main()
