"""Small helpers shared by the finance rules."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, NotFound

MANAGER_ROLES = frozenset({"store_manager", "hq_admin"})


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


def require_manager(caller: Caller, action: str) -> None:
    if not (caller.is_system or caller.role in MANAGER_ROLES):
        raise Forbidden(f"{action} needs a store manager's approval.")


def illegal(what: str, state: str, action: str) -> Conflict:
    """Conflict coded `<what>_state` (`invoice_state`, `card_state`) with the state as a param."""
    return Conflict(f"The {what} is {state}; it cannot be {action}.", fields={"status": [state]},
                    code=f"{what}_state", params={"status": state})


def visible_stores(caller: Caller, store_id: str | None) -> list[str] | None:
    """The stores a list may show: the one asked for (checked), else the caller's (HQ/system: all)."""
    if store_id:
        caller.require_store(store_id)
        return [store_id]
    if caller.is_system or caller.is_hq:
        return None
    return sorted(caller.store_ids)
