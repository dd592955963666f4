"""No database transaction is held open across a call to another service.

A worker that has written (or locked rows) in its open transaction holds the database's write
lock (SQLite: the whole file; PostgreSQL: the rows) for as long as the other service takes to
answer; on SQLite under eventlet every other worker of the process then blocks in SQLite's busy
wait, the answer is never read, and the service stops answering until the lock times out. The
rule: read and validate, call the other service, then write in a short transaction (re-checking
what may have changed meanwhile).

`before_remote_call(session, what)` enforces it: it refuses (`TransactionAcrossCall`) while the
session has written, locked or holds unflushed changes in its open transaction, and ends a
read-only transaction, so that not even a read snapshot is kept open while the worker waits.
`upstream.ServiceRpc` calls it before every RPC a worker makes. Writes are tracked by session
events registered on every `Session` when this module is imported.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import TextClause

WROTE = "transactions.wrote"
"""`session.info` key: the open transaction has written or locked rows."""

_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class TransactionAcrossCall(RuntimeError):
    """A call to another service was about to be made while a write transaction is open."""


def has_open_write(session: Session) -> bool:
    """Whether the session's open transaction has written, locked rows or holds unflushed changes."""
    return bool(session.info.get(WROTE) or session.new or session.dirty or session.deleted)


def before_remote_call(session: Session, what: str) -> None:
    """Refuse a call leaving the process while `session` has written; end its read-only transaction."""
    if has_open_write(session):
        raise TransactionAcrossCall(
            f"{what} would be called inside an open write transaction: read and validate, call, "
            "then write in a short transaction (services/common/transactions.py).")
    if session.in_transaction():
        session.commit()  # nothing to write: ends the read snapshot (objects stay loaded)


def _writes(state: ORMExecuteState) -> bool:
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        return True
    if getattr(statement, "_for_update_arg", None) is not None:
        return True
    return isinstance(statement, TextClause) and statement.text.lstrip().upper().startswith(_DML)


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if _writes(state):
        state.session.info[WROTE] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush_context) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_on_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)
