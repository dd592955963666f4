"""Throw-away infrastructure for tests: a RabbitMQ vhost and one PostgreSQL database per
owner, named uniquely, so a running dev stack (or another test run) is never disturbed."""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import subprocess
import time
import urllib.parse
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from services.common.migrate import OWNERS, script_location, upgrade

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
        """Deleted at once, or, in a pytest run, listed for deletion after its last test (DEFERRED_VHOSTS)."""
        deferred = os.environ.get(DEFERRED_VHOSTS)
        if deferred:
            with open(deferred, "a") as listed:
                listed.write(self.name + "\n")
        else:
            delete_vhosts([self.name])


DEFERRED_VHOSTS = "TEST_DEFERRED_VHOSTS"
"""A file a pytest run lists its vhosts in instead of deleting each when its test is done: RabbitMQ 3.10 deleting
a vhost of quorum queues has frozen the whole broker for 86 s in the middle of a run (every other test's publishes
and readiness checks timed out), so tests/conftest.py deletes them once no test runs."""


def delete_vhosts(names: list[str], budget: float = 300) -> None:
    """Delete the vhosts side by side; those the broker has not managed within `budget` seconds are left
    behind with a warning (a busy node can take long over quorum queues) and the caller goes on."""
    deleting = {name: subprocess.Popen(["rabbitmqctl", "-q", "delete_vhost", name], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL) for name in dict.fromkeys(names)}
    deadline = time.monotonic() + budget
    left = []
    for name, process in deleting.items():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            left.append(name)
    if left:
        warnings.warn(f"vhosts {', '.join(left)} not deleted within {budget:.0f} s; "
                      "delete them with rabbitmqctl delete_vhost", stacklevel=2)


class Databases:
    """`<prefix>_<owner>` for every owner (five services and the gateway)."""

    def __init__(self, prefix: str | None = None):
        self.prefix = prefix or unique_name("t")
        base = urllib.parse.urlsplit(PG_ADMIN_URL)
        self.urls = {owner: urllib.parse.urlunsplit(base._replace(path=f"/{self.prefix}_{owner}"))
                     for owner in OWNERS}
        # no pooled connection kept between create and drop (a run holds several of these at once)
        self._admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def create(self, migrated: bool = False) -> "Databases":
        """Empty databases, or `migrated`: copies of databases the migrations took from empty to head (what a
        stack's `migrate` made of each set, seconds per stack; PostgreSQL copies a template's files)."""
        with self._admin.connect() as conn:
            if not migrated:
                for owner in OWNERS:
                    conn.execute(text(f'CREATE DATABASE "{self.prefix}_{owner}"'))
                return self
            with migrated_templates(conn) as templates:
                for owner in OWNERS:
                    conn.execute(text(f'CREATE DATABASE "{self.prefix}_{owner}" TEMPLATE "{templates[owner]}"'))
        return self

    def drop(self) -> None:
        """All six at once: each DROP DATABASE waits for a checkpoint, which drops side by side share (one
        after another they took 1-2 s each on a busy machine, at every stack's end)."""
        def drop(owner: str) -> None:
            with self._admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.prefix}_{owner}" WITH (FORCE)'))

        with ThreadPoolExecutor(len(OWNERS)) as pool:
            list(pool.map(drop, OWNERS))
        self._admin.dispose()

    def env(self) -> dict[str, str]:
        return {f"{owner.upper()}_DATABASE_URL": url for owner, url in self.urls.items()}


TEMPLATE_PREFIX = "t_migrated_"
_TEMPLATE_LOCK = 7_245_114  # the advisory lock under which one process of a run builds the templates


def migrations_digest() -> str:
    """What the migrations are (every owner's scripts): a template names the migrations it was made by."""
    digest = hashlib.sha256()
    for owner in OWNERS:
        for script in sorted(script_location(owner).rglob("*.py")):
            digest.update(script.relative_to(script_location(owner)).as_posix().encode() + script.read_bytes())
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def migrated_templates(conn) -> Iterator[dict[str, str]]:
    """`t_migrated_<digest>_<owner>`: databases the current migrations took from empty to head, built by the
    first process that asks for them and kept for the next run, under a lock held while they are copied (the
    other workers of a run, and other checkouts on the machine, wait). A template is marked `IS_TEMPLATE` only
    once all are at head, so a build that died half-way is done again; the sets of all but the newest
    `KEEP_TEMPLATES` migrations are dropped."""
    digest = migrations_digest()
    names = {owner: f"{TEMPLATE_PREFIX}{digest}_{owner}" for owner in OWNERS}
    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _TEMPLATE_LOCK})
    try:
        ready = set(conn.execute(text("SELECT datname FROM pg_database WHERE datistemplate")).scalars())
        if not set(names.values()) <= ready:
            _build_templates(conn, digest, names)
        yield names
    finally:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _TEMPLATE_LOCK})


KEEP_TEMPLATES = 3  # migrations' template sets kept: checkouts of a few branches side by side on one machine


def _build_templates(conn, digest: str, names: dict[str, str]) -> None:
    found = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :like ORDER BY oid DESC"),
                         {"like": f"{TEMPLATE_PREFIX}%"}).scalars().all()
    digests = [d for d in dict.fromkeys(name[len(TEMPLATE_PREFIX):].split("_")[0] for name in found) if d != digest]
    for name in found:
        if name in names.values() or name[len(TEMPLATE_PREFIX):].split("_")[0] not in digests[:KEEP_TEMPLATES - 1]:
            conn.execute(text(f'ALTER DATABASE "{name}" IS_TEMPLATE false'))
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    base = urllib.parse.urlsplit(PG_ADMIN_URL)
    for owner, name in names.items():
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        upgrade(owner, urllib.parse.urlunsplit(base._replace(path=f"/{name}")))
    for name in names.values():
        conn.execute(text(f'ALTER DATABASE "{name}" IS_TEMPLATE true'))
