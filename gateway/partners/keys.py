"""API keys (plain functions over the gateway's Session): created by HQ, or by a store manager for their
own stores, with a name, scopes (`scopes.py`) and stores; the secret is answered once and only its
SHA-256 is kept (it is 256 random bits, so a slow hash adds nothing). Each request looks the key up by
that hash, so a revocation holds at the next request on every gateway worker and host. Rotating makes a
new key with the same grants and lets the old one live on for an overlap."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.db import dialect_insert, utcnow
from services.common.errors import Forbidden, Invalid, NotFound
from services.common.policy import require_store, sees_every_store
from services.common.schemas import page

from ..auth import KEY_PREFIX as PREFIX
from ..identity import check_stores_exist
from ..models import ApiKey, ApiKeyUsage

SHOWN_PREFIX = 12
DEFAULT_LIFETIME = timedelta(days=365)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def status(key: ApiKey, now: datetime | None = None) -> str:
    now = now or utcnow()
    if key.revoked_at is not None:
        return "revoked"
    return "expired" if key.expires_at is not None and key.expires_at <= now else "active"


def _issue(session: Session, key: ApiKey) -> tuple[ApiKey, str]:
    secret = PREFIX + secrets.token_urlsafe(32)
    key.secret_hash, key.prefix = _hash(secret), secret[:SHOWN_PREFIX]
    session.add(key)
    session.flush()
    return key, secret


def _require_stores(actor, store_ids: list[str]) -> None:
    """A key reaches only stores its creator manages (every store for HQ)."""
    for store_id in store_ids:
        require_store(actor, store_id)


def create(session: Session, actor, data: dict, default_rate: int) -> tuple[ApiKey, str]:
    """A new key and its secret (answered this once)."""
    store_ids = list(dict.fromkeys(data["store_ids"]))
    if not store_ids:
        raise Invalid("Name the stores the key reaches.", fields={"store_ids": ["Required."]}, code="store_required")
    _require_stores(actor, store_ids)
    check_stores_exist(session, store_ids)
    days = data.get("expires_in_days")
    lifetime = timedelta(days=days) if days else DEFAULT_LIFETIME
    return _issue(session, ApiKey(name=data["name"], scopes=sorted(set(data["scopes"])), store_ids=store_ids,
                                  rate_per_minute=data.get("rate_per_minute") or default_rate,
                                  created_by=actor.id, expires_at=utcnow() + lifetime))


def _visible(actor, key: ApiKey) -> bool:
    return sees_every_store(actor) or set(key.store_ids) <= set(actor.store_ids)


def get(session: Session, actor, key_id: str) -> ApiKey:
    """A key the actor may see (HQ: every key; a manager: keys of their stores only, 403 otherwise)."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No such API key.", code="not_found")
    if not _visible(actor, key):
        raise Forbidden("This key reaches stores outside your account's.", code="store_out_of_scope")
    return key


def list_keys(session: Session, actor, query: dict) -> dict:
    stmt = select(ApiKey).order_by(ApiKey.id)
    if query.get("cursor"):
        stmt = stmt.where(ApiKey.id > query["cursor"])
    if query.get("store_id"):
        require_store(actor, query["store_id"])
    rows = [key for key in session.scalars(stmt) if _visible(actor, key)
            and (not query.get("store_id") or query["store_id"] in key.store_ids)]
    return page(rows[:query["limit"] + 1], query["limit"])


def revoke(session: Session, actor, key_id: str) -> ApiKey:
    """Revoke a key (again: no change)."""
    key = get(session, actor, key_id)
    session.execute(update(ApiKey).where(ApiKey.id == key.id, ApiKey.revoked_at.is_(None))
                    .values(revoked_at=utcnow(), revoked_by=actor.id))
    session.refresh(key)
    return key


def rotate(session: Session, actor, key_id: str, overlap: timedelta) -> tuple[ApiKey, str]:
    """A new key with the old one's grants and lifetime; the old one ends after `overlap` (at once for 0)."""
    old = get(session, actor, key_id)
    if status(old) != "active":
        raise Invalid("Only an active key can be rotated.", code="api_key_inactive")
    now = utcnow()
    lifetime = (old.expires_at - old.created_at) if old.expires_at else DEFAULT_LIFETIME
    old.expires_at = min(old.expires_at or now + overlap, now + overlap)
    return _issue(session, ApiKey(name=old.name, scopes=list(old.scopes), store_ids=list(old.store_ids),
                                  rate_per_minute=old.rate_per_minute, created_by=actor.id,
                                  expires_at=now + lifetime, rotated_from=old.id))


def authenticate(session: Session, secret: str) -> ApiKey | None:
    """The active key behind a secret, if any."""
    key = session.scalar(select(ApiKey).where(ApiKey.secret_hash == _hash(secret)))
    return key if key is not None and status(key) == "active" else None


def record_use(session: Session, key_id: str, method: str, route: str) -> None:
    """Count a call of an operation with the key (one upsert) and stamp the key's last use."""
    now = utcnow()
    insert = dialect_insert(session)(ApiKeyUsage).values(key_id=key_id, method=method, route=route[:200], calls=1,
                                                         last_used_at=now)
    session.execute(insert.on_conflict_do_update(
        index_elements=["key_id", "method", "route"],
        set_={"calls": ApiKeyUsage.calls + 1, "last_used_at": insert.excluded.last_used_at}))
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


def usage(session: Session, key_id: str) -> list[ApiKeyUsage]:
    return list(session.scalars(select(ApiKeyUsage).where(ApiKeyUsage.key_id == key_id)
                                .order_by(ApiKeyUsage.calls.desc(), ApiKeyUsage.route)))
