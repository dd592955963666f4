"""Webhook subscriptions and their delivery log (plain functions over the gateway's Session).

A subscription names event types (`<source>.<fact>` as declared in services/contracts) and stores; an
event reaches it only when the event's store is one of them. `fan_out` turns an event into one pending
delivery per matching subscription (at most one per subscription and event id, so an event the bus
hands over twice is delivered once); the deliverer (`deliverer.py`) posts them, retrying with
exponential backoff for a day, then gives up; a subscription whose deliveries are given up on
`DISABLE_AFTER` times in a row is disabled (its owner sees it in the console and in the list)."""
from __future__ import annotations

import ipaddress
import logging
import json
import secrets
import socket
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.db import dialect_insert, utcnow
from services.common.errors import Forbidden, Invalid, NotFound
from services.common.ids import new_id
from services.common.policy import require_store, sees_every_store
from services.common.schemas import page
from services.contracts import EVENTS

from ..identity import check_stores_exist
from ..models import WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)
EVENT_TYPES = tuple(sorted({f"{source}.{fact}" for source, fact, _version in EVENTS}))
"""Every event a service publishes under a contract: each is a partner's to subscribe to."""
RETRY_FOR = timedelta(days=1)
MAX_BACKOFF = timedelta(hours=1)
DISABLE_AFTER = 5
RESPONSE_KEPT = 500
"""Characters of a receiver's answer kept in the log."""


def check_url(url: str, allow_private: bool) -> None:
    """An https (or, for tests, http) URL whose host resolves to public addresses only, unless private ones
    are allowed by configuration (WEBHOOK_ALLOW_PRIVATE): no loopback, private, link-local or reserved
    address, so a subscription cannot make the deliverer probe the chain's own network."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port, parts = 0, urlsplit("")
    if parts.scheme not in ("https", "http") or not parts.hostname or not 0 < port < 65536:
        raise Invalid("A webhook URL is http(s)://host/…", fields={"url": ["Not an http(s) URL."]},
                      code="webhook_url_refused")
    if allow_private:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port)}
    except OSError as exc:
        raise Invalid("The webhook host does not resolve.", fields={"url": ["Unknown host."]},
                      code="webhook_url_refused") from exc
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            raise Invalid("Webhooks go to public addresses only.", fields={"url": ["Not a public address."]},
                          code="webhook_url_refused")


def _visible(actor, subscription: WebhookSubscription) -> bool:
    return sees_every_store(actor) or set(subscription.store_ids) <= set(actor.store_ids)


def create(session: Session, actor, data: dict, allow_private: bool) -> WebhookSubscription:
    store_ids = list(dict.fromkeys(data["store_ids"]))
    for store_id in store_ids:
        require_store(actor, store_id)
    check_stores_exist(session, store_ids)
    check_url(data["url"], allow_private)
    subscription = WebhookSubscription(url=data["url"], event_types=sorted(set(data["event_types"])),
                                       store_ids=store_ids, secret=data.get("secret") or secrets.token_urlsafe(32),
                                       created_by=actor.id, failures=0)
    session.add(subscription)
    session.flush()
    return subscription


def get(session: Session, actor, subscription_id: str) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound("No such webhook.", code="not_found")
    if not _visible(actor, subscription):
        raise Forbidden("This webhook covers stores outside your account's.", code="store_out_of_scope")
    return subscription


def list_subscriptions(session: Session, actor, query: dict) -> dict:
    if query.get("store_id"):
        require_store(actor, query["store_id"])
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.id)
    if query.get("cursor"):
        stmt = stmt.where(WebhookSubscription.id > query["cursor"])
    rows = [s for s in session.scalars(stmt) if _visible(actor, s)
            and (not query.get("store_id") or query["store_id"] in s.store_ids)]
    return page(rows[:query["limit"] + 1], query["limit"])


def list_deliveries(session: Session, actor, subscription_id: str, query: dict) -> dict:
    get(session, actor, subscription_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if query.get("status"):
        stmt = stmt.where(WebhookDelivery.status == query["status"])
    if query.get("cursor"):
        stmt = stmt.where(WebhookDelivery.id < query["cursor"])
    rows = session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(query["limit"] + 1)).all()
    return page(list(rows), query["limit"])


def redeliver(session: Session, actor, subscription_id: str, delivery_id: str) -> WebhookDelivery:
    """Send a delivery again now (delivered or given up on alike); a disabled subscription is enabled."""
    subscription = get(session, actor, subscription_id)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription.id:
        raise NotFound("No such delivery.", code="not_found")
    delivery.status, delivery.next_attempt_at = "pending", utcnow()
    subscription.disabled_at, subscription.failures = None, 0
    session.flush()
    return delivery


def body_of(envelope: dict) -> str:
    """What a receiver gets: the event's id (for de-duplication), type, contract version, time, store and
    its payload exactly as the contract writes it."""
    return json.dumps({"id": envelope["event_id"], "type": envelope["type"], "version": envelope["version"],
                       "occurred_at": envelope["occurred_at"], "store_id": envelope.get("store_id"),
                       "data": envelope["payload"]}, ensure_ascii=False, separators=(",", ":"))


def fan_out(session: Session, envelope: dict) -> int:
    """One pending delivery per active subscription to the event's type and store; how many were new."""
    store_id, event_type = envelope.get("store_id"), envelope["type"]
    if not store_id:
        return 0  # a chain-wide fact belongs to no store a subscription names
    body, now, made = body_of(envelope), utcnow(), 0
    for subscription in session.scalars(select(WebhookSubscription).where(WebhookSubscription.disabled_at.is_(None))):
        if event_type not in subscription.event_types or store_id not in subscription.store_ids:
            continue
        insert = dialect_insert(session)(WebhookDelivery).values(
            id=new_id(), subscription_id=subscription.id, event_id=envelope["event_id"], event_type=event_type,
            body=body, status="pending", attempts=0, next_attempt_at=now, created_at=now)
        result = session.execute(insert.on_conflict_do_nothing(index_elements=["subscription_id", "event_id"]))
        made += int(getattr(result, "rowcount", 0) or 0)
    return made


