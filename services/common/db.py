"""SQLAlchemy 2.x basics shared by the services and the gateway (no nameko here)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TypeVar, cast

from sqlalchemy import CursorResult, DateTime, Engine, MetaData, Result, Select, TypeDecorator, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import config
from .errors import Conflict

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """The metadata of a service's own declarative base (each owns its tables and database):
    `class Base(DeclarativeBase): metadata = service_metadata()`."""
    return MetaData(naming_convention=NAMING_CONVENTION)


SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another process's write lock (the migrate job, a second replica)."""


def make_engine(url: str, **kwargs) -> Engine:
    # A failed statement's message (logged with the error) leaves out its bound values, which can
    # be phone numbers or password hashes.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        # Reads run outside a transaction on WAL snapshots and never wait; a writer's transaction
        # begins at its first write with BEGIN IMMEDIATE, taking the write lock at once (waiting up
        # to SQLITE_BUSY_TIMEOUT_MS for another process's writer) instead of upgrading a read lock,
        # which fails at once when another writer committed meanwhile. Under eventlet that wait
        # blocks the whole process, so no worker may yield while it writes: nothing between its first
        # write and its commit calls another service (transactions.py) or the broker (relay.py).
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                  "isolation_level": "IMMEDIATE"}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no branch - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        @event.listens_for(engine, "savepoint")
        def _savepoint_begins_a_writer(conn, _name):
            # The driver begins a transaction only before INSERT/UPDATE/DELETE; a SAVEPOINT (a guarded
            # insert that may conflict) would begin a deferred one, whose first write then fails at once
            # with "database is locked" once another writer has committed. Begin it as a writer's.
            dbapi_connection = conn.connection.dbapi_connection
            if not dbapi_connection.in_transaction:
                dbapi_connection.execute("BEGIN IMMEDIATE")

        return engine
    pool_size, max_overflow = config.db_pool()
    kwargs.setdefault("pool_size", pool_size)
    kwargs.setdefault("max_overflow", max_overflow)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def rowcount(result: Result) -> int:
    """The rows an UPDATE or a DELETE run by `Session.execute` matched (its result is a cursor's)."""
    return cast(CursorResult, result).rowcount


@contextmanager
def unique_or_conflict(session: Session, messages: dict[str, str], codes: dict[str, str] | None = None,
                       params: dict | None = None) -> Iterator[None]:
    """Make the block's changes in a savepoint and flush them. A unique constraint they violate
    (an expected conflict: a concurrent registration) rolls back the savepoint alone, not the unit
    of work, and becomes a Conflict on the field the database names (else the first of `messages`),
    coded from `codes` with `params`. Any other integrity error is a bug and propagates."""
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as exc:
        if not _unique_violation(exc):
            raise
        detail = str(exc.orig).lower()
        field = next((name for name in messages if name in detail), next(iter(messages)))
        raise Conflict(messages[field], fields={field: [messages[field]]},
                       code=(codes or {}).get(field), params=params) from exc


def one_or_created(session: Session, query: Select, make: Callable[[], T]) -> T:
    """The row `query` finds, else the one `make()` makes (complete: it is flushed at once), added in a
    savepoint: when another transaction added it meanwhile (the unique key refuses this one) that row is read
    instead — a first write by two people at once is one row, never a 500."""
    row = session.scalars(query).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = make()
            session.add(row)
        return row
    except IntegrityError as exc:
        if not _unique_violation(exc):
            raise
        return session.scalars(query.execution_options(populate_existing=True)).one()


def _unique_violation(exc: IntegrityError) -> bool:
    detail = str(exc.orig).lower()
    return "unique" in detail or "duplicate" in detail


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp on every backend: SQLite stores it naive, so it is read back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one (UTC)")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


def dialect_insert(session: Session):
    """The `insert` of the session's dialect (PostgreSQL or SQLite), for `on_conflict_do_update`."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
