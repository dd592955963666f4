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

from services.common.policy import API_KEY_ROLE, CUSTOMER_ROLE

from .models import User

CUSTOMER = frozenset({CUSTOMER_ROLE})
"""`endpoint(roles=CUSTOMER)`: a car owner's route under /c/v1 (customer tokens only)."""
KEY_PREFIX = "ask_"
"""How an API key's secret begins (a JWT begins `ey`): the bearer token is looked up as a key."""
CUSTOMER_AUDIENCE = "customer"
"""The `aud` of customer tokens; staff tokens carry none, and each kind is refused on the other's routes."""


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


@dataclass(frozen=True)
class KeyPrincipal:
    """A machine client's API key (gateway/partners/keys.py): it acts in the services as
    `policy.API_KEY_ROLE` of its stores, and at the gateway only where its scopes reach."""
    id: str
    username: str
    store_ids: tuple[str, ...]
    scopes: tuple[str, ...]
    rate_per_minute: int
    role: str = API_KEY_ROLE

    def rpc_context(self, request_id: str) -> dict:
        return {"request_id": request_id, "user_id": self.id, "role": self.role,
                "store_ids": ",".join(self.store_ids)}


@dataclass(frozen=True)
class CustomerPrincipal:
    """A car owner signed in (crm's customer id). Services see the role `customer` and the customer's
    id as the user; the customer channel's RPCs check every document against it. Signed in by a link
    the store sent, `document` is the one (type, id) the token may touch."""
    id: str
    role: str = "customer"
    document: tuple[str, str] | None = None

    def require_document(self, params: dict) -> None:
        """A link's token serves only its own document (the route's `<type>_id`): 403 elsewhere."""
        if self.document is not None and params.get(f"{self.document[0]}_id") != self.document[1]:
            raise falcon.HTTPForbidden(title="forbidden", description="This link opens one document only.")

    def rpc_context(self, request_id: str) -> dict:
        return {"request_id": request_id, "user_id": self.id, "role": self.role, "store_ids": ""}


def key_id(secret: str) -> str:
    """The `kid` naming a signing key: a short HMAC of a fixed label under the key (names the key
    in a token header and in logs without revealing it)."""
    return hmac.new(secret.encode(), b"autoservice jwt key id", hashlib.sha256).hexdigest()[:16]


class Tokens:
    """Signs with the current key (its `kid` in the header); verifies with the key the token's
    `kid` names among the current and the accepted ones, so a key can rotate without logging
    anyone out (deploy/k8s/README.md, Rotate the JWT key). An unknown `kid` is refused; a token
    without one (issued before key ids) is tried against each known key."""

    def __init__(self, secret: str, ttl_seconds: int, accepted: tuple[str, ...] = (),
                 customer_ttl_seconds: int = 7 * 24 * 3600):
        self.secret = secret
        self.ttl = ttl_seconds
        self.customer_ttl = customer_ttl_seconds
        self.kid = key_id(secret)
        self.keys = {key_id(key): key for key in (*accepted, secret)}

    def issue(self, user: User) -> str:
        now = int(time.time())
        return jwt.encode({"sub": user.id, "role": user.role, "ver": user.token_version, "iat": now,
                           "exp": now + self.ttl}, self.secret, algorithm="HS256", headers={"kid": self.kid})

    def issue_customer(self, customer_id: str, link=None) -> str:
        """A customer token; opened from a link (`CustomerLink`), bound to it and its document and ending
        with it at the latest."""
        now = int(time.time())
        expires = now + self.customer_ttl
        claims: dict[str, object] = {"sub": customer_id, "aud": CUSTOMER_AUDIENCE, "iat": now, "exp": expires}
        if link is not None:
            claims.update(lnk=link.id, doc=f"{link.document_type}:{link.document_id}",
                          exp=min(expires, int(link.expires_at.timestamp())))
        return jwt.encode(claims, self.secret, algorithm="HS256", headers={"kid": self.kid})

    def subject(self, token: str) -> tuple[str, int]:
        """The user id and token version a valid staff token names (tokens from before versions: 0);
        a customer token (it has an audience) is refused."""
        claims = self._claims(token, None)
        return claims["sub"], int(claims.get("ver", 0))

    def customer(self, token: str) -> dict:
        """The claims of a valid customer token; a staff token (no audience) is refused."""
        return self._claims(token, CUSTOMER_AUDIENCE)

    def _claims(self, token: str, audience: str | None) -> dict:
        try:
            return self._verified(token, audience)
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("The token has expired; log in again.") from exc
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            raise unauthorized("The token is not valid.") from exc

    def _verified(self, token: str, audience: str | None = None) -> dict:
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is not None and kid not in self.keys:
            raise jwt.InvalidKeyError("the token's key id names no key this gateway accepts")
        candidates = [self.keys[kid]] if kid is not None else list(self.keys.values())
        for key in candidates[:-1]:
            try:
                return self._decode(token, key, audience)
            except jwt.InvalidSignatureError:
                continue
        return self._decode(token, candidates[-1], audience)

    @staticmethod
    def _decode(token: str, key: str, audience: str | None) -> dict:
        required = ["exp", "sub", "aud"] if audience else ["exp", "sub"]
        return jwt.decode(token, key, algorithms=["HS256"], audience=audience, options={"require": required})


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
    def __init__(self, tokens: Tokens, principals: PrincipalCache,
                 link_is_live: Callable[[str], bool] = lambda link_id: False,
                 load_key: Callable[[str], KeyPrincipal | None] = lambda secret: None):
        self.tokens = tokens
        self.principals = principals
        self.link_is_live = link_is_live
        self.load_key = load_key

    def principal(self, req: falcon.Request) -> Principal | KeyPrincipal:
        """The staff member behind a JWT, or the API key a bearer token beginning `ask_` is (read
        from the database on every request, so a revoked key is refused at once everywhere)."""
        token = _bearer(req, "/v1/auth/login")
        if token.startswith(KEY_PREFIX):
            key = self.load_key(token)
            if key is None:
                raise unauthorized("The API key is unknown, revoked or expired.")
            return key
        principal = self.principals.get(*self.tokens.subject(token))
        if principal is None:
            raise unauthorized("The account behind this token is disabled or gone, or its password, role or "
                               "stores changed since; log in again.")
        return principal


    def customer(self, req: falcon.Request) -> CustomerPrincipal:
        """The car owner behind a customer token (POST /c/v1/auth/login or /c/v1/auth/link); a link's
        token only while the link is live (one primary-key read)."""
        claims = self.tokens.customer(_bearer(req, "/c/v1/auth/login"))
        if "lnk" not in claims:
            return CustomerPrincipal(str(claims["sub"]))
        if not self.link_is_live(str(claims["lnk"])):
            raise unauthorized("The link has been revoked or has expired.")
        document_type, _, document_id = str(claims.get("doc", "")).partition(":")
        return CustomerPrincipal(str(claims["sub"]), document=(document_type, document_id))


def _bearer(req: falcon.Request, login: str) -> str:
    header = req.get_header("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized(f"Send `Authorization: Bearer <token>` (from POST {login}).")
    return token.strip()


def require_role(principal: Principal | KeyPrincipal, roles: frozenset[str]) -> None:
    if principal.role not in roles:
        raise falcon.HTTPForbidden(title="forbidden", description=f"The role {principal.role} may not do this.")
