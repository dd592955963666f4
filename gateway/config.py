"""Gateway settings, all from the environment."""
from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

from services.common import config as common

from .customer.wechat_oauth import WeChatOAuthSettings


MIN_SECRET_LENGTH = 32


def _jwt_secret() -> str:
    """JWT_SECRET from the environment: the key new tokens are signed with. Outside production a
    missing secret is generated once and kept in DATA_DIR, so every gunicorn worker (and a restart)
    of this host shares it; gateways on several hosts need the same JWT_SECRET given to each."""
    secret = os.environ.get("JWT_SECRET")
    if secret:
        return _long_enough("JWT_SECRET", secret)
    if os.environ.get("APP_ENV") == "production":
        raise RuntimeError("JWT_SECRET must be set in production")
    path = common.data_dir() / "jwt_secret"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


WEBHOOK_KEY_FILE = "webhook_secret_keys"


def webhook_secret_keys() -> tuple[str, ...]:
    """WEBHOOK_SECRET_KEYS: comma-separated Fernet keys webhook secrets are sealed under, the first sealing
    (gateway/partners/vault.py). Outside production a missing key is generated once into DATA_DIR, as JWT_SECRET is."""
    given = tuple(part.strip() for part in os.environ.get("WEBHOOK_SECRET_KEYS", "").split(",") if part.strip())
    if given:
        return given
    if os.environ.get("APP_ENV") == "production":
        raise RuntimeError("WEBHOOK_SECRET_KEYS must be set in production (Fernet.generate_key())")
    path = common.data_dir() / WEBHOOK_KEY_FILE
    if not path.exists():
        try:
            write_private(path, Fernet.generate_key().decode())
        except FileExistsError:  # another process of this host made it a moment ago
            pass
    return (path.read_text().strip(),)


def webhook_allow_private() -> bool:
    """WEBHOOK_ALLOW_PRIVATE=1: webhooks may post to private and loopback addresses (tests, `make run`)."""
    return os.environ.get("WEBHOOK_ALLOW_PRIVATE") == "1"


def _jwt_accepted_secrets() -> tuple[str, ...]:
    """JWT_ACCEPTED_SECRETS: comma-separated keys whose tokens are still accepted but never signed
    with (the previous key during a rotation, or the next one before it becomes JWT_SECRET)."""
    given = os.environ.get("JWT_ACCEPTED_SECRETS", "")
    return tuple(_long_enough("JWT_ACCEPTED_SECRETS", part.strip()) for part in given.split(",") if part.strip())


def _long_enough(name: str, secret: str) -> str:
    if len(secret) < MIN_SECRET_LENGTH:
        raise RuntimeError(f"{name}: every key must be at least {MIN_SECRET_LENGTH} characters")
    return secret


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted_proxies() -> tuple[Network, ...]:
    """TRUSTED_PROXIES: comma-separated addresses or CIDR blocks of the proxies in front of the
    gateway (the ingress, a load balancer) whose `X-Forwarded-For` is believed; none by default."""
    given = os.environ.get("TRUSTED_PROXIES", "")
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in given.split(",") if part.strip())


SERVES = ("all", "staff", "customer")
"""What one gateway process answers (GATEWAY_SERVES): everything; the staff side alone (the API under `/v1`, the
console, the OpenAPI document); or the customer channel alone (`/c/v1`, the phone app at `/m`), so that car owners'
load runs on workers, threads and broker connections of its own (README "Operations")."""


def _serves() -> str:
    given = os.environ.get("GATEWAY_SERVES", "all").strip().lower() or "all"
    if given not in SERVES:
        raise RuntimeError(f"GATEWAY_SERVES must be one of {', '.join(SERVES)}, not {given!r}")
    return given


