"""Who a bearer token is, read from the identity database: the one Authenticator of the gateway's workers and
of the stream process (gateway/stream), which imports this and not the whole API."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from services.common.db import make_engine

from .auth import Authenticator, KeyPrincipal, Principal, PrincipalCache, Stamp, Tokens
from .config import Settings
from .customer import links
from .models import User
from .partners import keys


def identity_sessions(settings: Settings) -> sessionmaker:
    return sessionmaker(bind=make_engine(settings.database_url), expire_on_commit=False)


def authenticator(settings: Settings, sessions: sessionmaker) -> Authenticator:
    """Who a bearer token is, read from the identity database (the gateway and the stream process)."""

    def load_principal(user_id: str) -> Principal | None:
        with sessions() as session:
            user = session.get(User, user_id)
            return Principal.of(user) if user is not None and user.active else None

    def stamp(user_id: str) -> Stamp | None:
        with sessions() as session:
            row = session.execute(select(User.token_version, User.active).where(User.id == user_id)).first()
            return None if row is None else (row.token_version, row.active)

    def link_is_live(link_id: str) -> bool:
        with sessions() as session:
            return links.is_live(session, link_id)

    def load_key(secret: str) -> KeyPrincipal | None:
        with sessions() as session:
            key = keys.authenticate(session, secret)
            return None if key is None else KeyPrincipal(key.id, key.name, tuple(key.store_ids), tuple(key.scopes),
                                                         key.rate_per_minute)

    return Authenticator(Tokens(settings.jwt_secret, settings.token_ttl_seconds, settings.jwt_accepted_secrets,
                                settings.customer_token_ttl_seconds),
                         PrincipalCache(stamp, load_principal), link_is_live, load_key)
