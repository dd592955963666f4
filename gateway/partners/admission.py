"""After a staff token, an API key or a car owner's token is authenticated: a key's scopes for the operation, then
the caller's rate limit (`limits.py`: a bucket named after the authenticated caller alone — the user, the key, the
token's customer), then the key's use counted; the `RateLimit-*` headers on the answer."""
from __future__ import annotations

import falcon
from sqlalchemy.orm import sessionmaker

from ..auth import CustomerPrincipal, KeyPrincipal, Principal
from . import keys, limits, scopes


class Admission:
    def __init__(self, sessions: sessionmaker, user_per_minute: int, customer_per_minute: int = 0):
        self.sessions = sessions
        self.user_per_minute = user_per_minute
        self.customer_per_minute = customer_per_minute

    def __call__(self, req: falcon.Request, resp: falcon.Response,
                 principal: Principal | KeyPrincipal | CustomerPrincipal) -> None:
        route = req.uri_template or req.path
        is_key = isinstance(principal, KeyPrincipal)
        if isinstance(principal, KeyPrincipal) and not scopes.allows(principal.scopes, req.method, route):
            needed = scopes.scope_needed(req.method, route)
            raise falcon.HTTPForbidden(title="api_key_scope", description=(
                f"The key's scopes do not include {needed}." if needed else "No API key may call this operation."))
        if isinstance(principal, KeyPrincipal):
            bucket, per_minute = f"key:{principal.id}", principal.rate_per_minute
        elif isinstance(principal, CustomerPrincipal):  # a link's token draws from its customer's bucket too
            bucket, per_minute = f"customer:{principal.id}", self.customer_per_minute
        else:
            bucket, per_minute = f"user:{principal.id}", self.user_per_minute
        if per_minute <= 0:  # USER_/CUSTOMER_RATE_PER_MINUTE=0: limited elsewhere (the ingress), not here
            return
        with self.sessions() as session, session.begin():
            verdict = limits.take(session, bucket, per_minute)
            if is_key and verdict.allowed:
                keys.record_use(session, principal.id, req.method, route)
        headers = verdict.headers()
        resp.set_headers(headers)
        if not verdict.allowed:
            raise falcon.HTTPTooManyRequests(
                title="rate_limited", headers=headers,
                description=f"More than {per_minute} calls a minute; try again in {verdict.retry_after} s.")
