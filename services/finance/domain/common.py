"""Small helpers shared by the finance rules."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.policy import manages

def by_key(session: Session, model, key: str | None):
    """The record an earlier request with this idempotency key made, if any."""
    if not key:
        return None
    return session.execute(select(model).where(model.idempotency_key == key)).scalar_one_or_none()


def replayed(session: Session, model, key: str | None, same: Callable[[Any], bool], what: str):
    """The record an earlier request with this idempotency key made (None: none did); 409
    `idempotency_key_reused` when `same` says that request asked for something else."""
    if (found := by_key(session, model, key)) is None:
        return None
    if not same(found):
        raise Conflict(f"This Idempotency-Key was already used for another {what}.",
                       fields={"idempotency_key": ["Used for another request."]}, code="idempotency_key_reused")
    return found


def get_locked(session: Session, model, key: str, what: str):
    """The row, locked FOR UPDATE until the transaction ends (PostgreSQL; SQLite serialises writers)."""
    found = session.execute(select(model).where(model.__mapper__.primary_key[0] == key)
                            .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No such {what}.")
    return found


def get_or_404(session: Session, model, key: str, what: str):
    found = session.get(model, key)
    if found is None:
        raise NotFound(f"No such {what}.")
    return found


def newest_first(session: Session, model, stores: list[str] | None, params: dict, equal: tuple[str, ...],
                 *conditions: ColumnElement[bool]) -> list:
    """A page of `model`'s rows at `stores` (None: every store), newest first, one more than `limit` (the next
    page's sign), each of the `equal` columns given in `params` matched exactly, and every one of `conditions`."""
    query = select(model).where(*conditions).order_by(model.id.desc()).limit(params["limit"] + 1)
    if stores is not None:
        query = query.where(model.store_id.in_(stores))
    for name in equal:
        if params.get(name):
            query = query.where(getattr(model, name) == params[name])
    if params.get("cursor"):
        query = query.where(model.id < params["cursor"])
    return list(session.execute(query).scalars())


def require_manager(caller: Caller, action: str) -> None:
    if not manages(caller):
        raise Forbidden(f"{action} needs a store manager's approval.", code="needs_manager")


def illegal(what: str, state: str, action: str) -> Conflict:
    """Conflict coded `<what>_state` (`invoice_state`, `card_state`) with the state as a param."""
    return Conflict(f"The {what} is {state}; it cannot be {action}.", fields={"status": [state]},
                    code=f"{what}_state", params={"status": state})

