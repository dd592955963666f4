"""Users, stores and passwords: the gateway's own domain (plain functions over a Session)."""
from __future__ import annotations

import logging
import secrets

import bcrypt
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.policy import (can_access_store, grantable_roles, in_visible_stores, manages, sees_every_store,
                                    visible_stores)
from services.common.schemas import page

from services.common.db import utcnow

from .models import LoginFailure, Store, User, UserStore

log = logging.getLogger(__name__)

_DUMMY_HASH = bcrypt.hashpw(b"timing-equaliser", bcrypt.gensalt()).decode()


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds=12)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    return bcrypt.checkpw(password.encode()[:72], password_hash.encode())


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        verify_password(password, _DUMMY_HASH)  # same time whether or not the user exists
        return None
    if not verify_password(password, user.password_hash) or not user.active:
        return None
    return user


LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
SLOW_DOWN_AFTER_PER_ADDRESS = 100
SLOW_DOWN_SECONDS = 1.0


def login_throttled(session: Session, username: str) -> bool:
    """Too many refused logins for this username within the window: it is locked (429), even with
    the right password. An address is never locked (a store's staff, or the whole chain behind the
    ingress, share one): see `slow_down_seconds`."""
    since = utcnow() - LOGIN_WINDOW
    failures = session.execute(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.username == username, LoginFailure.at >= since)).scalar_one()
    return failures >= MAX_FAILURES_PER_USER


def slow_down_seconds(session: Session, client_ip: str | None) -> float:
    """How long to hold a refused login from an address that has sprayed many usernames with wrong
    passwords in the window; a right password is never held or refused for its address."""
    if not client_ip:
        return 0.0
    failures = session.execute(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.client_ip == client_ip, LoginFailure.at >= utcnow() - LOGIN_WINDOW)).scalar_one()
    return SLOW_DOWN_SECONDS if failures >= SLOW_DOWN_AFTER_PER_ADDRESS else 0.0


def record_login(session: Session, username: str, client_ip: str | None, succeeded: bool) -> None:
    if succeeded:
        session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    else:
        session.add(LoginFailure(username=username, client_ip=client_ip))
    session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - LOGIN_WINDOW))


