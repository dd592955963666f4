"""Throw-away infrastructure for tests: a RabbitMQ vhost and one PostgreSQL database per
owner, named uniquely, so a running dev stack (or another test run) is never disturbed."""
from __future__ import annotations

import os
import secrets
import subprocess
import urllib.parse

from sqlalchemy import create_engine, text

from services.common.migrate import OWNERS

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
AMQP_BASE = os.environ.get("TEST_AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672")


def unique_name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


class Vhost:
    def __init__(self, name: str | None = None):
        self.name = name or unique_name("test")
        self.uri = f"{AMQP_BASE}/{urllib.parse.quote(self.name, safe='')}"

    def create(self) -> "Vhost":
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", self.name], check=True, capture_output=True)
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", self.name, "guest", ".*", ".*", ".*"],
                       check=True, capture_output=True)
        return self

    def drop(self) -> None:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", self.name], capture_output=True)


class Databases:
    """`<prefix>_<owner>` for every owner (five services and the gateway)."""

    def __init__(self, prefix: str | None = None):
        self.prefix = prefix or unique_name("t")
        base = urllib.parse.urlsplit(PG_ADMIN_URL)
        self.urls = {owner: urllib.parse.urlunsplit(base._replace(path=f"/{self.prefix}_{owner}"))
                     for owner in OWNERS}
        self._admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def create(self) -> "Databases":
        with self._admin.connect() as conn:
            for owner in OWNERS:
                conn.execute(text(f'CREATE DATABASE "{self.prefix}_{owner}"'))
        return self

    def drop(self) -> None:
        with self._admin.connect() as conn:
            for owner in OWNERS:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.prefix}_{owner}" WITH (FORCE)'))
        self._admin.dispose()

    def env(self) -> dict[str, str]:
        return {f"{owner.upper()}_DATABASE_URL": url for owner, url in self.urls.items()}