def claim_due(session: Session, limit: int, lease: timedelta) -> list[tuple[str, str, str, str, str, str]]:
    """Take up to `limit` due deliveries for one attempt each: (delivery id, url, secret, body, event id, type).
    Rows another deliverer holds are skipped (PostgreSQL's SKIP LOCKED), and the conditional update takes
    only what nobody took meanwhile; a taken row is not due again before the lease ends (a sender that
    died mid-post)."""
    now = utcnow()
    candidates = list(session.scalars(
        select(WebhookDelivery.id).where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at).limit(limit).with_for_update(skip_locked=True)))
    if not candidates:
        return []
    taken = list(session.scalars(update(WebhookDelivery).where(
        WebhookDelivery.id.in_(candidates), WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .values(next_attempt_at=now + lease).returning(WebhookDelivery.id)))
    rows = session.execute(select(WebhookDelivery.id, WebhookSubscription.url, WebhookSubscription.secret,
                                  WebhookDelivery.body, WebhookDelivery.event_id, WebhookDelivery.event_type)
                           .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                           .where(WebhookDelivery.id.in_(taken)))
    return [tuple(row) for row in rows]


def backoff(attempts: int, base_seconds: float) -> timedelta:
    return min(timedelta(seconds=base_seconds * 2 ** (attempts - 1)), MAX_BACKOFF)


def record(session: Session, delivery: WebhookDelivery, status: int | None, answer: str | None, error: str | None,
           duration_ms: int, base_seconds: float, now: datetime | None = None) -> None:
    """The attempt's outcome: delivered on a 2xx; else retried after the backoff while the event is under a
    day old, then given up on (and the subscription disabled after DISABLE_AFTER in a row)."""
    now = now or utcnow()
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    delivery.attempts += 1
    delivery.attempted_at, delivery.duration_ms = now, duration_ms
    delivery.response_status, delivery.error = status, (error or "")[:200] or None
    delivery.response_body = (answer or "")[:RESPONSE_KEPT] or None
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        if subscription is not None:
            subscription.failures = 0
        return
    retry_at = now + backoff(delivery.attempts, base_seconds)
    if retry_at - delivery.created_at <= RETRY_FOR:
        delivery.next_attempt_at = retry_at
        return
    delivery.status, delivery.next_attempt_at = "failed", None
    if subscription is not None:
        subscription.failures += 1
        if subscription.failures >= DISABLE_AFTER and subscription.disabled_at is None:
            subscription.disabled_at = now
            log.warning("webhook disabled after deliveries given up in a row",
                        extra={"webhook_id": subscription.id, "failures": subscription.failures})
