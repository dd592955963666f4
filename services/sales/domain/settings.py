"""A store's sales settings (labour rate, VAT, pricing mode, discount limits per role, slot
capacity, opening hours): one row per store, defaults until a manager saves one."""
from __future__ import annotations

from datetime import time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import one_or_created
from services.common.errors import Forbidden, Invalid

from ..models import Counter, StoreSettings, json_numbers

DEFAULTS = {
    "labour_rate_fen": 12000,
    "vat_rate": Decimal("0.13"),
    "tax_inclusive": True,
    "discount_limits": {"service_advisor": 10, "store_manager": 30, "hq_admin": 100},
    "slot_minutes": 60,
    "slot_capacity": 4,
    "timezone": "Asia/Shanghai",
    "opens_at": time(8, 30),
    "closes_at": time(18, 0),
    "quote_valid_days": 7,
}


def settings_of(session: Session, store_id: str) -> StoreSettings:
    """The store's settings, or an unsaved row holding the defaults."""
    row = session.get(StoreSettings, store_id)
    if row is None:
        row = StoreSettings(store_id=store_id, **{k: (dict(v) if isinstance(v, dict) else v)
                                                  for k, v in DEFAULTS.items()})
    return row


def discount_limit(settings: StoreSettings, role: str | None) -> Decimal:
    """The deepest discount (percent) a role may give without approval; unknown roles none."""
    if role is None:  # a system call (no user) never approves anything by itself
        return Decimal(0)
    return Decimal(str(settings.discount_limits.get(role, 0)))


def save_settings(session: Session, caller: Caller, store_id: str, changes: dict) -> StoreSettings:
    if "discount_limits" in changes and not caller.is_hq:
        raise Forbidden("Only HQ sets the discount limits of a store.", code="needs_hq")
    if "discount_limits" in changes:
        changes = {**changes, "discount_limits": json_numbers(changes["discount_limits"])}
    row = lock_settings(session, store_id)
    for key, value in changes.items():
        setattr(row, key, value)
    if row.opens_at >= row.closes_at:
        raise Invalid("The store closes before it opens.", code="opening_hours_invalid",
                      fields={"closes_at": ["Not after opens_at."]},
                      params={"opens_at": f"{row.opens_at:%H:%M}", "closes_at": f"{row.closes_at:%H:%M}"})
    row.updated_by = caller.user_id
    session.flush()
    return row


def lock_settings(session: Session, store_id: str) -> StoreSettings:
    """The store's settings row, created with the defaults if needed, locked until commit
    (serialises slot bookings and settings changes of one store)."""
    query = select(StoreSettings).where(StoreSettings.store_id == store_id).with_for_update()
    row = session.scalars(query).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(settings_of(session, store_id))
    except IntegrityError:
        pass  # created concurrently: lock theirs
    return session.scalars(query.execution_options(populate_existing=True)).one()


def next_number(session: Session, store_id: str, scope: str) -> int:
    """The next value of a per-store sequence (order and quote numbers), under a row lock."""
    query = select(Counter).where(Counter.store_id == store_id, Counter.scope == scope).with_for_update()
    counter = one_or_created(session, query, lambda: Counter(store_id=store_id, scope=scope, value=0))
    counter.value += 1
    session.flush()
    return counter.value