def _wechat_bridge_url() -> str | None:
    """MOBILE_WECHAT_BRIDGE_URL: a script standing in for WeChat's own WeixinJSBridge (the WeChat Pay sandbox's
    /sandbox/jsapi/bridge.js) that the phone app loads before paying by JSAPI — tests and `make run` only."""
    given = (os.environ.get("MOBILE_WECHAT_BRIDGE_URL") or "").strip()
    if given and os.environ.get("APP_ENV") == "production":
        raise RuntimeError("MOBILE_WECHAT_BRIDGE_URL is a sandbox's stand-in and must not be set in production")
    return given or None


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
    jwt_accepted_secrets: tuple[str, ...] = field(default_factory=_jwt_accepted_secrets)
    token_ttl_seconds: int = field(default_factory=lambda: common.env_int("TOKEN_TTL_SECONDS", 8 * 3600))
    customer_token_ttl_seconds: int = field(
        default_factory=lambda: common.env_int("CUSTOMER_TOKEN_TTL_SECONDS", 7 * 24 * 3600))
    rpc_timeout: float = field(default_factory=common.rpc_timeout)
    max_body_bytes: int = field(default_factory=lambda: common.env_int("MAX_BODY_BYTES", 1_048_576))
    public_origin: str | None = field(default_factory=lambda: (os.environ.get("PUBLIC_ORIGIN") or "").rstrip("/")
                                        or None)
    """Where customers reach the chain (`https://shop.example.com`): the start of every link texted to them. Unset:
    the address the request came to, which behind a TLS-ending proxy may be the inside one (http, a pod's name)."""
    reencode_slots: int = field(default_factory=lambda: common.env_int("REENCODE_SLOTS", 1))
    """Photos one gateway process re-encodes at once (~140 MB each for a 12 MP photo; CPU-bound, so one per
    worker process keeps the pod within its CPUs and memory limit); more uploads wait."""
    reencode_wait_seconds: float = field(
        default_factory=lambda: float(common.env_int("REENCODE_WAIT_SECONDS", 20)))
    """How long an upload waits for a re-encoding slot before it is answered 503 with Retry-After."""
    admin_password: str | None = field(default_factory=lambda: os.environ.get("ADMIN_PASSWORD"))
    trusted_proxies: tuple[Network, ...] = field(default_factory=_trusted_proxies)
    services: tuple[str, ...] = common.SERVICES
    user_rate_per_minute: int = field(default_factory=lambda: common.env_int("USER_RATE_PER_MINUTE", 1200))
    """Calls a signed-in staff member may make a minute (a token bucket of that size, gateway/partners/limits.py);
    0 turns the staff limit off."""
    customer_rate_per_minute: int = field(
        default_factory=lambda: common.env_int("CUSTOMER_RATE_PER_MINUTE", 120))
    """Calls one signed-in car owner may make a minute (a token bucket named after the token's customer, as the
    staff's); 0 turns it off."""
    serves: str = field(default_factory=_serves)
    """GATEWAY_SERVES: `all`, `staff` or `customer` (`SERVES`)."""
    customer_codes_per_address: int = field(
        default_factory=lambda: common.env_int("CUSTOMER_CODES_PER_ADDRESS", 20))
    """Sign-in codes one client address may ask for an hour (gateway/customer/codes.py), whatever the numbers."""
    customer_complaints_per_hour: int = field(
        default_factory=lambda: common.env_int("CUSTOMER_COMPLAINTS_PER_HOUR", 5))
    """Complaints a car owner may file from the phone an hour (their own bucket, keyed by their token's customer)."""
    api_key_rate_per_minute: int = field(default_factory=lambda: common.env_int("API_KEY_RATE_PER_MINUTE", 600))
    """An API key's calls a minute unless the key names its own."""
    webhook_allow_private: bool = field(default_factory=webhook_allow_private)
    """Webhook URLs may name private and loopback addresses (tests and `make run` only)."""
    webhook_secret_keys: tuple[str, ...] = field(default_factory=webhook_secret_keys)
    """WEBHOOK_SECRET_KEYS: the Fernet keys webhook secrets are sealed with (gateway/partners/vault.py)."""
    wechat_oauth: WeChatOAuthSettings = field(default_factory=WeChatOAuthSettings)
    """WeChat's 网页授权 for the owner's openid when the phone app pays by JSAPI (gateway/customer/wechat_oauth.py)."""
    wechat_bridge_url: str | None = field(default_factory=_wechat_bridge_url)
    sms: common.SmsSettings = field(default_factory=common.SmsSettings)
    """Alibaba Cloud SMS for the one-time sign-in codes: the same adapter and variables as crm's messages."""


def data_path(name: str) -> Path:
    return common.data_dir() / name