def bootstrap_admin(session: Session, password: str | None) -> str | None:
    """On an empty identity database create `admin` (hq_admin). Returns a generated
    password when none was given, so the caller can print it once."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    session.add(User(username="admin", display_name="Administrator", role="hq_admin",
                     password_hash=hash_password(password)))
    session.flush()
    return generated


def check_stores_exist(session: Session, store_ids: list[str]) -> None:
    if not store_ids:
        return
    found = set(session.scalars(select(Store.id).where(Store.id.in_(store_ids))))
    missing = [s for s in store_ids if s not in found]
    if missing:
        raise Invalid("Unknown stores.", fields={"store_ids": [f"No store {s}." for s in missing]},
                      code="unknown_store")


def _check_manageable(actor, role: str, store_ids: list[str]) -> None:
    """A store manager manages staff (not managers or HQ) of their own stores only."""
    if role not in grantable_roles(actor):
        raise Forbidden("Only HQ can grant this role.", code="role_needs_hq", params={"role": role})
    if sees_every_store(actor):
        return
    if not store_ids or not set(store_ids) <= set(actor.store_ids):
        raise Forbidden("Staff can only be assigned to your own stores.", code="store_not_yours")


def create_user(session: Session, actor, data: dict) -> User:
    store_ids = list(dict.fromkeys(data.pop("store_ids")))
    if data["role"] != "hq_admin" and not store_ids:
        raise Invalid("Store staff need at least one store.", fields={"store_ids": ["Required for this role."]},
                      code="store_required")
    _check_manageable(actor, data["role"], store_ids)
    check_stores_exist(session, store_ids)
    if session.scalar(select(User.id).where(User.username == data["username"])):
        raise Conflict("This username is taken.", fields={"username": ["This username is taken."]},
                       code="username_taken", params={"username": data["username"]})
    user = User(username=data["username"], display_name=data["display_name"], mobile=data["mobile"],
                role=data["role"], password_hash=hash_password(data["password"]))
    user.memberships = [UserStore(store_id=s) for s in store_ids]
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, actor, user_id: str) -> User:
    """A user's own account; a manager's staff of their stores; anyone for HQ (API.md: another
    store's id is 403, like a role that may not see other accounts)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.")
    if sees_every_store(actor) or actor.id == user_id:
        return user
    if actor.role != "store_manager":
        raise Forbidden("Only managers may see or change other staff accounts.", code="needs_manager")
    if not set(user.store_ids) & set(actor.store_ids):
        raise Forbidden("This account works outside your stores.", code="store_out_of_scope")
    return user


ENDS_TOKENS = ("role", "store_ids", "active")
"""Changes that end the user's earlier tokens (with any new password): what a token lets its holder do."""


def update_user(session: Session, actor, user_id: str, changes: dict) -> User:
    """Apply a PATCH; a new password, or another role, set of stores or active flag, ends every token
    issued before (the user logs in again)."""
    user = get_user(session, actor, user_id)
    self_service = actor.id == user_id and actor.role != "hq_admin"
    if self_service and set(changes) - {"password", "display_name", "mobile"}:
        raise Forbidden("You may only change your own password, display name and mobile.", code="own_account_only")
    if not self_service:
        _check_manageable(actor, changes.get("role", user.role), changes.get("store_ids", user.store_ids))
    before = {key: getattr(user, key) for key in ENDS_TOKENS}
    if "store_ids" in changes:
        store_ids = list(dict.fromkeys(changes.pop("store_ids")))
        check_stores_exist(session, store_ids)
        user.memberships = [UserStore(store_id=s) for s in store_ids]
    ends_tokens = "password" in changes
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"))
    for key, value in changes.items():
        setattr(user, key, value)
    if ends_tokens or any(getattr(user, key) != value for key, value in before.items()):
        user.token_version += 1
    session.flush()
    return user


def list_users(session: Session, actor, query: dict) -> dict:
    stmt = select(User)
    stores = visible_stores(actor, query.get("store_id"))
    if stores is not None:
        stmt = stmt.where(User.id.in_(select(UserStore.user_id).where(UserStore.store_id.in_(stores))))
    if query.get("role"):
        stmt = stmt.where(User.role == query["role"])
    if query.get("cursor"):
        stmt = stmt.where(User.id > query["cursor"])
    rows = session.scalars(stmt.order_by(User.id).limit(query["limit"] + 1)).all()
    return page(list(rows), query["limit"], key=lambda u: u.id)


def create_store(session: Session, data: dict) -> Store:
    if session.scalar(select(Store.id).where(Store.code == data["code"])):
        raise Conflict("A store with this code exists.", fields={"code": ["A store with this code exists."]},
                       code="store_code_taken", params={"code": data["code"]})
    store = Store(**data)
    session.add(store)
    session.flush()
    return store


def update_store(session: Session, actor, store_id: str, changes: dict) -> Store:
    """A store's own details (name, address, phone) by HQ or the store's manager; they head every
    printed document of the store."""
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(f"No store {store_id}.")
    if not (manages(actor) and can_access_store(actor, store_id)):
        raise Forbidden("Only HQ or the store's manager may change its details.", code="store_not_yours")
    for key, value in changes.items():
        setattr(store, key, value)
    session.flush()
    return store


def list_stores(session: Session, actor, query: dict) -> dict:
    stmt = in_visible_stores(select(Store), Store.id, actor, None)
    if query.get("cursor"):
        stmt = stmt.where(Store.id > query["cursor"])
    rows = session.scalars(stmt.order_by(Store.id).limit(query["limit"] + 1)).all()
    return page(list(rows), query["limit"], key=lambda s: s.id)
