"""Gateway settings, all from the environment."""
from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from services.common import config as common


def _jwt_secret() -> str:
    """JWT_SECRET from the environment. Outside production a missing secret is generated once
    and kept in DATA_DIR, so every gunicorn worker (and a restart) shares it."""
    secret = os.environ.get("JWT_SECRET")
    if secret:
        if len(secret) < 32:
            raise RuntimeError("JWT_SECRET must be at least 32 characters")
        return secret
    if os.environ.get("APP_ENV") == "production":
        raise RuntimeError("JWT_SECRET must be set in production")
    path = common.data_dir() / "jwt_secret"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted_proxies() -> tuple[Network, ...]:
    """TRUSTED_PROXIES: comma-separated addresses or CIDR blocks of the proxies in front of the
    gateway (the ingress, a load balancer) whose `X-Forwarded-For` is believed; none by default."""
    given = os.environ.get("TRUSTED_PROXIES", "")
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in given.split(",") if part.strip())


def write_private(path: Path, text: str) -> None:
    """A new file that only this user can read (0600), never overwriting one that exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


@dataclass(frozen=True)
class Settings:
    amqp_uri: str = field(default_factory=common.amqp_uri)
    database_url: str = field(default_factory=lambda: common.database_url("gateway"))
    jwt_secret: str = field(default_factory=_jwt_secret)
    token_ttl_seconds: int = field(default_factory=lambda: common.env_int("TOKEN_TTL_SECONDS", 8 * 3600))
    rpc_timeout: float = field(default_factory=lambda: common.env_float("RPC_TIMEOUT", 3.0))
    max_body_bytes: int = field(default_factory=lambda: common.env_int("MAX_BODY_BYTES", 1_048_576))
    admin_password: str | None = field(default_factory=lambda: os.environ.get("ADMIN_PASSWORD"))
    trusted_proxies: tuple[Network, ...] = field(default_factory=_trusted_proxies)
    services: tuple[str, ...] = common.SERVICES


def data_path(name: str) -> Path:
    return common.data_dir() / name
