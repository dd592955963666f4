"""Webhook signing secrets at rest: Fernet tokens (cryptography's AES-128-CBC + HMAC-SHA256) under the keys
of `WEBHOOK_SECRET_KEYS`, comma-separated, the first encrypting and every one decrypting (MultiFernet), so a
key is rotated by putting the new one first, running `python -m gateway.partners.vault rotate` (every
secret re-encrypted under it) and then dropping the old one. The secret itself must stay recoverable (it
signs every delivery), so it is encrypted, not hashed like an API key: a copy of the database alone signs
nothing. Outside production a missing key is generated once into DATA_DIR (as JWT_SECRET is); the
migration that encrypted existing secrets reads the same two places."""
from __future__ import annotations

import sys

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.common import config
from services.common.db import make_engine

from ..config import webhook_secret_keys
from ..models import WebhookSubscription

class Vault:
    """Seals and opens webhook secrets with the configured keys."""

    def __init__(self, keys: tuple[str, ...]):
        if not keys:
            raise ValueError("at least one key")
        self.fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        self.opened: dict[str, str] = {}
        """Tokens already opened (the deliverer signs with the same few secrets thousands of times a minute)."""

    def seal(self, secret: str) -> str:
        return self.fernet.encrypt(secret.encode()).decode()

    def open(self, token: str) -> str:
        opened = self.opened.get(token)
        if opened is None:
            opened = self.opened[token] = self.fernet.decrypt(token.encode()).decode()
        return opened

    def rotate(self, session: Session) -> int:
        """Every subscription's secret re-encrypted under the first key; how many."""
        subscriptions = list(session.scalars(select(WebhookSubscription)))
        for subscription in subscriptions:
            subscription.secret = self.fernet.rotate(subscription.secret.encode()).decode()
        return len(subscriptions)


def main(argv: list[str]) -> int:
    if argv != ["rotate"]:
        print("usage: python -m gateway.partners.vault rotate", file=sys.stderr)
        return 2
    sessions = sessionmaker(bind=make_engine(config.database_url("gateway")))
    with sessions() as session, session.begin():
        count = Vault(webhook_secret_keys()).rotate(session)
    print(f"{count} webhook secrets now under the first key of WEBHOOK_SECRET_KEYS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
