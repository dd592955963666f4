"""The gateway's own tables: identity (users, stores, memberships), idempotency records, API keys."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.db import UTCDateTime, service_metadata, utcnow
from services.common.ids import new_id


class Base(DeclarativeBase):
    metadata = service_metadata()


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserStore(Base):
    __tablename__ = "user_stores"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), primary_key=True, index=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    mobile: Mapped[str | None] = mapped_column(String(11), comment="personal data: never logged")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0",
                                               comment="raised when earlier tokens must end (auth.py)")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[UserStore]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def store_ids(self) -> list[str]:
        return sorted(m.store_id for m in self.memberships)


class IdempotencyRecord(Base):
    """The first answer to a POST carrying `Idempotency-Key`, replayed for repeats."""

    __tablename__ = "idempotency_records"

    user_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict | None] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class LoginFailure(Base):
    """A refused login, kept for the brute-force window (see `identity.login_throttled`)."""

    __tablename__ = "login_failures"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(50))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_login_failures_username_at", "username", "at"),
                      Index("ix_login_failures_ip_at", "client_ip", "at"))


class CustomerCode(Base):
    """A one-time sign-in code sent to a mobile (gateway/customer/codes.py): only its hash is kept."""

    __tablename__ = "customer_codes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    mobile: Mapped[str] = mapped_column(String(11))
    code_hash: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, comment="wrong guesses against this code")
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_customer_codes_mobile_at", "mobile", "created_at"),
                      Index("ix_customer_codes_ip_at", "client_ip", "created_at"))


class CustomerLink(Base):
    """A signed link the store sends a customer (gateway/customer/links.py): one purpose, one document,
    until it expires or is revoked; only the hash of its secret is kept."""

    __tablename__ = "customer_links"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(30), comment="quote_decision")
    document_type: Mapped[str] = mapped_column(String(30))
    document_id: Mapped[str] = mapped_column(String(26))
    customer_id: Mapped[str] = mapped_column(String(26))
    store_id: Mapped[str] = mapped_column(String(26))
    created_by: Mapped[str] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(26))

    __table_args__ = (Index("ix_customer_links_document", "document_type", "document_id"),)


class ApiKey(Base):
    """A machine client's key (gateway/partners/keys.py): only the hash of its secret is kept; `prefix`
    names it in lists. Scopes are `<area>:read|write`; stores are the only ones it reaches."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(20), comment="the secret's first characters, to recognise it")
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(JSON)
    store_ids: Mapped[list] = mapped_column(JSON)
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(26))
    rotated_from: Mapped[str | None] = mapped_column(String(26), comment="the key this one replaced")
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKeyUsage(Base):
    """Calls made with a key, per operation (method and route template)."""

    __tablename__ = "api_key_usage"

    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    method: Mapped[str] = mapped_column(String(10), primary_key=True)
    route: Mapped[str] = mapped_column(String(200), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateBucket(Base):
    """A token bucket (gateway/partners/limits.py), shared by every gateway worker and host through
    this table: `tokens` left at `stamp` (seconds since the epoch)."""

    __tablename__ = "rate_buckets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True, comment="key:<id> or user:<id>")
    tokens: Mapped[float] = mapped_column(Float)
    stamp: Mapped[float] = mapped_column(Float)


class WebhookSubscription(Base):
    """A partner's webhook (gateway/partners/webhooks.py): events of these types in these stores (every store
    and the chain's store-less facts when `chain_wide`), posted to `url` signed with the secret, which is
    kept encrypted (`vault.py`: needed to sign; answered once, like a key's)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list] = mapped_column(JSON)
    store_ids: Mapped[list] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(300), comment="Fernet token of the signing secret")
    chain_wide: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failures: Mapped[int] = mapped_column(Integer, default=0, comment="deliveries given up on in a row")
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event for one subscription: at most one row per (subscription, event), retried until delivered
    or given up on; the last attempt's answer kept (its body cut short)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending", comment="pending, delivered, failed")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("subscription_id", "event_id"),
                      Index("ix_webhook_deliveries_due", "status", "next_attempt_at"))
