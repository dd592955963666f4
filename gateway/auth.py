"""Tokens and the principal behind a request.

A JWT (HS256, its key named by the `kid` header) names the user and the user's token version (`ver`) when it was
issued. A password, role or store change, or disabling the account, raises the version (`identity.update_user`), which
ends every earlier token. Each request reads the user's current version and active flag (one
primary-key lookup in the identity database, so a change made through one gateway worker holds on
every worker at once); role and stores are cached per worker for that version.
"""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from typing import Callable

import falcon
import jwt

from .models import User


@dataclass(frozen=True)
class Principal:
    id: str
    username: str
    role: str
    store_ids: tuple[str, ...]

    @classmethod
    def of(cls, user: User) -> "Principal":
        return cls(user.id, user.username, user.role, tuple(user.store_ids))

    def rpc_context(self, request_id: str) -> dict:
        """What services see as `Caller` (nameko context data)."""
        return {"request_id": request_id, "user_id": self.id, "role": self.role,
                "store_ids": ",".join(self.store_ids)}


def key_id(secret: str) -> str:
    """The `kid` naming a signing key: a short HMAC of a fixed label under the key (names the key
    in a token header and in logs without revealing it)."""
    return hmac.new(secret.encode(), b"autoservice jwt key id", hashlib.sha256).hexdigest()[:16]


class Tokens:
    """Signs with the current key (its `kid` in the header); verifies with the key the token's
    `kid` names among the current and the accepted ones, so a key can rotate without logging
    anyone out (deploy/k8s/README.md, Rotate the JWT key). An unknown `kid` is refused; a token
    without one (issued before key ids) is tried against each known key."""

    def __init__(self, secret: str, ttl_seconds: int, accepted: tuple[str, ...] = ()):
        self.secret = secret
        self.ttl = ttl_seconds
        self.kid = key_id(secret)
        self.keys = {key_id(key): key for key in (*accepted, secret)}

    def issue(self, user: User) -> str:
        now = int(time.time())
        return jwt.encode({"sub": user.id, "role": user.role, "ver": user.token_version, "iat": now,
                           "exp": now + self.ttl}, self.secret, algorithm="HS256", headers={"kid": self.kid})

    def subject(self, token: str) -> tuple[str, int]:
        """The user id and token version a valid token names (tokens from before versions: 0)."""
        try:
            claims = self._verified(token)
            return claims["sub"], int(claims.get("ver", 0))
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("The token has expired; log in again.") from exc
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            raise unauthorized("The token is not valid.") from exc

    def _verified(self, token: str) -> dict:
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is not None and kid not in self.keys:
            raise jwt.InvalidKeyError("the token's key id names no key this gateway accepts")
        candidates = [self.keys[kid]] if kid is not None else list(self.keys.values())
        for key in candidates[:-1]:
            try:
                return self._decode(token, key)
            except jwt.InvalidSignatureError:
                continue
        return self._decode(token, candidates[-1])

    @staticmethod
    def _decode(token: str, key: str) -> dict:
        return jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sub"]})


def unauthorized(message: str) -> falcon.HTTPUnauthorized:
    return falcon.HTTPUnauthorized(title="unauthorized", description=message,
                                   headers={"WWW-Authenticate": "Bearer"})


Stamp = tuple[int, bool]
"""A user's token version and active flag, as the identity database has them now."""


class PrincipalCache:
    """user id -> the Principal loaded at a token version; reloaded when the version moves."""

    def __init__(self, stamp: Callable[[str], Stamp | None], load: Callable[[str], Principal | None]):
        self._stamp = stamp
        self._load = load
        self._entries: dict[str, tuple[int, Principal | None]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: str, version: int) -> Principal | None:
        """The principal behind a token of `version`; None when the user is gone or disabled, or
        the version has been superseded (password, role or stores changed since the token)."""
        stamp = self._stamp(user_id)
        if stamp is None or not stamp[1] or stamp[0] != version:
            return None
        with self._lock:
            hit = self._entries.get(user_id)
        if hit and hit[0] == version:
            return hit[1]
        principal = self._load(user_id)
        with self._lock:
            self._entries[user_id] = (version, principal)
        return principal


class Authenticator:
    def __init__(self, tokens: Tokens, principals: PrincipalCache):
        self.tokens = tokens
        self.principals = principals

    def principal(self, req: falcon.Request) -> Principal:
        header = req.get_header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Send `Authorization: Bearer <token>` (from POST /v1/auth/login).")
        principal = self.principals.get(*self.tokens.subject(token.strip()))
        if principal is None:
            raise unauthorized("The account behind this token is disabled or gone, or its password, role or "
                               "stores changed since; log in again.")
        return principal


def require_role(principal: Principal, roles: frozenset[str]) -> None:
    if principal.role not in roles:
        raise falcon.HTTPForbidden(title="forbidden", description=f"The role {principal.role} may not do this.")
